//! Signing in through Ory Kratos's browser login flow, the dashboard being its login UI, over
//! plain HTTP against the Kratos stand-in (which checks the documented request shapes): the
//! flow begun, fetched with the browser's cookie and rendered, restarted when expired, the
//! Kratos session turned into a dashboard session, and both ended by `POST /logout`.

use reqwest::header;
use tollgate_domain::access::Role;

use super::{browser, csrf_of, session_cookie};
use crate::{
    helpers::{
        TestApp,
        kratos::{EMAIL, IDENTITY, KratosStandIn},
    },
    identity::support::grant,
};

async fn app_with_kratos() -> (TestApp, KratosStandIn) {
    let kratos = KratosStandIn::start().await;
    let url = kratos.uri();
    let app = TestApp::spawn_with(move |settings| {
        settings.ory.kratos_public_url = url;
    })
    .await;
    kratos.serve(&app.address);
    (app, kratos)
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    let mut request = browser()
        .get(app.url(path))
        .header(header::ACCEPT, "text/html");
    if !cookie.is_empty() {
        request = request.header(header::COOKIE, cookie);
    }
    request.send().await.expect("an answer")
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .expect("text")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_page_begins_a_flow_then_renders_it_and_restarts_it_once_expired() {
    let (app, kratos) = app_with_kratos().await;
    // No flow, no Kratos cookie: to Kratos, to come back here (and then to the page asked).
    let answer = get(&app, "/login?next=%2Fusage", "").await;
    assert_eq!(answer.status(), 303);
    let begin = location(&answer);
    let return_to: String = url::form_urlencoded::byte_serialize(
        format!("{}/login?next=%2Fusage&returned=1", app.address).as_bytes(),
    )
    .collect();
    assert_eq!(
        begin,
        format!(
            "{}/self-service/login/browser?return_to={return_to}",
            kratos.uri()
        )
    );

    // Kratos sends the browser back with a flow: its form is rendered, posting to Kratos.
    let (flow, csrf_cookie) = kratos.flow_for_test(&format!("{}/login", app.address));
    let answer = get(
        &app,
        &format!("/login?flow={flow}"),
        &format!("{csrf_cookie}; tollgate_session=not-for-kratos"),
    )
    .await;
    assert_eq!(answer.status(), 200);
    let csp = answer.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("form-action 'self' {}", kratos.uri())),
        "{csp}"
    );
    let html = answer.text().await.unwrap();
    let action = format!("action=\"{}/self-service/login?flow={flow}\"", kratos.uri());
    assert!(html.contains(&action), "{html}");
    let csrf_value = csrf_cookie.split_once('=').unwrap().1;
    assert!(
        html.contains(&format!(
            "type=\"hidden\" name=\"csrf_token\" value=\"{csrf_value}\""
        )),
        "{html}"
    );
    assert!(html.contains(">E-Mail</label>"), "{html}");
    assert!(html.contains("type=\"password\""), "{html}");
    assert!(html.contains("autocomplete=\"current-password\""), "{html}");
    assert!(
        html.contains(
            "<button type=\"submit\" name=\"method\" value=\"password\">Sign in</button>"
        ),
        "{html}"
    );
    // The WebAuthn script node is left out: no third-party script on a page.
    assert!(!html.contains("webauthn.js"), "{html}");

    // Without the browser's CSRF cookie Kratos refuses the flow: a new one begins.
    let answer = get(&app, &format!("/login?flow={flow}"), "").await;
    assert_eq!(answer.status(), 303);
    assert!(location(&answer).contains("/self-service/login/browser"));
    // An expired flow begins again too.
    kratos.expire_flows();
    let answer = get(&app, &format!("/login?flow={flow}"), &csrf_cookie).await;
    assert_eq!(answer.status(), 303);
    assert!(location(&answer).contains("/self-service/login/browser"));
    // An unknown one as well.
    let answer = get(&app, "/login?flow=no-such-flow", &csrf_cookie).await;
    assert_eq!(answer.status(), 303);

    let problems = kratos.problems();
    assert_eq!(
        problems,
        ["a flow was fetched without the browser's CSRF cookie"],
        "Tollgate's own cookie is never forwarded; only the cookie-less fetch is refused"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn back_from_kratos_a_member_gets_a_session_and_logging_out_ends_both() {
    let (app, kratos) = app_with_kratos().await;
    grant(&app, "default", IDENTITY, Role::Admin).await;
    let kratos_cookie = kratos.session_for_test();

    let answer = get(
        &app,
        "/login?next=%2F%3Fperiod%3D7d&returned=1",
        &kratos_cookie,
    )
    .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/?period=7d");
    let session = session_cookie(&answer);
    assert_eq!(
        app.count_where(
            "web_sessions",
            &format!("subject = '{IDENTITY}' AND method = 'kratos' AND role = 'admin'")
        )
        .await,
        1
    );
    let cookies = format!("{session}; {kratos_cookie}");
    let page = get(&app, "/", &cookies).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(IDENTITY), "the header names who is signed in");
    let csrf = csrf_of(&html);

    // Signing out ends the dashboard's session, then sends the browser to Kratos's logout.
    let answer = browser()
        .post(app.url("/logout"))
        .header(header::COOKIE, &cookies)
        .header(header::ORIGIN, &app.address)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let logout = location(&answer);
    assert!(
        logout.starts_with(&format!("{}/self-service/logout?token=", kratos.uri())),
        "{logout}"
    );
    assert_eq!(
        app.count_where("web_sessions", "revoked_at IS NOT NULL")
            .await,
        1
    );
    // The browser follows it: Kratos's session ends and it comes back to the sign-in page.
    let back = browser().get(&logout).send().await.unwrap();
    assert_eq!(back.status(), 303);
    assert_eq!(location(&back), format!("{}/login", app.address));
    assert_eq!(kratos.live_sessions(), 0);
    assert!(kratos.problems().is_empty(), "{:?}", kratos.problems());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kratos_identity_without_a_membership_is_told_so_and_a_lost_cookie_does_not_loop() {
    let (app, kratos) = app_with_kratos().await;
    let kratos_cookie = kratos.session_for_test();
    let answer = get(&app, "/login?next=%2F&returned=1", &kratos_cookie).await;
    assert_eq!(answer.status(), 403);
    let html = answer.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "You are signed in as {EMAIL}, who is not a member"
        )),
        "{html}"
    );
    assert!(
        html.contains("action=\"/logout\""),
        "it offers to sign out: {html}"
    );
    assert_eq!(app.count("web_sessions").await, 0);
    // Its sign-out (no dashboard session to end) ends Kratos's session.
    let answer = browser()
        .post(app.url("/logout"))
        .header(header::COOKIE, &kratos_cookie)
        .header(header::ORIGIN, &app.address)
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    assert!(
        location(&answer).starts_with(&format!("{}/self-service/logout?token=", kratos.uri())),
        "{}",
        location(&answer)
    );

    // Back from Kratos without a session it can read: said so, instead of starting over.
    let answer = get(
        &app,
        "/login?next=%2F&returned=1",
        "ory_kratos_session=unknown",
    )
    .await;
    assert_eq!(answer.status(), 401);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("cookie does not reach")
    );
    // Not back from Kratos: a new flow begins.
    let answer = get(&app, "/login?next=%2F", "ory_kratos_session=unknown").await;
    assert_eq!(answer.status(), 303);
    assert!(location(&answer).contains("/self-service/login/browser"));
    // A session still waiting for its second factor: a flow asking for it.
    let cookie = kratos.first_factor_session_for_test();
    let answer = get(&app, "/login?next=%2F", &cookie).await;
    assert_eq!(answer.status(), 303);
    let begin = location(&answer);
    assert!(begin.ends_with("&aal=aal2"), "{begin}");
    let kratos_answer = browser().get(&begin).send().await.unwrap();
    assert_eq!(kratos_answer.status(), 303);
    assert!(kratos.aal2_asked());
    assert!(kratos.problems().is_empty(), "{:?}", kratos.problems());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_member_signs_in_through_kratos_for_the_customer_asked() {
    let (app, kratos) = app_with_kratos().await;
    crate::identity::support::batch(
        &app,
        &format!(
            "INSERT INTO memberships (organization_id, subject, role, customer_id)
             SELECT id, '{IDENTITY}', 'customer', 'acme' FROM organizations WHERE slug = 'default'"
        ),
    )
    .await
    .expect("membership");
    // The customer asked travels through Kratos and back.
    let answer = get(&app, "/login?next=%2Fportal&customer=acme", "").await;
    let begin = location(&answer);
    assert!(begin.contains("customer%3Dacme%26returned%3D1"), "{begin}");

    let cookie = kratos.session_for_test();
    let answer = get(
        &app,
        "/login?next=%2Fportal&customer=acme&returned=1",
        &cookie,
    )
    .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/portal");
    assert_eq!(
        app.count_where(
            "web_sessions",
            &format!("subject = '{IDENTITY}' AND role = 'customer' AND customer_id = 'acme'")
        )
        .await,
        1
    );
    // Another customer's portal is not theirs.
    let answer = get(
        &app,
        "/login?next=%2Fportal&customer=globex&returned=1",
        &cookie,
    )
    .await;
    assert_eq!(answer.status(), 403);
    assert!(kratos.problems().is_empty(), "{:?}", kratos.problems());
}
