//! An engine invoice's fees as view lines: the plan's fee is a `base_fee` line, a charge a
//! `usage` line (its billable metric code as the meter), a minimum commitment a
//! `minimum_commitment` line. Any other fee (add-on, fixed charge, credit), or one whose
//! figures do not read, makes the whole invoice line-less: lines that do not add up to the
//! invoice would be worse than none.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::end_after;
use crate::billing::{BillingPeriod, Currency, Money};

/// A fee's `item.type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineFeeKind {
    Subscription,
    Charge,
    Commitment,
    Other(String),
}

impl EngineFeeKind {
    pub fn parse(text: &str) -> Self {
        match text {
            "subscription" => Self::Subscription,
            "charge" => Self::Charge,
            "commitment" => Self::Commitment,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// One fee of an engine invoice; decimals that did not read are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineFee {
    pub kind: EngineFeeKind,
    /// The charge's billable metric code, the plan code...
    pub code: String,
    /// What the invoice shows (`invoice_display_name`, else `name`).
    pub description: String,
    pub units: Option<Decimal>,
    /// Price per unit, in the currency (not minor units), unrounded.
    pub unit_amount: Option<Decimal>,
    /// Before taxes.
    pub amount_cents: i64,
    pub pay_in_advance: bool,
    pub from: Option<DateTime<Utc>>,
    /// Inclusive, as Lago writes it.
    pub to: Option<DateTime<Utc>>,
}

/// One row of `billing_invoice_lines`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceViewLine {
    /// From 1, in the engine's order.
    pub position: i32,
    /// `base_fee`, `usage` or `minimum_commitment`.
    pub kind: &'static str,
    pub meter: Option<String>,
    pub description: String,
    pub period: BillingPeriod,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Money,
    /// `in_advance` or `in_arrears`, for base fees.
    pub fee_timing: Option<&'static str>,
}

/// Every fee as a line, or `None` when one of them has no place in the view.
pub(super) fn view_lines(
    fees: &[EngineFee],
    currency: Currency,
    invoice_period: BillingPeriod,
) -> Option<Vec<InvoiceViewLine>> {
    fees.iter()
        .enumerate()
        .map(|(index, fee)| {
            let position = i32::try_from(index).ok()?.checked_add(1)?;
            view_line(fee, position, currency, invoice_period)
        })
        .collect()
}

fn view_line(
    fee: &EngineFee,
    position: i32,
    currency: Currency,
    invoice_period: BillingPeriod,
) -> Option<InvoiceViewLine> {
    let (kind, meter, fee_timing) = match &fee.kind {
        EngineFeeKind::Subscription => (
            "base_fee",
            None,
            Some(if fee.pay_in_advance {
                "in_advance"
            } else {
                "in_arrears"
            }),
        ),
        EngineFeeKind::Charge => ("usage", Some(fee.code.clone()), None),
        EngineFeeKind::Commitment => ("minimum_commitment", None, None),
        EngineFeeKind::Other(_) => return None,
    };
    let quantity = fee.units.filter(|units| !units.is_sign_negative())?;
    let unit_price = fee.unit_amount.filter(|price| !price.is_sign_negative())?;
    let amount = Money::from_minor(fee.amount_cents, currency);
    if amount.is_negative() {
        return None;
    }
    let period = match fee.from.zip(fee.to) {
        Some((from, to)) => BillingPeriod::new(from, end_after(to)).ok()?,
        None => invoice_period,
    };
    Some(InvoiceViewLine {
        position,
        kind,
        meter,
        description: fee.description.clone(),
        period,
        quantity,
        unit_price,
        amount,
        fee_timing,
    })
}
