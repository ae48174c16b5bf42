//! The customer portal over plain HTTP (`tests/ui/portal.rs` opens it in Chromium): a portal
//! link opens its customer's portal once, and only that customer's data and pages; a
//! customer's member lands on it when signing in; staff are sent to their own pages.

use chrono::Utc;
use reqwest::{Method, header};
use serde_json::{Value, json};

use super::{browser, page, session_cookie, sign_in};
use crate::{
    billing::{WRITE_KEY, period_close::support},
    delivery::{post_all, spread_events},
    helpers::TestApp,
    identity::support::{call, expect_status, send},
};

/// Two customers (`cust-0`, `cust-1`), each with a January draft invoice, this month's usage
/// on `cust-0`, and LiteLLM events of four customers; the invoice ids by customer.
async fn two_customers() -> (TestApp, Vec<(String, String)>) {
    let app = support::spawn().await;
    super::billing::january_drafts(&app, &["cust-0", "cust-1"]).await;
    let now = Utc::now().to_rfc3339();
    support::usage(
        &app,
        "cust-0",
        &now,
        &[
            ("requests", "3"),
            ("cost_usd", "1.25"),
            ("input_tokens", "4200"),
        ],
    )
    .await;
    post_all(&app, &spread_events(8)).await;
    let (_, body) = expect_status(
        send(call(&app, Method::GET, "/api/billing/invoices", WRITE_KEY)).await,
        200,
    )
    .await;
    let invoices = body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|invoice| {
            (
                invoice["customer"].as_str().expect("a customer").to_owned(),
                invoice["id"].as_str().expect("an id").to_owned(),
            )
        })
        .collect();
    (app, invoices)
}

fn invoice_of<'a>(invoices: &'a [(String, String)], customer: &str) -> &'a str {
    invoices
        .iter()
        .find(|(owner, _)| owner == customer)
        .map(|(_, id)| id.as_str())
        .expect("the customer's invoice")
}

/// A portal link for `cust-0` through the API: its path on this app.
async fn link(app: &TestApp, return_url: &str) -> String {
    let customer = app
        .scalar_text("SELECT id::text AS value FROM billing_customers WHERE external_id = 'cust-0'")
        .await
        .expect("cust-0 exists");
    let (_, body) = expect_status(
        send(
            call(
                app,
                Method::POST,
                &format!("/api/billing/customers/{customer}/portal-links"),
                WRITE_KEY,
            )
            .json(&json!({"return_url": return_url})),
        )
        .await,
        201,
    )
    .await;
    let url = body["url"].as_str().expect("a url");
    url[url.find("/portal/links/").expect("the portal path")..].to_owned()
}

async fn open(app: &TestApp, path: &str) -> reqwest::Response {
    browser()
        .get(app.url(path))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .expect("an answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_link_opens_its_customers_portal_once_and_nothing_else() {
    let (app, invoices) = two_customers().await;
    let path = link(&app, "https://app.example/billing").await;

    let opened = open(&app, &path).await;
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()[header::LOCATION], "/portal");
    let cookie = session_cookie(&opened);
    // Once only: the same link again opens nothing, and says so.
    let again = open(&app, &path).await;
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("no longer works"));

    // A draft can still change: the portal shows it once it is finalized.
    let own = invoice_of(&invoices, "cust-0");
    let drafts = page(&app, &cookie, "/portal").await.text().await.unwrap();
    assert!(!drafts.contains(own), "a draft is shown: {drafts}");
    for id in invoices.iter().map(|(_, id)| id) {
        let finalize = call(
            &app,
            Method::POST,
            &format!("/api/billing/invoices/{id}/finalize"),
            WRITE_KEY,
        );
        expect_status(send(finalize).await, 200).await;
    }

    let portal = page(&app, &cookie, "/portal").await;
    assert_eq!(portal.status(), 200);
    let html = portal.text().await.unwrap();
    assert!(html.contains("Customer cust-0"), "the customer's name");
    assert!(
        html.contains("href=\"https://app.example/billing\""),
        "the way back"
    );
    assert!(html.contains("$1.25"), "this month's cost");
    assert!(html.contains("4,200"), "this month's input tokens by model");
    assert!(html.contains(">gpt-4o<"), "the model's row");
    assert!(
        html.contains("32.00 USD"),
        "the invoice: 31.00 + 100 requests"
    );
    let other = invoice_of(&invoices, "cust-1");
    assert!(html.contains(&format!("/portal/invoices/{own}/pdf")));
    assert!(!html.contains(other), "nothing of another customer");

    let pdf = page(&app, &cookie, &format!("/portal/invoices/{own}/pdf")).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    for refused in [
        format!("/portal/invoices/{other}/pdf"),
        format!("/portal/invoices/{other}/receipt"),
    ] {
        assert_eq!(
            page(&app, &cookie, &refused).await.status(),
            404,
            "{refused}"
        );
    }
    // Finalized but not paid: no receipt yet.
    let receipt = page(&app, &cookie, &format!("/portal/invoices/{own}/receipt")).await;
    assert_eq!(receipt.status(), 409);

    // Its own events only, whatever the query names.
    for query in ["format=json", "format=json&customer=cust-1"] {
        let export = page(&app, &cookie, &format!("/portal/events/export?{query}")).await;
        assert_eq!(export.status(), 200, "{query}");
        let events: Value = export.json().await.unwrap();
        let events = events.as_array().expect("a list");
        assert_eq!(
            events.len(),
            2,
            "{query}: cust-0 has two of the eight events"
        );
        assert!(
            events.iter().all(|event| event["customer"] == "cust-0"),
            "{query}: {events:?}"
        );
    }

    // No staff page, read or write, for a link's visitor.
    for staff in [
        "/",
        "/customers",
        "/usage/events",
        "/billing/invoices",
        "/settings",
    ] {
        assert_eq!(page(&app, &cookie, staff).await.status(), 403, "{staff}");
    }
    let actions = app
        .texts(
            "SELECT action || ' ' || actor || ' ' || coalesce(target, '') AS value
             FROM audit_log ORDER BY sequence",
        )
        .await;
    let actions: Vec<String> = actions.into_iter().flatten().collect();
    assert!(
        actions
            .iter()
            .any(|a| a.starts_with("portal_link.redeem portal_link:")
                && a.ends_with("customer:cust-0")),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|a| a.starts_with("session.start portal_link:") && a.ends_with("portal_link")),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_member_lands_on_the_portal_and_staff_cannot_open_it() {
    let (app, _) = two_customers().await;
    let link = super::dev_link(
        &app,
        &[
            "--org",
            "default",
            "--role",
            "customer",
            "--customer",
            "cust-1",
        ],
    )
    .await;
    let signed_in = browser().get(&link).send().await.expect("an answer");
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()[header::LOCATION], "/portal");
    let member = session_cookie(&signed_in);
    let html = page(&app, &member, "/portal").await.text().await.unwrap();
    assert!(html.contains("Customer cust-1"));
    assert!(
        !html.contains(">Back<"),
        "a member came through no link: no way back to show"
    );
    assert!(html.contains("No usage this month yet."));

    let owner = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    assert_eq!(page(&app, &owner, "/portal").await.status(), 403);
    let menu = page(&app, &owner, "/").await.text().await.unwrap();
    assert!(
        !menu.contains("href=\"/portal\""),
        "staff menus leave it out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_link_says_it_no_longer_works_and_signs_no_one_in() {
    let app = TestApp::spawn().await;
    let guessed = format!("/portal/links/tgp_{}", "0".repeat(64));
    let answer = open(&app, &guessed).await;
    assert_eq!(answer.status(), 410);
    assert!(answer.headers().get(header::SET_COOKIE).is_none());
    let sessions = app
        .scalar_text("SELECT count(*)::text AS value FROM web_sessions")
        .await;
    assert_eq!(sessions.as_deref(), Some("0"));
}
