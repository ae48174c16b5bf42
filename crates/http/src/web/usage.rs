//! `/usage`: one meter over a period, by window and by group, from the metering service's
//! rollup-backed breakdowns (never the raw events), drawn as stacked bars with the figures in
//! tables, and downloadable as CSV or JSON (`/usage/export`).

pub(super) mod breakdown;
mod download;
pub(super) mod view;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use tollgate_application::ports::EventFilter;

use self::{
    breakdown::{Breakdown, GroupTotal, breakdown, window_header},
    view::{FieldError, GROUPINGS, METERS, UsageForm, View, WINDOWS, periods, window_value},
};
use super::{
    Layout, Timing, Visitor, WebError,
    error_page::SectionFailure,
    i18n::{catalog, key},
    layout::render,
};
use crate::{
    charts::{self, Table, Text, series_table},
    routes::api::usage::response,
    state::AppState,
};

/// An option of a menu: value, label, chosen.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub chosen: bool,
}

/// The figures, when there are some to show.
pub struct Figures {
    pub total: String,
    pub chart: String,
    pub table: Table,
    pub groups: Vec<GroupTotal>,
    pub grouped: bool,
}

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    layout: Layout,
    errors: Vec<(&'static str, String)>,
    meters: Vec<Choice>,
    periods: Vec<Choice>,
    windows: Vec<Choice>,
    groupings: Vec<Choice>,
    from_day: String,
    to_day: String,
    customer: String,
    tz: String,
    meter_label: String,
    period_label: String,
    csv_href: String,
    json_href: String,
    figures: Option<Figures>,
    /// Nothing in this view: whether the organization has never sent anything at all (then
    /// the next step is connecting LiteLLM, not changing the filters).
    empty: Option<bool>,
    failure: Option<SectionFailure>,
}

impl UsagePage {
    /// The message of `field`, when the query's value for it could not be used.
    fn field_error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }
}

fn choices<T: PartialEq>(
    options: &[(T, &'static str)],
    value: impl Fn(&T) -> &'static str,
    chosen: &T,
) -> Vec<Choice> {
    let t = catalog();
    options
        .iter()
        .map(|(option, label)| Choice {
            value: value(option),
            label: t.tr(label),
            chosen: option == chosen,
        })
        .collect()
}

/// The query string of the page's form, read without failing: what cannot be read at all
/// (a field given twice) is read as nothing, and said.
fn form(request: &HttpRequest) -> (UsageForm, Option<FieldError>) {
    match web::Query::<UsageForm>::from_query(request.query_string()) {
        Ok(query) => (query.into_inner(), None),
        Err(_) => (UsageForm::default(), Some(("", key("usage-error-query")))),
    }
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let (form, unreadable) = form(&request);
    let (view, mut errors) = View::read(&form, Utc::now());
    errors.extend(unreadable);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let organization = visitor.caller.principal.organization;
    let read = timing
        .measure(
            "metering",
            state.metering.usage(organization, &view.query()),
        )
        .await
        .map_err(WebError::from);
    let (mut figures, mut empty, mut failure) = (None, None, None);
    match read {
        Ok(answer) => {
            let nothing = answer
                .series
                .iter()
                .all(|series| series.points.iter().all(|point| point.value.is_zero()));
            if nothing {
                // One row, newest first, by the index the events page uses: cheap.
                let any = timing
                    .measure(
                        "events",
                        state
                            .metering
                            .events(organization, None, EventFilter::default(), None, 1),
                    )
                    .await?;
                empty = Some(any.is_empty());
            } else {
                figures = Some(figures_of(&view, breakdown(t, &view, &answer)));
            }
        }
        Err(error) => match error.section_failure() {
            Some(section) => failure = Some(section),
            None => return Err(error),
        },
    }
    let query = view.query_string();
    let meter_label = METERS
        .iter()
        .find(|(meter, _)| *meter == view.meter)
        .map(|(_, label)| t.tr(label))
        .unwrap_or_default();
    let period_label = periods()
        .find(|(period, _)| *period == view.period.value)
        .map(|(_, label)| t.tr(label))
        .unwrap_or_default();
    let (first_day, last_day) = view.days();
    let typed = |text: &str, day: chrono::NaiveDate| {
        if text.trim().is_empty() {
            day.to_string()
        } else {
            text.to_owned()
        }
    };
    let page = UsagePage {
        layout: Layout::page(&visitor, &request, key("usage-title"), &timing),
        errors: errors
            .into_iter()
            .map(|(field, message)| (field, t.tr(message)))
            .collect(),
        meters: choices(METERS, |m| m.slug(), &view.meter),
        periods: periods()
            .map(|(value, label)| Choice {
                value,
                label: t.tr(label),
                chosen: value == view.period.value,
            })
            .collect(),
        windows: choices(WINDOWS, |w| w, &window_value(view.window)),
        groupings: choices(GROUPINGS, |g| g, &view.group_by.map_or("", |g| g.as_str())),
        from_day: typed(&view.period.custom_from, first_day),
        to_day: typed(&view.period.custom_to, last_day),
        customer: view.customer.clone().unwrap_or_default(),
        tz: view.tz.name().to_owned(),
        meter_label,
        period_label,
        csv_href: format!("/usage/export?format=csv&{query}"),
        json_href: format!("/usage/export?format=json&{query}"),
        figures,
        empty,
        failure,
    };
    render(status, &page)
}

fn figures_of(view: &View, drawn: Breakdown) -> Figures {
    let t = catalog();
    let meter = METERS
        .iter()
        .find(|(meter, _)| *meter == view.meter)
        .map(|(_, label)| t.tr(label))
        .unwrap_or_default();
    let title = t.tr_with("usage-chart-title", &meter);
    let desc = t.tr("usage-chart-desc");
    let empty = t.tr("usage-empty-heading");
    let text = Text {
        id: "usage-chart",
        title: &title,
        desc: &desc,
        empty: &empty,
    };
    let chart = charts::stacked_bars(&text, &drawn.categories, &drawn.series);
    let mut table_series = drawn.series.clone();
    if view.group_by.is_none()
        && let Some(only) = table_series.first_mut()
    {
        only.name.clone_from(&meter);
    }
    let table = series_table(
        &t.tr(window_header(view.window)),
        &t.tr("usage-table-total"),
        &drawn.windows,
        &table_series,
    );
    Figures {
        total: charts::format_decimal(&drawn.total),
        chart,
        table,
        groups: drawn.groups,
        grouped: view.group_by.is_some(),
    }
}

/// `GET /usage/export`: the view's figures as a file. A query the page would refuse is
/// refused here too (400 page with the field's message), rather than exporting something
/// other than what was asked.
pub async fn export(
    request: HttpRequest,
    visitor: Visitor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (form, unreadable) = form(&request);
    let format =
        web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
            .ok()
            .and_then(|query| query.get("format").cloned());
    let (view, errors) = View::read(&form, Utc::now());
    if let Some((_, message)) = unreadable.into_iter().chain(errors).next() {
        return Err(WebError::Api(crate::error::ApiError::Invalid {
            code: tollgate_domain::ErrorCode::InvalidQuery,
            message: catalog().tr(message),
        }));
    }
    let query = view.query();
    let answer = state
        .metering
        .usage(visitor.caller.principal.organization, &query)
        .await?;
    let body = response(query, answer);
    // The days covered, both included, as the page names them.
    let (first_day, last_day) = view.days();
    let stem = format!(
        "usage-{}-{}",
        first_day.format("%Y%m%d"),
        last_day.format("%Y%m%d")
    );
    let (content_type, file, bytes) = match format.as_deref() {
        None | Some("csv") => (
            "text/csv; charset=utf-8",
            format!("{stem}.csv"),
            download::csv(&body).map_err(|e| WebError::Internal(e.to_string()))?,
        ),
        Some("json") => (
            "application/json",
            format!("{stem}.json"),
            serde_json::to_vec(&body).map_err(|e| WebError::Internal(e.to_string()))?,
        ),
        Some(_) => {
            return Err(WebError::Api(crate::error::ApiError::Invalid {
                code: tollgate_domain::ErrorCode::InvalidQuery,
                message: catalog().tr("usage-error-format"),
            }));
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .body(bytes))
}
