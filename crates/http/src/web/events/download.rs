//! `GET /usage/events/export?format=csv|json&<the list's filters>` (and the portal's
//! `/portal/events/export`, its customer's events only): every event the list shows with
//! those filters, newest first as listed, with every field kept of each (the API
//! export's columns and cell rules). Read page by page along the list's own keyset, so a
//! large download never sits in memory.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use tollgate_application::{
    ports::{EventFilter, ExportCursor},
    services::metering::MeteringService,
};
use tollgate_domain::{ErrorCode, organization::OrganizationId};

use super::{
    super::{Visitor, WebError, i18n::catalog},
    filter::{self, EventsForm, Filters},
};
use crate::{error::ApiError, routes::api::export::record, state::AppState};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

struct Cursor {
    metering: Arc<MeteringService>,
    organization: OrganizationId,
    /// A customer's member downloads their own customer's events, whatever the filter says.
    scope: Option<String>,
    filter: EventFilter,
    before: Option<ExportCursor>,
    page: i64,
    first: bool,
    done: bool,
    format: Format,
}

async fn next_chunk(mut c: Cursor) -> Option<(Result<web::Bytes, ApiError>, Cursor)> {
    if c.done {
        return None;
    }
    let rows = match c
        .metering
        .events(
            c.organization,
            c.scope.as_deref(),
            c.filter.clone(),
            c.before,
            c.page,
        )
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            // The headers are sent: ending the download early is how the client learns.
            tracing::error!(%error, "event download interrupted");
            c.done = true;
            return Some((Err(error.into()), c));
        }
    };
    let last_page = rows.len() < usize::try_from(c.page).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    match c.format {
        Format::Csv => match record::csv_page(&rows, c.first) {
            Ok(page) => bytes = page,
            Err(error) => {
                c.done = true;
                return Some((Err(ApiError::Internal(error.to_string())), c));
            }
        },
        Format::Json => {
            for (index, row) in rows.iter().enumerate() {
                bytes.push(if c.first && index == 0 { b'[' } else { b',' });
                bytes.extend_from_slice(record::json_row(row).to_string().as_bytes());
            }
            if last_page {
                if c.first && rows.is_empty() {
                    bytes.push(b'[');
                }
                bytes.push(b']');
            }
        }
    }
    if let Some(last) = rows.last() {
        c.before = Some(ExportCursor::after(last));
    }
    c.first = false;
    c.done = last_page;
    Some((Ok(web::Bytes::from(bytes)), c))
}

fn refused(message: String) -> WebError {
    WebError::Api(ApiError::Invalid {
        code: ErrorCode::InvalidQuery,
        message,
    })
}

/// The download. A filter the list would drop is refused here (400 with its message):
/// a file of other events than those asked for would be worse than none.
pub async fn export(
    request: HttpRequest,
    visitor: Visitor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let form = web::Query::<EventsForm>::from_query(request.query_string())
        .map_err(|_| refused(t.tr("events-error-query")))?
        .into_inner();
    let format =
        web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
            .ok()
            .and_then(|query| query.get("format").cloned());
    let format = match format.as_deref() {
        None | Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some(_) => return Err(refused(t.tr("usage-error-format"))),
    };
    let Filters { filter, errors, .. } = filter::read(&form);
    if let Some((_, message)) = errors.first() {
        return Err(refused(t.tr(message)));
    }
    let cursor = Cursor {
        metering: Arc::clone(&state.metering),
        organization: visitor.caller.principal.organization,
        scope: visitor.caller.principal.customer.clone(),
        filter,
        before: None,
        page: state.export_page_rows,
        first: true,
        done: false,
        format,
    };
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"events.{extension}\""),
        ))
        .streaming(stream::unfold(cursor, next_chunk)))
}
