DROP TRIGGER billing_credit_note_lines_frozen ON billing_credit_note_lines;
DROP TRIGGER billing_credit_notes_frozen ON billing_credit_notes;
DROP FUNCTION billing_credit_notes_refuse_changes();
DROP TABLE billing_credit_note_lines;
-- Only the voids' credit notes fit the table as it was.
DELETE FROM billing_credit_notes WHERE reason <> 'void';
DROP INDEX billing_credit_notes_org_id;
DROP INDEX billing_credit_notes_one_per_reason;
ALTER TABLE billing_credit_notes
    ADD CONSTRAINT billing_credit_notes_invoice_id_key UNIQUE (invoice_id),
    DROP CONSTRAINT billing_credit_notes_sequence,
    DROP CONSTRAINT billing_credit_notes_number,
    DROP CONSTRAINT billing_credit_notes_settlement,
    DROP CONSTRAINT billing_credit_notes_totals,
    DROP COLUMN tax_rate,
    DROP COLUMN reason,
    DROP COLUMN sequence,
    DROP COLUMN number;
DROP TABLE billing_credit_note_sequences;
