//! `GET /api/usage/export?format=csv|json&from&to`: every stored event of a period with every
//! field kept of it, in time order, streamed page by page so a large period never sits in
//! memory.

pub(crate) mod record;

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::stream;
use serde::Deserialize;
use tollgate_application::{ports::ExportCursor, services::metering::MeteringService};
use tollgate_domain::organization::OrganizationId;

use tollgate_domain::{ErrorCode, error::cut};

use crate::{access::Caller, error::ApiError, extract::Checked, state::AppState};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    format: Option<String>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    customer: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

struct Cursor {
    metering: Arc<MeteringService>,
    organization: OrganizationId,
    to: DateTime<Utc>,
    customer: Option<String>,
    after: ExportCursor,
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
        .export_page(c.organization, c.to, c.customer.clone(), c.after, c.page)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            // Headers are gone already: ending the stream early is how the client learns.
            tracing::error!(%error, "export interrupted");
            c.done = true;
            return Some((Err(error.into()), c));
        }
    };
    let last_page = rows.len() < usize::try_from(c.page).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    match c.format {
        Format::Csv => match record::csv_page(&rows, c.first) {
            Ok(page) => bytes = page,
            Err(error) => return Some((Err(ApiError::Internal(error.to_string())), c)),
        },
        Format::Json => {
            if c.first {
                bytes.push(b'[');
            }
            for (i, row) in rows.iter().enumerate() {
                if !(c.first && i == 0) {
                    bytes.push(b',');
                }
                bytes.extend_from_slice(record::json_row(row).to_string().as_bytes());
            }
            if last_page {
                bytes.push(b']');
            }
        }
    }
    if let Some(last) = rows.last() {
        c.after = ExportCursor::after(last);
    }
    c.first = false;
    c.done = last_page;
    Some((Ok(web::Bytes::from(bytes)), c))
}

pub async fn stream_rows(
    caller: Caller,
    state: web::Data<AppState>,
    params: Checked<web::Query<ExportParams>>,
) -> Result<HttpResponse, ApiError> {
    let params = params.open()?.into_inner();
    let format = match params.format.as_deref() {
        None | Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some(other) => {
            return Err(ApiError::Invalid {
                code: ErrorCode::InvalidQuery,
                message: format!("format must be csv or json, not `{}`", cut(other)),
            });
        }
    };
    if params.from >= params.to {
        return Err(ApiError::Invalid {
            code: ErrorCode::InvalidQuery,
            message: "from must be before to".into(),
        });
    }
    let cursor = Cursor {
        metering: Arc::clone(&state.metering),
        organization: caller.principal.organization,
        to: params.to,
        // A customer's member exports their customer's events only.
        customer: caller.principal.customer.clone().or(params.customer),
        after: ExportCursor::start(params.from),
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
            format!("attachment; filename=\"usage.{extension}\""),
        ))
        .streaming(stream::unfold(cursor, next_chunk)))
}
