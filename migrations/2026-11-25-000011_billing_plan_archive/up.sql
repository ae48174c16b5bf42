-- An archived plan takes no new subscriptions (nor plan changes onto it); the subscriptions
-- already on it keep going, renewals onto its latest version included. Archiving is for good:
-- nothing sets the column back to NULL.
ALTER TABLE billing_plans ADD COLUMN archived_at timestamptz NULL;
