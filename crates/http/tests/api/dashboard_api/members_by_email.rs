//! `/api/settings/members` with Kratos's admin API configured: a member added by the e-mail
//! they sign in with becomes their identity id, an e-mail nobody has is 422
//! `unknown_identity`, Kratos down is the upstream's 503, and the list carries each member's
//! e-mail, or leaves it out (still listing everyone) when Kratos cannot answer.

use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

use crate::{
    helpers::TestApp,
    identity::support::{call, expect_error, expect_status, member, send},
};

const MEMBERS: &str = "/api/settings/members";
pub const ADA: &str = "5f0c2a4e-8b1d-4c3e-9a7f-2d6b1e0c9a11";
pub const API_KEY: &str = "ory_pat_team_test";

fn identity(id: &str, email: &str) -> Value {
    json!({"id": id, "schema_id": "default", "schema_url": "", "state": "active",
           "traits": {"email": email}})
}

/// Kratos's `GET /admin/identities`: Ada found by her e-mail or her id, `down@example.com`
/// answered 503, anyone else unknown (an empty list, as Kratos answers). Requests without the
/// API key are refused, as Ory Network does.
pub async fn kratos_admin() -> MockServer {
    let server = MockServer::start().await;
    let path = || {
        Mock::given(matchers::method("GET"))
            .and(matchers::path("/admin/identities"))
            .and(matchers::header(
                "authorization",
                format!("Bearer {API_KEY}"),
            ))
    };
    path()
        .and(matchers::query_param(
            "credentials_identifier",
            "ada@example.com",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([identity(ADA, "ada@example.com")])),
        )
        .mount(&server)
        .await;
    path()
        .and(matchers::query_param(
            "credentials_identifier",
            "down@example.com",
        ))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    path()
        .and(matchers::query_param("ids", ADA))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([identity(ADA, "ada@example.com")])),
        )
        .mount(&server)
        .await;
    path()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

async fn add(app: &TestApp, bearer: &str, body: Value) -> reqwest::Response {
    send(call(app, Method::POST, MEMBERS, bearer).json(&body)).await
}

fn lookups(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .flat_map(|r| r.url.query_pairs().map(|(k, v)| format!("{k}={v}")))
        .filter(|pair| pair.starts_with("credentials_identifier="))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_added_by_email_through_kratos_and_listed_with_it() {
    let kratos = kratos_admin().await;
    let url = kratos.uri();
    let app = TestApp::spawn_with(move |settings| {
        settings.ory.kratos_admin_url = url;
        settings.ory.kratos_admin_api_key = Some(API_KEY.to_owned().into());
    })
    .await;
    let olivia = member(&app, "default", "olivia", Role::Owner).await;

    let (_, added) = expect_status(
        add(
            &app,
            &olivia,
            json!({"email": " Ada@Example.com", "role": "billing"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        added,
        json!({"subject": ADA, "role": "billing", "customer": null, "email": "ada@example.com"})
    );
    let requests = kratos.received_requests().await.unwrap();
    assert_eq!(
        lookups(&requests),
        ["credentials_identifier=ada@example.com"]
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!("action = 'membership.grant' AND target = 'user:{ADA} as billing'")
        )
        .await,
        1
    );

    // Nobody signs in with it: refused with a stable code, nothing granted.
    let unknown = add(
        &app,
        &olivia,
        json!({"email": "nobody@example.com", "role": "viewer"}),
    )
    .await;
    expect_error(unknown, 422, "unknown_identity").await;
    // Kratos failing is Kratos's 503, not a refusal of the person.
    let down = add(
        &app,
        &olivia,
        json!({"email": "down@example.com", "role": "viewer"}),
    )
    .await;
    expect_error(down, 503, "unavailable").await;
    // One of `subject` or `email`.
    let both = add(
        &app,
        &olivia,
        json!({"subject": "x", "email": "ada@example.com", "role": "viewer"}),
    )
    .await;
    expect_error(both, 422, "invalid_request").await;
    let neither = add(&app, &olivia, json!({"role": "viewer"})).await;
    expect_error(neither, 422, "missing_field").await;

    let list = send(call(&app, Method::GET, MEMBERS, &olivia)).await;
    let (_, page) = expect_status(list, 200).await;
    assert_eq!(
        page["data"],
        json!([
            {"subject": ADA, "role": "billing", "customer": null, "email": "ada@example.com"},
            {"subject": "olivia", "role": "owner", "customer": null},
        ])
    );

    // Kratos gone: the team is still listed, only without e-mails.
    kratos.reset().await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .mount(&kratos)
        .await;
    let list = send(call(&app, Method::GET, MEMBERS, &olivia)).await;
    let (_, page) = expect_status(list, 200).await;
    assert_eq!(
        page["data"],
        json!([
            {"subject": ADA, "role": "billing", "customer": null},
            {"subject": "olivia", "role": "owner", "customer": null},
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_kratos_an_email_is_refused_and_subjects_work_as_before() {
    let app = TestApp::spawn().await;
    let olivia = member(&app, "default", "olivia", Role::Owner).await;
    let by_email = add(
        &app,
        &olivia,
        json!({"email": "ada@example.com", "role": "viewer"}),
    )
    .await;
    expect_error(by_email, 422, "unknown_identity").await;
    let (_, added) = expect_status(
        add(
            &app,
            &olivia,
            json!({"subject": "ada@example.com", "role": "viewer"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        added,
        json!({"subject": "ada@example.com", "role": "viewer", "customer": null})
    );
}
