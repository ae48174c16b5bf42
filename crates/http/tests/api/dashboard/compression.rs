//! Answers go compressed to clients that accept gzip (pages, static files, downloads), the
//! webhook ingest's excepted; and a compressed page's forms carry the CSRF token masked
//! afresh each time, so its compressed size tells nothing of the token (BREACH).

use std::io::Read;

use reqwest::header;
use serde_json::json;

use super::{browser, csrf_of, sign_in};
use crate::helpers::{TestApp, USAGE_PATH};

/// A page asked for with `Accept-Encoding: gzip`: its headers, and its HTML once inflated.
async fn gzipped(app: &TestApp, cookie: &str, path: &str) -> (header::HeaderMap, String) {
    let answer = browser()
        .get(app.url(path))
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), 200, "{path}");
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.expect("a body");
    let mut html = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut html)
        .expect("a gzip body");
    (headers, html)
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_are_gzipped_for_who_accepts_it_and_ingest_answers_are_not() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    let (headers, html) = gzipped(&app, &cookie, "/settings").await;
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert!(html.contains("<h1"), "the page itself once inflated");

    // A fresh pad per answer: two renders of one session's page carry different tokens,
    // and both are accepted.
    let (_, again) = gzipped(&app, &cookie, "/settings").await;
    let (first, second) = (csrf_of(&html), csrf_of(&again));
    assert_eq!(first.len(), 128);
    assert_ne!(first, second);
    for token in [&first, &second] {
        let posted = browser()
            .post(app.url("/settings/debug"))
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, &app.address)
            .form(&[("csrf", token.as_str()), ("debug_mode", "off")])
            .send()
            .await
            .expect("an answer");
        assert_eq!(posted.status(), 303, "{token}");
    }

    let ingest = app
        .client
        .post(app.url(USAGE_PATH))
        .bearer_auth(&app.secret)
        .header(header::ACCEPT_ENCODING, "gzip")
        .json(&json!([]))
        .send()
        .await
        .expect("the webhook answers");
    assert!(
        ingest.headers().get(header::CONTENT_ENCODING).is_none(),
        "{:?}",
        ingest.headers()
    );
}
