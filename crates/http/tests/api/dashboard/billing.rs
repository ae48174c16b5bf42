//! The billing pages over plain HTTP (tests/ui/billing.rs looks at them in Chromium): roles
//! and write controls, refused posts, the confirmation step without JavaScript, the plan
//! form's 422, bad filters, and Lago down degrading the list to its 503 message.

use reqwest::header;
use serde_json::json;

use super::{browser, csrf_of, page, sign_in};
use crate::{
    billing::period_close::support,
    helpers::TestApp,
    identity::support::{call, expect_status, send},
};

/// One January draft invoice per customer of `customers` (a 31.00 USD base fee and 100
/// requests at 0.01; period close with `auto_finalize` off). The portal's tests start the same.
pub(crate) async fn january_drafts(app: &TestApp, customers: &[&str]) {
    let definition = json!({
        "base_fee": {"amount": "31.00", "timing": "in_arrears"},
        "trial_days": 0, "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    });
    let plan = support::plan_version(app, "basic", "USD", &definition).await;
    for (n, external) in customers.iter().enumerate() {
        let id = support::customer(app, external, "USD").await;
        let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
        let sub = format!("sub_{n}");
        support::subscription(app, id, &sub, "2026-01-01T00:00:00Z", &phases, None).await;
        support::usage(
            app,
            external,
            "2026-01-20T08:00:00Z",
            &[("requests", "100")],
        )
        .await;
    }
    support::close(app, "2026-02-01T02:00:00Z", false).await;
}

/// An app with two January draft invoices: one per customer `cust_0`, `cust_1`; their ids,
/// newest first.
async fn drafts() -> (TestApp, Vec<String>) {
    let app = support::spawn().await;
    january_drafts(&app, &["cust_0", "cust_1"]).await;
    let listed = send(call(
        &app,
        reqwest::Method::GET,
        "/api/billing/invoices",
        super::super::billing::WRITE_KEY,
    ))
    .await;
    let (_, body) = expect_status(listed, 200).await;
    let ids = body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|invoice| invoice["id"].as_str().expect("an id").to_owned())
        .collect();
    (app, ids)
}

async fn status_of(app: &TestApp, id: &str) -> String {
    app.scalar_text(&format!(
        "SELECT status AS value FROM billing_invoices WHERE id = '{id}'"
    ))
    .await
    .expect("the invoice exists")
}

async fn post(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .post(app.url(path))
        .header(header::COOKIE, cookie)
        .header(header::ORIGIN, &app.address)
        .header(header::ACCEPT, "text/html")
        .form(form)
        .send()
        .await
        .expect("an answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_billing_without_write_controls_and_its_posts_are_refused() {
    let (app, ids) = drafts().await;
    let viewer = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    let billing = sign_in(&app, &["--org", "default", "--role", "billing"]).await;
    let id = &ids[0];
    let path = format!("/billing/invoices/{id}");

    let seen = page(&app, &viewer, &path).await;
    assert_eq!(seen.status(), 200);
    let html = seen.text().await.unwrap();
    assert!(html.contains("31.00 USD"), "the base fee line");
    assert!(
        html.contains("32.00 USD"),
        "the total: 31.00 + 100 requests at 0.01"
    );
    assert!(
        !html.contains("/finalize"),
        "no finalize control for a viewer"
    );
    let plans = page(&app, &viewer, "/billing/plans")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !plans.contains("/billing/plans/new"),
        "no new-plan control for a viewer"
    );
    assert_eq!(
        page(&app, &viewer, "/billing/plans/new").await.status(),
        403
    );

    // Refused on the server whatever the page showed, and nothing changes.
    let csrf = csrf_of(&html);
    let refused = post(
        &app,
        &viewer,
        &format!("{path}/finalize"),
        &[("csrf", &csrf), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(status_of(&app, id).await, "draft");
    assert!(
        app.count_where("audit_log", "action = 'request.denied'")
            .await
            >= 1,
        "the refusal is audited"
    );

    let html = page(&app, &billing, &path).await.text().await.unwrap();
    assert!(
        html.contains(&format!("{path}/finalize")),
        "billing staff may finalize"
    );

    let customer = sign_in(
        &app,
        &[
            "--org",
            "default",
            "--role",
            "customer",
            "--customer",
            "cust_0",
        ],
    )
    .await;
    assert_eq!(
        page(&app, &customer, "/billing/invoices").await.status(),
        403
    );
    assert_eq!(
        page(&app, &customer, &format!("{path}/pdf")).await.status(),
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_a_finalize_is_confirmed_on_its_own_page_then_done() {
    let (app, ids) = drafts().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "billing"]).await;
    let id = &ids[0];
    let path = format!("/billing/invoices/{id}");
    let csrf = csrf_of(&page(&app, &cookie, &path).await.text().await.unwrap());

    let asked = post(
        &app,
        &cookie,
        &format!("{path}/finalize"),
        &[("csrf", &csrf), ("confirmed", "")],
    )
    .await;
    assert_eq!(asked.status(), 200);
    let html = asked.text().await.unwrap();
    assert!(html.contains("name=\"confirmed\" value=\"yes\""), "{html}");
    assert_eq!(status_of(&app, id).await, "draft", "asking changes nothing");

    let done = post(
        &app,
        &cookie,
        &format!("{path}/finalize"),
        &[("csrf", &csrf), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()[header::LOCATION], path.as_str());
    assert_eq!(status_of(&app, id).await, "finalized");
    let shown = page(&app, &cookie, &path).await.text().await.unwrap();
    assert!(shown.contains("DEFAULT-000001"), "the number is shown");

    // Finalizing again is refused with the API's code, on the invoice's page.
    let again = post(
        &app,
        &cookie,
        &format!("{path}/finalize"),
        &[("csrf", &csrf), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(again.status(), 409);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("invalid_invoice_state")
    );

    let voided = post(
        &app,
        &cookie,
        &format!("{path}/void"),
        &[("csrf", &csrf), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(voided.status(), 303);
    assert_eq!(status_of(&app, id).await, "voided");
    let shown = page(&app, &cookie, &path).await.text().await.unwrap();
    assert!(
        shown.contains("Invoice voided"),
        "the credit note is listed"
    );

    let pdf = page(&app, &cookie, &format!("{path}/pdf")).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        pdf.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"DEFAULT-000001.pdf\""
    );
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    // A receipt is for paid invoices only: the API's refusal, as a page.
    let receipt = page(&app, &cookie, &format!("{path}/receipt")).await;
    assert_eq!(receipt.status(), 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_answer_400_with_the_fields_message_and_good_ones_filter() {
    let (app, _) = drafts().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    let bad = page(
        &app,
        &cookie,
        "/billing/invoices?status=lost&tz=Mars%2FOlympus",
    )
    .await;
    assert_eq!(bad.status(), 400);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("Choose one of the statuses offered."),
        "{html}"
    );
    assert!(html.contains("time zone"), "{html}");
    assert!(html.contains("value=\"Mars/Olympus\""), "the value is kept");

    let one = page(
        &app,
        &cookie,
        "/billing/invoices?customer=cust_1&status=draft",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(one.contains("cust_1") && !one.contains(">cust_0<"), "{one}");
    let none = page(&app, &cookie, "/billing/invoices?status=paid")
        .await
        .text()
        .await
        .unwrap();
    assert!(none.contains("No invoice matches these filters."));
    let cursor = page(&app, &cookie, "/billing/invoices?after=bogus").await;
    assert_eq!(cursor.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_form_creates_a_plan_and_a_refused_one_comes_back_422_with_its_values() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "admin"]).await;
    let csrf = csrf_of(
        &page(&app, &cookie, "/billing/plans/new")
            .await
            .text()
            .await
            .unwrap(),
    );
    let fields = |code: &'static str, price: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("intent", "save".to_owned()),
            ("code", code.to_owned()),
            ("name", "Pro tokens".to_owned()),
            ("interval", "monthly".to_owned()),
            ("currency", "USD".to_owned()),
            ("base_fee", "20".to_owned()),
            ("base_fee_timing", "in_advance".to_owned()),
            ("trial_days", "0".to_owned()),
            ("charges", "1".to_owned()),
            ("c0_meter", "input_tokens".to_owned()),
            ("c0_model", "graduated".to_owned()),
            ("c0_tiers", "2".to_owned()),
            ("c0_t0_up_to", "1000000".to_owned()),
            ("c0_t0_unit_price", "0.000002".to_owned()),
            ("c0_t1_up_to", String::new()),
            ("c0_t1_unit_price", price.to_owned()),
        ]
    };
    let send_form = |form: Vec<(&'static str, String)>| {
        browser()
            .post(app.url("/billing/plans"))
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, &app.address)
            .form(&form)
            .send()
    };
    let refused = send_form(fields("pro", "lots")).await.unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("<code>not_a_number</code>"), "{html}");
    assert!(html.contains("value=\"lots\""), "every value is kept");
    assert!(html.contains("value=\"Pro tokens\""));
    assert_eq!(app.count_where("billing_plans", "true").await, 0);

    let created = send_form(fields("pro", "0.0000015")).await.unwrap();
    assert_eq!(
        created.status(),
        303,
        "{}",
        created.text().await.unwrap_or_default()
    );
    let location = created.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let shown = page(&app, &cookie, &location).await.text().await.unwrap();
    assert!(
        shown.contains("1,000,000") && shown.contains("0.0000015 USD"),
        "{shown}"
    );
    assert!(shown.contains("and above"), "the last tier is open-ended");

    // The same code again: the API's conflict, as a refused form.
    let taken = send_form(fields("pro", "0.0000015")).await.unwrap();
    assert_eq!(taken.status(), 422);
    let html = taken.text().await.unwrap();
    assert!(html.contains("<code>plan_exists</code>"), "{html}");
    assert_eq!(app.count_where("billing_plans", "true").await, 1);

    // "Add a tier" without JavaScript: the form back with one more row, nothing stored.
    let mut more = fields("other", "0.0000015");
    more[1].1 = "add_tier_0".into();
    let grown = send_form(more).await.unwrap();
    assert_eq!(grown.status(), 200);
    assert!(grown.text().await.unwrap().contains("name=\"c0_t2_up_to\""));
    assert_eq!(app.count_where("billing_plans", "true").await, 1);

    // A new version from the form, the plan's code kept.
    let id = location.rsplit('/').next().unwrap().to_owned();
    let form = page(&app, &cookie, &format!("/billing/plans/{id}/versions/new")).await;
    assert_eq!(form.status(), 200);
    let mut next = fields("pro", "0.000001");
    next[3].1 = "Pro tokens 2026".into();
    let saved = browser()
        .post(app.url(&format!("/billing/plans/{id}/versions")))
        .header(header::COOKIE, &cookie)
        .header(header::ORIGIN, &app.address)
        .form(&next)
        .send()
        .await
        .unwrap();
    assert_eq!(
        saved.status(),
        303,
        "{}",
        saved.text().await.unwrap_or_default()
    );
    let shown = page(&app, &cookie, &location).await.text().await.unwrap();
    assert!(shown.contains("Pro tokens 2026") && shown.contains("Version 2, the current one."));
    let first = page(&app, &cookie, &format!("{location}?version=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        first.contains("0.0000015 USD"),
        "version 1 is kept as it was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lago_down_degrades_the_invoice_list_to_its_503_message() {
    let app = TestApp::spawn_with(|settings| {
        settings.delivery.run_in_server = false;
        settings.lago.url = "http://127.0.0.1:9".into();
        settings.lago.api_key = Some(secrecy::SecretString::from("lago-test-key"));
    })
    .await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    let listed = page(&app, &cookie, "/billing/invoices").await;
    assert_eq!(listed.status(), 503);
    assert!(listed.headers().contains_key(header::RETRY_AFTER));
    let html = listed.text().await.unwrap();
    assert!(html.contains("Lago cannot be reached right now."), "{html}");
    // Only the section: the page, its menu and its filters are there.
    assert!(html.contains("<h1>Invoices</h1>") && html.contains("name=\"status\""));
    // Plans are Tollgate's own: they are listed.
    assert_eq!(page(&app, &cookie, "/billing/plans").await.status(), 200);
}
