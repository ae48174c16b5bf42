-- The organization's own tax id (VAT, GST, EIN...), which an invoice prints as the seller's
-- beside its address (an EU invoice must show the supplier's VAT number). Checked for shape
-- by the API; NULL when the organization has none.
ALTER TABLE organization_settings ADD COLUMN tax_id text NULL;
