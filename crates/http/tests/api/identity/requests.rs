//! Malformed requests to `/api`: authentication and authorization come before the body is
//! looked at, and what is refused is refused in the documented error format
//! (`{"error": {"code", "message"}}`).

use reqwest::{
    Method, Response,
    header::{self, HeaderValue},
};
use tollgate_domain::access::Role;

use super::support::{ORG_HEADER, call, create_org, expect_error, me, member, send};
use crate::helpers::{TestApp, status_and_json};

/// (method, path, content type, body) that the JSON extractors cannot read.
const MALFORMED: [(Method, &str, &str, &str); 6] = [
    (Method::PUT, "/api/settings", "application/json", "{"),
    (
        Method::PUT,
        "/api/settings",
        "application/json",
        r#"{"nope": 1}"#,
    ),
    (Method::PUT, "/api/settings", "text/plain", "{}"),
    (
        Method::POST,
        "/api/settings/api-keys",
        "application/json",
        "[]",
    ),
    (
        Method::POST,
        "/api/settings/litellm-secrets",
        "application/json",
        "{",
    ),
    (Method::GET, "/api/audit?after=abc", "application/json", ""),
];

async fn malformed(app: &TestApp, bearer: Option<&str>) -> Vec<(String, Response)> {
    let mut answers = Vec::new();
    for (method, path, content_type, body) in MALFORMED {
        let mut request = app
            .client
            .request(method.clone(), app.url(path))
            .header(header::CONTENT_TYPE, content_type)
            .body(body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        answers.push((format!("{method} {path} {body}"), send(request).await));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_without_a_credential_are_refused_before_their_bodies_are_read() {
    let app = TestApp::spawn().await;
    for bearer in [None, Some("not-a-token")] {
        for (what, response) in malformed(&app, bearer).await {
            let (status, body) = status_and_json(response).await;
            assert_eq!(status, 401, "{what}: {body}");
            assert_eq!(body["error"]["code"], "unauthorized", "{what}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_are_authorized_before_their_bodies_are_read() {
    let app = TestApp::spawn().await;
    let viewer = member(&app, "default", "victor", Role::Viewer).await;
    let unknown_key = "tg_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    for (what, response) in malformed(&app, Some(unknown_key)).await {
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{what}");
    }
    for (what, response) in malformed(&app, Some(&viewer)).await {
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 403, "{what}: {body}");
        assert_eq!(body["error"]["code"], "forbidden", "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorized_caller_with_a_malformed_request_gets_a_json_error() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;

    for (what, response) in malformed(&app, Some(&owner)).await {
        let (status, expected) = if what.contains('?') {
            (400, "invalid_query")
        } else if what.starts_with("PUT /api/settings {}") {
            // The text/plain one: a body of another type is not malformed JSON.
            (415, "unsupported_media_type")
        } else {
            (400, "invalid_json")
        };
        let headers = expect_error(response, status, expected).await;
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{what}");
    }
    assert_eq!(app.count("api_keys").await, 0);
    assert_eq!(app.count("organization_settings").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_organization_header_is_refused_not_ignored() {
    let app = TestApp::spawn().await;
    create_org(&app, "beta").await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    // The control: naming beta readably is refused (olivia is no member there).
    let request = call(&app, Method::GET, "/api/me", &owner).header(ORG_HEADER, "beta");
    expect_error(send(request).await, 403, "forbidden").await;
    expect_error(me(&app, "not-a-token").await, 401, "unauthorized").await;

    let unreadable = HeaderValue::from_bytes(b"beta\xff").expect("obs-text is a valid value");
    let request = call(&app, Method::GET, "/api/me", &owner).header(ORG_HEADER, unreadable);
    let (status, body) = status_and_json(send(request).await).await;
    assert!(
        matches!(status, 400 | 403),
        "a request naming an organization acted elsewhere: {status} {body}"
    );
}
