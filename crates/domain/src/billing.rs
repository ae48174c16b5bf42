//! Billing: customers, plans, pricing, rating usage into invoice lines, and invoices.
//!
//! Everything is exact decimal arithmetic (`rust_decimal`, never `f64`), and these rules hold
//! throughout:
//!
//! - **Prices keep more precision than the currency.** A price per token (`0.0000025`) or an
//!   LLM cost (`0.0000049999999999999996`) is kept to every digit; nothing is rounded while
//!   pricing.
//! - **Rounding happens once, at the line, half-even.** Each invoice line's amount is the
//!   unrounded price of that line rounded to the currency's minor unit with banker's rounding
//!   ([`Money::round_to_minor_half_even`]): `0.125` → `0.12`, `0.135` → `0.14`; JPY has no
//!   minor unit, so `12.5` → `12`. Half-even rather than half-up so that rounding errors do not
//!   drift upwards across many lines. Tax is rounded the same way, once, on the subtotal.
//!   Subtotal, tax and total are then exact sums of already-rounded amounts: the total always
//!   equals the sum of the lines plus the tax, to the cent.
//! - **Proration is by UTC calendar days.** A partial period costs `days used / days in the
//!   period` of a base fee or a minimum commitment, where a span's days are the UTC dates
//!   from its start's up to (not including) its end's: a subscription starting at 14:00 pays
//!   for its first day, and the day of a plan change is billed once, on the new plan, so the
//!   phases of a period add up to exactly its days. Usage is never prorated: it is what was
//!   used. See [`Proration`] and [`BillingPeriod::days`].
//! - **Lines are never negative, but for one kind**: [`LineKind::UnusedTimeCredit`] gives
//!   back the unused days of a base fee paid in advance when a plan change or a termination
//!   ends its phase before the period's end. It is what was paid less the used days' own
//!   prorated fee (rounded once, half-even), so the used days cost exactly that fee and no
//!   more than was paid is ever given back ([`rate_unused_time_credit`]). An invoice's
//!   subtotal never goes below zero: credits beyond the other lines are cut off
//!   ([`cap_credits`]) and what is cut off is not carried over (a known limitation). A
//!   termination's unused days are not a line but a [`CreditNote`] against the invoice that
//!   billed the fee ([`rate_unused_time_refund`]), in full.
//! - **Invoices go draft → finalized → paid | voided**, and nothing about a finalized invoice
//!   changes afterwards. Voiding a finalized or paid invoice issues a [`CreditNote`] for its
//!   whole total; a draft cannot be voided (it has no number yet: discard it). See [`Invoice`].
//!
//! Money is always in one currency per plan, invoice and customer: there is no exchange-rate
//! conversion here, so a percentage markup on the LLM cost (reported in USD) needs a USD plan.

mod amount;
mod currency;
mod customer;
pub mod engine_event;
mod invoice;
mod line;
mod period;
mod plan;
mod pricing;
mod proration;
mod rating;
mod subscription;

pub use amount::Money;
pub use currency::{Currency, CurrencyCode};
pub use customer::{Address, BillingEmail, CountryCode, Customer, Metadata, TaxId, Timezone};
pub use invoice::{
    CreditNote, CreditNoteNumber, CreditReason, Credited, Invoice, InvoiceNumber, InvoiceStatus,
    NetTerms, Payment, PaymentMethod, Settlement, TaxRate,
};
pub use line::{InvoiceLine, LineKind};
pub use period::{BillingPeriod, Interval};
pub use plan::{BaseFee, Charge, FeeTiming, NewPlan, Plan, PlanCode};
pub use pricing::{Markup, PackageSize, Price, PricingModel, Tier, TierError, Tiers};
pub use proration::{Proration, ProrationFactor};
pub use rating::{
    ChargeUsage, MeteredUsage, cap_credits, rate, rate_base_fee, rate_unused_time_credit,
    rate_unused_time_refund, rate_usage,
};
pub use subscription::{
    Phase, PhaseReason, PlanVersionRef, Subscription, SubscriptionError, SubscriptionStatus,
    period_at,
};

use rust_decimal::Decimal;

use crate::DomainError;

/// `value` when it is zero or more (a negative zero becomes plain zero).
fn non_negative(field: &'static str, value: Decimal) -> Result<Decimal, DomainError> {
    if value.is_zero() {
        return Ok(Decimal::ZERO);
    }
    if value.is_sign_negative() {
        return Err(DomainError::Negative {
            field,
            value: value.to_string(),
        });
    }
    Ok(value)
}

fn overflow(field: &'static str) -> DomainError {
    DomainError::Overflow { field }
}

/// Trimmed, non-blank text of at most `max` characters.
fn bounded_text(field: &'static str, text: &str, max: usize) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::Empty { field });
    }
    let len = text.chars().count();
    if len > max {
        return Err(DomainError::TooLong { field, len, max });
    }
    Ok(text.to_owned())
}
