//! The meter query client: the documented query parameters, exact decimal values, and the
//! errors told apart (unusable answers: `openmeter_usage.rs`).

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_adapters::openmeter::{MeterQuery, OpenMeterQuery, WindowSize};
use tollgate_application::PortError;
use tollgate_domain::metering::Meter;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::building_blocks::*;

#[tokio::test]
async fn a_meter_query_sends_the_documented_parameters_and_reads_exact_values() -> TestResult {
    let server = MockServer::start().await;
    let body = r#"{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","windowSize":"HOUR",
        "data":[
          {"value":0.0000049999999999999996,"windowStart":"2026-11-01T00:00:00Z","windowEnd":"2026-11-01T01:00:00Z","subject":"acme","groupBy":{"model":"gpt-4o","team":null}},
          {"value":1e-07,"windowStart":"2026-11-01T01:00:00Z","windowEnd":"2026-11-01T02:00:00Z","subject":null,"customerId":"01J0000000000000000000000A","groupBy":{}},
          {"value":12,"windowStart":"2026-11-01T02:00:00Z","windowEnd":"2026-11-01T03:00:00Z","subject":"globex","groupBy":{"model":"gpt-4o-mini","team":"t1"}}
        ]}"#;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/meters/cost_usd/query"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let mut config = config(&server)?;
    config.api_key = Some("om_test_key".to_owned().into());
    let client = OpenMeterQuery::new(&config)?;
    let query = MeterQuery {
        from: Some(
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
                .single()
                .ok_or("time")?,
        ),
        to: Some(
            Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0)
                .single()
                .ok_or("time")?,
        ),
        window_size: Some(WindowSize::Hour),
        window_time_zone: Some("Europe/Paris".into()),
        subjects: vec!["acme".into(), "globex".into()],
        group_by: vec!["model".into(), "team".into()],
    };

    let result = client.query(Meter::CostUsd, &query).await?;

    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].url.query(),
        Some(
            "from=2026-11-01T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z&windowSize=HOUR\
             &windowTimeZone=Europe%2FParis&subject=acme&subject=globex&groupBy=model&groupBy=team"
        )
    );
    assert_eq!(
        sent[0].headers.get("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer om_test_key"[..])
    );
    assert_eq!(result.window_size, Some(WindowSize::Hour));
    assert_eq!(result.from, query.from);
    assert_eq!(result.rows.len(), 3);
    assert_eq!(result.rows[0].value.to_string(), ODD_COST);
    assert_eq!(result.rows[0].subject.as_deref(), Some("acme"));
    assert_eq!(
        result.rows[0].group_by.get("model"),
        Some(&Some("gpt-4o".to_owned()))
    );
    assert_eq!(result.rows[0].group_by.get("team"), Some(&None));
    assert_eq!(result.rows[1].value, Decimal::new(1, 7));
    assert_eq!(result.rows[1].subject, None);
    assert_eq!(
        result.rows[1].customer_id.as_deref(),
        Some("01J0000000000000000000000A")
    );
    assert_eq!(result.rows[2].value, Decimal::from(12));
    assert_eq!(
        result.rows[2].window_start,
        Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0)
            .single()
            .ok_or("time")?
    );
    Ok(())
}

#[tokio::test]
async fn an_empty_query_has_no_parameters_and_errors_are_told_apart() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/meters/requests/query"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"data":[]}"#, "application/json"))
        .mount(&server)
        .await;
    Mock::given(matchers::path("/api/v1/meters/input_tokens/query"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw(r#"{"detail":"bad window"}"#, "application/problem+json"),
        )
        .mount(&server)
        .await;
    Mock::given(matchers::path("/api/v1/meters/output_tokens/query"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = OpenMeterQuery::new(&config(&server)?)?;

    let empty = client
        .query(Meter::Requests, &MeterQuery::default())
        .await?;
    assert!(empty.rows.is_empty() && empty.window_size.is_none());
    assert_eq!(requests(&server).await[0].url.query(), None);
    assert!(matches!(
        client.query(Meter::InputTokens, &MeterQuery::default()).await,
        // Tollgate asked wrongly: asking again will not help, and it is not OpenMeter's fault.
        Err(PortError::Internal { service: "openmeter", reason })
            if reason.contains("HTTP 400") && reason.contains("bad window")
    ));
    assert!(matches!(
        client
            .query(Meter::OutputTokens, &MeterQuery::default())
            .await,
        Err(PortError::Unavailable {
            service: "openmeter",
            ..
        })
    ));
    Ok(())
}
