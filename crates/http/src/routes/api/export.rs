//! `GET /api/usage/export?format=csv|json&from&to`: every stored event of a period, streamed
//! page by page so a large period never sits in memory.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::stream;
use serde::Deserialize;
use tollgate_application::{ports::ExportRow, services::metering::MeteringService};
use tollgate_domain::organization::OrganizationId;

use tollgate_domain::ErrorCode;

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

const HEADER: [&str; 15] = [
    "id",
    "idempotency_key",
    "occurred_at",
    "customer",
    "model",
    "provider",
    "api_key_alias",
    "team",
    "status",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_usd",
    "cache_hit",
];

fn csv_page(rows: &[ExportRow], with_header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    if with_header {
        writer.write_record(HEADER)?;
    }
    for r in rows {
        writer.write_record([
            r.id.to_string(),
            r.idempotency_key.clone(),
            r.occurred_at.to_rfc3339(),
            r.customer.clone().unwrap_or_default(),
            r.model.clone().unwrap_or_default(),
            r.provider.clone().unwrap_or_default(),
            r.api_key_alias.clone().unwrap_or_default(),
            r.team.clone().unwrap_or_default(),
            r.status.clone(),
            r.input_tokens.to_string(),
            r.output_tokens.to_string(),
            r.cached_tokens.to_string(),
            r.reasoning_tokens.to_string(),
            r.cost_usd.normalize().to_string(),
            r.cache_hit.to_string(),
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

fn json_row(r: &ExportRow) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "idempotency_key": r.idempotency_key, "occurred_at": r.occurred_at,
        "customer": r.customer, "model": r.model, "provider": r.provider,
        "api_key_alias": r.api_key_alias, "team": r.team, "status": r.status,
        "input_tokens": r.input_tokens, "output_tokens": r.output_tokens,
        "cached_tokens": r.cached_tokens, "reasoning_tokens": r.reasoning_tokens,
        // A string: exact, whatever the reader's number type.
        "cost_usd": r.cost_usd.normalize().to_string(), "cache_hit": r.cache_hit,
    })
}

struct Cursor {
    metering: Arc<MeteringService>,
    organization: OrganizationId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    customer: Option<String>,
    after: i64,
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
        .export_page(
            c.organization,
            c.from,
            c.to,
            c.customer.clone(),
            c.after,
            c.page,
        )
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
        Format::Csv => match csv_page(&rows, c.first) {
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
                bytes.extend_from_slice(json_row(row).to_string().as_bytes());
            }
            if last_page {
                bytes.push(b']');
            }
        }
    }
    if let Some(last) = rows.last() {
        c.after = last.id;
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
                message: format!("format must be csv or json, not {other}"),
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
        from: params.from,
        to: params.to,
        // A customer's member exports their customer's events only.
        customer: caller.principal.customer.clone().or(params.customer),
        after: 0,
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
