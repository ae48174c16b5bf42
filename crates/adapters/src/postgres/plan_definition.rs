//! The codec of `billing_plan_versions.definition`: a plan version's base fee, trial, charges
//! and minimum commitment as JSON (format in migration 000007's comment).
//!
//! Every amount is a decimal string, never a JSON number: a JSON number goes through `f64` in
//! most readers and `0.0000025` per token must come back to the digit. The code, interval and
//! currency live in their own columns and are passed in separately.
//!
//! A currency outside [`Currency::KNOWN`] cannot be rebuilt from its code alone (its minor
//! units decide the rounding), so for those, and only those, the definition also carries
//! `"currency_minor_units"`; readers of the documented format can ignore it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tollgate_domain::{
    DomainError,
    billing::{
        BaseFee, Charge, Currency, FeeTiming, Interval, Money, NewPlan, Plan, PlanCode, Price,
        PricingModel, Tier,
    },
    metering::Meter,
    money::parse_exact_decimal,
};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Definition {
    base_fee: Option<BaseFeeJson>,
    trial_days: u32,
    minimum_commitment: Option<String>,
    charges: Vec<ChargeJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    currency_minor_units: Option<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaseFeeJson {
    amount: String,
    timing: TimingJson,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum TimingJson {
    InAdvance,
    InArrears,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeJson {
    meter: String,
    free_units: String,
    minimum: Option<String>,
    model: ModelJson,
    /// Absent in versions stored before failed calls were told apart: those bill successful
    /// calls only, as every charge does unless it says otherwise.
    #[serde(default)]
    include_failures: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ModelJson {
    PerUnit { unit_price: String },
    Graduated { tiers: Vec<TierJson> },
    Volume { tiers: Vec<TierJson> },
    Package { size: String, price: String },
    PercentageMarkup { percent: String },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierJson {
    up_to: Option<String>,
    unit_price: String,
}

/// `plan`'s definition, as stored in `billing_plan_versions.definition`.
pub fn encode_definition(plan: &Plan) -> Value {
    let currency = plan.currency();
    let definition = Definition {
        base_fee: plan.base_fee().map(|fee| BaseFeeJson {
            amount: fee.amount().amount().to_string(),
            timing: match fee.timing() {
                FeeTiming::Advance => TimingJson::InAdvance,
                FeeTiming::Arrears => TimingJson::InArrears,
            },
        }),
        trial_days: plan.trial_days(),
        minimum_commitment: plan.minimum_commitment().map(|m| m.amount().to_string()),
        charges: plan.charges().iter().map(encode_charge).collect(),
        currency_minor_units: (!Currency::KNOWN.contains(&currency))
            .then(|| u8::try_from(currency.minor_units()).unwrap_or(u8::MAX)),
    };
    // Only strings, integers, lists and maps: serializing cannot fail; Null is unreachable.
    serde_json::to_value(definition).unwrap_or(Value::Null)
}

fn encode_charge(charge: &Charge) -> ChargeJson {
    let tiers = |tiers: &[Tier]| {
        tiers
            .iter()
            .map(|tier| TierJson {
                up_to: tier.up_to.map(|up_to| up_to.to_string()),
                unit_price: tier.unit_price.amount().to_string(),
            })
            .collect()
    };
    let model = match charge.model() {
        PricingModel::PerUnit { unit_price } => ModelJson::PerUnit {
            unit_price: unit_price.amount().to_string(),
        },
        PricingModel::Graduated(list) => ModelJson::Graduated {
            tiers: tiers(list.as_slice()),
        },
        PricingModel::Volume(list) => ModelJson::Volume {
            tiers: tiers(list.as_slice()),
        },
        PricingModel::Package { size, price } => ModelJson::Package {
            size: size.units().to_string(),
            price: price.amount().to_string(),
        },
        PricingModel::PercentageMarkup { markup } => ModelJson::PercentageMarkup {
            percent: markup.percent().to_string(),
        },
    };
    ChargeJson {
        meter: charge.meter().slug().to_owned(),
        free_units: charge.free_units().to_string(),
        minimum: charge.minimum().map(|m| m.amount().to_string()),
        model,
        include_failures: charge.include_failures(),
    }
}

/// The plan a stored version describes, validated again by the domain.
///
/// # Errors
/// `Invalid` for a definition that is not in the documented format (field `plan definition`),
/// an unknown interval or meter; `NotANumber` for an amount that is not a decimal string; any
/// error [`Plan::new`] and the pricing models give for values they refuse.
pub fn decode_plan(
    code: &str,
    interval: &str,
    currency: &str,
    definition: &Value,
) -> Result<Plan, DomainError> {
    let parsed = Definition::deserialize(definition).map_err(|error| DomainError::Invalid {
        field: "plan definition",
        reason: error.to_string(),
    })?;
    let code = PlanCode::parse(code)?;
    let interval = Interval::parse(interval).ok_or_else(|| DomainError::Invalid {
        field: "interval",
        reason: format!("`{interval}` is neither `monthly` nor `yearly`"),
    })?;
    let currency = match parsed.currency_minor_units {
        Some(minor_units) => Currency::with_minor_units(currency, minor_units)?,
        None => Currency::parse(currency)?,
    };
    let money = |field: &'static str, text: &str| -> Result<Money, DomainError> {
        Ok(Money::new(decimal(field, text)?, currency))
    };
    let base_fee = parsed
        .base_fee
        .map(|fee| {
            let timing = match fee.timing {
                TimingJson::InAdvance => FeeTiming::Advance,
                TimingJson::InArrears => FeeTiming::Arrears,
            };
            BaseFee::new(money("base fee", &fee.amount)?, timing)
        })
        .transpose()?;
    let minimum_commitment = parsed
        .minimum_commitment
        .map(|text| money("minimum commitment", &text))
        .transpose()?;
    let charges = parsed
        .charges
        .into_iter()
        .map(|charge| {
            let meter = Meter::parse(&charge.meter).ok_or_else(|| DomainError::Invalid {
                field: "meter",
                reason: format!("unknown meter `{}`", charge.meter),
            })?;
            let minimum = charge
                .minimum
                .map(|text| money("minimum", &text))
                .transpose()?;
            Ok(Charge::new(
                meter,
                decode_model(charge.model)?,
                decimal("free units", &charge.free_units)?,
                minimum,
            )?
            .including_failures(charge.include_failures))
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Plan::new(NewPlan {
        code,
        interval,
        currency,
        base_fee,
        trial_days: parsed.trial_days,
        charges,
        minimum_commitment,
    })
}

fn decode_model(model: ModelJson) -> Result<PricingModel, DomainError> {
    match model {
        ModelJson::PerUnit { unit_price } => {
            PricingModel::per_unit(decimal("unit price", &unit_price)?)
        }
        ModelJson::Graduated { tiers } => PricingModel::graduated(decode_tiers(tiers)?),
        ModelJson::Volume { tiers } => PricingModel::volume(decode_tiers(tiers)?),
        ModelJson::Package { size, price } => PricingModel::package(
            decimal("package size", &size)?,
            decimal("package price", &price)?,
        ),
        ModelJson::PercentageMarkup { percent } => {
            PricingModel::percentage_markup(decimal("markup", &percent)?)
        }
    }
}

/// The JSON lists only each tier's upper bound: a tier starts where the previous one ends (the
/// first at zero), so the stored form cannot express a gap or an overlap.
fn decode_tiers(tiers: Vec<TierJson>) -> Result<Vec<Tier>, DomainError> {
    let mut from = Decimal::ZERO;
    tiers
        .into_iter()
        .map(|tier| {
            let up_to = tier
                .up_to
                .map(|text| decimal("tier bound", &text))
                .transpose()?;
            let decoded = Tier {
                from,
                up_to,
                unit_price: Price::new(decimal("unit price", &tier.unit_price)?)?,
            };
            if let Some(up_to) = up_to {
                from = up_to;
            }
            Ok(decoded)
        })
        .collect()
}

/// Read as exactly as the API takes them: a stored amount is never rounded on the way back.
fn decimal(field: &'static str, text: &str) -> Result<Decimal, DomainError> {
    parse_exact_decimal(field, text)
}

#[cfg(test)]
mod tests;
