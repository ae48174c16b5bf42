ALTER TABLE billing_plans DROP COLUMN archived_at;
