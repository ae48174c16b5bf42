//! The OpenMeter usage reader against a local stand-in of `GET /api/v1/meters/{meter}/query`:
//! the exact query it asks, the series it makes of the answers, and what unusable answers
//! become.

#[path = "support/nonsense.rs"]
mod nonsense;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use tollgate_adapters::openmeter::{OpenMeterConfig, OpenMeterQuery, OpenMeterUsageReader};
use tollgate_application::{
    PortError,
    ports::{GroupBy, UsageQuery, UsageReader, Window},
};
use tollgate_domain::{metering::Meter, organization::OrganizationId};
use url::Url;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

fn query(group_by: Option<GroupBy>, customer: Option<&str>) -> UsageQuery {
    UsageQuery {
        from: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        to: Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap(),
        window: Window::Day,
        time_zone: "Europe/Paris".into(),
        group_by,
        customer: customer.map(str::to_owned),
    }
}

fn reader(server: &MockServer) -> OpenMeterUsageReader {
    let mut config = OpenMeterConfig::new(Url::parse(&server.uri()).expect("stand-in URL"));
    config.timeout = nonsense::TIMEOUT;
    OpenMeterUsageReader::new(OpenMeterQuery::new(&config).expect("client"))
}

#[tokio::test]
async fn each_meter_is_asked_with_the_window_zone_and_grouping() {
    let server = MockServer::start().await;
    for meter in Meter::ALL {
        let value = if meter == Meter::CostUsd {
            "4.9999999999999996e-06"
        } else {
            "3"
        };
        let body = format!(
            r#"{{"from":"2026-11-01T00:00:00Z","to":"2026-11-03T00:00:00Z","windowSize":"DAY",
               "data":[
                 {{"value":{value},"windowStart":"2026-11-02T00:00:00Z","windowEnd":"2026-11-03T00:00:00Z","subject":"cust-2","groupBy":{{}}}},
                 {{"value":1,"windowStart":"2026-11-01T00:00:00Z","windowEnd":"2026-11-02T00:00:00Z","subject":"cust-1","groupBy":{{}}}},
                 {{"value":9,"windowStart":"2026-11-03T00:00:00Z","windowEnd":"2026-11-04T00:00:00Z","subject":"cust-1","groupBy":{{}}}}
               ]}}"#
        );
        Mock::given(matchers::method("GET"))
            .and(matchers::path(format!(
                "/api/v1/meters/{}/query",
                meter.slug()
            )))
            .and(matchers::query_param("windowSize", "DAY"))
            .and(matchers::query_param("windowTimeZone", "Europe/Paris"))
            .and(matchers::query_param("groupBy", "subject"))
            .and(matchers::query_param("from", "2026-11-01T00:00:00Z"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .expect(1)
            .mount(&server)
            .await;
    }

    let series = reader(&server)
        .usage(OrganizationId::new(), &query(Some(GroupBy::Customer), None))
        .await
        .unwrap();

    let cost: Vec<_> = series
        .iter()
        .filter(|s| s.meter == Meter::CostUsd)
        .collect();
    assert_eq!(cost.len(), 2, "one series per customer");
    assert_eq!(cost[0].group.as_deref(), Some("cust-1"));
    // The window starting at `to` is outside Tollgate's half-open range.
    assert_eq!(cost[0].points.len(), 1);
    assert_eq!(cost[1].group.as_deref(), Some("cust-2"));
    assert_eq!(
        cost[1].points[0].value,
        "0.0000049999999999999996".parse::<Decimal>().unwrap()
    );
}

#[tokio::test]
async fn a_customer_filter_becomes_a_subject_and_outages_are_unavailable() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::query_param("subject", "cust-7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "from": null, "to": null, "windowSize": "DAY", "data": []
        })))
        .expect(Meter::ALL.len() as u64)
        .mount(&server)
        .await;
    let series = reader(&server)
        .usage(OrganizationId::new(), &query(None, Some("cust-7")))
        .await
        .unwrap();
    assert!(series.is_empty());

    let down = MockServer::start().await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&down)
        .await;
    let result = reader(&down)
        .usage(OrganizationId::new(), &query(None, None))
        .await;
    assert!(matches!(result, Err(PortError::Unavailable { .. })));
}

#[tokio::test]
async fn unusable_answers_become_their_upstream_kind() {
    for nonsense in nonsense::ALL {
        let server = MockServer::start().await;
        Mock::given(matchers::any())
            .respond_with(nonsense.answer())
            .mount(&server)
            .await;
        let error = reader(&server)
            .usage(OrganizationId::new(), &query(None, None))
            .await
            .expect_err("no usage from an unusable answer");
        nonsense.assert_becomes("openmeter", &error);
    }
}
