//! `GET /usage/export?format=csv|json&<the page's query>`: the figures of the view on screen,
//! every meter, as a file. JSON is exactly `GET /api/usage`'s body for the same query; CSV is
//! that body flattened: a row per window and group, a column per meter.

use std::collections::BTreeMap;

use chrono::SecondsFormat;
use tollgate_domain::metering::Meter;

use crate::routes::api::{export::record::neutralised, usage::UsageResponse};

/// The CSV text of `body`: `window_start` (RFC 3339 in UTC, as the JSON), the group's
/// columns when grouped (`group`, and `key_hash_prefix` by key), then every meter by its
/// slug. Rows in time order, then by group; a meter without a value there is `0`.
///
/// # Errors
/// What the CSV writer reports (never for an in-memory buffer in practice).
pub fn csv(body: &UsageResponse) -> Result<Vec<u8>, csv::Error> {
    let grouped = body.group_by.is_some();
    let by_key = body.group_by == Some("key");
    // (window start, group, key hash prefix) → value per meter slug.
    let mut rows: BTreeMap<(String, String, String), BTreeMap<&str, &str>> = BTreeMap::new();
    for series in &body.data {
        let group = series.group.clone().flatten().unwrap_or_default();
        let prefix = series.key_hash_prefix.clone().flatten().unwrap_or_default();
        for point in &series.points {
            let start = point
                .window_start
                .to_rfc3339_opts(SecondsFormat::Secs, true);
            rows.entry((start, group.clone(), prefix.clone()))
                .or_default()
                .insert(series.meter, point.value.as_str());
        }
    }
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    let mut header = vec!["window_start"];
    if grouped {
        header.push("group");
    }
    if by_key {
        header.push("key_hash_prefix");
    }
    header.extend(Meter::ALL.iter().map(Meter::slug));
    writer.write_record(&header)?;
    for ((start, group, prefix), values) in &rows {
        let mut record = vec![start.clone()];
        if grouped {
            // Aliases, teams and models are what LiteLLM's callers chose: never a formula.
            record.push(neutralised(group).into_owned());
        }
        if by_key {
            record.push(prefix.clone());
        }
        record.extend(
            Meter::ALL
                .iter()
                .map(|meter| values.get(meter.slug()).copied().unwrap_or("0").to_owned()),
        );
        writer.write_record(&record)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}
