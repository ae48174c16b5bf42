DROP TRIGGER billing_invoices_terms_and_payment_frozen ON billing_invoices;
DROP FUNCTION billing_invoices_freeze_terms_and_payment();
ALTER TABLE billing_invoices
    DROP CONSTRAINT billing_invoices_reference_with_method,
    DROP CONSTRAINT billing_invoices_due_with_terms,
    DROP COLUMN payment_reference,
    DROP COLUMN payment_method,
    DROP COLUMN due_at,
    DROP COLUMN net_terms_days;
ALTER TABLE organization_settings DROP COLUMN net_terms_days;
ALTER TABLE billing_customers DROP COLUMN net_terms_days;
