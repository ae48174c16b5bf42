//! Invoices, their PDFs, receipts and credit notes.

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{dto, page_of, parses},
    routes::api::{
        credit_notes::CreditNoteResponse,
        invoices::{InvoiceResponse, MarkPaidRequest},
    },
};

const CREDIT_NOTE: &str = r#"{"id": "0193a5c2-7b1e-7c3d-9e4f-5a6b7c8d9e0f",
    "number": "CN-ACME-000001", "invoice_id": "e4f5a6b7-c8d9-4e0f-9a1b-2c3d4e5f6a7b",
    "invoice_number": "ACME-2026-000042", "reason": "unused_time",
    "settlement": "cancellation", "customer": "cust-002", "currency": "EUR",
    "issued_at": "2026-12-01T10:05:00Z",
    "lines": [{"kind": "base_fee", "meter": null,
        "description": "Unused time of the base fee paid in advance (31 of 31 days)",
        "quantity": "1", "free_quantity": "0", "unit_price": "49.00", "amount": "49.00",
        "period": {"start": "2026-12-01T09:00:32Z", "end": "2027-01-01T00:00:00Z"},
        "fee_timing": "in_advance", "proration": {"used_days": 31, "period_days": 31}}],
    "tax_rate": "19", "subtotal": "49.00", "tax": "9.31", "total": "58.31"}"#;

const INVOICE: &str = r#"{"id": "e4f5a6b7-c8d9-4e0f-9a1b-2c3d4e5f6a7b",
    "number": "ACME-2026-000042", "status": "finalized", "source": "embedded",
    "payment_status": null, "customer": "cust-002", "subscription": "sub-globex",
    "currency": "EUR",
    "period": {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
    "issued_at": "2026-12-01T00:05:00Z", "finalized_at": "2026-12-01T00:05:00Z",
    "net_terms_days": 30, "due_at": "2026-12-31T00:05:00Z",
    "paid_at": null, "payment_method": null, "payment_reference": null, "voided_at": null,
    "lines": [{"kind": "usage", "meter": "input_tokens",
        "description": "Input tokens", "quantity": "2400000", "free_quantity": "100000",
        "unit_price": "0.000002", "amount": "4.45",
        "period": {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
        "fee_timing": null, "proration": null}],
    "tax_rate": "19", "subtotal": "4.45", "tax": "0.85", "total": "5.30",
    "credit_note": null}"#;

fn invoice(status: u16) -> Answer {
    Answer::Json {
        status,
        schema: dto::<InvoiceResponse>,
        example: INVOICE,
    }
}

fn operation(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    answer: Answer,
) -> Operation {
    Operation {
        method,
        path,
        id,
        tag: "invoices",
        summary,
        query: None,
        paged: false,
        request: None,
        answer,
    }
}

pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            paged: true,
            query: Some(|| {
                vec![
                    serde_json::json!({
                        "name": "customer", "in": "query", "required": false,
                        "description": "Only this customer's (its external id).",
                        "schema": { "type": "string" },
                    }),
                    serde_json::json!({
                        "name": "status", "in": "query", "required": false,
                        "schema": { "type": "string",
                            "enum": ["draft", "finalized", "paid", "voided"] },
                    }),
                    serde_json::json!({
                        "name": "currency", "in": "query", "required": false,
                        "description": "Only invoices in this currency (ISO 4217 code, any \
                            case); else 400 `invalid_query`.",
                        "schema": { "type": "string", "pattern": "^[A-Za-z]{3}$" },
                        "example": "EUR",
                    }),
                    serde_json::json!({
                        "name": "issued_from", "in": "query", "required": false,
                        "description": "Only invoices issued on or after this day (UTC); \
                            else 400 `invalid_query`.",
                        "schema": { "type": "string", "format": "date" },
                        "example": "2026-12-01",
                    }),
                    serde_json::json!({
                        "name": "issued_to", "in": "query", "required": false,
                        "description": "Only invoices issued on or before this day (UTC, \
                            inclusive; not before `issued_from`); else 400 `invalid_query`.",
                        "schema": { "type": "string", "format": "date" },
                        "example": "2026-12-31",
                    }),
                ]
            }),
            ..operation(
                "GET",
                "/api/billing/invoices",
                "listInvoices",
                "The invoices, newest first",
                Answer::Json {
                    status: 200,
                    schema: page_of::<InvoiceResponse>,
                    example: r#"{"data": [], "next_cursor": null}"#,
                },
            )
        },
        operation(
            "GET",
            "/api/billing/invoices/{id}",
            "showInvoice",
            "One invoice with its lines",
            invoice(200),
        ),
        operation(
            "POST",
            "/api/billing/invoices/{id}/finalize",
            "finalizeInvoice",
            "Numbers a draft and makes it final",
            invoice(200),
        ),
        operation(
            "POST",
            "/api/billing/invoices/{id}/void",
            "voidInvoice",
            "Voids a finalized invoice by a credit note",
            invoice(200),
        ),
        Operation {
            request: Some(Request {
                schema: dto::<MarkPaidRequest>,
                example: r#"{"paid_at": "2026-12-04T09:30:00Z", "method": "bank_transfer",
                    "reference": "SEPA ACME-2026-000042"}"#,
                parses: parses::<MarkPaidRequest>,
            }),
            ..operation(
                "POST",
                "/api/billing/invoices/{id}/mark-paid",
                "markInvoicePaid",
                "Records a payment made outside Tollgate (a bank transfer) on a finalized \
                 invoice (409 `invoice_already_paid` when paid)",
                invoice(200),
            )
        },
        operation(
            "GET",
            "/api/billing/invoices/{id}/pdf",
            "invoicePdf",
            "The invoice as PDF",
            Answer::File {
                media_type: "application/pdf",
            },
        ),
        Operation {
            paged: true,
            ..operation(
                "GET",
                "/api/billing/invoices/{id}/credit-notes",
                "invoiceCreditNotes",
                "The credit notes of an invoice, oldest first",
                Answer::Json {
                    status: 200,
                    schema: page_of::<CreditNoteResponse>,
                    example: r#"{"data": [], "next_cursor": null}"#,
                },
            )
        },
        operation(
            "GET",
            "/api/billing/credit-notes/{id}",
            "showCreditNote",
            "One credit note (a void's, or a termination's unused days), numbered from its own \
             series",
            Answer::Json {
                status: 200,
                schema: dto::<CreditNoteResponse>,
                example: CREDIT_NOTE,
            },
        ),
        operation(
            "GET",
            "/api/billing/credit-notes/{id}/pdf",
            "creditNotePdf",
            "The credit note as PDF",
            Answer::File {
                media_type: "application/pdf",
            },
        ),
        operation(
            "GET",
            "/api/billing/invoices/{id}/receipt",
            "invoiceReceipt",
            "The receipt of a paid invoice as PDF (409 `invoice_not_paid` before)",
            Answer::File {
                media_type: "application/pdf",
            },
        ),
    ]
}
