//! Lago's billable metrics for Tollgate's meters: one per meter, `code` = the meter's slug.
//!
//! Lago charges name their metric by `billable_metric_id`, so each meter's metric is looked up
//! (`GET /billable_metrics/{slug}`), created when missing (`POST /billable_metrics`: `sum_agg`
//! over the property of the meter's slug, `count_agg` for `requests`: one event, one request),
//! and its id kept for the life of the process. A metric of that code that aggregates anything
//! else is refused rather than silently billed from.
//!
//! Every metric declares the filter `status` (`success`, `failure`): charges bill failed calls
//! only when they include them, through a charge filter on it (see `plans.rs`). A metric found
//! without it (made before) gets it added (`PUT /billable_metrics/{slug}`).

use std::collections::{BTreeMap, HashMap};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Mutex;
use tollgate_application::PortError;
use tollgate_domain::metering::Meter;

use super::client::{LagoClient, Repeat, Reply, decode, refused};

#[derive(Deserialize)]
struct MetricAnswer {
    billable_metric: Metric,
}

#[derive(Deserialize)]
struct Metric {
    lago_id: String,
    aggregation_type: String,
    field_name: Option<String>,
    #[serde(default)]
    filters: Vec<MetricFilter>,
}

#[derive(Deserialize, Serialize, Clone, PartialEq, Eq)]
struct MetricFilter {
    key: String,
    values: Vec<String>,
}

/// The filter charges select successful calls with; its values are every status the Lago
/// target sends.
fn status_filter() -> MetricFilter {
    MetricFilter {
        key: "status".into(),
        values: vec!["success".into(), "failure".into()],
    }
}

/// Each meter's metric id, found or made once.
#[derive(Default)]
pub(super) struct MetricIds {
    known: Mutex<HashMap<Meter, String>>,
}

impl MetricIds {
    /// The ids of `meters`' metrics, each created in Lago when missing.
    ///
    /// # Errors
    /// As the client's calls; `Refused` for a metric of the same code that aggregates
    /// something else.
    pub async fn resolve(
        &self,
        client: &LagoClient,
        meters: &[Meter],
    ) -> Result<BTreeMap<Meter, String>, PortError> {
        let mut ids = BTreeMap::new();
        for &meter in meters {
            // Held across the calls: two plans pushed at once must not both create a metric.
            let mut known = self.known.lock().await;
            let id = match known.get(&meter) {
                Some(id) => id.clone(),
                None => {
                    let id = find_or_create(client, meter).await?;
                    known.insert(meter, id.clone());
                    id
                }
            };
            ids.insert(meter, id);
        }
        Ok(ids)
    }
}

/// `(aggregation_type, field_name)` of the meter's metric.
fn aggregation(meter: Meter) -> (&'static str, Option<&'static str>) {
    match meter {
        Meter::Requests => ("count_agg", None),
        other => ("sum_agg", Some(other.slug())),
    }
}

async fn find_or_create(client: &LagoClient, meter: Meter) -> Result<String, PortError> {
    if let Some(found) = find(client, meter).await? {
        return Ok(found);
    }
    let (aggregation_type, field_name) = aggregation(meter);
    let body = json!({"billable_metric": {
        "name": meter.slug(),
        "code": meter.slug(),
        "description": "Tollgate meter (LLM usage through the gateway)",
        "aggregation_type": aggregation_type,
        "field_name": field_name,
        "recurring": false,
        "filters": [status_filter()],
    }});
    let url = client.url(&["billable_metrics"], &[])?;
    match client
        .send(Method::POST, url, Some(&body), Repeat::Safe)
        .await?
    {
        Reply::Done(answer) => Ok(decode::<MetricAnswer>(&answer)?.billable_metric.lago_id),
        // Made meanwhile by another Tollgate process (or by our own lost first attempt).
        Reply::Refused(refusal) if refusal.has_detail("code", "value_already_exist") => {
            find(client, meter)
                .await?
                .ok_or_else(|| refusal.into_port())
        }
        Reply::Refused(refusal) => Err(refusal.into_port()),
        Reply::NotFound => Err(super::client::internal(
            "Lago has no /billable_metrics endpoint: check lago.url".into(),
        )),
    }
}

async fn find(client: &LagoClient, meter: Meter) -> Result<Option<String>, PortError> {
    let url = client.url(&["billable_metrics", meter.slug()], &[])?;
    let Some(answer) = client.get::<MetricAnswer>(url).await? else {
        return Ok(None);
    };
    let metric = answer.billable_metric;
    let (aggregation_type, field_name) = aggregation(meter);
    let field_matches = field_name.is_none_or(|field| metric.field_name.as_deref() == Some(field));
    if metric.aggregation_type != aggregation_type || !field_matches {
        return Err(refused(format!(
            "Lago's billable metric `{}` is {} over {}, but Tollgate bills it as {aggregation_type}{}",
            meter.slug(),
            metric.aggregation_type,
            metric.field_name.as_deref().unwrap_or("events"),
            field_name
                .map(|f| format!(" over `{f}`"))
                .unwrap_or_default(),
        )));
    }
    if !metric.filters.contains(&status_filter()) {
        add_status_filter(client, meter, metric.filters).await?;
    }
    Ok(Some(metric.lago_id))
}

/// Adds the `status` filter to a metric made without it, keeping its other filters.
async fn add_status_filter(
    client: &LagoClient,
    meter: Meter,
    mut filters: Vec<MetricFilter>,
) -> Result<(), PortError> {
    filters.retain(|filter| filter.key != "status");
    filters.push(status_filter());
    let body = json!({"billable_metric": {"filters": filters}});
    let url = client.url(&["billable_metrics", meter.slug()], &[])?;
    match client
        .send(Method::PUT, url, Some(&body), Repeat::Safe)
        .await?
    {
        Reply::Done(_) => Ok(()),
        Reply::Refused(refusal) => Err(refusal.into_port()),
        Reply::NotFound => Err(super::client::internal(format!(
            "Lago's billable metric `{}` vanished while its status filter was added",
            meter.slug()
        ))),
    }
}
