-- Invoices: the embedded engine's own, and the view of Lago's kept up to date by its webhooks.
--
-- An invoice is numbered when it is finalized, from a per-organization counter updated in the
-- same transaction, so numbers have no gaps: a draft that is discarded never had one. Once
-- finalized, nothing that was billed changes (triggers below); only its payment and voiding
-- are recorded.

CREATE TABLE billing_invoice_sequences (
    organization_id  uuid PRIMARY KEY REFERENCES organizations (id),
    last_sequence    bigint NOT NULL DEFAULT 0 CHECK (last_sequence >= 0)
);

CREATE TABLE billing_invoices (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id),
    customer_id       uuid NOT NULL,
    subscription_id   uuid,
    -- 'embedded': made by Tollgate's period close; 'lago': Lago's, seen through its API and webhooks.
    source            text NOT NULL CHECK (source IN ('embedded', 'lago')),
    lago_id           uuid,
    period_start      timestamptz NOT NULL,
    period_end        timestamptz NOT NULL CHECK (period_end > period_start),
    status            text NOT NULL CHECK (status IN ('draft', 'finalized', 'paid', 'voided')),
    -- Lago's own payment status (pending, succeeded, failed); NULL for embedded invoices,
    -- whose status says it.
    payment_status    text,
    number            text,
    sequence          bigint,
    currency          text NOT NULL,
    tax_rate          numeric NOT NULL DEFAULT 0,
    subtotal          numeric NOT NULL,
    tax               numeric NOT NULL,
    total             numeric NOT NULL,
    issued_at         timestamptz NOT NULL,
    -- Embedded invoices of a subscription: 'opening' bills the first period's in-advance base
    -- fee as the subscription starts; 'closing' bills a period once it has ended (its usage,
    -- its in-arrears fees and the next period's in-advance fee). 'other' for Lago's.
    kind              text NOT NULL DEFAULT 'closing' CHECK (kind IN ('opening', 'closing', 'other')),
    finalized_at      timestamptz,
    paid_at           timestamptz,
    voided_at         timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (total = subtotal + tax),
    CHECK ((status = 'draft') = (number IS NULL) OR source = 'lago'),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, number),
    UNIQUE (organization_id, sequence),
    UNIQUE (organization_id, lago_id),
    FOREIGN KEY (organization_id, customer_id) REFERENCES billing_customers (organization_id, id)
);
-- Never two invoices of one kind for one subscription and period, however many closers race
-- (the period close claims subscriptions FOR UPDATE SKIP LOCKED; this is the last guard).
-- Lago's invoices are Lago's business: it may issue several for one period (plan changes).
CREATE UNIQUE INDEX billing_invoices_one_per_period
    ON billing_invoices (subscription_id, period_start, kind)
    WHERE subscription_id IS NOT NULL AND source = 'embedded';
CREATE INDEX billing_invoices_org_id ON billing_invoices (organization_id, id);
CREATE INDEX billing_invoices_customer ON billing_invoices (organization_id, customer_id, id);

-- The period close reads each customer's rollup buckets of a span (a month of day buckets,
-- hours and minutes at unaligned edges): by customer first, so that a batch of customers is a
-- handful of short index ranges instead of scans of every customer's buckets.
CREATE INDEX usage_rollups_customer_buckets
    ON usage_rollups (organization_id, customer_id, granularity, bucket_start);

CREATE TABLE billing_invoice_lines (
    invoice_id            uuid NOT NULL,
    organization_id       uuid NOT NULL,
    position              integer NOT NULL CHECK (position >= 1),
    -- base_fee, usage, charge_minimum, minimum_commitment
    kind                  text NOT NULL,
    meter                 text,
    description           text NOT NULL,
    period_start          timestamptz NOT NULL,
    period_end            timestamptz NOT NULL,
    quantity              numeric NOT NULL,
    free_quantity         numeric NOT NULL DEFAULT 0,
    unit_price            numeric NOT NULL,
    amount                numeric NOT NULL,
    -- Base fee lines: in_advance | in_arrears, and the days billed of the period's days.
    fee_timing            text,
    proration_used_days   integer,
    proration_period_days integer,
    PRIMARY KEY (invoice_id, position),
    FOREIGN KEY (organization_id, invoice_id) REFERENCES billing_invoices (organization_id, id)
);

CREATE TABLE billing_credit_notes (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    invoice_id       uuid NOT NULL UNIQUE,
    -- refund (the invoice was paid) or cancellation (it was not)
    settlement       text NOT NULL,
    currency         text NOT NULL,
    subtotal         numeric NOT NULL,
    tax              numeric NOT NULL,
    total            numeric NOT NULL,
    issued_at        timestamptz NOT NULL,
    FOREIGN KEY (organization_id, invoice_id) REFERENCES billing_invoices (organization_id, id)
);

-- Once finalized, the billed figures are frozen: only status, payment and void times move.
CREATE FUNCTION billing_invoices_freeze_finalized() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is finalized: it cannot be deleted', OLD.id;
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.source = 'embedded' AND OLD.status <> 'draft' AND (
        NEW.customer_id, NEW.subscription_id, NEW.period_start, NEW.period_end, NEW.number,
        NEW.sequence, NEW.currency, NEW.tax_rate, NEW.subtotal, NEW.tax, NEW.total,
        NEW.issued_at, NEW.finalized_at, NEW.kind
    ) IS DISTINCT FROM (
        OLD.customer_id, OLD.subscription_id, OLD.period_start, OLD.period_end, OLD.number,
        OLD.sequence, OLD.currency, OLD.tax_rate, OLD.subtotal, OLD.tax, OLD.total,
        OLD.issued_at, OLD.finalized_at, OLD.kind
    ) THEN
        RAISE EXCEPTION 'invoice % is finalized: its billed figures cannot change', OLD.id;
    END IF;
    -- An invoice only moves forwards: draft -> finalized -> paid, finalized or paid -> voided.
    IF OLD.source = 'embedded' AND NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status, NEW.status) IN (('draft', 'finalized'), ('finalized', 'paid'),
                                     ('finalized', 'voided'), ('paid', 'voided'))
    ) THEN
        RAISE EXCEPTION 'invoice % cannot go from % to %', OLD.id, OLD.status, NEW.status;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER billing_invoices_frozen BEFORE UPDATE OR DELETE ON billing_invoices
    FOR EACH ROW EXECUTE FUNCTION billing_invoices_freeze_finalized();

-- The lines of a finalized invoice never change. New lines go only on a draft, or on the
-- invoice the same transaction created (the period close writes an invoice finalized, then
-- its lines), or on Lago's invoices (the webhook view fills in lines Lago sends later).
-- Updates and deletes are checked per row; inserts once per statement, over all the new lines
-- together, because the period close inserts thousands at a time.
CREATE FUNCTION billing_invoice_lines_freeze_finalized() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    invoice_status text;
BEGIN
    SELECT status INTO invoice_status FROM billing_invoices WHERE id = OLD.invoice_id;
    IF FOUND AND invoice_status <> 'draft' THEN
        RAISE EXCEPTION 'the lines of a finalized invoice cannot change';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER billing_invoice_lines_frozen BEFORE UPDATE OR DELETE ON billing_invoice_lines
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_lines_freeze_finalized();

CREATE FUNCTION billing_invoice_lines_refuse_late_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM new_lines l JOIN billing_invoices i ON i.id = l.invoice_id
        WHERE i.status <> 'draft' AND i.source = 'embedded'
          AND i.xmin <> pg_current_xact_id()::xid
    ) THEN
        RAISE EXCEPTION 'lines cannot be added to a finalized invoice';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER billing_invoice_lines_no_late_lines AFTER INSERT ON billing_invoice_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION billing_invoice_lines_refuse_late_lines();

-- Lago webhooks already handled, by X-Lago-Unique-Key: a repeat is acknowledged and dropped.
CREATE TABLE lago_webhook_receipts (
    unique_key       text PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    webhook_type     text NOT NULL,
    object_id        text,
    received_at      timestamptz NOT NULL DEFAULT now()
);
