//! With OpenMeter and no Lago, every event also goes to the embedded meters: when OpenMeter
//! cannot answer, their current rollups do, and the answer says which source it came from.

use rust_decimal::Decimal;

use super::*;
use crate::delivery::{dispatcher, drain, pool, post_all, spread_events};

fn requests(body: &Value) -> Decimal {
    body["data"]
        .as_array()
        .expect("series")
        .iter()
        .filter(|s| s["meter"] == "requests")
        .flat_map(|s| s["points"].as_array().expect("points").iter())
        .map(|p| {
            p["value"]
                .as_str()
                .expect("text")
                .parse::<Decimal>()
                .expect("decimal")
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openmeter_unable_to_answer_is_replaced_by_the_current_embedded_rollups() {
    let answers = [
        ResponseTemplate::new(503).set_body_string(OPENMETER_SAID),
        ResponseTemplate::new(429).insert_header("retry-after", "42"),
        ResponseTemplate::new(200)
            .set_body_raw(r#"{"data": []}"#, "application/json")
            .set_delay(Duration::from_secs(3)),
        ResponseTemplate::new(200).set_body_raw(r#"{"data": "not rows"}"#, "application/json"),
    ];
    for answer in answers {
        let (app, _openmeter) = app_with_openmeter_and(answer, false).await;
        post_all(&app, &spread_events(30)).await;
        drain(&dispatcher(&pool(&app), 100)).await;

        let (status, source, body) = usage_and(&app, "tollgate-usage-source").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(source.as_deref(), Some("embedded"));
        assert_eq!(body["source"], "embedded");
        assert_eq!(requests(&body), Decimal::from(30), "{body}");
        assert!(!body.to_string().contains(OPENMETER_SAID));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answering_openmeter_is_named_as_the_source() {
    let empty = ResponseTemplate::new(200).set_body_raw(r#"{"data": []}"#, "application/json");
    let (app, _openmeter) = app_with_openmeter_and(empty, false).await;
    let (status, source, body) = usage_and(&app, "tollgate-usage-source").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(source.as_deref(), Some("openmeter"));
    assert_eq!(body["source"], "openmeter");
}
