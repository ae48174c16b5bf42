//! `/billing/subscriptions`: every subscription with its plan now, its phases (what it ran on
//! and why it moved) and a downgrade scheduled for the period's end; keyset paged, filtered by
//! customer (a link from a row).

use std::collections::{BTreeSet, HashMap};

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{TimeDelta, Utc};
use chrono_tz::Tz;
use futures_util::future::join_all;
use tollgate_application::ports::SubscriptionRecord;
use tollgate_domain::billing::Phase;
use uuid::Uuid;

use super::{Section, labels, params, query_string, sections};
use crate::{
    routes::api::paging::Page,
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        error_page::SectionFailure,
        figures,
        i18n::{catalog, key},
        layout::render,
        when,
    },
};

const PAGE_ROWS: i64 = 50;
/// The API's list name: a page's `after` is the API's cursor.
const LIST: &str = "subscriptions";

pub struct PhaseView {
    pub plan: String,
    pub from: String,
    pub until: Option<String>,
    pub reason: String,
    pub current: bool,
}

pub struct Row {
    pub external_id: String,
    pub customer: String,
    pub customer_external: String,
    pub customer_href: String,
    pub status_class: &'static str,
    pub status: String,
    pub plan: String,
    pub period: String,
    pub started: String,
    /// The scheduled downgrade: the plan and from when.
    pub pending: Option<String>,
    pub phases: Vec<PhaseView>,
}

#[derive(Template)]
#[template(path = "billing/subscriptions.html")]
struct ListPage {
    layout: Layout,
    sections: Vec<Section>,
    customer_error: Option<String>,
    tz_error: Option<String>,
    after_error: Option<String>,
    failure: Option<SectionFailure>,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    /// The customer filtered on, by name, with the link that drops the filter.
    filtered_on: Option<(String, String)>,
}

fn plan_name(record: &SubscriptionRecord, phase: &Phase) -> String {
    let code = record
        .plan_codes
        .get(&phase.plan.plan_id)
        .cloned()
        .unwrap_or_else(|| phase.plan.plan_id.to_string());
    catalog().tr_args(
        key("subscription-plan-version"),
        &[("code", code), ("version", phase.plan.version.to_string())],
    )
}

/// (name, external id) of each customer the page shows.
type Names = HashMap<Uuid, (String, String)>;

fn row(record: &SubscriptionRecord, names: &Names, zone: Tz) -> Row {
    let t = catalog();
    let now = Utc::now();
    let subscription = &record.subscription;
    let status = subscription.status_at(now);
    let running = subscription
        .phase_at(now)
        .or_else(|| subscription.phases().first());
    let (customer, customer_external) = names
        .get(&record.customer_id)
        .cloned()
        .unwrap_or_else(|| (record.customer_id.to_string(), String::new()));
    let period = status
        .is_live()
        .then(|| subscription.current_period(now).ok())
        .flatten()
        .map(|period| {
            let last = period.end() - TimeDelta::seconds(1);
            t.tr_args(
                key("billing-period-range"),
                &[
                    ("from", figures::date(period.start(), Tz::UTC)),
                    ("to", figures::date(last.max(period.start()), Tz::UTC)),
                ],
            )
        })
        .unwrap_or_default();
    let pending = subscription
        .scheduled_after(now.max(subscription.started_at()))
        .map(|phase| {
            t.tr_args(
                key("subscription-pending-change"),
                &[
                    ("plan", plan_name(record, phase)),
                    ("from", figures::date(phase.starts_at, zone)),
                ],
            )
        });
    Row {
        external_id: record.external_id.clone(),
        customer,
        customer_external,
        customer_href: format!(
            "/billing/subscriptions{}",
            query_string(&[("customer", &record.customer_id.to_string())])
        ),
        status_class: status.as_str(),
        status: t.tr(labels::subscription_status(status)),
        plan: running.map(|p| plan_name(record, p)).unwrap_or_default(),
        period,
        started: figures::date(subscription.started_at(), zone),
        pending,
        phases: subscription
            .phases()
            .iter()
            .map(|phase| PhaseView {
                plan: plan_name(record, phase),
                from: figures::date(phase.starts_at, zone),
                until: phase.ends_at.map(|end| figures::date(end, zone)),
                reason: t.tr(labels::phase_reason(phase.reason)),
                current: running.is_some_and(|r| std::ptr::eq(r, phase)),
            })
            .collect(),
    }
}

pub async fn list(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let organization = visitor.caller.principal.organization;
    let params = params(&request);
    let tz = params.get("tz").cloned().unwrap_or_default();
    let customer = params
        .get("customer")
        .map(|c| c.trim().to_owned())
        .unwrap_or_default();
    let after = params.get("after").cloned().filter(|a| !a.is_empty());
    let zone = when::zone(Some(&tz)).ok();
    let customer_id = match customer.as_str() {
        "" => Ok(None),
        text => Uuid::parse_str(text).map(Some),
    };
    let page_ask = Page::new(PAGE_ROWS, after.clone());
    let cursor = page_ask.after::<Uuid>(LIST);
    let keep = |after: &str| {
        format!(
            "/billing/subscriptions{}",
            query_string(&[("customer", &customer), ("tz", &tz), ("after", after)])
        )
    };
    let mut page = ListPage {
        layout: Layout::page(&visitor, &request, key("subscriptions-title"), &timing),
        sections: sections("/billing/subscriptions"),
        customer_error: customer_id
            .is_err()
            .then(|| t.tr("subscriptions-customer-invalid")),
        tz_error: zone.is_none().then(|| t.tr("billing-tz-invalid")),
        after_error: cursor.is_err().then(|| t.tr("billing-cursor-invalid")),
        failure: None,
        rows: Vec::new(),
        next: None,
        first: after.as_ref().map(|_| keep("")),
        filtered_on: None,
    };
    let (Ok(customer_id), Ok(cursor), Some(zone)) = (customer_id, cursor, zone) else {
        return render(StatusCode::BAD_REQUEST, &page);
    };
    let listed = timing
        .measure(
            "subscriptions",
            state
                .billing
                .subscriptions()
                .list(organization, customer_id, cursor, page_ask.fetch()),
        )
        .await;
    let records = match listed {
        Ok(records) => records,
        Err(error) => {
            let error = WebError::from(error);
            page.failure = Some(error.section_failure().ok_or(error)?);
            return match &page.failure {
                Some(failure) => failure.answer(&page),
                None => render(StatusCode::OK, &page),
            };
        }
    };
    let (records, next) = page_ask.split(LIST, records, |r| r.id);
    let wanted: BTreeSet<Uuid> = records
        .iter()
        .map(|r| r.customer_id)
        .chain(customer_id)
        .collect();
    let customers = state.billing.customers();
    let found = timing
        .measure(
            "customers",
            join_all(wanted.iter().map(|id| customers.get(organization, *id))),
        )
        .await;
    let mut names = Names::new();
    for record in found.into_iter().flatten().flatten() {
        names.insert(
            record.id,
            (
                record.customer.name().to_owned(),
                record.customer.external_id().as_str().to_owned(),
            ),
        );
    }
    page.filtered_on = customer_id.map(|id| {
        let name = names
            .get(&id)
            .map_or_else(|| id.to_string(), |(name, _)| name.clone());
        (
            name,
            format!("/billing/subscriptions{}", query_string(&[("tz", &tz)])),
        )
    });
    page.rows = records.iter().map(|r| row(r, &names, zone)).collect();
    page.next = next.map(|cursor| keep(&cursor));
    page.layout = Layout::page(&visitor, &request, key("subscriptions-title"), &timing);
    render(StatusCode::OK, &page)
}
