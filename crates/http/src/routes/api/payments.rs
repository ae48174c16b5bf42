//! Card payments in the API: the attempts made to collect invoices, and a customer's cards (a
//! hosted page to save one, the cards on file). Without Stripe every route answers 503
//! `payments_not_configured`.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tollgate_application::{
    ports::{AttemptFilter, AttemptRecord, CustomerRecord},
    services::payments::{PaymentService, cards::CardOutcome},
};
use tollgate_domain::{
    ErrorCode, billing::InvoiceStatus, organization::OrganizationId, payment::AttemptStatus,
};
use uuid::Uuid;

use super::paging::{self, Paged};
use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

const LIST: &str = "payments";

fn payments(state: &AppState) -> Result<&Arc<PaymentService>, ApiError> {
    state
        .payments
        .as_ref()
        .ok_or_else(|| ApiError::NotConfigured {
            code: ErrorCode::PaymentsNotConfigured,
            message: "card payments need Stripe: set TOLLGATE__STRIPE__SECRET_KEY".to_owned(),
        })
}

/// One attempt to collect an invoice.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentResponse {
    id: Uuid,
    invoice: Uuid,
    /// 1 for the first attempt at the invoice, then one more per dunning retry.
    attempt: u32,
    /// `off_session` (charged by Tollgate) or `link` (paid by the customer on a pay-now page).
    kind: &'static str,
    /// `pending`, `processing`, `requires_action`, `succeeded`, `failed` or `canceled`.
    status: &'static str,
    /// Exact decimal text in `currency`.
    amount: String,
    currency: String,
    /// The provider's payment (`pi_…`), once it answered.
    provider_payment: Option<String>,
    /// Why it failed: the provider's error code, the issuer's decline code, the network's
    /// advice and the message shown to the customer.
    failure_code: Option<String>,
    decline_code: Option<String>,
    advice_code: Option<String>,
    failure_message: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<AttemptRecord> for PaymentResponse {
    fn from(record: AttemptRecord) -> Self {
        let decline = record.decline.as_ref();
        Self {
            id: record.id,
            invoice: record.invoice,
            attempt: record.attempt,
            kind: record.kind.as_str(),
            status: record.status.as_str(),
            amount: record.amount.to_string(),
            currency: record.currency.as_str().to_owned(),
            failure_code: decline.and_then(|d| d.code()).map(str::to_owned),
            decline_code: decline.and_then(|d| d.decline_code()).map(str::to_owned),
            advice_code: decline.and_then(|d| d.advice_code()).map(str::to_owned),
            failure_message: decline.and_then(|d| d.message()).map(str::to_owned),
            provider_payment: record.provider_payment,
            created_at: record.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListFilter {
    /// Only the attempts at this invoice.
    invoice: Option<String>,
    /// Only the attempts in this status: `pending`, `processing`, `requires_action`,
    /// `succeeded`, `failed` or `canceled`.
    status: Option<String>,
}

/// A query value that cannot be a filter: 400 `invalid_query`, like every unreadable query.
fn bad_query(message: String) -> ApiError {
    ApiError::Invalid {
        code: ErrorCode::InvalidQuery,
        message,
    }
}

/// `GET /api/billing/payments`: attempts, newest first.
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged<ListFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = query.open()?;
    let payments = payments(&state)?;
    let filter = AttemptFilter {
        invoice: filter
            .invoice
            .as_deref()
            .map(|text| {
                Uuid::parse_str(text)
                    .map_err(|_| bad_query("`invoice` is not an invoice id".to_owned()))
            })
            .transpose()?,
        status: filter
            .status
            .as_deref()
            .map(|text| {
                text.parse::<AttemptStatus>().map_err(|_| {
                    let known: Vec<&str> = AttemptStatus::ALL.iter().map(|s| s.as_str()).collect();
                    bad_query(format!("`status` must be one of {}", known.join(", ")))
                })
            })
            .transpose()?,
    };
    let limit = u32::try_from(page.fetch()).unwrap_or(u32::MAX);
    let records = payments
        .ledger()
        .attempts(
            caller.principal.organization,
            filter,
            page.after::<Uuid>(LIST)?,
            limit,
        )
        .await
        .map_err(tollgate_application::AppError::from)?;
    let (records, next) = page.split(LIST, records, |record| record.id);
    let data: Vec<PaymentResponse> = records.into_iter().map(Into::into).collect();
    Ok(paging::answer(&data, next))
}

/// `POST /api/billing/invoices/{id}/pay`: charges the card on file now. 200 with the attempt
/// made, whatever its outcome (a decline is a failed attempt with its reason, not an error).
pub async fn pay(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let payments = payments(&state)?;
    let missing = || ApiError::Missing { what: "invoice" };
    let id = Uuid::parse_str(&id).map_err(|_| missing())?;
    let organization = caller.principal.organization;
    let invoice = state
        .billing
        .invoices()
        .get(organization, id)
        .await?
        .ok_or_else(missing)?;
    let payable = invoice.invoice.status() == InvoiceStatus::Finalized
        && invoice.invoice.total().amount() > Decimal::ZERO;
    if !payable {
        return Err(ApiError::Conflict {
            code: ErrorCode::InvoiceNotPayable,
            message: format!(
                "the invoice is {} with {} due: only a finalized invoice with an amount due can be paid",
                invoice.invoice.status().as_str(),
                invoice.invoice.total().amount()
            ),
        });
    }
    let attempt = payments.pay_now(organization, id).await?;
    Ok(HttpResponse::Ok().json(PaymentResponse::from(attempt)))
}

async fn customer(caller: &Caller, state: &AppState, id: &str) -> Result<CustomerRecord, ApiError> {
    let missing = || ApiError::Missing { what: "customer" };
    let id = Uuid::parse_str(id).map_err(|_| missing())?;
    state
        .billing
        .customers()
        .get(caller.principal.organization, id)
        .await?
        .ok_or_else(missing)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupLinkRequest {
    /// Where the customer lands once the card is saved; may hold `{CHECKOUT_SESSION_ID}`.
    success_url: String,
    /// Where the customer lands on leaving without saving.
    cancel_url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkResponse {
    url: String,
    expires_at: DateTime<Utc>,
}

/// `POST /api/billing/customers/{id}/payment-methods/setup-link`.
pub async fn setup_link(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<SetupLinkRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    let payments = payments(&state)?;
    for (field, url) in [
        ("success_url", &body.success_url),
        ("cancel_url", &body.cancel_url),
    ] {
        let parsed = url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"));
        if parsed.is_none() {
            return Err(ApiError::Invalid {
                code: ErrorCode::InvalidReturnUrl,
                message: format!("`{field}` is not an http(s) URL"),
            });
        }
    }
    let customer = customer(&caller, &state, &id).await?;
    let link = payments
        .setup_link(&customer, &body.success_url, &body.cancel_url)
        .await?;
    let url = link.url.ok_or_else(|| {
        ApiError::Internal("the provider answered a setup page without a URL".to_owned())
    })?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(LinkResponse {
            url,
            expires_at: link.expires_at,
        }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CardResponse {
    id: String,
    /// `card`, `sepa_debit`...
    kind: String,
    brand: Option<String>,
    last4: Option<String>,
    exp_month: Option<u32>,
    exp_year: Option<u32>,
    /// The card later charges use.
    default: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CardsResponse {
    data: Vec<CardResponse>,
}

/// `GET /api/billing/customers/{id}/payment-methods`.
pub async fn cards(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let payments = payments(&state)?;
    let customer = customer(&caller, &state, &id).await?;
    answer_cards(payments, &customer).await
}

async fn answer_cards(
    payments: &PaymentService,
    customer: &CustomerRecord,
) -> Result<HttpResponse, ApiError> {
    let cards = payments.cards(customer).await?;
    let data: Vec<CardResponse> = cards
        .into_iter()
        .map(|on_file| CardResponse {
            id: on_file.card.id,
            kind: on_file.card.kind,
            brand: on_file.card.brand,
            last4: on_file.card.last4,
            exp_month: on_file.card.exp_month,
            exp_year: on_file.card.exp_year,
            default: on_file.default,
        })
        .collect();
    Ok(HttpResponse::Ok().json(CardsResponse { data }))
}

/// `PUT /api/billing/customers/{id}/payment-methods/{pm}/default`: the card charged from now
/// on; the customer's cards after it.
pub async fn set_default_card(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let payments = payments(&state)?;
    let (id, card) = path.into_inner();
    let customer = customer(&caller, &state, &id).await?;
    let outcome = payments
        .set_default_card(&customer, &card, &caller.audit)
        .await?;
    after_card_change(outcome, payments, &customer).await
}

/// `DELETE /api/billing/customers/{id}/payment-methods/{pm}`: the card removed at Stripe;
/// the customer's cards after it.
pub async fn remove_card(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let payments = payments(&state)?;
    let (id, card) = path.into_inner();
    let customer = customer(&caller, &state, &id).await?;
    let outcome = payments
        .remove_card(&customer, &card, &caller.audit)
        .await?;
    after_card_change(outcome, payments, &customer).await
}

/// After a void (the API's or the dashboard's): a charge still waiting for the customer is
/// canceled at Stripe. The void has committed whatever happens here, so a failure is logged
/// (the PaymentIntent then lapses at Stripe) rather than answered.
pub(crate) async fn cancel_after_void(
    state: &AppState,
    organization: OrganizationId,
    invoice: Uuid,
) {
    let Some(payments) = state.payments.as_ref() else {
        return;
    };
    match payments.invoice_voided(organization, invoice).await {
        Ok(0) => {}
        Ok(canceled) => {
            tracing::info!(%invoice, canceled, "a voided invoice's waiting charges were canceled")
        }
        Err(error) => {
            tracing::warn!(%invoice, %error, "a voided invoice's waiting charge could not be canceled");
        }
    }
}

/// What a card change answers: the customer's cards after it, or 404 for a card that is not
/// the customer's.
async fn after_card_change(
    outcome: CardOutcome,
    payments: &PaymentService,
    customer: &CustomerRecord,
) -> Result<HttpResponse, ApiError> {
    match outcome {
        CardOutcome::Done => answer_cards(payments, customer).await,
        CardOutcome::UnknownCard => Err(ApiError::Missing {
            what: "payment method",
        }),
    }
}
