//! Lago event delivery reads the customer → subscription mapping from the subscriptions made
//! over the API.

use std::{str::FromStr, sync::Arc, time::Duration};

use chrono::Utc;
use rust_decimal::Decimal;
use secrecy::SecretString;
use tollgate_adapters::lago::{
    LagoConfig, LagoEventsTarget, PgSubscriptionLookup, StaticSubscriptions,
};
use tollgate_application::ports::{DeliveryOutcome, DeliveryTarget, OutboxItem};
use tollgate_domain::{
    money::UsdAmount,
    organization::OrganizationId,
    usage::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label, TokenUsage},
};
use url::Url;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::*;
use crate::identity::support::{org_id, pool};

fn event(organization: OrganizationId, key: &str, customer: &str) -> OutboxItem {
    OutboxItem {
        outbox_id: 1,
        event_id: 1,
        organization,
        attempts: 0,
        queued_at: Utc::now(),
        lease_until: Utc::now(),
        event: EventPayload {
            idempotency_key: IdempotencyKey::parse(key).expect("a key"),
            occurred_at: Utc::now(),
            customer: Some(CustomerId::parse(customer).expect("a customer")),
            api_key_hash: Label::new("9f86d081884c7d65"),
            api_key_alias: None,
            user_id: None,
            team_id: None,
            org_id: None,
            model_group: Label::new("gpt-4o"),
            provider_model: None,
            provider: Label::new("openai"),
            call_type: None,
            status: CallStatus::Success,
            tokens: TokenUsage::from_signed(10, 5, 15, 0, 0).expect("tokens"),
            cost: UsdAmount::new(Decimal::from_str("0.01").expect("a cost")).expect("a cost"),
            cache_hit: false,
            stream: false,
            trace_id: None,
            request_tags: vec![],
        },
    }
}

/// The subscription each call's events went to, in order: a call is one Lago event per meter,
/// so the ids of a call's events are folded into one `(key, subscription)`.
fn sent_subscriptions(requests: &[wiremock::Request]) -> Vec<String> {
    let mut calls: Vec<(String, String)> = requests
        .iter()
        .flat_map(|request| {
            let body: Value = serde_json::from_slice(&request.body).expect("JSON");
            body["events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|e| {
                    let id = e["transaction_id"].as_str().expect("a transaction id");
                    let (key, _meter) = id.rsplit_once(':').expect("`<key>:<meter>`");
                    let subscription = e["external_subscription_id"].as_str().expect("an id");
                    (key.to_owned(), subscription.to_owned())
                })
        })
        .collect();
    calls.dedup();
    calls
        .into_iter()
        .map(|(_, subscription)| subscription)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lago_delivery_bills_each_customer_to_its_subscription_in_the_database() {
    let (app, acme) = shop().await;
    customer(&app, WRITE_KEY, "initech", "USD").await;
    let body = json!({ "customer_id": acme, "plan_code": "basic", "external_id": "sub-acme-1" });
    expect_status(subscribe(&app, WRITE_KEY, &body).await, 201).await;

    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/events/batch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "events": [] })))
        .mount(&server)
        .await;
    // `configured` is billed where the configuration says, whatever the table holds.
    let overrides =
        StaticSubscriptions::new([("configured".to_owned(), "sub-from-config".to_owned())].into());
    let lookup = PgSubscriptionLookup::new(pool(&app), overrides).with_ttl(Duration::ZERO);
    let target = LagoEventsTarget::new(LagoConfig::new(
        Url::parse(&server.uri()).expect("a URL"),
        SecretString::from("lago-key"),
        Arc::new(lookup),
    ))
    .expect("a target");
    let organization = OrganizationId::from_uuid(org_id(&app, "default").await);
    let elsewhere = OrganizationId::new();

    let outcomes = target
        .deliver(&[
            event(organization, "req-1", "acme"),
            event(organization, "req-2", "initech"),
            event(organization, "req-3", "configured"),
            // The same customer id in another organization has no subscription.
            event(elsewhere, "req-4", "acme"),
        ])
        .await;

    assert_eq!(outcomes[0], DeliveryOutcome::Delivered);
    assert!(
        matches!(&outcomes[1], DeliveryOutcome::Waiting { .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[2], DeliveryOutcome::Delivered);
    assert!(
        matches!(&outcomes[3], DeliveryOutcome::Waiting { .. }),
        "{outcomes:?}"
    );
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        sent_subscriptions(&requests),
        ["sub-acme-1", "sub-from-config"]
    );

    // Once initech subscribes, its waiting events go.
    let initech = app
        .scalar_text(
            "SELECT id::text AS value FROM billing_customers WHERE external_id = 'initech'",
        )
        .await
        .expect("initech");
    let body = json!({ "customer_id": initech, "plan_code": "pro" });
    let (_, created) = expect_status(subscribe(&app, WRITE_KEY, &body).await, 201).await;
    let outcomes = target
        .deliver(&[event(organization, "req-2", "initech")])
        .await;
    assert_eq!(outcomes, [DeliveryOutcome::Delivered]);
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        sent_subscriptions(&requests[1..]),
        [created["external_id"].as_str().expect("an external id")]
    );
}
