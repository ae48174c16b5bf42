//! `GET /customers`: the customers by id (the API's list and cursors), searched by external
//! id, name or e-mail, each with this month's LLM cost and the last day it made a request.
//! Search and pages are GET links, so a copied URL opens the same view.

use actix_web::{HttpRequest, HttpResponse, http::Method, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use chrono_tz::Tz;
use serde::Deserialize;
use uuid::Uuid;

use super::activity::{LOOKBACK_DAYS, activity};
use crate::{
    routes::api::{customers::MAX_SEARCH, paging::Page},
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        error_page::{SectionFailure, degraded},
        figures::{date, exact, usd},
        i18n::{catalog, key},
        layout::render,
        when::zone,
    },
};

/// Customers one page shows.
const PAGE_ROWS: i64 = 25;
/// The API's name for this list: its cursors work here, and the other way round.
const LIST: &str = "customers";

#[derive(Deserialize)]
pub struct ListQuery {
    search: Option<String>,
    cursor: Option<String>,
    tz: Option<String>,
}

pub struct Row {
    pub id: Uuid,
    pub external_id: String,
    pub name: String,
    pub billing_email: String,
    pub currency: String,
    pub cost: String,
    pub cost_exact: String,
    pub last_active: Option<String>,
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    layout: Layout,
    search: String,
    /// The `tz` the URL named, kept in the links.
    tz: String,
    rows: Vec<Row>,
    /// The next page's URL.
    next: Option<String>,
    /// Whether this is a later page (a link back to the first one).
    later: bool,
    /// A refused query parameter's message (400).
    error: Option<String>,
    /// The meters could not be read: the figures' columns say so.
    usage_failure: Option<SectionFailure>,
    can_create: bool,
    lookback_days: i64,
}

fn link(search: &str, tz: &str, cursor: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !search.is_empty() {
        query.append_pair("search", search);
    }
    if !tz.is_empty() {
        query.append_pair("tz", tz);
    }
    if let Some(cursor) = cursor {
        query.append_pair("cursor", cursor);
    }
    let query = query.finish();
    if query.is_empty() {
        "/customers".to_owned()
    } else {
        format!("/customers?{query}")
    }
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let query = query.into_inner();
    let mut error = None;
    let mut search = query.search.unwrap_or_default().trim().to_owned();
    if search.chars().count() > MAX_SEARCH {
        let limit = i64::try_from(MAX_SEARCH).unwrap_or(i64::MAX);
        error = Some(t.tr_count(key("customers-search-too-long"), limit));
        search.clear();
    }
    let tz_text = query.tz.unwrap_or_default();
    let (tz, tz_kept) = match zone(Some(&tz_text)) {
        Ok(tz) => (tz, tz_text.trim().to_owned()),
        Err(refused) => {
            error = Some(t.tr_with("customers-tz-invalid", &refused));
            (Tz::UTC, String::new())
        }
    };
    let page = Page::new(PAGE_ROWS, query.cursor);
    let after = page.after::<Uuid>(LIST).unwrap_or_else(|_| {
        error = Some(t.tr("customers-cursor-invalid"));
        None
    });
    let organization = visitor.caller.principal.organization;
    let records = timing
        .measure(
            "customers",
            state
                .billing
                .customers()
                .search(organization, &search, after, page.fetch()),
        )
        .await?;
    let (records, next) = page.split(LIST, records, |record| record.id);
    let now = Utc::now();
    let (activity, usage_failure) = match timing
        .measure("metering", activity(&state, organization, tz, now))
        .await
    {
        Ok(activity) => (activity, None),
        Err(failure) => degraded(failure)?,
    };
    let rows = records
        .into_iter()
        .map(|record| {
            let external_id = record.customer.external_id().as_str().to_owned();
            let cost = activity.cost.get(&external_id).copied().unwrap_or_default();
            Row {
                id: record.id,
                name: record.customer.name().to_owned(),
                billing_email: record.customer.billing_email().as_str().to_owned(),
                currency: record.customer.currency().code().to_owned(),
                cost: usd(cost),
                cost_exact: exact(cost),
                last_active: activity
                    .last_day
                    .get(&external_id)
                    .map(|day| date(*day, tz)),
                external_id,
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ListPage {
        layout: Layout::page(&visitor, &request, key("customers-title"), &timing),
        next: next
            .as_deref()
            .map(|cursor| link(&search, &tz_kept, Some(cursor))),
        later: after.is_some(),
        search,
        tz: tz_kept,
        rows,
        error,
        usage_failure,
        can_create: visitor.may(&Method::POST, "/customers"),
        lookback_days: LOOKBACK_DAYS,
    };
    render(status, &page)
}

impl ListPage {
    fn first_page(&self) -> String {
        link(&self.search, &self.tz, None)
    }
}
