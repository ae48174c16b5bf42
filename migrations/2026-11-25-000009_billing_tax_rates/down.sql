ALTER TABLE billing_customers DROP COLUMN tax_rate;
