ALTER TABLE organization_settings DROP COLUMN tax_id;
