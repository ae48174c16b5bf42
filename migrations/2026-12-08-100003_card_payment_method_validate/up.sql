-- Validates the widened payment method check of the previous migration apart from the ALTER
-- that added it: VALIDATE scans under a lock that lets reads and writes go on.
SET lock_timeout = '5s';

ALTER TABLE billing_invoices VALIDATE CONSTRAINT billing_invoices_payment_method_check;
