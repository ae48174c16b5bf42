//! The data inventory against the real schema, the Art. 30 record built from it, and the
//! data-residency refusal at startup. Consents and exports in the submodules.

mod consents;
mod exports;

use reqwest::Method;
use tollgate_domain::{access::Role, privacy::inventory};
use tollgate_http::{bootstrap::Application, settings::Settings};

use crate::{
    helpers::TestApp,
    identity::support::{call, expect_status, member, send},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_column_of_the_migrated_schema_is_classified() {
    let app = TestApp::spawn().await;
    let rows = app
        .texts(
            "SELECT table_name || '.' || column_name AS value FROM information_schema.columns
             WHERE table_schema = 'public' ORDER BY 1",
        )
        .await;
    let columns: Vec<(String, String)> = rows
        .into_iter()
        .flatten()
        .map(|name| {
            let (table, column) = name.split_once('.').unwrap();
            (table.to_owned(), column.to_owned())
        })
        .collect();
    assert!(columns.len() > 250, "read the schema: {}", columns.len());

    let (unclassified, vanished) =
        inventory::differences(columns.iter().map(|(t, c)| (t.as_str(), c.as_str())));

    assert!(
        unclassified.is_empty(),
        "classify these columns in crates/domain/src/privacy/inventory/tables.rs: {unclassified:?}"
    );
    assert!(
        vanished.is_empty(),
        "the inventory lists columns the schema does not have: {vanished:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_read_the_record_of_processing_with_the_configured_recipients() {
    let app = TestApp::spawn_with(|settings| {
        settings.openmeter.url = "http://openmeter.internal.example:8888".to_owned();
        settings.privacy.allowed_hosts = vec!["OpenMeter.internal.example".to_owned()];
    })
    .await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let viewer = member(&app, "default", "victor", Role::Viewer).await;

    let (_, record) = expect_status(
        send(call(&app, Method::GET, "/api/privacy/records", &owner)).await,
        200,
    )
    .await;

    let openmeter =
        serde_json::json!([{"name": "openmeter", "host": "openmeter.internal.example"}]);
    assert_eq!(record["recipients"], openmeter, "{record}");
    let activities = record["activities"].as_array().unwrap();
    let customers = activities
        .iter()
        .find(|a| a["table"] == "billing_customers")
        .unwrap();
    assert_eq!(customers["legal_basis"], "contract");
    // Customers go to Lago, which is not configured here.
    assert_eq!(customers["recipients"], serde_json::json!([]));
    let events = activities
        .iter()
        .find(|a| a["table"] == "usage_events")
        .unwrap();
    assert_eq!(events["recipients"], openmeter);
    assert!(
        customers["categories"]
            .as_array()
            .unwrap()
            .contains(&"contact".into())
    );
    let invoices = activities
        .iter()
        .find(|a| a["table"] == "billing_invoices")
        .unwrap();
    assert_eq!(invoices["retention"]["kind"], "statutory_hold");
    assert!(activities.iter().all(|a| a["table"] != "organizations"));

    let refused = send(call(&app, Method::GET, "/api/privacy/records", &viewer)).await;
    assert_eq!(refused.status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbound_host_missing_from_allowed_hosts_refuses_the_start() {
    let mut settings = Settings::load().unwrap();
    settings.openmeter.url = "https://openmeter.us-east.example".to_owned();
    settings.privacy.allowed_hosts = vec!["openmeter.eu-west.example".to_owned()];

    let refusal = Application::build(settings)
        .await
        .err()
        .unwrap()
        .to_string();

    assert!(
        refusal.contains("openmeter.us-east.example") && refusal.contains("allowed_hosts"),
        "{refusal}"
    );
}
