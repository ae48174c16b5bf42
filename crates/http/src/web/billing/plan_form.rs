//! The plan form: a new plan (`/billing/plans/new`, posted to `/billing/plans`) and a plan's
//! next version (`/billing/plans/{id}/versions/new`, posted to `/billing/plans/{id}/versions`).
//!
//! The form's fields become the API's `PlanRequest` and go through the API's own create and
//! new-version paths, so a refused form shows the codes the API answers (422, every value
//! kept). Without JavaScript, "Add a charge", "Add a tier" and "Remove" post the form too and
//! get it back with the row added or removed; only "Create"/"Save" stores anything.

use std::collections::HashMap;

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde_json::{Map, Value, json};
use tollgate_application::ports::PlanVersionRecord;
use tollgate_domain::{
    ErrorCode,
    billing::{Currency, FeeTiming, PricingModel, Tier},
    metering::Meter,
};
use uuid::Uuid;

use super::{Section, labels, sections};
use crate::{
    error::ApiError,
    routes::api::plans::{PlanRequest, add_version as add_plan_version, create_plan},
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        error_page::SectionFailure,
        i18n::{catalog, key},
        layout::render,
    },
};

/// Rows a form may hold: a bound on the work one post asks for.
const MAX_CHARGES: usize = 20;
const MAX_TIERS: usize = 20;
/// Tier rows a new graduated or volume charge starts with.
const BLANK_TIERS: usize = 2;

#[derive(Default, Clone)]
pub struct TierForm {
    pub up_to: String,
    pub unit_price: String,
}

#[derive(Clone)]
pub struct ChargeForm {
    pub meter: String,
    pub model: String,
    pub unit_price: String,
    pub free_units: String,
    pub minimum: String,
    pub package_size: String,
    pub package_price: String,
    pub percent: String,
    pub include_failures: bool,
    pub tiers: Vec<TierForm>,
}

impl Default for ChargeForm {
    fn default() -> Self {
        Self {
            meter: String::new(),
            model: "per_unit".to_owned(),
            unit_price: String::new(),
            free_units: String::new(),
            minimum: String::new(),
            package_size: String::new(),
            package_price: String::new(),
            percent: String::new(),
            include_failures: false,
            tiers: vec![TierForm::default(); BLANK_TIERS],
        }
    }
}

pub struct PlanForm {
    pub code: String,
    pub name: String,
    pub description: String,
    pub interval: String,
    pub currency: String,
    pub base_fee: String,
    pub base_fee_timing: String,
    pub trial_days: String,
    pub minimum_commitment: String,
    pub charges: Vec<ChargeForm>,
}

impl PlanForm {
    fn blank() -> Self {
        Self {
            code: String::new(),
            name: String::new(),
            description: String::new(),
            interval: "monthly".to_owned(),
            currency: "USD".to_owned(),
            base_fee: String::new(),
            base_fee_timing: "in_advance".to_owned(),
            trial_days: "0".to_owned(),
            minimum_commitment: String::new(),
            charges: vec![ChargeForm::default()],
        }
    }

    /// The form filled with a stored version, to edit into the next one.
    fn from_version(record: &PlanVersionRecord) -> Self {
        let plan = &record.draft.plan;
        let decimal = |value: rust_decimal::Decimal| value.normalize().to_string();
        let tiers = |tiers: &[Tier]| {
            tiers
                .iter()
                .map(|tier| TierForm {
                    up_to: tier.up_to.map(decimal).unwrap_or_default(),
                    unit_price: decimal(tier.unit_price.amount()),
                })
                .collect()
        };
        let charges = plan
            .charges()
            .iter()
            .map(|charge| {
                let mut form = ChargeForm {
                    meter: charge.meter().slug().to_owned(),
                    free_units: if charge.free_units().is_zero() {
                        String::new()
                    } else {
                        decimal(charge.free_units())
                    },
                    minimum: charge
                        .minimum()
                        .map(|m| decimal(m.amount()))
                        .unwrap_or_default(),
                    include_failures: charge.include_failures(),
                    tiers: Vec::new(),
                    ..ChargeForm::default()
                };
                match charge.model() {
                    PricingModel::PerUnit { unit_price } => {
                        form.model = "per_unit".into();
                        form.unit_price = decimal(unit_price.amount());
                    }
                    PricingModel::Graduated(list) => {
                        form.model = "graduated".into();
                        form.tiers = tiers(list.as_slice());
                    }
                    PricingModel::Volume(list) => {
                        form.model = "volume".into();
                        form.tiers = tiers(list.as_slice());
                    }
                    PricingModel::Package { size, price } => {
                        form.model = "package".into();
                        form.package_size = decimal(size.units());
                        form.package_price = decimal(price.amount());
                    }
                    PricingModel::PercentageMarkup { markup } => {
                        form.model = "percentage_markup".into();
                        form.percent = decimal(markup.percent());
                    }
                }
                if form.tiers.is_empty() {
                    form.tiers = vec![TierForm::default(); BLANK_TIERS];
                }
                form
            })
            .collect();
        Self {
            code: plan.code().as_str().to_owned(),
            name: record.draft.name.clone(),
            description: record.draft.description.clone().unwrap_or_default(),
            interval: plan.interval().as_str().to_owned(),
            currency: plan.currency().code().to_owned(),
            base_fee: plan
                .base_fee()
                .map(|fee| decimal(fee.amount().amount()))
                .unwrap_or_default(),
            base_fee_timing: match plan.base_fee().map(|fee| fee.timing()) {
                Some(FeeTiming::Arrears) => "in_arrears",
                _ => "in_advance",
            }
            .to_owned(),
            trial_days: plan.trial_days().to_string(),
            minimum_commitment: plan
                .minimum_commitment()
                .map(|m| decimal(m.amount()))
                .unwrap_or_default(),
            charges,
        }
    }

    /// The form as posted: its fields, the button pressed (`intent`) and the CSRF token.
    fn parse(fields: &[(String, String)]) -> (Self, String, String) {
        let map: HashMap<&str, &str> = fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let get = |name: &str| map.get(name).map(|v| (*v).to_owned()).unwrap_or_default();
        let count = |name: &str, max: usize| {
            map.get(name)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
                .min(max)
        };
        let charges = (0..count("charges", MAX_CHARGES))
            .map(|i| {
                let field = |name: &str| get(&format!("c{i}_{name}"));
                ChargeForm {
                    meter: field("meter"),
                    model: field("model"),
                    unit_price: field("unit_price"),
                    free_units: field("free_units"),
                    minimum: field("minimum"),
                    package_size: field("package_size"),
                    package_price: field("package_price"),
                    percent: field("percent"),
                    include_failures: field("include_failures") == "on",
                    tiers: (0..count(&format!("c{i}_tiers"), MAX_TIERS))
                        .map(|j| TierForm {
                            up_to: field(&format!("t{j}_up_to")),
                            unit_price: field(&format!("t{j}_unit_price")),
                        })
                        .collect(),
                }
            })
            .collect();
        let form = Self {
            code: get("code"),
            name: get("name"),
            description: get("description"),
            interval: get("interval"),
            currency: get("currency"),
            base_fee: get("base_fee"),
            base_fee_timing: get("base_fee_timing"),
            trial_days: get("trial_days"),
            minimum_commitment: get("minimum_commitment"),
            charges,
        };
        (form, get("intent"), get("csrf"))
    }

    /// Adds or removes a row as the button pressed asks; `false` for any other button.
    fn edit(&mut self, intent: &str) -> bool {
        if intent == "add_charge" {
            if self.charges.len() < MAX_CHARGES {
                self.charges.push(ChargeForm::default());
            }
            return true;
        }
        let index = |prefix: &str| {
            intent
                .strip_prefix(prefix)
                .and_then(|i| i.parse::<usize>().ok())
        };
        if let Some(i) = index("add_tier_") {
            if let Some(charge) = self.charges.get_mut(i)
                && charge.tiers.len() < MAX_TIERS
            {
                charge.tiers.push(TierForm::default());
            }
            return true;
        }
        if let Some(i) = index("remove_charge_") {
            if i < self.charges.len() {
                self.charges.remove(i);
            }
            return true;
        }
        false
    }

    /// The API's request for this form. A charge row without a meter is a blank row and a
    /// tier row with neither field is too; every other value goes to the API as typed, so
    /// the API's checks (and codes) decide.
    fn request(&self) -> Result<PlanRequest, ApiError> {
        serde_json::from_value(self.body()?).map_err(|error| ApiError::Invalid {
            code: ErrorCode::InvalidValue,
            message: tollgate_domain::error::cut(&error.to_string()).into_owned(),
        })
    }

    /// The request's JSON, as a client of the API would send it.
    fn body(&self) -> Result<Value, ApiError> {
        let text = |value: &str| {
            let value = value.trim();
            if value.is_empty() {
                Value::Null
            } else {
                Value::String(value.to_owned())
            }
        };
        let trial_days = match self.trial_days.trim() {
            "" => 0,
            days => days.parse::<u32>().map_err(|_| ApiError::Invalid {
                code: ErrorCode::InvalidValue,
                message: format!(
                    "trial days: `{}` is not a whole number of days",
                    tollgate_domain::error::cut(days)
                ),
            })?,
        };
        let charges: Vec<Value> = self
            .charges
            .iter()
            .filter(|charge| !charge.meter.trim().is_empty())
            .map(|charge| {
                let tiers: Vec<Value> = charge
                    .tiers
                    .iter()
                    .filter(|t| !t.up_to.trim().is_empty() || !t.unit_price.trim().is_empty())
                    .map(|t| json!({"up_to": text(&t.up_to), "unit_price": t.unit_price.trim()}))
                    .collect();
                let model = match charge.model.as_str() {
                    "graduated" | "volume" => json!({"type": charge.model, "tiers": tiers}),
                    "package" => json!({
                        "type": "package",
                        "size": charge.package_size.trim(),
                        "price": charge.package_price.trim(),
                    }),
                    "percentage_markup" => {
                        json!({"type": "percentage_markup", "percent": charge.percent.trim()})
                    }
                    _ => json!({"type": "per_unit", "unit_price": charge.unit_price.trim()}),
                };
                json!({
                    "meter": charge.meter.trim(),
                    "free_units": text(&charge.free_units),
                    "minimum": text(&charge.minimum),
                    "model": model,
                    "include_failures": charge.include_failures,
                })
            })
            .collect();
        let mut body = Map::new();
        body.insert("code".into(), text(&self.code));
        body.insert("name".into(), Value::String(self.name.trim().to_owned()));
        body.insert("description".into(), text(&self.description));
        body.insert("interval".into(), Value::String(self.interval.clone()));
        body.insert("currency".into(), Value::String(self.currency.clone()));
        body.insert(
            "base_fee".into(),
            match text(&self.base_fee) {
                Value::Null => Value::Null,
                amount => json!({"amount": amount, "timing": self.base_fee_timing}),
            },
        );
        body.insert("trial_days".into(), json!(trial_days));
        body.insert("minimum_commitment".into(), text(&self.minimum_commitment));
        body.insert("charges".into(), Value::Array(charges));
        Ok(Value::Object(body))
    }
}

/// Why the form came back: the API's refusal.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "billing/plan_form.html")]
struct FormPage {
    layout: Layout,
    sections: Vec<Section>,
    heading: String,
    action: String,
    submit: String,
    cancel: String,
    /// A new version: code, interval and currency are the plan's and not editable.
    fixed: bool,
    /// For a new version: the code, interval and currency it keeps, in words.
    fixed_note: Option<String>,
    form: PlanForm,
    refusal: Option<Refusal>,
    failure: Option<SectionFailure>,
    meters: Vec<(&'static str, String)>,
    models: Vec<(&'static str, String)>,
    currencies: Vec<String>,
}

/// The page for `form`: a new plan when `plan` is `None`, else that plan's next version.
fn form_page(
    request: &HttpRequest,
    visitor: &Visitor,
    timing: &Timing,
    plan: Option<Uuid>,
    form: PlanForm,
) -> FormPage {
    let t = catalog();
    let (title, heading, action, submit, cancel) = match plan {
        None => (
            key("plan-new-title"),
            t.tr("plan-new-title"),
            "/billing/plans".to_owned(),
            t.tr("plan-create"),
            "/billing/plans".to_owned(),
        ),
        Some(id) => (
            key("plan-version-title"),
            t.tr_with("plan-version-heading", &form.name),
            format!("/billing/plans/{id}/versions"),
            t.tr("plan-version-save"),
            format!("/billing/plans/{id}"),
        ),
    };
    FormPage {
        layout: Layout::page(visitor, request, title, timing),
        sections: sections("/billing/plans"),
        heading,
        action,
        submit,
        cancel,
        fixed: plan.is_some(),
        fixed_note: plan.map(|_| {
            t.tr_args(
                key("plan-form-fixed"),
                &[
                    ("code", form.code.clone()),
                    ("interval", form.interval.clone()),
                    ("currency", form.currency.clone()),
                ],
            )
        }),
        form,
        refusal: None,
        failure: None,
        meters: Meter::ALL
            .iter()
            .map(|m| (m.slug(), t.tr(labels::meter(*m))))
            .collect(),
        models: labels::MODELS
            .iter()
            .map(|(value, label)| (*value, t.tr(label)))
            .collect(),
        currencies: Currency::KNOWN
            .iter()
            .map(|c| c.code().to_owned())
            .collect(),
    }
}

pub async fn blank(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
) -> Result<HttpResponse, WebError> {
    render(
        StatusCode::OK,
        &form_page(&request, &visitor, &timing, None, PlanForm::blank()),
    )
}

pub async fn next_version(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let record = timing
        .measure(
            "plan",
            state
                .billing
                .plans()
                .get(visitor.caller.principal.organization, id),
        )
        .await?
        .ok_or(WebError::NotFound)?;
    let form = PlanForm::from_version(&record.current);
    render(
        StatusCode::OK,
        &form_page(&request, &visitor, &timing, Some(id), form),
    )
}

pub async fn create(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    fields: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    submit(&request, &visitor, &timing, &state, None, &fields).await
}

pub async fn add_version(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    fields: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    submit(&request, &visitor, &timing, &state, Some(id), &fields).await
}

async fn submit(
    request: &HttpRequest,
    visitor: &Visitor,
    timing: &Timing,
    state: &AppState,
    plan: Option<Uuid>,
    fields: &[(String, String)],
) -> Result<HttpResponse, WebError> {
    let (mut form, intent, csrf) = PlanForm::parse(fields);
    visitor.check_csrf(&csrf)?;
    if form.edit(&intent) {
        return render(
            StatusCode::OK,
            &form_page(request, visitor, timing, plan, form),
        );
    }
    let stored = match form.request() {
        Err(refused) => Err(refused),
        Ok(body) => {
            let caller = &visitor.caller;
            match plan {
                None => {
                    timing
                        .measure("plans", create_plan(state, caller, &body))
                        .await
                }
                Some(id) => {
                    timing
                        .measure("plans", add_plan_version(state, caller, id, &body))
                        .await
                }
            }
        }
    };
    let error = match stored {
        Ok(record) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/billing/plans/{}", record.id)))
                .finish());
        }
        Err(ApiError::Missing { .. }) => return Err(WebError::NotFound),
        Err(error) => error,
    };
    let mut page = form_page(request, visitor, timing, plan, form);
    if error.status_code().is_client_error() {
        page.refusal = Some(Refusal {
            code: error.code().as_str(),
            message: error.public_message(),
        });
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    // The engine (Lago) failed: the form comes back with its message, every value kept.
    let error = WebError::Api(error);
    let failure = error.section_failure().ok_or(error)?;
    failure.answer(&page)
}

#[cfg(test)]
pub(super) mod tests_support {
    use serde_json::Value;

    use super::PlanForm;

    pub fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// The API request's JSON of a posted form, its button and its CSRF token.
    pub fn request_json(fields: &[(String, String)]) -> (Value, String, String) {
        let (form, intent, csrf) = PlanForm::parse(fields);
        let body = form.body().unwrap_or(Value::Null);
        assert!(form.request().is_ok(), "the API reads the request");
        (body, intent, csrf)
    }

    /// The tier rows of each charge once `intent` is applied; `None` when it edits nothing.
    pub fn edited(fields: &[(String, String)], intent: &str) -> Option<Vec<usize>> {
        let (mut form, _, _) = PlanForm::parse(fields);
        form.edit(intent)
            .then(|| form.charges.iter().map(|c| c.tiers.len()).collect())
    }

    pub fn refusal(fields: &[(String, String)]) -> &'static str {
        let (form, _, _) = PlanForm::parse(fields);
        form.request()
            .err()
            .map_or("none", |error| error.code().as_str())
    }
}
