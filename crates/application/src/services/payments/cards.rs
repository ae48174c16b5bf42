//! A customer's cards: the provider's customer made once per billing customer, a hosted page
//! to save a card (the provider's webhook then makes it the default), and the cards on file.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use tollgate_domain::billing::CurrencyCode;

use super::PaymentService;
use crate::{
    AppError,
    ports::{
        AuditContext, AuditEntry, CheckoutLink, CustomerRecord, CustomerRequest, IdempotencyKey,
        PaymentCustomer, PaymentMethodSummary, SetupLinkRequest,
    },
};

/// How long a page to save a card stays usable.
pub const SETUP_LINK_TTL: TimeDelta = TimeDelta::hours(24);

/// A card on file, and whether later charges use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOnFile {
    pub card: PaymentMethodSummary,
    pub default: bool,
}

impl PaymentService {
    /// The provider's customer for `customer`, made on first use (its id stored, so the
    /// provider is asked once).
    ///
    /// # Errors
    /// `AppError::Port` when the ledger fails; the provider's refusal or outage as such.
    pub async fn payment_customer(
        &self,
        customer: &CustomerRecord,
    ) -> Result<PaymentCustomer, AppError> {
        if let Some(known) = self
            .ledger
            .payment_customer(customer.organization, customer.id)
            .await?
        {
            return Ok(known);
        }
        let id = customer.id.to_string();
        let made = self
            .gateway
            .ensure_customer(&CustomerRequest {
                tollgate_customer_id: id.clone(),
                email: Some(customer.customer.billing_email().as_str().to_owned()),
                name: Some(customer.customer.name().to_owned()),
                preferred_locale: None,
                key: IdempotencyKey::customer(&id).map_err(AppError::Invalid)?,
            })
            .await?;
        Ok(self
            .ledger
            .save_payment_customer(&PaymentCustomer {
                organization: customer.organization,
                customer: customer.id,
                provider_customer: made.id,
                default_payment_method: None,
                auto_collect: true,
                delinquent: false,
            })
            .await?)
    }

    /// A hosted page where the customer saves a card for later charges.
    ///
    /// # Errors
    /// As [`payment_customer`](Self::payment_customer).
    pub async fn setup_link(
        &self,
        customer: &CustomerRecord,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<CheckoutLink, AppError> {
        let payer = self.payment_customer(customer).await?;
        let now = self.clock.now();
        let currency =
            CurrencyCode::parse(customer.customer.currency().code()).map_err(AppError::Invalid)?;
        // One page per request: a key unique to this moment, so asking again gives a new page.
        let key = IdempotencyKey::new(
            "setup",
            &[
                &customer.id.to_string(),
                &now.timestamp_micros().to_string(),
            ],
        )
        .map_err(AppError::Invalid)?;
        Ok(self
            .gateway
            .create_setup_link(&SetupLinkRequest {
                customer: payer.provider_customer,
                currency,
                success_url: success_url.to_owned(),
                cancel_url: cancel_url.to_owned(),
                expires_at: Some(expiry(now)),
                metadata: BTreeMap::from([
                    ("tollgate_customer_id".to_owned(), customer.id.to_string()),
                    (
                        "tollgate_organization_id".to_owned(),
                        customer.organization.to_string(),
                    ),
                ]),
                key,
            })
            .await?)
    }

    /// The customer's cards, the default marked; none before a payment customer exists.
    ///
    /// # Errors
    /// `AppError::Port` when the ledger fails; the provider's refusal or outage as such.
    pub async fn cards(&self, customer: &CustomerRecord) -> Result<Vec<CardOnFile>, AppError> {
        let Some(payer) = self
            .ledger
            .payment_customer(customer.organization, customer.id)
            .await?
        else {
            return Ok(Vec::new());
        };
        let cards = self
            .gateway
            .list_payment_methods(&payer.provider_customer)
            .await?;
        Ok(cards
            .into_iter()
            .map(|card| CardOnFile {
                default: payer.default_payment_method.as_deref() == Some(card.id.as_str()),
                card,
            })
            .collect())
    }
}

/// What a change to a customer's cards answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardOutcome {
    Done,
    /// Not one of the customer's cards (or no card was ever saved).
    UnknownCard,
}

impl PaymentService {
    /// Makes `card`, one of the customer's saved cards, the one charged off-session (at the
    /// provider too); failed collections are tried again at once with it.
    ///
    /// # Errors
    /// `AppError::Port` when the ledger fails; the provider's refusal or outage as such.
    pub async fn set_default_card(
        &self,
        customer: &CustomerRecord,
        card: &str,
        context: &AuditContext,
    ) -> Result<CardOutcome, AppError> {
        let Some(payer) = self.known_card(customer, card).await? else {
            return Ok(CardOutcome::UnknownCard);
        };
        let key = IdempotencyKey::new("pmdefault", &[&customer.id.to_string(), card])
            .map_err(AppError::Invalid)?;
        self.gateway
            .set_default_payment_method(&payer.provider_customer, card, &key)
            .await?;
        let audit = AuditEntry::success(
            context,
            "payment_method.set_default",
            Some(format!("customer:{}", customer.id)),
        );
        self.ledger
            .set_default_card(
                customer.organization,
                customer.id,
                Some(card.to_owned()),
                self.clock.now(),
                &audit,
            )
            .await?;
        Ok(CardOutcome::Done)
    }

    /// Removes one of the customer's saved cards at the provider; when it was the card charged
    /// off-session, the collector waits for another.
    ///
    /// # Errors
    /// As [`set_default_card`](Self::set_default_card).
    pub async fn remove_card(
        &self,
        customer: &CustomerRecord,
        card: &str,
        context: &AuditContext,
    ) -> Result<CardOutcome, AppError> {
        let Some(payer) = self.known_card(customer, card).await? else {
            return Ok(CardOutcome::UnknownCard);
        };
        let key = IdempotencyKey::new("pmdetach", &[card]).map_err(AppError::Invalid)?;
        self.gateway.detach_payment_method(card, &key).await?;
        let audit = AuditEntry::success(
            context,
            "payment_method.remove",
            Some(format!("customer:{}", customer.id)),
        );
        let remaining = payer
            .default_payment_method
            .filter(|default| default != card);
        self.ledger
            .set_default_card(
                customer.organization,
                customer.id,
                remaining,
                self.clock.now(),
                &audit,
            )
            .await?;
        Ok(CardOutcome::Done)
    }

    /// The customer's payment customer, if `card` is one of its saved cards: a card of
    /// another customer is never touched.
    async fn known_card(
        &self,
        customer: &CustomerRecord,
        card: &str,
    ) -> Result<Option<PaymentCustomer>, AppError> {
        let Some(payer) = self
            .ledger
            .payment_customer(customer.organization, customer.id)
            .await?
        else {
            return Ok(None);
        };
        let cards = self
            .gateway
            .list_payment_methods(&payer.provider_customer)
            .await?;
        Ok(cards.iter().any(|saved| saved.id == card).then_some(payer))
    }
}

fn expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now + SETUP_LINK_TTL
}
