//! Card payments: attempts at invoices, a customer's cards, and Stripe's webhook.

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{dto, page_of, parses, query},
    routes::api::payments::{
        CardsResponse, LinkResponse, ListFilter, PaymentResponse, SetupLinkRequest,
    },
};

pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            method: "GET",
            path: "/api/billing/payments",
            id: "listPayments",
            tag: "payments",
            summary: "Attempts to collect invoices by card, newest first (503 \
                `payments_not_configured` without Stripe)",
            query: Some(query::<ListFilter>),
            paged: true,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: page_of::<PaymentResponse>,
                example: r#"{"data": [{"id": "0193c9a2-1f00-7000-8000-000000000001",
                    "invoice": "0193c9a2-0e00-7000-8000-000000000042", "attempt": 2,
                    "kind": "off_session", "status": "failed", "amount": "32.00",
                    "currency": "USD", "provider_payment": "pi_3Q…",
                    "failure_code": "card_declined", "decline_code": "insufficient_funds",
                    "advice_code": null, "failure_message": "Your card has insufficient funds.",
                    "created_at": "2026-12-04T12:00:00Z"}], "next_cursor": null}"#,
            },
        },
        Operation {
            method: "POST",
            path: "/api/billing/invoices/{id}/pay",
            id: "payInvoice",
            tag: "payments",
            summary: "Charges the customer's card on file now, whatever the dunning schedule: \
                the attempt made, with its outcome (a decline is a failed attempt, not an \
                error); 409 `invoice_not_payable`, `no_payment_method`, `payment_in_progress`",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: dto::<PaymentResponse>,
                example: r#"{"id": "0193c9a2-1f00-7000-8000-000000000002",
                    "invoice": "0193c9a2-0e00-7000-8000-000000000042", "attempt": 1,
                    "kind": "off_session", "status": "succeeded", "amount": "32.00",
                    "currency": "USD", "provider_payment": "pi_3Q…", "failure_code": null,
                    "decline_code": null, "advice_code": null, "failure_message": null,
                    "created_at": "2026-12-04T12:00:00Z"}"#,
            },
        },
        Operation {
            method: "POST",
            path: "/api/billing/customers/{id}/payment-methods/setup-link",
            id: "createSetupLink",
            tag: "payments",
            summary: "A Stripe-hosted page (24 h) where the customer saves a card; once saved \
                it becomes the card invoices are charged to, and failed ones are tried again",
            query: None,
            paged: false,
            request: Some(Request {
                schema: dto::<SetupLinkRequest>,
                example: r#"{"success_url": "https://app.example.com/billing?card=saved",
                    "cancel_url": "https://app.example.com/billing"}"#,
                parses: parses::<SetupLinkRequest>,
            }),
            answer: Answer::Json {
                status: 201,
                schema: dto::<LinkResponse>,
                example: r#"{"url": "https://checkout.stripe.com/c/pay/cs_test_…",
                    "expires_at": "2026-12-07T12:00:00Z"}"#,
            },
        },
        Operation {
            method: "GET",
            path: "/api/billing/customers/{id}/payment-methods",
            id: "listPaymentMethods",
            tag: "payments",
            summary: "The customer's cards on file at Stripe, the one charged marked default",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: dto::<CardsResponse>,
                example: r#"{"data": [{"id": "pm_1Q…", "kind": "card", "brand": "visa",
                    "last4": "4242", "exp_month": 12, "exp_year": 2030, "default": true}]}"#,
            },
        },
        Operation {
            method: "PUT",
            path: "/api/billing/customers/{id}/payment-methods/{pm}/default",
            id: "setDefaultPaymentMethod",
            tag: "payments",
            summary: "Makes one of the customer's saved cards the one invoices are charged to \
                (at Stripe too); failed collections are tried again at once. The cards after it",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: dto::<CardsResponse>,
                example: CARDS,
            },
        },
        Operation {
            method: "DELETE",
            path: "/api/billing/customers/{id}/payment-methods/{pm}",
            id: "removePaymentMethod",
            tag: "payments",
            summary: "Removes a saved card at Stripe; when it was the card charged, the \
                collector waits for another. The cards after it",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: dto::<CardsResponse>,
                example: CARDS,
            },
        },
    ]
}

const CARDS: &str = r#"{"data": [{"id": "pm_1Q…", "kind": "card", "brand": "visa",
    "last4": "4242", "exp_month": 12, "exp_year": 2030, "default": true}]}"#;
