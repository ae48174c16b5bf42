//! Settings → Team with Kratos's admin API configured, over plain HTTP: the add form takes
//! the e-mail a person signs in with, an unknown one re-renders the form with 422 and the
//! value kept, and the list shows each member's e-mail.

use reqwest::header;

use super::{browser, csrf_of, page, sign_in};
use crate::{
    dashboard_api::members_by_email::{ADA, API_KEY, kratos_admin},
    helpers::TestApp,
};

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
async fn a_member_is_added_by_email_and_an_unknown_email_is_shown_back() {
    let kratos = kratos_admin().await;
    let url = kratos.uri();
    let app = TestApp::spawn_with(move |settings| {
        settings.ory.kratos_admin_url = url;
        settings.ory.kratos_admin_api_key = Some(API_KEY.to_owned().into());
    })
    .await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    let html = page(&app, &cookie, "/settings/team")
        .await
        .text()
        .await
        .expect("a body");
    assert!(html.contains("E-mail or identity"), "{html}");
    let csrf = csrf_of(&html);

    let unknown = post(
        &app,
        &cookie,
        "/settings/team",
        &[
            ("csrf", &csrf),
            ("subject", "nobody@example.com"),
            ("role", "billing"),
        ],
    )
    .await;
    assert_eq!(unknown.status(), 422);
    let html = unknown.text().await.expect("a body");
    assert!(html.contains("nobody signs in with"), "{html}");
    assert!(html.contains(r#"value="nobody@example.com""#), "{html}");
    assert!(
        html.contains(r#"<option value="billing" selected>"#),
        "{html}"
    );

    let added = post(
        &app,
        &cookie,
        "/settings/team",
        &[
            ("csrf", &csrf),
            ("subject", "ada@example.com"),
            ("role", "billing"),
        ],
    )
    .await;
    assert_eq!(added.status(), 303);
    assert_eq!(
        added.headers()[header::LOCATION],
        "/settings/team?done=added"
    );
    let html = page(&app, &cookie, "/settings/team")
        .await
        .text()
        .await
        .expect("a body");
    assert!(
        html.contains(&format!(
            r#"ada@example.com <span class="muted">{ADA}</span>"#
        )),
        "{html}"
    );
}
