//! The dashboard's card-payment pages over plain HTTP, Stripe at the stand-in: the payments
//! list after a collector pass and its status links, an invoice's attempts on its page, a
//! customer's cards and the "Add a card" post that sends the browser to Stripe, a viewer
//! refused that post, Stripe down failing only the cards section, and the list's off state
//! without Stripe.

use reqwest::{Method, header};
use serde_json::Value;

use super::{
    collection::{collector, save_card},
    finalized_invoices_on, stripe_app,
    stripe_stand_in::{DECLINED, Fault, StripeStandIn, VISA},
};
use crate::{
    billing::WRITE_KEY,
    dashboard::{browser, csrf_of, page, sign_in},
    helpers::TestApp,
    identity::support::{call, expect_error, expect_status, send},
};

async fn html(app: &TestApp, cookie: &str, path: &str) -> String {
    let answer = page(app, cookie, path).await;
    assert_eq!(answer.status(), 200, "{path}");
    answer.text().await.expect("a page")
}

async fn post(app: &TestApp, cookie: &str, path: &str, csrf: &str) -> reqwest::Response {
    browser()
        .post(app.url(path))
        .header(header::COOKIE, cookie)
        .header(header::ORIGIN, &app.address)
        .header(header::ACCEPT, "text/html")
        .form(&[("csrf", csrf)])
        .send()
        .await
        .expect("an answer")
}

async fn customer_id(app: &TestApp, external: &str) -> String {
    app.scalar_text(&format!(
        "SELECT id::text AS value FROM billing_customers WHERE external_id = '{external}'"
    ))
    .await
    .expect("the customer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payment_pages_show_attempts_cards_and_send_billing_staff_to_stripe() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a", "cust_b"]).await;
    save_card(&app, &stripe, "cust_a", VISA).await;
    save_card(&app, &stripe, "cust_b", DECLINED).await;
    let report = collector(&app, &stripe)
        .collect_due(10)
        .await
        .expect("a pass");
    assert_eq!((report.succeeded, report.failed), (1, 1), "{report:?}");
    let billing = sign_in(&app, &["--org", "default", "--role", "billing"]).await;
    let viewer = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;

    // Both attempts, each with its invoice, amount and (for the declined one) its reason.
    let all = html(&app, &viewer, "/billing/payments").await;
    for expected in [
        "badge succeeded",
        "badge failed",
        "card_declined · generic_decline · Your card was declined.",
        "32.00 USD",
        &format!("/billing/invoices/{}", invoices["cust_a"]),
        &format!("/billing/invoices/{}", invoices["cust_b"]),
    ] {
        assert!(all.contains(expected), "{expected} in {all}");
    }
    let failed = html(&app, &viewer, "/billing/payments?status=failed").await;
    assert!(failed.contains("generic_decline"), "{failed}");
    assert!(!failed.contains("badge succeeded"), "{failed}");
    assert!(
        failed.contains(r#"href="/billing/payments?status=failed" aria-current="true""#),
        "the chosen status is marked: {failed}"
    );
    let succeeded = html(&app, &viewer, "/billing/payments?status=succeeded").await;
    assert!(succeeded.contains("badge succeeded"), "{succeeded}");
    assert!(!succeeded.contains("generic_decline"), "{succeeded}");
    let unknown = page(&app, &viewer, "/billing/payments?status=lost").await;
    assert_eq!(unknown.status(), 400);

    // The API filters the same way, and refuses a status it does not know.
    let api = call(
        &app,
        Method::GET,
        "/api/billing/payments?status=failed",
        WRITE_KEY,
    );
    let (_, listed) = expect_status(send(api).await, 200).await;
    let statuses: Vec<&Value> = listed["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| &p["status"])
        .collect();
    assert_eq!(statuses, ["failed"], "{listed}");
    let api = call(
        &app,
        Method::GET,
        "/api/billing/payments?status=lost",
        WRITE_KEY,
    );
    expect_error(send(api).await, 400, "invalid_query").await;

    // The declined invoice's page lists its attempt.
    let invoice = html(
        &app,
        &viewer,
        &format!("/billing/invoices/{}", invoices["cust_b"]),
    )
    .await;
    assert!(invoice.contains("Card payments"), "{invoice}");
    assert!(invoice.contains("generic_decline"), "{invoice}");

    // The saved card is the default; billing staff may add another through Stripe.
    let cust_a = customer_id(&app, "cust_a").await;
    let path = format!("/customers/{cust_a}");
    let seen = html(&app, &billing, &path).await;
    assert!(seen.contains("ending in 4242"), "{seen}");
    assert!(seen.contains(">Default</span>"), "{seen}");
    assert!(
        seen.contains(&format!(r#"action="/customers/{cust_a}/setup-link""#)),
        "{seen}"
    );
    // Chrome holds the post's 303 to Stripe's page to the form's `form-action`.
    let policy = page(&app, &billing, &path).await;
    let csp = policy.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("text");
    assert!(
        csp.contains("form-action 'self' https://checkout.stripe.com;"),
        "{csp}"
    );
    let sent = post(
        &app,
        &billing,
        &format!("{path}/setup-link"),
        &csrf_of(&seen),
    )
    .await;
    assert_eq!(sent.status(), 303);
    let location = sent.headers()[header::LOCATION].to_str().expect("text");
    assert!(
        location.starts_with("https://checkout.stripe.com/c/pay/cs_test"),
        "{location}"
    );
    let session = stripe
        .requests()
        .into_iter()
        .rfind(|seen| seen.path == "/v1/checkout/sessions")
        .expect("a checkout session was made");
    let back = session.get("success_url").expect("a success URL");
    assert!(
        back.ends_with(&format!("/customers/{cust_a}?card=saved")),
        "{back}"
    );
    let returned = html(&app, &billing, &format!("{path}?card=saved")).await;
    assert!(returned.contains("Stripe saved the card"), "{returned}");

    // A viewer sees the cards but no button, and the post is refused.
    let viewed = html(&app, &viewer, &path).await;
    assert!(viewed.contains("ending in 4242"), "{viewed}");
    assert!(!viewed.contains("setup-link"), "{viewed}");
    let refused = post(
        &app,
        &viewer,
        &format!("{path}/setup-link"),
        &csrf_of(&viewed),
    )
    .await;
    assert_eq!(refused.status(), 403);

    // Stripe down: the cards section says so, the rest of the page is still served.
    stripe.fail_next(Fault::status(503).should_retry(false));
    let degraded = html(&app, &viewer, &path).await;
    let cards = degraded
        .split("id=\"cards-heading\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the cards section");
    assert!(cards.contains("role=\"alert\""), "{cards}");
    assert!(!cards.contains("ending in 4242"), "{cards}");
    assert!(degraded.contains("id=\"invoices-heading\""), "{degraded}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_stripe_the_payments_page_says_how_to_switch_card_payments_on() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    let off = html(&app, &cookie, "/billing/payments").await;
    assert!(off.contains("Card payments are off"), "{off}");
    assert!(off.contains("TOLLGATE__STRIPE__SECRET_KEY"), "{off}");
}
