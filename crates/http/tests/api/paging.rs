//! Every `/api` list pages one way: `?limit=` (1 to 500) and `?cursor=` in, `{"data",
//! "next_cursor"}` out. Each list is walked two rows at a time across five or more: no row
//! twice, none missed, in the list's own order, and the last page says it is the last.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;

use crate::{
    billing::{
        WRITE_KEY, customer,
        period_close::support as billing,
        plans::{plan, writer},
    },
    helpers::TestApp,
    identity::support::{batch, call, expect_error, expect_status, member, org_id, send},
};

/// Every row of the list at `path`, read two at a time: each page but the last is full and
/// names the next, the last names none.
async fn walk(app: &TestApp, path: &str, bearer: &str) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let url = match &cursor {
            None => format!("{path}{separator}limit=2"),
            Some(cursor) => format!("{path}{separator}limit=2&cursor={cursor}"),
        };
        let (_, page) = expect_status(send(call(app, Method::GET, &url, bearer)).await, 200).await;
        let data = page["data"].as_array().expect("a list").clone();
        assert!(page.get("next_cursor").is_some(), "{url}: {page}");
        assert!(page.get("next_after").is_none(), "{url}: {page}");
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(data.len(), 2, "a page before the last is full: {page}");
                cursor = Some(next.to_owned());
                rows.extend(data);
            }
            None => {
                assert!(!data.is_empty() || rows.is_empty(), "an empty last page");
                rows.extend(data);
                return rows;
            }
        }
    }
    panic!("{path} never ends");
}

/// `field` of every row, as text.
fn texts(rows: &[Value], field: &str) -> Vec<String> {
    rows.iter()
        .map(|row| match &row[field] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The rows the database holds, in the list's order (`sql` selects `value`).
async fn stored(app: &TestApp, sql: &str) -> Vec<String> {
    app.texts(sql).await.into_iter().flatten().collect()
}

/// A bad limit or cursor is refused with its own code, whatever the list.
async fn refusals(app: &TestApp, path: &str, bearer: &str) {
    let separator = if path.contains('?') { '&' } else { '?' };
    for limit in ["0", "501", "-1", "abc"] {
        let url = format!("{path}{separator}limit={limit}");
        let response = send(call(app, Method::GET, &url, bearer)).await;
        expect_error(response, 422, "invalid_limit").await;
    }
    let forged = URL_SAFE_NO_PAD.encode("1|another_list|1");
    for cursor in ["zzz", forged.as_str()] {
        let url = format!("{path}{separator}cursor={cursor}");
        let response = send(call(app, Method::GET, &url, bearer)).await;
        expect_error(response, 422, "invalid_cursor").await;
    }
    // The shape this replaced is gone.
    let url = format!("{path}{separator}after=1");
    let response = send(call(app, Method::GET, &url, bearer)).await;
    expect_error(response, 400, "invalid_query").await;
}

async fn owner(app: &TestApp) -> String {
    member(app, "default", "olivia", Role::Owner).await
}

async fn post(app: &TestApp, path: &str, bearer: &str, body: &Value) -> Value {
    let request = call(app, Method::POST, path, bearer).json(body);
    expect_status(send(request).await, 201).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_page_by_id() {
    let app = writer().await;
    for n in 0..5 {
        let path = "/api/billing/customers";
        post(&app, path, WRITE_KEY, &customer(&format!("cust_{n}"))).await;
    }
    let rows = walk(&app, "/api/billing/customers", WRITE_KEY).await;
    let expected = stored(
        &app,
        "SELECT id::text AS value FROM billing_customers ORDER BY id",
    )
    .await;
    assert_eq!((texts(&rows, "id"), expected.len()), (expected, 5));
    refusals(&app, "/api/billing/customers", WRITE_KEY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_a_plans_versions_page_by_id_and_by_version() {
    let app = writer().await;
    for n in 0..5 {
        post(
            &app,
            "/api/billing/plans",
            WRITE_KEY,
            &plan(&format!("p{n}"), "10"),
        )
        .await;
    }
    let rows = walk(&app, "/api/billing/plans", WRITE_KEY).await;
    let expected = stored(
        &app,
        "SELECT id::text AS value FROM billing_plans ORDER BY id",
    )
    .await;
    assert_eq!((texts(&rows, "id"), expected.len()), (expected, 5));
    refusals(&app, "/api/billing/plans", WRITE_KEY).await;

    // Four more versions of p0 (changed by id, read by code).
    let id = rows.iter().find(|r| r["code"] == "p0").expect("p0")["id"].clone();
    let path = format!("/api/billing/plans/{}", id.as_str().expect("an id"));
    let mut next = plan("p0", "10");
    next.as_object_mut().expect("an object").remove("code");
    for fee in ["11", "12", "13", "14"] {
        next["base_fee"]["amount"] = json!(fee);
        let request = call(&app, Method::PUT, &path, WRITE_KEY).json(&next);
        expect_status(send(request).await, 200).await;
    }
    let versions = walk(&app, "/api/billing/plans/p0/versions", WRITE_KEY).await;
    assert_eq!(texts(&versions, "version"), ["1", "2", "3", "4", "5"]);
    refusals(&app, "/api/billing/plans/p0/versions", WRITE_KEY).await;
}

/// Five customers, each subscribed to one plan and billed for January 2026: five draft
/// invoices.
async fn billed() -> TestApp {
    let app = billing::spawn().await;
    let definition = json!({
        "base_fee": {"amount": "31.00", "timing": "in_arrears"},
        "trial_days": 0, "minimum_commitment": null, "charges": []
    });
    let plan = billing::plan_version(&app, "basic", "USD", &definition).await;
    for n in 0..5 {
        let id = billing::customer(&app, &format!("cust_{n}"), "USD").await;
        let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
        let external = format!("sub_{n}");
        let started = "2026-01-01T00:00:00Z";
        billing::subscription(&app, id, &external, started, &phases, None).await;
    }
    let report = billing::close(&app, "2026-02-01T02:00:00Z", false).await;
    assert_eq!(report.invoices, 5);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_page_by_id_within_their_filter() {
    let app = billed().await;
    let rows = walk(&app, "/api/billing/subscriptions", WRITE_KEY).await;
    let expected = stored(
        &app,
        "SELECT id::text AS value FROM billing_subscriptions ORDER BY id",
    )
    .await;
    assert_eq!((texts(&rows, "id"), expected.len()), (expected, 5));
    refusals(&app, "/api/billing/subscriptions", WRITE_KEY).await;

    let customer = &rows[3]["customer_id"];
    let path = format!(
        "/api/billing/subscriptions?customer_id={}",
        customer.as_str().expect("an id")
    );
    let filtered = walk(&app, &path, WRITE_KEY).await;
    assert_eq!(texts(&filtered, "id"), [texts(&rows, "id")[3].clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_page_newest_first_within_their_filter() {
    let app = billed().await;
    let rows = walk(&app, "/api/billing/invoices", WRITE_KEY).await;
    let expected = stored(
        &app,
        "SELECT id::text AS value FROM billing_invoices ORDER BY id DESC",
    )
    .await;
    assert_eq!((texts(&rows, "id"), expected.len()), (expected, 5));
    refusals(&app, "/api/billing/invoices", WRITE_KEY).await;

    let drafts = walk(&app, "/api/billing/invoices?status=draft", WRITE_KEY).await;
    assert_eq!(texts(&drafts, "id"), texts(&rows, "id"));
    let paid = walk(&app, "/api/billing/invoices?status=paid", WRITE_KEY).await;
    assert!(paid.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_pages_by_sequence() {
    let app = TestApp::spawn().await;
    let owner = owner(&app).await;
    for n in 0..5 {
        let body = json!({ "name": format!("key {n}"), "scopes": ["usage:read"] });
        post(&app, "/api/settings/api-keys", &owner, &body).await;
    }
    let rows = walk(&app, "/api/audit", &owner).await;
    let default = org_id(&app, "default").await;
    let expected = stored(
        &app,
        &format!(
            "SELECT sequence::text AS value FROM audit_log
             WHERE organization_id = '{default}' ORDER BY sequence"
        ),
    )
    .await;
    assert!(expected.len() >= 6, "{expected:?}");
    assert_eq!(texts(&rows, "sequence"), expected);
    refusals(&app, "/api/audit", &owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_page_by_creation_time_then_id() {
    let app = TestApp::spawn().await;
    let owner = owner(&app).await;
    // Created in one instant with random (not time-ordered) ids: only the id tells them
    // apart, and the cursor must carry both.
    let default = org_id(&app, "default").await;
    batch(
        &app,
        &format!(
            "INSERT INTO api_keys (id, organization_id, name, display_prefix, secret_sha256,
                scopes, created_by, created_at)
             SELECT gen_random_uuid(), '{default}', 'same instant ' || n, 'tg_live_same',
                    sha256(n::text::bytea), '{{usage:read}}', 'test', '2026-01-01T00:00:00Z'
             FROM generate_series(1, 4) n"
        ),
    )
    .await
    .expect("the keys are stored");
    post(
        &app,
        "/api/settings/api-keys",
        &owner,
        &json!({ "name": "later", "scopes": ["usage:read"] }),
    )
    .await;
    let rows = walk(&app, "/api/settings/api-keys", &owner).await;
    let expected = stored(
        &app,
        "SELECT id::text AS value FROM api_keys ORDER BY created_at, id",
    )
    .await;
    assert_eq!((texts(&rows, "id"), expected.len()), (expected, 5));
    assert_eq!(rows[4]["name"], "later");
    refusals(&app, "/api/settings/api-keys", &owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litellm_secrets_page_by_creation_time_then_id() {
    let app = TestApp::spawn().await;
    let owner = owner(&app).await;
    for n in 0..5 {
        let body = json!({ "label": format!("secret {n}") });
        post(&app, "/api/settings/litellm-secrets", &owner, &body).await;
    }
    let rows = walk(&app, "/api/settings/litellm-secrets", &owner).await;
    let default = org_id(&app, "default").await;
    let expected = stored(
        &app,
        &format!(
            "SELECT id::text AS value FROM litellm_webhook_secrets
             WHERE organization_id = '{default}' ORDER BY created_at, id"
        ),
    )
    .await;
    assert!(expected.len() >= 5, "{expected:?}");
    assert_eq!(texts(&rows, "id"), expected);
    assert!(rows.iter().all(|row| row.get("secret").is_none()));
    refusals(&app, "/api/settings/litellm-secrets", &owner).await;
}
