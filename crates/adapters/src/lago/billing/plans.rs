//! A plan version as Lago's `PlanCreateInput`, or the reason Lago cannot hold it exactly.
//!
//! Nothing is rounded on the way: a price Lago cannot represent is refused with a reason
//! rather than sent approximately. See the mapping table in [`super`].

use std::collections::BTreeMap;

use rust_decimal::{Decimal, prelude::ToPrimitive};
use serde_json::{Value, json};
use tollgate_application::ports::PlanVersionSync;
use tollgate_domain::{
    billing::{Charge, FeeTiming, Interval, Money, PricingModel, Tiers},
    metering::Meter,
};

/// `{"plan": {...}}` for `engine_code`, the charges pointing at `metric_ids` (Lago's
/// `billable_metric_id` of each meter).
///
/// # Errors
/// Why Lago cannot hold the plan exactly (an amount finer than the currency's minor unit, a
/// fractional tier bound, package size or free allowance where Lago counts whole units...).
pub(super) fn plan_input(
    sync: &PlanVersionSync,
    engine_code: &str,
    metric_ids: &BTreeMap<Meter, String>,
) -> Result<Value, String> {
    let plan = &sync.plan;
    let base_fee = plan.base_fee();
    let base_cents = base_fee
        .map(|fee| cents("base fee", fee.amount()))
        .transpose()?
        .unwrap_or(0);
    let charges = plan
        .charges()
        .iter()
        .map(|charge| {
            let id = metric_ids
                .get(&charge.meter())
                .ok_or_else(|| format!("no billable metric for `{}`", charge.meter().slug()))?;
            charge_input(charge, id)
        })
        .collect::<Result<Vec<_>, String>>()?;
    // Lago's commitment counts the subscription fee as well as usage; Tollgate's counts usage
    // only. Adding the base fee gives the same top-up: (C + B) - (B + usage) = C - usage, and
    // both sides prorate all three alike.
    let minimum_commitment = plan
        .minimum_commitment()
        .map(|minimum| {
            cents("minimum commitment", minimum)?
                .checked_add(base_cents)
                .map(|amount_cents| json!({ "amount_cents": amount_cents }))
                .ok_or_else(|| "the minimum commitment is too large for Lago".to_owned())
        })
        .transpose()?;
    let mut body = json!({
        "name": sync.name,
        "code": engine_code,
        "interval": match plan.interval() {
            Interval::Monthly => "monthly",
            Interval::Yearly => "yearly",
        },
        "description": sync.description,
        "amount_cents": base_cents,
        "amount_currency": plan.currency().code(),
        "pay_in_advance": base_fee.is_some_and(|fee| fee.timing() == FeeTiming::Advance),
        "trial_period": plan.trial_days(),
        "charges": charges,
    });
    if let (Some(commitment), Some(fields)) = (minimum_commitment, body.as_object_mut()) {
        fields.insert("minimum_commitment".into(), commitment);
    }
    Ok(json!({ "plan": body }))
}

fn charge_input(charge: &Charge, billable_metric_id: &str) -> Result<Value, String> {
    let meter = charge.meter().slug();
    let (model, properties) =
        charge_model(charge).map_err(|reason| format!("`{meter}`: {reason}"))?;
    let min_amount_cents = charge
        .minimum()
        .map(|minimum| cents("charge minimum", minimum))
        .transpose()
        .map_err(|reason| format!("`{meter}`: {reason}"))?
        .unwrap_or(0);
    // Lago prices the events that match a filter with the filter's properties and all others
    // with the charge's own: failed calls (`status` = `failure` on every event the Lago target
    // sends) fall through to a zero price unless the charge includes them.
    let (properties, filters) = if charge.include_failures() {
        (properties, json!([]))
    } else {
        let filters = json!([{
            "invoice_display_name": format!("{meter} (successful calls)"),
            "properties": properties,
            "values": { "status": ["success"] },
        }]);
        (free_of_charge(model), filters)
    };
    Ok(json!({
        "billable_metric_id": billable_metric_id,
        "charge_model": model,
        // Usage is billed at the end of the period, whole (never prorated), as in embedded
        // billing.
        "pay_in_advance": false,
        "invoiceable": true,
        "prorated": false,
        "min_amount_cents": min_amount_cents,
        "properties": properties,
        "filters": filters,
    }))
}

/// Properties of `model` that price every unit at zero.
fn free_of_charge(model: &str) -> Value {
    let everything = || json!([range(0, None, Decimal::ZERO)]);
    match model {
        "graduated" => json!({ "graduated_ranges": everything() }),
        "volume" => json!({ "volume_ranges": everything() }),
        "package" => json!({ "amount": "0", "package_size": 1, "free_units": 0 }),
        "percentage" => json!({ "rate": "0" }),
        _ => json!({ "amount": "0" }),
    }
}

/// Lago's `charge_model` and `properties` for the charge's pricing and free allowance.
fn charge_model(charge: &Charge) -> Result<(&'static str, Value), String> {
    let free = charge.free_units();
    match charge.model() {
        PricingModel::PerUnit { unit_price } if free.is_zero() => Ok((
            "standard",
            json!({ "amount": decimal(unit_price.amount()) }),
        )),
        // `standard` has no allowance: a free first range then the unit price is the same bill.
        PricingModel::PerUnit { unit_price } => {
            let free = whole("free units", free)?;
            let ranges = vec![
                range(0, Some(free), Decimal::ZERO),
                range(free + 1, None, unit_price.amount()),
            ];
            Ok(("graduated", json!({ "graduated_ranges": ranges })))
        }
        PricingModel::Graduated(tiers) => {
            let free = whole("free units", free)?;
            let mut ranges = Vec::new();
            if free > 0 {
                ranges.push(range(0, Some(free), Decimal::ZERO));
            }
            ranges.extend(ranges_of(tiers, free)?);
            Ok(("graduated", json!({ "graduated_ranges": ranges })))
        }
        PricingModel::Volume(tiers) if free.is_zero() => {
            Ok(("volume", json!({ "volume_ranges": ranges_of(tiers, 0)? })))
        }
        PricingModel::Volume(_) => Err(
            "Lago prices every unit of a volume charge at the tier of the total, free units \
             included: a free allowance on a volume price cannot be expressed"
                .into(),
        ),
        PricingModel::Package { size, price } => Ok((
            "package",
            json!({
                "amount": decimal(price.amount()),
                "package_size": whole("package size", size.units())?,
                "free_units": whole("free units", free)?,
            }),
        )),
        // Lago bills `rate` percent of the summed cost: 100 + markup bills cost plus markup.
        PricingModel::PercentageMarkup { markup } => {
            let rate = Decimal::ONE_HUNDRED
                .checked_add(markup.percent())
                .ok_or_else(|| "the markup is too large".to_owned())?;
            let mut properties = json!({ "rate": decimal(rate) });
            if !free.is_zero()
                && let Some(fields) = properties.as_object_mut()
            {
                fields.insert(
                    "free_units_per_total_aggregation".into(),
                    Value::String(decimal(free)),
                );
            }
            Ok(("percentage", properties))
        }
    }
}

/// Tollgate's tiers `(from, up_to]`, shifted up by `shift` free units, as Lago's ranges: whole
/// numbers, the first from 0, each next one from the previous `to_value + 1` (Lago counts a
/// range's units as `to - from`, plus one past the first range).
fn ranges_of(tiers: &Tiers, shift: i64) -> Result<Vec<Value>, String> {
    tiers
        .as_slice()
        .iter()
        .map(|tier| {
            let from = whole("tier bound", tier.from)?
                .checked_add(shift)
                .ok_or("tier bound too large")?;
            let to = tier
                .up_to
                .map(|up_to| {
                    whole("tier bound", up_to)?
                        .checked_add(shift)
                        .ok_or_else(|| "tier bound too large".to_owned())
                })
                .transpose()?;
            let lower = if from == 0 { 0 } else { from + 1 };
            Ok(range(lower, to, tier.unit_price.amount()))
        })
        .collect()
}

fn range(from: i64, to: Option<i64>, per_unit: Decimal) -> Value {
    json!({
        "from_value": from,
        "to_value": to,
        "flat_amount": "0",
        "per_unit_amount": decimal(per_unit),
    })
}

/// A decimal string as Lago's properties take them (`^[0-9]+.?[0-9]*$`): every digit kept,
/// never an exponent.
fn decimal(value: Decimal) -> String {
    value.normalize().to_string()
}

/// `value` when it is a whole number Lago's integer fields can hold.
fn whole(what: &str, value: Decimal) -> Result<i64, String> {
    if !value.fract().is_zero() {
        return Err(format!(
            "Lago takes whole numbers for the {what}, not {}",
            value.normalize()
        ));
    }
    value
        .to_i64()
        .ok_or_else(|| format!("the {what} {value} is too large for Lago"))
}

/// `amount` in the currency's minor units (Lago's `*_cents`), when it has no finer digits.
fn cents(what: &str, amount: Money) -> Result<i64, String> {
    amount.to_minor().ok_or_else(|| {
        format!(
            "the {what} {amount} has more decimals than {}'s {} minor units, and Lago keeps it \
             in whole minor units",
            amount.currency(),
            amount.currency().minor_units()
        )
    })
}

#[cfg(test)]
#[path = "plans/tests.rs"]
mod tests;
