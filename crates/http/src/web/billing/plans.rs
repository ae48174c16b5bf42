//! `/billing/plans`: the plans (keyset paged) and `/billing/plans/{id}`: one version of a plan
//! (the current one unless `?version=` names another) with its charges and tier tables, and
//! the list of its versions.

use actix_web::{HttpRequest, HttpResponse, http::Method, http::StatusCode, web};
use askama::Template;
use chrono_tz::Tz;
use tollgate_application::ports::{PlanRecord, PlanVersionRecord};
use tollgate_domain::billing::{Charge, Money, Plan, PricingModel, Tier};
use uuid::Uuid;

use super::{Section, labels, may, params, query_string, sections};
use crate::{
    routes::api::paging::Page,
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        error_page::SectionFailure,
        figures,
        i18n::{catalog, key},
        layout::render,
    },
};

const PAGE_ROWS: i64 = 50;
/// The API's list name: a page's `after` is the API's cursor.
const LIST: &str = "plans";

pub struct Row {
    pub href: String,
    pub code: String,
    pub name: String,
    pub interval: String,
    pub currency: String,
    pub base_fee: String,
    pub charges: String,
    pub version: u32,
    pub archived: bool,
}

#[derive(Template)]
#[template(path = "billing/plans.html")]
struct ListPage {
    layout: Layout,
    sections: Vec<Section>,
    can_create: bool,
    after_error: Option<String>,
    failure: Option<SectionFailure>,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
}

fn base_fee(plan: &Plan) -> String {
    let t = catalog();
    plan.base_fee().map_or_else(
        || t.tr("plan-no-base-fee"),
        |fee| {
            t.tr_args(
                key("plan-base-fee-value"),
                &[
                    ("amount", figures::money(fee.amount())),
                    ("timing", t.tr(labels::fee_timing(fee.timing()))),
                ],
            )
        },
    )
}

fn row(record: &PlanRecord) -> Row {
    let t = catalog();
    let plan = &record.current.draft.plan;
    let meters: Vec<String> = plan
        .charges()
        .iter()
        .map(|charge| t.tr(labels::meter(charge.meter())))
        .collect();
    Row {
        href: format!("/billing/plans/{}", record.id),
        code: plan.code().as_str().to_owned(),
        name: record.current.draft.name.clone(),
        interval: t.tr(labels::interval(plan.interval())),
        currency: plan.currency().code().to_owned(),
        base_fee: base_fee(plan),
        charges: if meters.is_empty() {
            t.tr("plan-no-charges")
        } else {
            meters.join(", ")
        },
        version: record.current.version,
        archived: record.archived_at.is_some(),
    }
}

pub async fn list(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let params = params(&request);
    let after = params.get("after").cloned().filter(|a| !a.is_empty());
    let asked = Page::new(PAGE_ROWS, after.clone());
    let cursor = asked.after::<Uuid>(LIST);
    let mut page = ListPage {
        layout: Layout::page(&visitor, &request, key("plans-title"), &timing),
        sections: sections("/billing/plans"),
        can_create: may(&visitor, &Method::POST, "/billing/plans"),
        after_error: cursor.is_err().then(|| t.tr("billing-cursor-invalid")),
        failure: None,
        rows: Vec::new(),
        next: None,
        first: after.map(|_| "/billing/plans".to_owned()),
    };
    let Ok(cursor) = cursor else {
        return render(StatusCode::BAD_REQUEST, &page);
    };
    let listed = timing
        .measure(
            "plans",
            state.billing.plans().list(
                visitor.caller.principal.organization,
                cursor,
                asked.fetch(),
            ),
        )
        .await;
    match listed {
        Ok(records) => {
            let (records, next) = asked.split(LIST, records, |r| r.id);
            page.rows = records.iter().map(row).collect();
            page.next =
                next.map(|next| format!("/billing/plans{}", query_string(&[("after", &next)])));
        }
        Err(error) => {
            let error = WebError::from(error);
            page.failure = Some(error.section_failure().ok_or(error)?);
        }
    }
    page.layout = Layout::page(&visitor, &request, key("plans-title"), &timing);
    match &page.failure {
        Some(failure) => failure.answer(&page),
        None => render(StatusCode::OK, &page),
    }
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct TierRow {
    pub from: String,
    pub up_to: String,
    pub unit_price: String,
}

pub struct ChargeView {
    pub meter: String,
    pub model: String,
    /// The price of a model without tiers, in words.
    pub price: Option<String>,
    pub tiers: Vec<TierRow>,
    pub facts: Vec<Fact>,
}

pub struct VersionRow {
    pub version: i64,
    pub name: String,
    pub created: String,
    pub href: String,
    pub shown: bool,
}

#[derive(Template)]
#[template(path = "billing/plan.html")]
struct DetailPage {
    layout: Layout,
    sections: Vec<Section>,
    name: String,
    code: String,
    description: Option<String>,
    version: i64,
    current: bool,
    archived: bool,
    facts: Vec<Fact>,
    charges: Vec<ChargeView>,
    versions: Vec<VersionRow>,
    new_version: Option<String>,
}

fn unit_price(amount: rust_decimal::Decimal, plan: &Plan) -> String {
    format!("{} {}", figures::grouped(amount), plan.currency().code())
}

fn tier_rows(tiers: &[Tier], plan: &Plan) -> Vec<TierRow> {
    let t = catalog();
    tiers
        .iter()
        .map(|tier| TierRow {
            from: figures::grouped(tier.from),
            up_to: tier
                .up_to
                .map_or_else(|| t.tr("plan-tier-unbounded"), figures::grouped),
            unit_price: unit_price(tier.unit_price.amount(), plan),
        })
        .collect()
}

fn charge_view(charge: &Charge, plan: &Plan) -> ChargeView {
    let t = catalog();
    let (model, price, tiers) = match charge.model() {
        PricingModel::PerUnit { unit_price: price } => (
            "per_unit",
            Some(t.tr_with("plan-per-unit-price", &unit_price(price.amount(), plan))),
            Vec::new(),
        ),
        PricingModel::Graduated(tiers) => ("graduated", None, tier_rows(tiers.as_slice(), plan)),
        PricingModel::Volume(tiers) => ("volume", None, tier_rows(tiers.as_slice(), plan)),
        PricingModel::Package { size, price } => (
            "package",
            Some(t.tr_args(
                key("plan-package-price"),
                &[
                    ("price", unit_price(price.amount(), plan)),
                    ("size", figures::grouped(size.units())),
                ],
            )),
            Vec::new(),
        ),
        PricingModel::PercentageMarkup { markup } => (
            "percentage_markup",
            Some(t.tr_with("plan-markup", &figures::grouped(markup.percent()))),
            Vec::new(),
        ),
    };
    let mut facts = Vec::new();
    if !charge.free_units().is_zero() {
        facts.push(Fact {
            label: t.tr("plan-free-units"),
            value: figures::grouped(charge.free_units()),
        });
    }
    if let Some(minimum) = charge.minimum() {
        facts.push(Fact {
            label: t.tr("plan-charge-minimum"),
            value: figures::money(minimum),
        });
    }
    facts.push(Fact {
        label: t.tr("plan-failures"),
        value: t.tr(if charge.include_failures() {
            key("plan-failures-billed")
        } else {
            key("plan-failures-free")
        }),
    });
    ChargeView {
        meter: t.tr(labels::meter(charge.meter())),
        model: t.tr(labels::model(model)),
        price,
        tiers,
        facts,
    }
}

fn version_facts(shown: &PlanVersionRecord, zone: Tz) -> Vec<Fact> {
    let t = catalog();
    let plan = &shown.draft.plan;
    let money = |amount: Option<Money>| amount.map(figures::money);
    let mut facts = vec![
        Fact {
            label: t.tr("plan-interval"),
            value: t.tr(labels::interval(plan.interval())),
        },
        Fact {
            label: t.tr("plan-currency"),
            value: plan.currency().code().to_owned(),
        },
        Fact {
            label: t.tr("plan-base-fee"),
            value: base_fee(plan),
        },
        Fact {
            label: t.tr("plan-trial"),
            value: t.tr_count("plan-trial-days", i64::from(plan.trial_days())),
        },
    ];
    if let Some(minimum) = money(plan.minimum_commitment()) {
        facts.push(Fact {
            label: t.tr("plan-minimum-commitment"),
            value: minimum,
        });
    }
    facts.push(Fact {
        label: t.tr("plan-version-created"),
        value: figures::datetime(shown.created_at, zone),
    });
    facts
}

pub async fn show(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let organization = visitor.caller.principal.organization;
    let params = params(&request);
    let plans = state.billing.plans();
    let record = timing
        .measure("plan", plans.get(organization, id))
        .await?
        .ok_or(WebError::NotFound)?;
    let versions = timing
        .measure("versions", plans.versions(organization, id))
        .await?;
    let asked = match params.get("version").map(String::as_str) {
        None | Some("") => record.current.version,
        Some(text) => text.parse::<u32>().map_err(|_| WebError::NotFound)?,
    };
    let shown = versions
        .iter()
        .find(|v| v.version == asked)
        .ok_or(WebError::NotFound)?;
    let plan = &shown.draft.plan;
    let zone = Tz::UTC;
    let page = DetailPage {
        layout: Layout::page(&visitor, &request, key("plan-title"), &timing),
        sections: sections("/billing/plans"),
        name: shown.draft.name.clone(),
        code: plan.code().as_str().to_owned(),
        description: shown.draft.description.clone(),
        version: i64::from(shown.version),
        current: shown.version == record.current.version,
        archived: record.archived_at.is_some(),
        facts: version_facts(shown, zone),
        charges: plan
            .charges()
            .iter()
            .map(|c| charge_view(c, plan))
            .collect(),
        versions: versions
            .iter()
            .rev()
            .map(|v| VersionRow {
                version: i64::from(v.version),
                name: v.draft.name.clone(),
                created: figures::datetime(v.created_at, zone),
                href: format!("/billing/plans/{id}?version={}", v.version),
                shown: v.version == shown.version,
            })
            .collect(),
        new_version: (record.archived_at.is_none()
            && may(&visitor, &Method::POST, "/billing/plans/{id}/versions"))
        .then(|| format!("/billing/plans/{id}/versions/new")),
    };
    render(StatusCode::OK, &page)
}
