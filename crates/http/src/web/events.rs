//! `/usage/events`: the stored events newest first, a page at a time by the API's keyset
//! cursor, filtered by customer, model, status, key and time; `/usage/events/{id}`: everything
//! kept of one event and where its deliveries stand. Prompts and completions are never kept,
//! so never shown.

mod detail;
mod download;
mod filter;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use tollgate_application::ports::{ExportCursor, ExportRow};

use self::filter::{EventsForm, Filters};
pub use self::{detail::show, download::export};
use super::{
    Layout, Timing, Visitor, WebError,
    i18n::{catalog, key},
    layout::render,
    usage::breakdown::status_label,
    when,
};
use crate::{
    charts::format_decimal,
    routes::api::{events::LIST, paging::Page},
    state::AppState,
};

/// Events a page shows.
const PAGE_ROWS: i64 = 50;

pub struct Row {
    pub href: String,
    pub at: String,
    pub customer: String,
    pub model: String,
    pub key: String,
    pub status: String,
    pub failed: bool,
    pub input_tokens: String,
    pub output_tokens: String,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "usage_events.html")]
struct EventsPage {
    layout: Layout,
    errors: Vec<(&'static str, String)>,
    form: EventsForm,
    /// (value, label, chosen) of the status menu.
    statuses: Vec<(&'static str, String, bool)>,
    rows: Vec<Row>,
    /// The next (older) page, when there is one.
    older: Option<String>,
    /// The first page with the same filters, when this is a later one.
    newest: Option<String>,
    /// No rows: whether because nothing was ever sent (the next step is connecting LiteLLM).
    first_use: bool,
    filtered: bool,
    tz: String,
    csv_href: String,
    json_href: String,
}

impl EventsPage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }
}

fn row(event: &ExportRow, tz: chrono_tz::Tz, tz_query: &str) -> Row {
    let t = catalog();
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    Row {
        href: format!("/usage/events/{}{tz_query}", event.id),
        at: when::show(event.occurred_at, tz),
        customer: text(&event.customer),
        model: text(&event.model),
        key: text(&event.api_key_alias),
        status: status_label(t, &event.status),
        failed: event.status != "success",
        input_tokens: format_decimal(&event.input_tokens.into()),
        output_tokens: format_decimal(&event.output_tokens.into()),
        cost: format_decimal(&event.cost_usd.normalize()),
    }
}

/// The download of every event the list shows with these filters.
fn download_href(format: &str, filters: &str) -> String {
    if filters.is_empty() {
        format!("/usage/events/export?format={format}")
    } else {
        format!("/usage/events/export?format={format}&{filters}")
    }
}

pub async fn list(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let (form, unreadable) = match web::Query::<EventsForm>::from_query(request.query_string()) {
        Ok(query) => (query.into_inner(), None),
        Err(_) => (EventsForm::default(), Some(("", key("events-error-query")))),
    };
    let Filters {
        filter,
        tz,
        mut errors,
    } = filter::read(&form);
    errors.extend(unreadable);
    let page = Page::new(PAGE_ROWS, form.cursor.clone().filter(|c| !c.is_empty()));
    let after = page.after::<ExportCursor>(LIST).unwrap_or_else(|_| {
        errors.push(("cursor", key("events-error-cursor")));
        None
    });
    let filtered = filter != Default::default();
    let organization = visitor.caller.principal.organization;
    let rows = timing
        .measure(
            "events",
            state
                .metering
                .events(organization, None, filter, after, page.fetch()),
        )
        .await?;
    let (rows, next) = page.split(LIST, rows, ExportCursor::after);
    let tz_query = if tz == chrono_tz::Tz::UTC {
        String::new()
    } else {
        format!("?tz={}", tz.name())
    };
    let filters_query = form.query_string();
    let with = |extra: Option<(&str, &str)>| {
        let mut query = url::form_urlencoded::Serializer::new(filters_query.clone());
        if let Some((name, value)) = extra {
            query.append_pair(name, value);
        }
        let query = query.finish();
        if query.is_empty() {
            "/usage/events".to_owned()
        } else {
            format!("/usage/events?{query}")
        }
    };
    let later_page = after.is_some();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let chosen_status = form.status.clone().unwrap_or_default();
    let statuses = [
        ("", key("events-status-any")),
        ("success", key("status-success")),
        ("failure", key("status-failure")),
    ]
    .into_iter()
    .map(|(value, label)| (value, t.tr(label), chosen_status == value))
    .collect();
    let page = EventsPage {
        layout: Layout::page(&visitor, &request, key("events-title"), &timing),
        errors: errors
            .into_iter()
            .map(|(field, message)| (field, t.tr(message)))
            .collect(),
        rows: rows.iter().map(|event| row(event, tz, &tz_query)).collect(),
        older: next.map(|cursor| with(Some(("cursor", &cursor)))),
        newest: later_page.then(|| with(None)),
        first_use: rows.is_empty() && !filtered && !later_page,
        filtered,
        statuses,
        tz: tz.name().to_owned(),
        csv_href: download_href("csv", &filters_query),
        json_href: download_href("json", &filters_query),
        form,
    };
    render(status, &page)
}
