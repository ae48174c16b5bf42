//! Signing in and out, and how sessions end.

use std::time::Duration;

use reqwest::header;
use tollgate_domain::access::Role;

use super::{browser, csrf_of, dev_link, organization, page, session_cookie, sign_in};
use crate::{
    helpers::TestApp,
    identity::support::{grant, token},
};

#[tokio::test(flavor = "multi_thread")]
async fn a_dev_link_signs_in_once_and_logout_revokes_the_session() {
    let app = TestApp::spawn().await;
    let link = dev_link(&app, &["--org", "default", "--role", "owner"]).await;
    let first = browser().get(&link).send().await.unwrap();
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()[header::LOCATION], "/");
    let set = first.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    let cookie = session_cookie(&first);
    let secret = cookie.split('=').nth(1).unwrap();
    assert_eq!(secret.len(), 64);
    // Only the digest is kept.
    assert_eq!(
        app.count_where(
            "web_sessions",
            &format!("id_digest = sha256('{secret}'::bytea)")
        )
        .await,
        1
    );
    assert_eq!(
        app.count_where("web_sessions", &format!("id_digest = '{secret}'::bytea"))
            .await,
        0
    );

    let again = browser().get(&link).send().await.unwrap();
    assert_eq!(again.status(), 401, "a link works once");
    assert!(again.text().await.unwrap().contains("used already"));

    let home = page(&app, &cookie, "/").await;
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(
        html.contains("dev-owner") && html.contains("Owner"),
        "{html}"
    );

    let logout = browser()
        .post(app.url("/logout"))
        .header(header::COOKIE, &cookie)
        .header(header::ORIGIN, &app.address)
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    assert_eq!(logout.headers()[header::LOCATION], "/login");
    assert_eq!(
        app.count_where("web_sessions", "revoked_at IS NOT NULL")
            .await,
        1
    );
    let after = page(&app, &cookie, "/").await;
    assert_eq!(after.status(), 303, "the revoked session opens nothing");
    assert_eq!(after.headers()[header::LOCATION], "/login?next=%2F");
    let actions = app
        .texts("SELECT action AS value FROM audit_log ORDER BY sequence")
        .await;
    for action in ["session.link", "session.start", "session.end"] {
        assert!(actions.contains(&Some(action.to_owned())), "{actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pasted_token_signs_in_and_a_bad_one_is_refused_then_limited() {
    let app = TestApp::spawn_with(|settings| settings.web.max_failed_logins_per_minute = 3).await;
    grant(&app, "default", "alice", Role::Billing).await;
    let good = token(&app, "alice", "default", Role::Billing).await;
    let signed_in = browser()
        .post(app.url("/login"))
        .header(header::ORIGIN, &app.address)
        .form(&[("token", good.as_str()), ("next", "/?period=7d")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()[header::LOCATION], "/?period=7d");
    let cookie = session_cookie(&signed_in);
    let html = page(&app, &cookie, "/").await.text().await.unwrap();
    assert!(html.contains("alice") && html.contains("Billing"), "{html}");

    for _ in 0..3 {
        let refused = browser()
            .post(app.url("/login"))
            .header(header::ORIGIN, &app.address)
            .form(&[("token", "not-a-token"), ("organization", "default")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        let html = refused.text().await.unwrap();
        assert!(html.contains("was not accepted"), "{html}");
        assert!(
            html.contains("value=\"default\""),
            "the values are kept: {html}"
        );
    }
    let limited = browser()
        .post(app.url("/login"))
        .header(header::ORIGIN, &app.address)
        .form(&[("token", good.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.text().await.unwrap().contains("too_many_requests"));
    assert_eq!(app.count("web_sessions").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_ends_after_its_idle_time() {
    let app = TestApp::spawn_with(|settings| settings.web.session_idle_secs = 1).await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    assert_eq!(page(&app, &cookie, "/").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(page(&app, &cookie, "/").await.status(), 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_ends_at_its_absolute_limit_however_busy() {
    let app = TestApp::spawn_with(|settings| settings.web.session_absolute_secs = 2).await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    for _ in 0..3 {
        assert_eq!(page(&app, &cookie, "/").await.status(), 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(page(&app, &cookie, "/").await.status(), 303);
}

/// The role is asked again on every page: a member removed mid-session sees nothing more.
#[tokio::test(flavor = "multi_thread")]
async fn a_role_taken_away_ends_what_the_session_may_open() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    assert_eq!(page(&app, &cookie, "/").await.status(), 200);
    let org = organization(&app).await;
    crate::identity::support::execute(
        &app,
        &format!(
            "DELETE FROM memberships WHERE organization_id = '{org}' AND subject = 'dev-viewer'"
        ),
    )
    .await
    .unwrap();
    assert_eq!(page(&app, &cookie, "/").await.status(), 403);
}
