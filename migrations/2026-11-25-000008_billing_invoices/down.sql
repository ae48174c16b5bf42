DROP TABLE lago_webhook_receipts;
DROP TRIGGER billing_invoice_lines_frozen ON billing_invoice_lines;
DROP FUNCTION billing_invoice_lines_freeze_finalized();
DROP TRIGGER billing_invoices_frozen ON billing_invoices;
DROP FUNCTION billing_invoices_freeze_finalized();
DROP TABLE billing_credit_notes;
DROP TABLE billing_invoice_lines;
DROP TABLE billing_invoices;
DROP TABLE billing_invoice_sequences;
