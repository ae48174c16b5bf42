//! One exported event as a CSV record or a JSON object: the same fields, the same timestamps.
//!
//! CSV cells are neutralised against formula injection (OWASP "CSV injection"): a spreadsheet
//! runs a cell that starts with `=`, `+`, `-` or `@` (and some read past a leading tab or
//! carriage return), and every text field here is what a LiteLLM caller chose (key aliases,
//! tags, user ids). Such a cell gets a leading `'`, which spreadsheets read as "text", and is
//! quoted. JSON keeps every value as stored: it is not opened by spreadsheets.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use tollgate_application::ports::ExportRow;

/// The CSV header and the JSON keys, in column order. The first fifteen are the columns the
/// export always had, in their places, so that readers by position keep working.
pub const HEADER: [&str; 26] = [
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
    "received_at",
    "api_key_hash",
    "user",
    "org",
    "provider_model",
    "call_type",
    "error_code",
    "total_tokens",
    "stream",
    "trace_id",
    "tags",
];

/// The one timestamp format of both exports: RFC 3339 in UTC with `Z` and microseconds,
/// PostgreSQL's precision, so no two stored times print alike.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `cell` as a spreadsheet will not run it: with a leading `'` when it starts with a
/// character that makes a formula.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn text(value: Option<&String>) -> &str {
    value.map_or("", String::as_str)
}

/// The row's cells in [`HEADER`] order, as text (tags as a JSON array), not yet neutralised.
fn cells(r: &ExportRow) -> [String; HEADER.len()] {
    [
        r.id.to_string(),
        r.idempotency_key.clone(),
        timestamp(r.occurred_at),
        text(r.customer.as_ref()).to_owned(),
        text(r.model.as_ref()).to_owned(),
        text(r.provider.as_ref()).to_owned(),
        text(r.api_key_alias.as_ref()).to_owned(),
        text(r.team.as_ref()).to_owned(),
        r.status.clone(),
        r.input_tokens.to_string(),
        r.output_tokens.to_string(),
        r.cached_tokens.to_string(),
        r.reasoning_tokens.to_string(),
        r.cost_usd.normalize().to_string(),
        r.cache_hit.to_string(),
        timestamp(r.received_at),
        text(r.api_key_hash.as_ref()).to_owned(),
        text(r.user.as_ref()).to_owned(),
        text(r.org.as_ref()).to_owned(),
        text(r.provider_model.as_ref()).to_owned(),
        text(r.call_type.as_ref()).to_owned(),
        text(r.error_code.as_ref()).to_owned(),
        r.total_tokens.to_string(),
        r.stream.to_string(),
        text(r.trace_id.as_ref()).to_owned(),
        serde_json::to_string(&r.tags).unwrap_or_else(|_| "[]".to_owned()),
    ]
}

/// CSV records for `rows`, after the header when `with_header`. Text cells are quoted
/// (`QuoteStyle::NonNumeric`), so every neutralised cell is; numbers stay bare. Lines end in
/// `\n`, as the csv crate writes them.
///
/// # Errors
/// What the CSV writer reports (never for an in-memory buffer in practice).
pub fn csv_page(rows: &[ExportRow], with_header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut bytes = Vec::new();
    if with_header {
        // Plain names, which need no quotes.
        bytes.extend_from_slice(HEADER.join(",").as_bytes());
        bytes.push(b'\n');
    }
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(bytes);
    for row in rows {
        let cells = cells(row);
        writer.write_record(cells.iter().map(|cell| neutralised(cell).into_owned()))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The row as a JSON object with [`HEADER`]'s keys; absent values are `null`.
pub fn json_row(r: &ExportRow) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "idempotency_key": r.idempotency_key,
        "occurred_at": timestamp(r.occurred_at),
        "customer": r.customer, "model": r.model, "provider": r.provider,
        "api_key_alias": r.api_key_alias, "team": r.team, "status": r.status,
        "input_tokens": r.input_tokens, "output_tokens": r.output_tokens,
        "cached_tokens": r.cached_tokens, "reasoning_tokens": r.reasoning_tokens,
        // A string: exact, whatever the reader's number type.
        "cost_usd": r.cost_usd.normalize().to_string(), "cache_hit": r.cache_hit,
        "received_at": timestamp(r.received_at),
        "api_key_hash": r.api_key_hash, "user": r.user, "org": r.org,
        "provider_model": r.provider_model, "call_type": r.call_type,
        "error_code": r.error_code, "total_tokens": r.total_tokens, "stream": r.stream,
        "trace_id": r.trace_id, "tags": r.tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cells_that_start_a_formula_are_neutralised() {
        for cell in ["=1+2", "+33 1", "-2", "@SUM(A1)", "\tx", "\r=1"] {
            assert_eq!(neutralised(cell), format!("'{cell}"));
        }
        for cell in ["", "a=1", "1-2", "'quoted", " =1"] {
            assert_eq!(neutralised(cell), cell);
        }
    }
}
