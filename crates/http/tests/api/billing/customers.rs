//! `/api/billing/customers`.

use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;

use super::{OTHER_KEY, READ_KEY, WRITE_KEY, api_key, customer};
use crate::{
    helpers::TestApp,
    identity::support::{call, create_org, expect_error, expect_status, member, send},
};

const CUSTOMERS: &str = "/api/billing/customers";

async fn writer() -> TestApp {
    let app = TestApp::spawn().await;
    api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    app
}

async fn create(app: &TestApp, bearer: &str, body: &Value) -> reqwest::Response {
    send(call(app, Method::POST, CUSTOMERS, bearer).json(body)).await
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.count_where("audit_log", &format!("action = '{action}'"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_created_read_listed_and_changed_with_an_audit_record_each() {
    let app = writer().await;

    let (_, created) = expect_status(create(&app, WRITE_KEY, &customer("cust_1")).await, 201).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["external_id"], "cust_1");
    assert_eq!(created["name"], "Acme Corp");
    assert_eq!(created["currency"], "EUR");
    assert_eq!(created["currency_minor_units"], 2);
    assert_eq!(created["address"]["country"], "FR");
    assert_eq!(created["address"]["line2"], Value::Null);
    assert_eq!(created["tax_id"], "FR40303265045");
    assert_eq!(created["timezone"], "Europe/Paris");
    assert_eq!(created["metadata"], json!({ "crm": "hs-1" }));
    assert!(created["created_at"].is_string() && created["updated_at"].is_string());

    let path = format!("{CUSTOMERS}/{id}");
    let (_, shown) =
        expect_status(send(call(&app, Method::GET, &path, WRITE_KEY)).await, 200).await;
    assert_eq!(shown, created);

    // Only what is required, in a currency without minor units.
    let minimal = json!({
        "external_id": "cust_2",
        "name": "Globex",
        "billing_email": "ap@globex.example",
        "currency": "JPY"
    });
    let (_, second) = expect_status(create(&app, WRITE_KEY, &minimal).await, 201).await;
    assert_eq!(second["currency_minor_units"], 0);
    assert_eq!(second["timezone"], "UTC");
    assert_eq!(second["address"], Value::Null);
    assert_eq!(second["metadata"], json!({}));
    expect_status(create(&app, WRITE_KEY, &customer("cust_3")).await, 201).await;

    // Paged by id: two, then the last one.
    let list = |query: String| {
        send(call(
            &app,
            Method::GET,
            &format!("{CUSTOMERS}?{query}"),
            WRITE_KEY,
        ))
    };
    let (_, first) = expect_status(list("limit=2".into()).await, 200).await;
    let page: Vec<&str> = first["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["external_id"].as_str().expect("an external id"))
        .collect();
    assert_eq!(page, ["cust_1", "cust_2"], "{first}");
    let next = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, rest) = expect_status(list(format!("cursor={next}&limit=2")).await, 200).await;
    assert_eq!(rest["data"].as_array().expect("a list").len(), 1, "{rest}");
    assert_eq!(rest["data"][0]["external_id"], "cust_3");
    assert_eq!(rest["next_cursor"], Value::Null);

    // A change keeps what it does not name; `null` removes an address.
    let change =
        json!({ "name": "Acme SAS", "billing_email": "invoices@acme.example", "address": null });
    let (_, changed) = expect_status(
        send(call(&app, Method::PATCH, &path, WRITE_KEY).json(&change)).await,
        200,
    )
    .await;
    assert_eq!(changed["name"], "Acme SAS");
    assert_eq!(changed["billing_email"], "invoices@acme.example");
    assert_eq!(changed["address"], Value::Null);
    assert_eq!(changed["tax_id"], "FR40303265045");
    assert_eq!(changed["external_id"], "cust_1");
    assert_eq!(changed["created_at"], created["created_at"]);
    let (_, shown) =
        expect_status(send(call(&app, Method::GET, &path, WRITE_KEY)).await, 200).await;
    assert_eq!(shown, changed);

    assert_eq!(audit_count(&app, "customer.create").await, 3);
    assert_eq!(audit_count(&app, "customer.update").await, 1);
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!(
                "action = 'customer.update' AND target = 'customer:{id}' AND actor LIKE 'api_key:%'"
            ),
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_and_invalid_customers_write_nothing() {
    let app = writer().await;
    let (_, created) = expect_status(create(&app, WRITE_KEY, &customer("cust_1")).await, 201).await;

    expect_error(
        create(&app, WRITE_KEY, &customer("cust_1")).await,
        409,
        "customer_exists",
    )
    .await;

    let mut bad_currency = customer("cust_2");
    bad_currency["currency"] = json!("XYZ");
    let mut bad_email = customer("cust_3");
    bad_email["billing_email"] = json!("not-an-address");
    let mut bad_country = customer("cust_4");
    bad_country["address"]["country"] = json!("FRA");
    let mut blank_name = customer("cust_5");
    blank_name["name"] = json!("   ");
    // Shaped like an IANA name, but no such zone: the PDFs could not show its dates.
    let mut unknown_zone = customer("cust_6");
    unknown_zone["timezone"] = json!("Mars/Olympus_Mons");
    for (body, code) in [
        (bad_currency, "unknown_currency"),
        (bad_email, "invalid_value"),
        (bad_country, "invalid_value"),
        (blank_name, "empty_value"),
        (unknown_zone, "unknown_time_zone"),
    ] {
        expect_error(create(&app, WRITE_KEY, &body).await, 422, code).await;
    }

    let path = format!("{CUSTOMERS}/{}", created["id"].as_str().expect("an id"));
    for (change, code) in [
        (json!({ "billing_email": "nope" }), "invalid_value"),
        (json!({ "name": " " }), "empty_value"),
        (
            json!({ "address": { "line1": "x", "city": "y", "country": "123" } }),
            "invalid_value",
        ),
        (
            json!({ "timezone": "Europe/Atlantis" }),
            "unknown_time_zone",
        ),
    ] {
        let request = call(&app, Method::PATCH, &path, WRITE_KEY).json(&change);
        expect_error(send(request).await, 422, code).await;
    }
    // The external id and the currency cannot change.
    let request = call(&app, Method::PATCH, &path, WRITE_KEY).json(&json!({ "currency": "USD" }));
    expect_error(send(request).await, 400, "invalid_json").await;

    assert_eq!(app.count("billing_customers").await, 1);
    assert_eq!(audit_count(&app, "customer.create").await, 1);
    assert_eq!(audit_count(&app, "customer.update").await, 0);
    let (_, shown) =
        expect_status(send(call(&app, Method::GET, &path, WRITE_KEY)).await, 200).await;
    assert_eq!(shown, created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_cannot_write_and_other_organizations_customers_are_not_found() {
    let app = writer().await;
    api_key(&app, "default", READ_KEY, "billing:read").await;
    create_org(&app, "other").await;
    api_key(&app, "other", OTHER_KEY, "billing:read,billing:write").await;

    // billing:read lists but cannot create or change.
    expect_status(
        send(call(&app, Method::GET, CUSTOMERS, READ_KEY)).await,
        200,
    )
    .await;
    expect_error(
        create(&app, READ_KEY, &customer("cust_1")).await,
        403,
        "forbidden",
    )
    .await;
    let (_, mine) = expect_status(create(&app, WRITE_KEY, &customer("cust_1")).await, 201).await;
    let my_path = format!("{CUSTOMERS}/{}", mine["id"].as_str().expect("an id"));
    let request = call(&app, Method::PATCH, &my_path, READ_KEY).json(&json!({ "name": "x" }));
    expect_error(send(request).await, 403, "forbidden").await;

    // A viewer reads; a viewer does not write.
    let viewer = member(&app, "default", "victor", Role::Viewer).await;
    expect_status(send(call(&app, Method::GET, &my_path, &viewer)).await, 200).await;
    expect_error(
        create(&app, &viewer, &customer("cust_9")).await,
        403,
        "forbidden",
    )
    .await;

    // The same external id is another customer in another organization.
    let (_, theirs) = expect_status(create(&app, OTHER_KEY, &customer("cust_1")).await, 201).await;
    let their_path = format!("{CUSTOMERS}/{}", theirs["id"].as_str().expect("an id"));
    expect_error(
        send(call(&app, Method::GET, &their_path, WRITE_KEY)).await,
        404,
        "not_found",
    )
    .await;
    let request = call(&app, Method::PATCH, &their_path, WRITE_KEY).json(&json!({ "name": "x" }));
    expect_error(send(request).await, 404, "not_found").await;
    expect_error(
        send(call(
            &app,
            Method::GET,
            &format!("{CUSTOMERS}/not-a-uuid"),
            WRITE_KEY,
        ))
        .await,
        404,
        "not_found",
    )
    .await;
    let (_, listed) = expect_status(
        send(call(&app, Method::GET, CUSTOMERS, WRITE_KEY)).await,
        200,
    )
    .await;
    assert_eq!(
        listed["data"].as_array().expect("a list").len(),
        1,
        "{listed}"
    );
    assert_eq!(listed["data"][0]["id"], mine["id"]);

    assert_eq!(app.count("billing_customers").await, 2);
    assert_eq!(audit_count(&app, "customer.create").await, 2);
    assert_eq!(audit_count(&app, "customer.update").await, 0);
    let (_, theirs_now) = expect_status(
        send(call(&app, Method::GET, &their_path, OTHER_KEY)).await,
        200,
    )
    .await;
    assert_eq!(theirs_now["name"], "Acme Corp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_searches_external_ids_names_and_emails_in_any_case() {
    let app = writer().await;
    for (external_id, name, email) in [
        ("acme-1", "Acme Corp", "ap@acme.example"),
        ("globex", "Globex GmbH", "invoices@globex.example"),
        ("initech", "Initech", "billing@acme-partners.example"),
        ("pct", "100% Tools", "ap@tools.example"),
    ] {
        let body = json!({
            "external_id": external_id,
            "name": name,
            "billing_email": email,
            "currency": "EUR"
        });
        expect_status(create(&app, WRITE_KEY, &body).await, 201).await;
    }
    let found = |query: &'static str| {
        let app = &app;
        async move {
            let path = format!("{CUSTOMERS}?{query}");
            let (_, body) =
                expect_status(send(call(app, Method::GET, &path, WRITE_KEY)).await, 200).await;
            let ids: Vec<String> = body["data"]
                .as_array()
                .expect("a list")
                .iter()
                .map(|c| c["external_id"].as_str().expect("an id").to_owned())
                .collect();
            (ids, body["next_cursor"].clone())
        }
    };
    // The name, in another case; the e-mail of another customer matches too.
    assert_eq!(found("search=ACME").await.0, ["acme-1", "initech"]);
    assert_eq!(found("search=globex").await.0, ["globex"]);
    // `%` is a character, not a wildcard.
    assert_eq!(found("search=100%25").await.0, ["pct"]);
    assert_eq!(found("search=%25%25").await.0, Vec::<String>::new());
    // Paged by id with the same search.
    let (first, next) = found("search=acme&limit=1").await;
    assert_eq!(first, ["acme-1"]);
    let next = next.as_str().expect("another page").to_owned();
    let path = format!("{CUSTOMERS}?search=acme&limit=1&cursor={next}");
    let (_, rest) = expect_status(send(call(&app, Method::GET, &path, WRITE_KEY)).await, 200).await;
    assert_eq!(rest["data"][0]["external_id"], "initech");
    assert_eq!(rest["next_cursor"], Value::Null);
    // Blank: everyone.
    assert_eq!(found("search=+").await.0.len(), 4);
    let long = format!("{CUSTOMERS}?search={}", "a".repeat(255));
    expect_error(
        send(call(&app, Method::GET, &long, WRITE_KEY)).await,
        400,
        "invalid_query",
    )
    .await;
}
