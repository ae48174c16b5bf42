ALTER TABLE billing_invoices DROP CONSTRAINT billing_invoices_payment_method_check;
ALTER TABLE billing_invoices ADD CONSTRAINT billing_invoices_payment_method_check
    CHECK (payment_method IN ('bank_transfer', 'cash', 'check', 'other')) NOT VALID;
