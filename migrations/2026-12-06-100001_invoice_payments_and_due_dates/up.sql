-- Payment terms and payments recorded by hand.
--
-- An invoice is due `net_terms_days` after it is finalized (the day it gets its number and
-- can be paid): the customer's own terms, else the organization's, else 30 days, read when
-- it is finalized and kept on it, so later changes of either apply to later invoices only.
-- A payment made outside Tollgate (a bank transfer) is recorded with how it was made and the
-- payer's reference, for reconciling it with the bank statement.

ALTER TABLE billing_customers
    ADD COLUMN net_terms_days integer NULL CHECK (net_terms_days BETWEEN 0 AND 365);
ALTER TABLE organization_settings
    ADD COLUMN net_terms_days integer NULL CHECK (net_terms_days BETWEEN 0 AND 365);

ALTER TABLE billing_invoices
    ADD COLUMN net_terms_days integer NULL CHECK (net_terms_days BETWEEN 0 AND 365),
    ADD COLUMN due_at timestamptz NULL,
    ADD COLUMN payment_method text NULL
        CHECK (payment_method IN ('bank_transfer', 'cash', 'check', 'other')),
    ADD COLUMN payment_reference text NULL
        CHECK (char_length(payment_reference) BETWEEN 1 AND 200),
    ADD CONSTRAINT billing_invoices_due_with_terms
        CHECK ((net_terms_days IS NULL) = (due_at IS NULL)),
    ADD CONSTRAINT billing_invoices_reference_with_method
        CHECK (payment_reference IS NULL OR payment_method IS NOT NULL);

-- Invoices finalized before terms existed were due on the default terms. Hours, not days:
-- a day interval follows the session's time zone across a DST change, the application's
-- 24-hour days do not.
UPDATE billing_invoices SET net_terms_days = 30, due_at = finalized_at + interval '720 hours'
WHERE source = 'embedded' AND finalized_at IS NOT NULL;

-- The due date is part of what a finalized invoice says, and a recorded payment is final:
-- neither changes afterwards (a wrong payment is corrected by voiding, as anything else).
CREATE FUNCTION billing_invoices_freeze_terms_and_payment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.source = 'embedded' AND OLD.status <> 'draft'
       AND (NEW.net_terms_days, NEW.due_at) IS DISTINCT FROM (OLD.net_terms_days, OLD.due_at)
    THEN
        RAISE EXCEPTION 'invoice % is finalized: its due date cannot change', OLD.id;
    END IF;
    IF OLD.source = 'embedded' AND OLD.status IN ('paid', 'voided')
       AND (NEW.paid_at, NEW.payment_method, NEW.payment_reference)
           IS DISTINCT FROM (OLD.paid_at, OLD.payment_method, OLD.payment_reference)
    THEN
        RAISE EXCEPTION 'invoice % was paid or voided: its payment cannot change', OLD.id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER billing_invoices_terms_and_payment_frozen BEFORE UPDATE ON billing_invoices
    FOR EACH ROW EXECUTE FUNCTION billing_invoices_freeze_terms_and_payment();
