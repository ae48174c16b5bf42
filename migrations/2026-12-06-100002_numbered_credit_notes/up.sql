-- Credit notes get their own numbers and lines, and may credit part of an invoice.
--
-- A credit note was issued only when an invoice was voided (one per invoice, unnumbered, its
-- lines the invoice's). A termination now credits the unused days of a base fee paid in
-- advance with a credit note of its own against the invoice that billed the fee, so credit
-- notes are documents in their own right: numbered in a gapless series per organization
-- (CN-<prefix>-000001, allocated in the issuing transaction like invoice numbers), with
-- their lines, the tax rate they credit at and why they were issued. Nothing about a credit
-- note changes once issued.

CREATE TABLE billing_credit_note_sequences (
    organization_id  uuid PRIMARY KEY REFERENCES organizations (id),
    last_sequence    bigint NOT NULL DEFAULT 0 CHECK (last_sequence >= 0)
);

ALTER TABLE billing_credit_notes
    ADD COLUMN number text,
    ADD COLUMN sequence bigint,
    -- void: the whole invoice; unused_time: a termination's unused days of a fee paid in advance
    ADD COLUMN reason text NOT NULL DEFAULT 'void' CHECK (reason IN ('void', 'unused_time')),
    ADD COLUMN tax_rate numeric NOT NULL DEFAULT 0,
    ADD CONSTRAINT billing_credit_notes_totals CHECK (total = subtotal + tax),
    ADD CONSTRAINT billing_credit_notes_settlement
        CHECK (settlement IN ('refund', 'cancellation'));
ALTER TABLE billing_credit_notes ALTER COLUMN reason DROP DEFAULT;
-- An invoice may now have a partial credit note and, later, its void's.
ALTER TABLE billing_credit_notes DROP CONSTRAINT billing_credit_notes_invoice_id_key;
CREATE UNIQUE INDEX billing_credit_notes_one_per_reason
    ON billing_credit_notes (invoice_id, reason);
CREATE UNIQUE INDEX billing_credit_notes_org_id ON billing_credit_notes (organization_id, id);

CREATE TABLE billing_credit_note_lines (
    credit_note_id        uuid NOT NULL,
    organization_id       uuid NOT NULL,
    position              integer NOT NULL CHECK (position >= 1),
    -- as billing_invoice_lines: what is credited, as the invoice billed it
    kind                  text NOT NULL,
    meter                 text,
    description           text NOT NULL,
    period_start          timestamptz NOT NULL,
    period_end            timestamptz NOT NULL,
    quantity              numeric NOT NULL,
    free_quantity         numeric NOT NULL DEFAULT 0,
    unit_price            numeric NOT NULL,
    amount                numeric NOT NULL,
    fee_timing            text,
    proration_used_days   integer,
    proration_period_days integer,
    PRIMARY KEY (credit_note_id, position),
    FOREIGN KEY (organization_id, credit_note_id)
        REFERENCES billing_credit_notes (organization_id, id)
);

-- The credit notes issued so far (voids): the voided invoice's rate and lines, and numbers in
-- the order they were issued. The prefix is the organization's invoice prefix (its slug
-- upper-cased, letters, digits and inner dashes, at most 20 characters; INV if none is left).
UPDATE billing_credit_notes n SET tax_rate = i.tax_rate
FROM billing_invoices i WHERE i.id = n.invoice_id;
INSERT INTO billing_credit_note_lines (credit_note_id, organization_id, position, kind, meter,
    description, period_start, period_end, quantity, free_quantity, unit_price, amount,
    fee_timing, proration_used_days, proration_period_days)
SELECT n.id, n.organization_id, l.position, l.kind, l.meter, l.description, l.period_start,
       l.period_end, l.quantity, l.free_quantity, l.unit_price, l.amount, l.fee_timing,
       l.proration_used_days, l.proration_period_days
FROM billing_credit_notes n JOIN billing_invoice_lines l ON l.invoice_id = n.invoice_id;
WITH numbered AS (
    SELECT n.id, row_number() OVER (PARTITION BY n.organization_id
                                    ORDER BY n.issued_at, n.id) AS sequence,
           coalesce(nullif(btrim(upper(left(regexp_replace(o.slug, '[^A-Za-z0-9-]', '', 'g'),
                                            20)), '-'), ''), 'INV') AS prefix
    FROM billing_credit_notes n JOIN organizations o ON o.id = n.organization_id
)
UPDATE billing_credit_notes n
SET sequence = numbered.sequence,
    number = 'CN-' || numbered.prefix || '-' || CASE WHEN numbered.sequence < 1000000
        THEN lpad(numbered.sequence::text, 6, '0') ELSE numbered.sequence::text END
FROM numbered WHERE numbered.id = n.id;
INSERT INTO billing_credit_note_sequences (organization_id, last_sequence)
SELECT organization_id, max(sequence) FROM billing_credit_notes GROUP BY organization_id;

ALTER TABLE billing_credit_notes
    ALTER COLUMN number SET NOT NULL,
    ALTER COLUMN sequence SET NOT NULL,
    ADD CONSTRAINT billing_credit_notes_number UNIQUE (organization_id, number),
    ADD CONSTRAINT billing_credit_notes_sequence UNIQUE (organization_id, sequence);

-- Issued is final: a wrong credit note is corrected by another document, never rewritten.
CREATE FUNCTION billing_credit_notes_refuse_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a credit note cannot change once issued';
END $$;
CREATE TRIGGER billing_credit_notes_frozen BEFORE UPDATE OR DELETE ON billing_credit_notes
    FOR EACH ROW EXECUTE FUNCTION billing_credit_notes_refuse_changes();
CREATE TRIGGER billing_credit_note_lines_frozen BEFORE UPDATE OR DELETE
    ON billing_credit_note_lines
    FOR EACH ROW EXECUTE FUNCTION billing_credit_notes_refuse_changes();
