-- An invoice the payment provider charged is paid by `card`. The method's check is widened;
-- the new one is added NOT VALID (no scan under the lock) and validated by the next migration.
-- contract: the dropped check is replaced in the same transaction by a wider one; every row
-- and every older release's write satisfies both.
SET lock_timeout = '5s';

ALTER TABLE billing_invoices DROP CONSTRAINT billing_invoices_payment_method_check;
ALTER TABLE billing_invoices ADD CONSTRAINT billing_invoices_payment_method_check
    CHECK (payment_method IN ('bank_transfer', 'cash', 'card', 'check', 'other')) NOT VALID;
