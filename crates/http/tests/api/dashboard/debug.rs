//! The debug panel's upstream calls: with debug mode on, a page lists each call it made to an
//! outside system with its status and time, and nothing that could carry a secret (no query,
//! no host, no key); with debug mode off there is no panel at all.

use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{organization, page, sign_in};
use crate::helpers::TestApp;

const OPENMETER_KEY: &str = "om-key-never-shown";

async fn set_debug_mode(app: &TestApp, on: bool) {
    let org = organization(app).await;
    crate::identity::support::execute(
        app,
        &format!(
            "INSERT INTO organization_settings (organization_id, debug_mode) VALUES ('{org}', {on})
             ON CONFLICT (organization_id) DO UPDATE SET debug_mode = {on}"
        ),
    )
    .await
    .expect("debug mode set");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_debug_mode_on_a_page_lists_its_upstream_calls_with_status_and_time() {
    let openmeter = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path_regex(r"^/api/v1/meters/[a-z_]+/query$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [] })))
        .mount(&openmeter)
        .await;
    let url = openmeter.uri();
    let app = TestApp::spawn_with(move |settings| {
        settings.delivery.run_in_server = false;
        settings.openmeter.url = url;
        settings.openmeter.api_key = Some(secrecy::SecretString::from(OPENMETER_KEY));
        // With Lago, the embedded rollups are not kept: the usage page asks OpenMeter.
        settings.lago.url = "http://127.0.0.1:9".into();
        settings.lago.api_key = Some(secrecy::SecretString::from("lago-test-key"));
    })
    .await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;

    let off = page(&app, &cookie, "/usage?period=7d").await;
    assert_eq!(off.status(), 200);
    let html = off.text().await.unwrap();
    assert!(!html.contains("debug-heading"), "off by default: {html}");
    assert!(!html.contains("/api/v1/meters/"), "{html}");
    let asked_while_off = openmeter.received_requests().await.unwrap().len();
    assert!(asked_while_off > 0, "the page asks OpenMeter");

    set_debug_mode(&app, true).await;
    let on = page(&app, &cookie, "/usage?period=7d").await;
    assert_eq!(on.status(), 200);
    let html = on.text().await.unwrap();
    let panel = &html[html.find("id=\"debug-calls-heading\"").expect("the calls")..];
    let asked = &openmeter.received_requests().await.unwrap()[asked_while_off..];
    assert!(!asked.is_empty());
    for request in asked {
        assert!(
            request.url.query().is_some(),
            "OpenMeter is asked with a query"
        );
        let row = format!("<code>GET {}</code>", request.url.path());
        let at = panel
            .find(&row)
            .unwrap_or_else(|| panic!("{row} in {panel}"));
        let rest = &panel[at..];
        let cells = &rest[..rest.find("</tr>").unwrap()];
        assert!(cells.contains("<td>200</td>"), "{cells}");
        assert!(cells.contains(" ms</td>"), "{cells}");
        assert!(panel.contains("<td>openmeter</td>"), "{panel}");
    }
    for secret in [OPENMETER_KEY, "windowSize=", "from=", "127.0.0.1"] {
        assert!(!panel.contains(secret), "{secret} in {panel}");
    }

    set_debug_mode(&app, false).await;
    let html = page(&app, &cookie, "/usage?period=7d")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("debug-heading"), "{html}");
    assert!(!html.contains("debug-calls-heading"), "{html}");
}
