//! Reading meters back: `GET {url}/api/v1/meters/{slug}/query`, answered
//! `{"from","to","windowSize","data":[{"value","windowStart","windowEnd","subject","groupBy"}]}`.
//!
//! Values are read from the JSON number's own text into a `Decimal` (exponent forms included,
//! as Go writes small doubles like `1e-07`), so nothing is added by a detour through `f64`;
//! OpenMeter itself aggregates in doubles, so the digits past the 15th or so are its own.
//! Failures are the upstream kinds of [`PortError`] ([`crate::upstream`]); a 4xx means the
//! query or the API key is wrong, which asking again will not fix: `Internal`.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::ACCEPT;
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::value::RawValue;
use tollgate_application::PortError;
use tollgate_domain::{metering::Meter, money::parse_decimal};
use url::Url;

use super::{
    OpenMeterConfig,
    outbound::{self, DeliverySetupError},
};
use crate::upstream::Upstream;

const TARGET: &str = "openmeter";
const OPENMETER: Upstream = Upstream(TARGET);

/// `windowSize`: the width of each row's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WindowSize {
    Minute,
    Hour,
    Day,
    Month,
}

impl WindowSize {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Minute => "MINUTE",
            Self::Hour => "HOUR",
            Self::Day => "DAY",
            Self::Month => "MONTH",
        }
    }
}

/// What to ask; `Default` is every subject's total over all history, ungrouped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeterQuery {
    /// Inclusive; all history when `None`.
    pub from: Option<DateTime<Utc>>,
    /// Inclusive; now when `None`.
    pub to: Option<DateTime<Utc>>,
    /// One row per window; one row for the whole range when `None`.
    pub window_size: Option<WindowSize>,
    /// IANA zone for window boundaries (`Europe/Paris`); OpenMeter's default is UTC.
    pub window_time_zone: Option<String>,
    /// Only these subjects (customer ids, or `unattributed`); all when empty.
    pub subjects: Vec<String>,
    /// Group rows by these dimensions (`model`, `provider`, `key`, `team`, `status`, or
    /// `subject`).
    pub group_by: Vec<String>,
}

/// `MeterQueryResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterQueryResult {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub window_size: Option<WindowSize>,
    /// `data`: empty when nothing matched.
    pub rows: Vec<MeterQueryRow>,
}

/// `MeterQueryRow`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterQueryRow {
    pub value: Decimal,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// `None` when the row sums every subject.
    pub subject: Option<String>,
    pub customer_id: Option<String>,
    /// Asked-for dimension → its value; `None` for events without it.
    pub group_by: BTreeMap<String, Option<String>>,
}

pub struct OpenMeterQuery {
    http: reqwest::Client,
    meters: Url,
    api_key: Option<SecretString>,
}

impl OpenMeterQuery {
    /// Uses the `url`, `api_key` and `timeout` of `config`.
    ///
    /// # Errors
    /// When the URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(config: &OpenMeterConfig) -> Result<Self, DeliverySetupError> {
        Ok(Self {
            http: outbound::client(TARGET, config.timeout)?,
            meters: outbound::endpoint(TARGET, &config.url, "api/v1/meters/")?,
            api_key: config.api_key.clone(),
        })
    }

    /// The URL [`query`](Self::query) asks.
    pub fn url(&self, meter: Meter, query: &MeterQuery) -> Url {
        let mut url = self.meters.clone();
        url.set_path(&format!("{}{}/query", self.meters.path(), meter.slug()));
        {
            let mut pairs = url.query_pairs_mut();
            let time = |at: &DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
            if let Some(from) = &query.from {
                pairs.append_pair("from", &time(from));
            }
            if let Some(to) = &query.to {
                pairs.append_pair("to", &time(to));
            }
            if let Some(size) = query.window_size {
                pairs.append_pair("windowSize", size.as_str());
            }
            if let Some(zone) = &query.window_time_zone {
                pairs.append_pair("windowTimeZone", zone);
            }
            for subject in &query.subjects {
                pairs.append_pair("subject", subject);
            }
            for dimension in &query.group_by {
                pairs.append_pair("groupBy", dimension);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        url
    }

    /// # Errors
    /// `Unavailable` when OpenMeter cannot answer now, `TimedOut`, `Internal` for a 4xx,
    /// `InvalidAnswer` for a body that is not a `MeterQueryResult`.
    #[tracing::instrument(name = "openmeter.query", skip_all, fields(meter = meter.slug()))]
    pub async fn query(
        &self,
        meter: Meter,
        query: &MeterQuery,
    ) -> Result<MeterQueryResult, PortError> {
        let mut request = self
            .http
            .get(self.url(meter, query))
            .header(ACCEPT, "application/json");
        if let Some(api_key) = &self.api_key {
            request = request.bearer_auth(api_key.expose_secret());
        }
        let response = OPENMETER
            .send(request)
            .await
            .map_err(|error| OPENMETER.failed(error))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|error| OPENMETER.failed(error))?;
        if status.is_success() {
            return parse(&body);
        }
        if status.is_client_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(PortError::Internal {
                service: TARGET,
                reason: format!(
                    "refused the query (HTTP {}): {}",
                    status.as_u16(),
                    outbound::excerpt(&String::from_utf8_lossy(&body))
                ),
            });
        }
        Err(OPENMETER.status(status, &headers, Utc::now()))
    }
}

/// Reads a `MeterQueryResult` body.
fn parse(body: &[u8]) -> Result<MeterQueryResult, PortError> {
    let wire: WireResult = OPENMETER.decode(body)?;
    let rows = wire
        .data
        .into_iter()
        .map(|row| {
            let value = parse_decimal("value", row.value.get())
                .map_err(|error| OPENMETER.invalid(error.to_string()))?;
            Ok(MeterQueryRow {
                value,
                window_start: row.window_start,
                window_end: row.window_end,
                subject: row.subject,
                customer_id: row.customer_id,
                group_by: row.group_by.unwrap_or_default(),
            })
        })
        .collect::<Result<_, PortError>>()?;
    Ok(MeterQueryResult {
        from: wire.from,
        to: wire.to,
        window_size: wire.window_size,
        rows,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResult {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    window_size: Option<WindowSize>,
    data: Vec<WireRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRow {
    value: Box<RawValue>,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    subject: Option<String>,
    customer_id: Option<String>,
    group_by: Option<BTreeMap<String, Option<String>>>,
}
