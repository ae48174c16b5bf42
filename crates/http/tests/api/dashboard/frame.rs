//! What every page carries: headers, CSRF refusals, errors as pages, roles.

use reqwest::header;

use super::{browser, csrf_of, page, sign_in};
use crate::helpers::TestApp;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' \
                   data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

#[tokio::test(flavor = "multi_thread")]
async fn pages_carry_the_policy_and_static_files_are_cached_for_good() {
    let app = TestApp::spawn().await;
    let login = browser().get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let headers = login.headers().clone();
    assert_eq!(headers[header::CONTENT_SECURITY_POLICY], CSP);
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(headers.contains_key("server-timing"));
    assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    let html = login.text().await.unwrap();
    assert!(!html.contains("style="), "no inline style");

    let css = html
        .split('"')
        .find(|part| part.starts_with("/static/app.") && part.ends_with(".css"))
        .expect("the stylesheet's hashed URL");
    let sheet = browser().get(app.url(css)).send().await.unwrap();
    assert_eq!(sheet.status(), 200);
    assert_eq!(
        sheet.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        sheet.headers()[header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
    let stale = browser()
        .get(app.url("/static/app.0000000000.css"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_public_url_makes_the_cookie_host_only_and_secure_and_adds_hsts() {
    let app = TestApp::spawn_with(|settings| {
        settings.web.public_url = "https://billing.example.com".into();
    })
    .await;
    let link = super::dev_link(&app, &["--org", "default", "--role", "owner"]).await;
    let link = link.replace("https://billing.example.com", &app.address);
    let signed_in = browser().get(&link).send().await.unwrap();
    let set = signed_in.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.starts_with("__Host-tollgate="), "{set}");
    assert!(set.contains("Secure"), "{set}");
    assert!(
        signed_in
            .headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );
    // Another origin than the configured one is refused, however the host was named.
    let refused = browser()
        .post(app.url("/login"))
        .header(header::ORIGIN, &app.address)
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_from_another_origin_or_without_the_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    let html = page(&app, &cookie, "/").await.text().await.unwrap();
    let csrf = csrf_of(&html);
    let attempts = [
        (Some("http://evil.example"), None, csrf.as_str()),
        (None, Some("cross-site"), csrf.as_str()),
        (None, None, csrf.as_str()),
        (Some(app.address.as_str()), None, "0000"),
    ];
    for (origin, fetch_site, token) in attempts {
        let mut request = browser()
            .post(app.url("/logout"))
            .header(header::COOKIE, &cookie)
            .form(&[("csrf", token)]);
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), 403, "{origin:?} {fetch_site:?} {token}");
        assert!(refused.text().await.unwrap().contains("csrf_failed"));
    }
    assert_eq!(
        app.count_where("web_sessions", "revoked_at IS NULL").await,
        1
    );
    // Same-origin by Sec-Fetch-Site alone is a browser's form too.
    let accepted = browser()
        .post(app.url("/logout"))
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 303);
    assert_eq!(
        app.count_where("web_sessions", "revoked_at IS NULL").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_member_gets_a_403_page_naming_the_roles_a_staff_page_needs() {
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
    let refused = page(&app, &cookie, "/").await;
    assert_eq!(refused.status(), 403);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("This page needs one of these roles: Owner, Admin, Billing, Viewer."),
        "{html}"
    );
    assert!(html.contains("<code>forbidden</code>"));
    assert!(
        html.contains("action=\"/logout\"") && html.contains(&super::csrf_of(&html)),
        "the 403 page offers to sign out: {html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_pages_and_bad_parameters_are_pages_too() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    let missing = page(&app, &cookie, "/no-such-page").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    // The API keeps answering JSON.
    let api = browser().get(app.url("/api/nothing")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(api.headers()[header::CONTENT_TYPE], "application/json");

    let bad = page(&app, &cookie, "/?period=fortnight").await;
    assert_eq!(bad.status(), 400);
    let html = bad.text().await.unwrap();
    assert!(html.contains("not one of those offered"), "{html}");
    assert!(
        html.contains("aria-current=\"true\">Month to date"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_organization_sees_the_litellm_snippet_and_one_with_usage_sees_its_figures() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    let html = page(&app, &cookie, "/").await.text().await.unwrap();
    assert!(html.contains("Next step: connect LiteLLM"), "{html}");
    assert!(html.contains(&format!("endpoint: {}/v1/webhooks/litellm", app.address)));

    let events = crate::helpers::distinct_events(3);
    let accepted = app
        .post_usage(crate::helpers::batch_body(&events), "application/json")
        .await;
    assert_eq!(accepted.status(), 202);
    let mut html = String::new();
    for _ in 0..50 {
        html = page(&app, &cookie, "/?period=30d")
            .await
            .text()
            .await
            .unwrap();
        if html.contains("3 requests this period") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(html.contains("3 requests this period"), "{html}");
    assert!(!html.contains("Next step"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_mode_adds_the_panel_with_the_request_id_and_sections() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    let html = page(&app, &cookie, "/").await.text().await.unwrap();
    assert!(!html.contains("debug-heading"), "off by default");
    let org = super::organization(&app).await;
    crate::identity::support::execute(
        &app,
        &format!(
            "INSERT INTO organization_settings (organization_id, debug_mode) VALUES ('{org}', true)
             ON CONFLICT (organization_id) DO UPDATE SET debug_mode = true"
        ),
    )
    .await
    .unwrap();
    let answer = page(&app, &cookie, "/").await;
    let request_id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let timing = answer.headers()["server-timing"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(timing.contains("analytics;dur="), "{timing}");
    let html = answer.text().await.unwrap();
    assert!(html.contains("debug-heading"), "{html}");
    assert!(html.contains(&request_id), "{html}");
    assert!(html.contains("<dt>analytics</dt>"), "{html}");
}
