//! The payment tables' rows as read, and their conversion to the port's records. A value the
//! tables' checks should have kept out is an invariant broken, reported as such.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use rust_decimal::Decimal;
use tollgate_application::ports::{AttemptKind, AttemptRecord, Collection, PaymentCustomer};
use tollgate_domain::{
    billing::CurrencyCode,
    organization::OrganizationId,
    payment::{AttemptStatus, DeclineDetails, InvoicePaymentStatus},
};
use uuid::Uuid;

pub(super) const CUSTOMER_COLUMNS: &str =
    "p.organization_id, p.customer_id, p.provider_customer_id,
    p.default_payment_method, p.auto_collect, p.delinquent";

/// A collection with its invoice's number and its customer's card (the customer's
/// `organization_id` is the collection's).
pub(super) const COLLECTION_SELECT: &str = "SELECT c.invoice_id, i.number,
    c.status, c.amount_due::text AS amount_due, c.currency, c.attempts_made, c.first_attempt_at,
    p.organization_id, p.customer_id, p.provider_customer_id, p.default_payment_method,
    p.auto_collect, p.delinquent
    FROM invoice_collections c
    JOIN billing_invoices i ON i.id = c.invoice_id
    JOIN payment_customers p ON p.organization_id = i.organization_id AND p.customer_id = i.customer_id";

pub(super) const ATTEMPT_COLUMNS: &str = "id, organization_id, invoice_id, attempt, kind,
    idempotency_key, provider_payment, amount::text AS amount, currency, status, failure_code,
    decline_code, advice_code, failure_message, created_at";

#[derive(QueryableByName)]
pub(super) struct CustomerRow {
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
    #[diesel(sql_type = Text)]
    provider_customer_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    default_payment_method: Option<String>,
    #[diesel(sql_type = Bool)]
    auto_collect: bool,
    #[diesel(sql_type = Bool)]
    delinquent: bool,
}

impl From<CustomerRow> for PaymentCustomer {
    fn from(row: CustomerRow) -> Self {
        Self {
            organization: OrganizationId::from_uuid(row.organization_id),
            customer: row.customer_id,
            provider_customer: row.provider_customer_id,
            default_payment_method: row.default_payment_method,
            auto_collect: row.auto_collect,
            delinquent: row.delinquent,
        }
    }
}

#[derive(QueryableByName)]
pub(super) struct CollectionRow {
    #[diesel(sql_type = SqlUuid)]
    invoice_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    number: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    amount_due: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    attempts_made: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    first_attempt_at: Option<DateTime<Utc>>,
    #[diesel(embed)]
    customer: CustomerRow,
}

impl TryFrom<CollectionRow> for Collection {
    type Error = diesel::result::Error;

    fn try_from(row: CollectionRow) -> Result<Self, Self::Error> {
        let customer = PaymentCustomer::from(row.customer);
        Ok(Self {
            invoice: row.invoice_id,
            organization: customer.organization,
            invoice_number: row.number,
            status: InvoicePaymentStatus::from_str(&row.status).map_err(broken)?,
            amount_due: decimal(&row.amount_due)?,
            currency: CurrencyCode::parse(&row.currency).map_err(broken)?,
            attempts_made: u32::try_from(row.attempts_made).map_err(broken)?,
            first_attempt_at: row.first_attempt_at,
            customer,
        })
    }
}

#[derive(QueryableByName)]
pub(super) struct AttemptRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    invoice_id: Uuid,
    #[diesel(sql_type = BigInt)]
    attempt: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    idempotency_key: String,
    #[diesel(sql_type = Nullable<Text>)]
    provider_payment: Option<String>,
    #[diesel(sql_type = Text)]
    amount: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    failure_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    decline_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    advice_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    failure_message: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl TryFrom<AttemptRow> for AttemptRecord {
    type Error = diesel::result::Error;

    fn try_from(row: AttemptRow) -> Result<Self, Self::Error> {
        let failed = row.failure_code.is_some()
            || row.decline_code.is_some()
            || row.advice_code.is_some()
            || row.failure_message.is_some();
        Ok(Self {
            id: row.id,
            organization: OrganizationId::from_uuid(row.organization_id),
            invoice: row.invoice_id,
            attempt: u32::try_from(row.attempt).map_err(broken)?,
            kind: match row.kind.as_str() {
                "link" => AttemptKind::Link,
                _ => AttemptKind::OffSession,
            },
            idempotency_key: row.idempotency_key,
            provider_payment: row.provider_payment,
            amount: decimal(&row.amount)?,
            currency: CurrencyCode::parse(&row.currency).map_err(broken)?,
            status: AttemptStatus::from_str(&row.status).map_err(broken)?,
            decline: failed.then(|| {
                DeclineDetails::new(
                    row.failure_code.as_deref(),
                    row.decline_code.as_deref(),
                    row.advice_code.as_deref(),
                    row.failure_message.as_deref(),
                )
            }),
            created_at: row.created_at,
        })
    }
}

fn decimal(text: &str) -> Result<Decimal, diesel::result::Error> {
    Decimal::from_str(text).map_err(|e| broken(format!("`{text}`: {e}")))
}

pub(super) fn broken(error: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(error.to_string().into())
}
