//! The usage pages over plain HTTP (`tests/ui/usage.rs` walks them in Chromium): the JSON
//! download is exactly the API's answer for the same view and the CSV flattens it; a view
//! the page would refuse is a 400; an OpenMeter that cannot answer degrades only the
//! chart's section; a customer member opens none of them.

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{page, sign_in};
use crate::{
    delivery::{KEY, api_key, dispatcher, drain, pool, post_all, spread_events},
    helpers::TestApp,
};

/// The week `spread_events` falls in, as the page asks for it and as the API does.
const VIEW: &str = "period=custom&from=2026-11-24&to=2026-11-29&window=day&group_by=key";
const API: &str =
    "/api/usage?from=2026-11-24T00:00:00Z&to=2026-11-30T00:00:00Z&window=DAY&group_by=key";

#[tokio::test(flavor = "multi_thread")]
async fn the_json_download_is_the_apis_answer_and_the_csv_flattens_it() {
    let app = TestApp::spawn_with(|settings| settings.delivery.run_in_server = false).await;
    let mut events = spread_events(12);
    for (i, event) in events.iter_mut().enumerate() {
        // A key alias is whatever LiteLLM's operator typed: a formula must stay text.
        let (hash, alias) = if i % 2 == 0 {
            ("c".repeat(64), "=SUM(1)")
        } else {
            ("d".repeat(64), "batch")
        };
        event["metadata"]["user_api_key_hash"] = json!(hash);
        event["metadata"]["user_api_key_alias"] = json!(alias);
    }
    post_all(&app, &events).await;
    assert_eq!(drain(&dispatcher(&pool(&app), 100)).await, 12);
    api_key(&app, "{usage:read}").await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;

    let json = page(&app, &cookie, &format!("/usage/export?format=json&{VIEW}")).await;
    assert_eq!(json.status(), 200);
    assert!(
        json.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"usage-20261124-20261129.json\"")
    );
    let downloaded: Value = json.json().await.unwrap();
    let answered: Value = app
        .client
        .get(app.url(API))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(downloaded, answered);

    let csv = page(&app, &cookie, &format!("/usage/export?format=csv&{VIEW}")).await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "window_start",
            "group",
            "key_hash_prefix",
            "input_tokens",
            "output_tokens",
            "cached_tokens",
            "reasoning_tokens",
            "requests",
            "cost_usd",
            "cache_hits"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let requests: u64 = records.iter().map(|r| r[7].parse::<u64>().unwrap()).sum();
    assert_eq!(requests, 12);
    let groups: std::collections::BTreeSet<(&str, &str)> =
        records.iter().map(|r| (&r[1], &r[2])).collect();
    assert_eq!(
        groups.into_iter().collect::<Vec<_>>(),
        [("'=SUM(1)", "cccccccc"), ("batch", "dddddddd")],
        "{text}"
    );
    // The page shows the same total as the download.
    let html = page(&app, &cookie, &format!("/usage?meter=requests&{VIEW}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<strong>12</strong>"), "{html}");
    assert!(html.contains("=SUM(1) (cccccccc)"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_view_the_page_would_refuse_is_refused_and_says_why() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "billing"]).await;
    let refused = page(&app, &cookie, "/usage?group_by=planet&tz=Mars%2FOlympus").await;
    assert_eq!(refused.status(), 400);
    let html = refused.text().await.unwrap();
    assert!(html.contains("id=\"group_by-error\""), "{html}");
    assert!(html.contains("That time zone is unknown"), "{html}");
    // The form keeps working from what could be used.
    assert!(html.contains("<option value=\"\" selected>"), "{html}");

    for path in [
        "/usage/export?format=xml",
        "/usage/export?format=csv&period=custom&from=2026-11-05&to=2026-11-01",
        "/usage/events/export?status=maybe",
    ] {
        let response = page(&app, &cookie, path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert!(response.text().await.unwrap().contains("invalid_query"));
    }
    let events = page(&app, &cookie, "/usage/events?from=yesterday&cursor=forged").await;
    assert_eq!(events.status(), 400);
    let html = events.text().await.unwrap();
    assert!(html.contains("A time must be a date and time"), "{html}");
    assert!(
        html.contains("That page link is not valid any more"),
        "{html}"
    );
    // Not an event id, or no such event: a 404 page.
    for path in ["/usage/events/not-a-number", "/usage/events/424242"] {
        assert_eq!(page(&app, &cookie, path).await.status(), 404, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_openmeter_that_cannot_answer_degrades_only_the_chart() {
    let openmeter = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("openmeter-internal"))
        .mount(&openmeter)
        .await;
    let url = openmeter.uri();
    let app = TestApp::spawn_with(move |settings| {
        settings.delivery.run_in_server = false;
        settings.openmeter.url = url;
        settings.openmeter.request_timeout_ms = 300;
        // With Lago, the embedded rollups are not kept: nothing can stand in.
        settings.lago.url = "http://127.0.0.1:9".into();
        settings.lago.api_key = Some(secrecy::SecretString::from("lago-test-key"));
    })
    .await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    let usage = page(&app, &cookie, "/usage?period=7d").await;
    assert_eq!(usage.status(), 200);
    let html = usage.text().await.unwrap();
    assert!(
        html.contains("OpenMeter cannot be reached right now"),
        "{html}"
    );
    assert!(html.contains("unavailable"), "{html}");
    assert!(
        html.contains("<select id=\"meter\""),
        "the form is still there"
    );
    assert!(!html.contains("openmeter-internal"));
    // The events are Tollgate's own: the list is whole.
    assert_eq!(page(&app, &cookie, "/usage/events").await.status(), 200);
    // A download cannot be half a file: it fails as a whole.
    let download = page(&app, &cookie, "/usage/export?format=csv").await;
    assert_eq!(download.status(), 503);
    assert!(download.headers().contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_member_opens_none_of_the_usage_pages() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(
        &app,
        &[
            "--org",
            "default",
            "--role",
            "customer",
            "--customer",
            "acme",
        ],
    )
    .await;
    for path in [
        "/usage",
        "/usage/export?format=csv",
        "/usage/events",
        "/usage/events/export",
        "/usage/events/1",
    ] {
        assert_eq!(page(&app, &cookie, path).await.status(), 403, "{path}");
    }
}
