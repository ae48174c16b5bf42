//! The customer page's cards (the ones on file at Stripe, the one charged marked default) and
//! `POST /customers/{id}/setup-link`, which asks Stripe for the hosted page where a card is
//! saved and sends the browser there. Both go through the service of
//! `/api/billing/customers/{id}/payment-methods`; without Stripe there is no section and the
//! post answers the API's 503 `payments_not_configured`.

use actix_web::{HttpResponse, http::header, web};
use serde::Deserialize;
use tollgate_application::{ports::CustomerRecord, services::payments::cards::CardOnFile};
use tollgate_domain::ErrorCode;

use super::customer;
use crate::{
    error::ApiError,
    state::AppState,
    web::{Timing, Visitor, WebError},
};

/// One card as the section shows it.
pub struct CardRow {
    pub brand: String,
    pub last4: String,
    /// `MM/YYYY`, empty when the provider gave none.
    pub expiry: String,
    pub default: bool,
}

fn card_row(on_file: &CardOnFile) -> CardRow {
    let card = &on_file.card;
    CardRow {
        brand: card.brand.clone().unwrap_or_else(|| card.kind.clone()),
        last4: card.last4.clone().unwrap_or_default(),
        expiry: match (card.exp_month, card.exp_year) {
            (Some(month), Some(year)) => format!("{month:02}/{year}"),
            _ => String::new(),
        },
        default: on_file.default,
    }
}

/// The customer's cards: `None` without Stripe, when the page shows no cards section.
///
/// # Errors
/// Stripe's or the ledger's failure, which the page shows in the section's place.
pub async fn cards(
    state: &AppState,
    record: &CustomerRecord,
) -> Result<Option<Vec<CardRow>>, WebError> {
    let Some(payments) = &state.payments else {
        return Ok(None);
    };
    let cards = payments.cards(record).await?;
    Ok(Some(cards.iter().map(card_row).collect()))
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /customers/{id}/setup-link`: a new Stripe page for this customer, and 303 to it.
/// Stripe sends the customer back to this customer's page with `?card=saved` or
/// `?card=cancelled`; the card itself arrives by Stripe's webhook.
pub async fn setup_link(
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let payments = state
        .payments
        .as_ref()
        .ok_or_else(|| ApiError::NotConfigured {
            code: ErrorCode::PaymentsNotConfigured,
            message: "card payments need Stripe: set TOLLGATE__STRIPE__SECRET_KEY".to_owned(),
        })?;
    let record = timing
        .measure("customer", customer(&state, &visitor, &id))
        .await?;
    let back = format!("{}/customers/{}", state.web.origin, record.id);
    let link = timing
        .measure(
            "stripe",
            payments.setup_link(
                &record,
                &format!("{back}?card=saved"),
                &format!("{back}?card=cancelled"),
            ),
        )
        .await?;
    let url = link.url.ok_or_else(|| {
        WebError::Internal("Stripe answered a setup page without a URL".to_owned())
    })?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
