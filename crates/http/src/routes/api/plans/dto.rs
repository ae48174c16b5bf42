//! The plan as the API takes it: every amount a decimal string, never a JSON number.

use rust_decimal::Decimal;
use serde::Deserialize;
use tollgate_domain::{
    DomainError,
    billing::{
        BaseFee, Charge, Currency, FeeTiming, Interval, Money, NewPlan, Plan, PlanCode, Price,
        PricingModel, Tier,
    },
    metering::Meter,
    money::parse_exact_decimal,
};
use validator::Validate;

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Required to create; when given to update, it must be the plan's.
    pub code: Option<String>,
    #[validate(length(min = 1, max = 255))]
    pub name: String,
    #[validate(length(max = 2000))]
    pub description: Option<String>,
    /// `monthly` or `yearly`.
    pub interval: String,
    /// An ISO 4217 code (`USD`).
    #[validate(length(equal = 3))]
    pub currency: String,
    pub base_fee: Option<BaseFeeDto>,
    #[serde(default)]
    pub trial_days: u32,
    pub minimum_commitment: Option<String>,
    /// At most one per meter (the domain refuses two on one meter). A new version must list
    /// them (`[]` for none): absent, it would silently drop every charge of the plan.
    pub charges: Option<Vec<ChargeDto>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseFeeDto {
    amount: String,
    timing: TimingDto,
}

#[derive(Deserialize, Clone, Copy, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TimingDto {
    InAdvance,
    InArrears,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeDto {
    meter: String,
    free_units: Option<String>,
    minimum: Option<String>,
    model: ModelDto,
    /// Bill failed calls' usage too (default: successful calls only).
    #[serde(default)]
    include_failures: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ModelDto {
    PerUnit { unit_price: String },
    Graduated { tiers: Vec<TierDto> },
    Volume { tiers: Vec<TierDto> },
    Package { size: String, price: String },
    PercentageMarkup { percent: String },
}

/// `from` defaults to where the previous tier ends (0 for the first); given, it is checked,
/// so a list with a gap or an overlap is refused rather than silently mended.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TierDto {
    from: Option<String>,
    up_to: Option<String>,
    unit_price: String,
}

/// Every amount of a plan is read exactly: one with more digits than a decimal holds is
/// refused (`too_precise`) rather than stored rounded, possibly to zero.
fn decimal(field: &'static str, text: &str) -> Result<Decimal, DomainError> {
    parse_exact_decimal(field, text)
}

impl PlanRequest {
    /// The plan this request describes, under `code` (the body's on create, the stored one on
    /// update).
    ///
    /// # Errors
    /// The domain's refusal of the first bad value.
    pub fn plan(&self, code: PlanCode) -> Result<Plan, DomainError> {
        let currency = Currency::parse(&self.currency)?;
        let interval = Interval::parse(&self.interval).ok_or_else(|| DomainError::Invalid {
            field: "interval",
            reason: format!(
                "`{}` is neither `monthly` nor `yearly`",
                tollgate_domain::error::cut(&self.interval)
            ),
        })?;
        let money = |field: &'static str, text: &str| -> Result<Money, DomainError> {
            Ok(Money::new(decimal(field, text)?, currency))
        };
        let base_fee = self
            .base_fee
            .as_ref()
            .map(|fee| {
                let timing = match fee.timing {
                    TimingDto::InAdvance => FeeTiming::Advance,
                    TimingDto::InArrears => FeeTiming::Arrears,
                };
                BaseFee::new(money("base fee", &fee.amount)?, timing)
            })
            .transpose()?;
        let minimum_commitment = self
            .minimum_commitment
            .as_deref()
            .map(|text| money("minimum commitment", text))
            .transpose()?;
        let charges = self
            .charges
            .iter()
            .flatten()
            .map(|charge| {
                let meter = Meter::parse(&charge.meter).ok_or_else(|| DomainError::Invalid {
                    field: "meter",
                    reason: format!(
                        "unknown meter `{}` (input_tokens, output_tokens, cached_tokens, \
                         reasoning_tokens, requests, cost_usd, cache_hits)",
                        tollgate_domain::error::cut(&charge.meter)
                    ),
                })?;
                let free_units = charge
                    .free_units
                    .as_deref()
                    .map(|text| decimal("free units", text))
                    .transpose()?
                    .unwrap_or_default();
                let minimum = charge
                    .minimum
                    .as_deref()
                    .map(|text| money("minimum", text))
                    .transpose()?;
                Ok(
                    Charge::new(meter, model(&charge.model)?, free_units, minimum)?
                        .including_failures(charge.include_failures),
                )
            })
            .collect::<Result<Vec<_>, DomainError>>()?;
        Plan::new(NewPlan {
            code,
            interval,
            currency,
            base_fee,
            trial_days: self.trial_days,
            charges,
            minimum_commitment,
        })
    }
}

fn model(model: &ModelDto) -> Result<PricingModel, DomainError> {
    match model {
        ModelDto::PerUnit { unit_price } => {
            PricingModel::per_unit(decimal("unit price", unit_price)?)
        }
        ModelDto::Graduated { tiers: list } => PricingModel::graduated(tiers(list)?),
        ModelDto::Volume { tiers: list } => PricingModel::volume(tiers(list)?),
        ModelDto::Package { size, price } => PricingModel::package(
            decimal("package size", size)?,
            decimal("package price", price)?,
        ),
        ModelDto::PercentageMarkup { percent } => {
            PricingModel::percentage_markup(decimal("markup", percent)?)
        }
    }
}

fn tiers(list: &[TierDto]) -> Result<Vec<Tier>, DomainError> {
    let mut previous_end = Decimal::ZERO;
    list.iter()
        .map(|tier| {
            let from = match tier.from.as_deref() {
                Some(text) => decimal("tier start", text)?,
                None => previous_end,
            };
            let up_to = tier
                .up_to
                .as_deref()
                .map(|text| decimal("tier bound", text))
                .transpose()?;
            previous_end = up_to.unwrap_or(from);
            Ok(Tier {
                from,
                up_to,
                unit_price: Price::new(decimal("unit price", &tier.unit_price)?)?,
            })
        })
        .collect()
}
