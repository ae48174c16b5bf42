//! `Idempotency-Key` on `POST /api/...`: a retry with the same key and request gets the first
//! answer and runs nothing; the key on another request is refused; a key whose request still
//! runs is busy; a 5xx or a dead request lets go of it; organizations do not share keys.

use std::time::Duration;

use reqwest::{Method, Response};
use serde_json::{Value, json};
use tollgate_adapters::postgres::PgIdempotencyStore;
use tollgate_application::ports::{Begun, IdempotencyStore};
use tollgate_domain::{
    access::Role,
    idempotency::{RequestFingerprint, RequestKey},
    organization::OrganizationId,
};

use crate::{
    billing::{OTHER_KEY, WRITE_KEY, api_key, customer},
    helpers::{TestApp, status_and_json},
    identity::support::{
        batch, call, create_org, expect_error, expect_status, member, org_id, pool, send,
    },
};

const CUSTOMERS: &str = "/api/billing/customers";

async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    app
}

async fn post_with_key(
    app: &TestApp,
    path: &str,
    bearer: &str,
    key: &str,
    body: &Value,
) -> Response {
    let request = call(app, Method::POST, path, bearer)
        .header("Idempotency-Key", key)
        .json(body);
    send(request).await
}

/// Status, whether it is a replay, and the JSON body.
async fn answer(response: Response) -> (u16, bool, Value) {
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let (status, body) = status_and_json(response).await;
    (status, replayed, body)
}

async fn customers(app: &TestApp) -> i64 {
    app.count("billing_customers").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_and_request_answer_the_first_answer_and_run_once() {
    let app = app().await;
    let body = customer("cust_1");
    let first =
        answer(post_with_key(&app, CUSTOMERS, WRITE_KEY, "create-cust-1", &body).await).await;
    let again =
        answer(post_with_key(&app, CUSTOMERS, WRITE_KEY, "create-cust-1", &body).await).await;
    assert_eq!((first.0, first.1), (201, false), "{}", first.2);
    assert_eq!((again.0, again.1), (201, true), "{}", again.2);
    assert_eq!(again.2, first.2);
    assert_eq!(customers(&app).await, 1);
    assert_eq!(
        app.count_where("audit_log", "action = 'customer.create'")
            .await,
        1
    );

    // A refusal is kept too: the retry cannot change it.
    let bad = json!({ "external_id": "cust_2" });
    let refused = answer(post_with_key(&app, CUSTOMERS, WRITE_KEY, "bad-1", &bad).await).await;
    let again = answer(post_with_key(&app, CUSTOMERS, WRITE_KEY, "bad-1", &bad).await).await;
    assert_eq!(refused.0, 400, "{}", refused.2);
    assert_eq!((again.0, again.1, &again.2), (400, true, &refused.2));

    // Without the header nothing is kept; a GET ignores it.
    let plain =
        send(call(&app, Method::POST, CUSTOMERS, WRITE_KEY).json(&customer("cust_3"))).await;
    expect_status(plain, 201).await;
    let listed = send(
        call(&app, Method::GET, CUSTOMERS, WRITE_KEY).header("Idempotency-Key", "create-cust-1"),
    )
    .await;
    expect_status(listed, 200).await;
    assert_eq!(app.count("idempotency_keys").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_on_another_request_is_refused() {
    let app = app().await;
    let first = post_with_key(&app, CUSTOMERS, WRITE_KEY, "k", &customer("cust_1")).await;
    expect_status(first, 201).await;
    let other_body = post_with_key(&app, CUSTOMERS, WRITE_KEY, "k", &customer("cust_2")).await;
    expect_error(other_body, 422, "idempotency_key_reused").await;
    let other_path = post_with_key(
        &app,
        "/api/billing/plans",
        WRITE_KEY,
        "k",
        &customer("cust_1"),
    )
    .await;
    expect_error(other_path, 422, "idempotency_key_reused").await;
    assert_eq!(customers(&app).await, 1);

    // Past 24 hours the key is free again (and expired keys are purged on the way).
    batch(
        &app,
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'",
    )
    .await
    .expect("the key ages");
    let later = post_with_key(&app, CUSTOMERS, WRITE_KEY, "k", &customer("cust_2")).await;
    let (status, replayed, _) = answer(later).await;
    assert_eq!((status, replayed), (201, false));
    assert_eq!(customers(&app).await, 2);
    batch(
        &app,
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'",
    )
    .await
    .expect("the key ages");
    let fresh = post_with_key(&app, CUSTOMERS, WRITE_KEY, "another", &customer("cust_3")).await;
    expect_status(fresh, 201).await;
    let keys = app.texts("SELECT key AS value FROM idempotency_keys").await;
    assert_eq!(keys, [Some("another".to_owned())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_whose_request_still_runs_is_busy_until_it_answers_or_its_lock_expires() {
    let app = app().await;
    let organization = OrganizationId::from_uuid(org_id(&app, "default").await);
    let body = customer("cust_1");
    let text = serde_json::to_vec(&body).expect("JSON");
    let key = RequestKey::parse("slow-1").expect("a key");
    let fingerprint = RequestFingerprint::of("POST", CUSTOMERS, &text);
    // Another replica's request with the same key and body, still running.
    let store = PgIdempotencyStore::new(pool(&app));
    let day = Duration::from_secs(86_400);
    let Begun::Claimed(lease) = store
        .begin(
            organization,
            &key,
            &fingerprint,
            Duration::from_secs(60),
            day,
        )
        .await
        .expect("the store answers")
    else {
        panic!("the key is free");
    };
    let busy = post_with_key(&app, CUSTOMERS, WRITE_KEY, "slow-1", &body).await;
    expect_error(busy, 409, "idempotency_key_in_use").await;
    // Another body with the busy key is another request.
    let other = post_with_key(&app, CUSTOMERS, WRITE_KEY, "slow-1", &customer("cust_2")).await;
    expect_error(other, 422, "idempotency_key_reused").await;
    assert_eq!(customers(&app).await, 0);

    // It died: once its lock has expired, the retry runs.
    batch(
        &app,
        "UPDATE idempotency_keys SET locked_until = now() - interval '1 second'",
    )
    .await
    .expect("the lock expires");
    let retried = post_with_key(&app, CUSTOMERS, WRITE_KEY, "slow-1", &body).await;
    let (status, replayed, _) = answer(retried).await;
    assert_eq!((status, replayed), (201, false));
    // The dead request's lease can no longer write over the retry's answer.
    store
        .abandon(organization, &key, lease)
        .await
        .expect("the store answers");
    let replay = post_with_key(&app, CUSTOMERS, WRITE_KEY, "slow-1", &body).await;
    let (status, replayed, _) = answer(replay).await;
    assert_eq!((status, replayed), (201, true));
    assert_eq!(customers(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_with_one_key_run_once() {
    let app = app().await;
    let body = customer("cust_1");
    let answers = futures_util::future::join_all(
        (0..6).map(|_| post_with_key(&app, CUSTOMERS, WRITE_KEY, "race", &body)),
    )
    .await;
    let mut statuses = Vec::new();
    for response in answers {
        let (status, replayed, body) = answer(response).await;
        if status == 409 {
            assert_eq!(body["error"]["code"], "idempotency_key_in_use", "{body}");
        }
        statuses.push((status, replayed));
    }
    let ran = statuses.iter().filter(|s| **s == (201, false)).count();
    assert_eq!(ran, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s, (201, _) | (409, false))),
        "{statuses:?}"
    );
    assert_eq!(customers(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_lets_go_of_the_key_so_the_retry_runs() {
    let app = app().await;
    batch(
        &app,
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = 'XX000'; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON billing_customers
            FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .await
    .expect("the fault is injected");
    let body = customer("cust_1");
    let failed = post_with_key(&app, CUSTOMERS, WRITE_KEY, "retry-me", &body).await;
    expect_error(failed, 500, "internal_error").await;
    assert_eq!(app.count("idempotency_keys").await, 0);

    batch(&app, "DROP TRIGGER refuse ON billing_customers")
        .await
        .expect("the fault is removed");
    let retried = post_with_key(&app, CUSTOMERS, WRITE_KEY, "retry-me", &body).await;
    let (status, replayed, _) = answer(retried).await;
    assert_eq!((status, replayed), (201, false));
    assert_eq!(customers(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_do_not_share_keys() {
    let app = app().await;
    create_org(&app, "other").await;
    api_key(&app, "other", OTHER_KEY, "billing:read,billing:write").await;
    let body = customer("cust_1");
    for bearer in [WRITE_KEY, OTHER_KEY] {
        let response = post_with_key(&app, CUSTOMERS, bearer, "shared", &body).await;
        let (status, replayed, created) = answer(response).await;
        assert_eq!((status, replayed), (201, false), "{created}");
    }
    assert_eq!(customers(&app).await, 2);
    assert_eq!(app.count("idempotency_keys").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_keys_and_callers_are_refused_before_anything_runs() {
    let app = app().await;
    let body = customer("cust_1");
    for key in [String::new(), "k".repeat(256), "tab\tkey".to_owned()] {
        let response = post_with_key(&app, CUSTOMERS, WRITE_KEY, &key, &body).await;
        expect_error(response, 422, "invalid_idempotency_key").await;
    }
    let unreadable = reqwest::header::HeaderValue::from_bytes(b"caf\xe9").expect("obs-text");
    let request = call(&app, Method::POST, CUSTOMERS, WRITE_KEY)
        .header("Idempotency-Key", unreadable)
        .json(&body);
    expect_error(send(request).await, 422, "invalid_idempotency_key").await;
    // The caller first: no key is kept for a refused one.
    let response = post_with_key(&app, CUSTOMERS, "tg_live_nope", "k", &body).await;
    expect_error(response, 401, "unauthorized").await;
    let viewer = member(&app, "default", "victor", Role::Viewer).await;
    let response = post_with_key(&app, CUSTOMERS, &viewer, "k", &body).await;
    expect_error(response, 403, "forbidden").await;
    assert_eq!(app.count("idempotency_keys").await, 0);
    assert_eq!(customers(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_shown_once_is_not_kept_nor_shown_again() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let body = json!({ "name": "ci", "scopes": ["usage:read"] });
    let path = "/api/settings/api-keys";
    let (status, _, created) =
        answer(post_with_key(&app, path, &owner, "key-1", &body).await).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().expect("the secret").to_owned();
    let (status, replayed, again) =
        answer(post_with_key(&app, path, &owner, "key-1", &body).await).await;
    assert_eq!((status, replayed), (201, true));
    assert!(again.get("secret").is_none(), "{again}");
    let mut without = created.clone();
    without.as_object_mut().expect("an object").remove("secret");
    assert_eq!(again, without);
    assert_eq!(app.count("api_keys").await, 1);
    let stored = app
        .scalar_text("SELECT convert_from(response_body, 'UTF8') AS value FROM idempotency_keys")
        .await
        .expect("a stored answer");
    assert!(!stored.contains(&secret), "{stored}");
}
