//! JWT signatures against a stand-in Lago serving its public key as Lago does: Base64 of the
//! PEM text with Ruby's `encode64` line breaks. The keys are the test-only ones of
//! `tests/fixtures/lago/`.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::SecretString;
use serde_json::{Value, json};
use tollgate_application::ports::{Clock, SignatureError};
use url::Url;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use super::fixture;
use crate::lago::webhook::{LagoJwtConfig, LagoJwtVerifier};

const KEY_PATH: &str = "/api/v1/webhooks/json_public_key";
const API_KEY: &str = "lago-api-key-test";
const ISSUER: &str = "http://lago.test:3000";
const BODY: &str = r#"{"webhook_type":"invoice.created","object_type":"invoice","invoice":{"lago_id":"2b012b01-2b01-2b01-2b01-2b012b012b01"}}"#;

struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, seconds: i64) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += TimeDelta::seconds(seconds);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

/// Ruby's `Base64.encode64`: standard Base64, a line break every 60 characters and at the end.
fn encode64(bytes: &[u8]) -> String {
    let text = STANDARD.encode(bytes);
    let mut lines: Vec<&str> = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(60));
        lines.push(line);
        rest = tail;
    }
    format!("{}\n", lines.join("\n"))
}

fn key_answer(public_pem: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({ "webhook": { "public_key": encode64(public_pem.as_bytes()) } }))
}

fn sign(private_pem: &str, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("a test RSA key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("a token")
}

fn signed_by_a(claims: &Value) -> String {
    sign(fixture!("test_key_a.pem"), claims)
}

fn lago_claims() -> Value {
    json!({ "data": BODY, "iss": ISSUER })
}

async fn lago_serving(public_pem: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(KEY_PATH))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .respond_with(key_answer(public_pem))
        .mount(&server)
        .await;
    server
}

fn verifier(server: &MockServer, clock: Arc<TestClock>) -> LagoJwtVerifier {
    let mut config = LagoJwtConfig::new(
        Url::parse(&server.uri()).expect("a URL"),
        SecretString::from(API_KEY),
        ISSUER,
    );
    config.key_refetch_cooldown = Duration::from_secs(60);
    config.timeout = Duration::from_secs(2);
    LagoJwtVerifier::with_clock(config, clock).expect("a verifier")
}

fn clock() -> Arc<TestClock> {
    Arc::new(TestClock(Mutex::new(start())))
}

async fn key_fetches(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|request| request.url.path() == KEY_PATH)
        .count()
}

fn is_invalid(verdict: &Result<(), SignatureError>) -> bool {
    matches!(verdict, Err(SignatureError::Invalid(_)))
}

#[tokio::test]
async fn lago_tokens_without_exp_verify_and_the_key_is_fetched_once() {
    let server = lago_serving(fixture!("test_key_a.pub.pem")).await;
    let verifier = verifier(&server, clock());
    let token = signed_by_a(&lago_claims());
    for _ in 0..3 {
        let verdict = verifier.verify(&token, BODY.as_bytes()).await;
        assert!(verdict.is_ok(), "{verdict:?}");
    }
    // A trailing slash on Lago's side is the same issuer.
    let slashed = signed_by_a(&json!({ "data": BODY, "iss": format!("{ISSUER}/") }));
    assert!(verifier.verify(&slashed, BODY.as_bytes()).await.is_ok());
    assert_eq!(key_fetches(&server).await, 1);
}

#[tokio::test]
async fn the_claims_must_name_our_issuer_and_carry_exactly_the_body() {
    let server = lago_serving(fixture!("test_key_a.pub.pem")).await;
    let clock = clock();
    let verifier = verifier(&server, Arc::clone(&clock));
    let token = signed_by_a(&lago_claims());
    let refused = [
        (
            "another issuer",
            signed_by_a(&json!({ "data": BODY, "iss": "http://evil.test" })),
            BODY.to_owned(),
        ),
        (
            "no issuer",
            signed_by_a(&json!({ "data": BODY })),
            BODY.to_owned(),
        ),
        ("another body", token.clone(), BODY.replace("2b01", "2b02")),
        ("a re-serialised body", token.clone(), format!("{BODY}\n")),
        (
            "data that is not text",
            signed_by_a(&json!({ "data": { "webhook_type": "x" }, "iss": ISSUER })),
            BODY.to_owned(),
        ),
        (
            "an exp that has passed",
            signed_by_a(&json!({ "data": BODY, "iss": ISSUER, "exp": start().timestamp() - 60 })),
            BODY.to_owned(),
        ),
    ];
    for (why, token, body) in refused {
        let verdict = verifier.verify(&token, body.as_bytes()).await;
        assert!(is_invalid(&verdict), "{why}: {verdict:?}");
    }
    let later =
        signed_by_a(&json!({ "data": BODY, "iss": ISSUER, "exp": start().timestamp() + 600 }));
    assert!(verifier.verify(&later, BODY.as_bytes()).await.is_ok());
    clock.advance(700);
    assert!(is_invalid(&verifier.verify(&later, BODY.as_bytes()).await));
    // None of these is a signature failure: the key is not fetched again.
    assert_eq!(key_fetches(&server).await, 1);
}

#[tokio::test]
async fn none_and_hs256_forgeries_are_refused_before_any_key_is_fetched() {
    let server = lago_serving(fixture!("test_key_a.pub.pem")).await;
    let verifier = verifier(&server, clock());
    let claims = URL_SAFE_NO_PAD.encode(lago_claims().to_string());
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{claims}.");
    assert!(is_invalid(
        &verifier.verify(&unsigned, BODY.as_bytes()).await
    ));
    // The classic confusion: HS256 with the public key's PEM text as the shared secret.
    let public_pem = fixture!("test_key_a.pub.pem");
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &lago_claims(),
        &EncodingKey::from_secret(public_pem.as_bytes()),
    )
    .expect("a token");
    assert!(is_invalid(&verifier.verify(&hs256, BODY.as_bytes()).await));
    assert!(is_invalid(
        &verifier.verify("not a jwt", BODY.as_bytes()).await
    ));
    assert_eq!(key_fetches(&server).await, 0);
}

#[tokio::test]
async fn a_rotated_key_is_refetched_at_most_once_per_cooldown() {
    let server = MockServer::start().await;
    // Key A is served once; every later fetch gets key B (Lago rotated its key).
    Mock::given(method("GET"))
        .and(path(KEY_PATH))
        .respond_with(key_answer(fixture!("test_key_a.pub.pem")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(KEY_PATH))
        .respond_with(key_answer(fixture!("test_key_b.pub.pem")))
        .with_priority(2)
        .mount(&server)
        .await;
    let clock = clock();
    let verifier = verifier(&server, Arc::clone(&clock));
    let by_a = signed_by_a(&lago_claims());
    let by_b = sign(fixture!("test_key_b.pem"), &lago_claims());

    assert!(verifier.verify(&by_a, BODY.as_bytes()).await.is_ok());
    assert_eq!(key_fetches(&server).await, 1);

    // Within the cooldown of the first fetch: B's signature fails, nothing is fetched.
    clock.advance(10);
    for _ in 0..5 {
        assert!(is_invalid(&verifier.verify(&by_b, BODY.as_bytes()).await));
    }
    assert_eq!(key_fetches(&server).await, 1);

    // After it: one fetch brings key B, and B's webhooks verify from then on.
    clock.advance(60);
    assert!(verifier.verify(&by_b, BODY.as_bytes()).await.is_ok());
    assert!(verifier.verify(&by_b, BODY.as_bytes()).await.is_ok());
    assert_eq!(key_fetches(&server).await, 2);

    // A's (withdrawn) signatures now fail, without another fetch within the cooldown.
    clock.advance(1);
    for _ in 0..5 {
        assert!(is_invalid(&verifier.verify(&by_a, BODY.as_bytes()).await));
    }
    assert_eq!(key_fetches(&server).await, 2);
}

#[tokio::test]
async fn a_key_that_cannot_be_fetched_is_unavailable_not_invalid() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(KEY_PATH))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let clock = clock();
    let verifier = verifier(&server, Arc::clone(&clock));
    let token = signed_by_a(&lago_claims());
    let verdict = verifier.verify(&token, BODY.as_bytes()).await;
    assert!(
        matches!(&verdict, Err(SignatureError::Unavailable { service: "lago", reason }) if reason.contains("503")),
        "{verdict:?}"
    );
    // Lago down: one attempt per cooldown, however many webhooks come.
    assert!(verifier.verify(&token, BODY.as_bytes()).await.is_err());
    assert_eq!(key_fetches(&server).await, 1);

    server.reset().await;
    Mock::given(method("GET"))
        .and(path(KEY_PATH))
        .respond_with(key_answer(fixture!("test_key_a.pub.pem")))
        .mount(&server)
        .await;
    clock.advance(61);
    assert!(verifier.verify(&token, BODY.as_bytes()).await.is_ok());
}
