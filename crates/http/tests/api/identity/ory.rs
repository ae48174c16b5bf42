//! Ory at the HTTP level, with local stand-ins: Keto decides roles (and when it cannot answer,
//! nobody gets in), and Hydra's JWTs are verified against its published keys.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header;
use serde_json::{Value, json};
use tollgate_domain::access::Role;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_json, method, path},
};

use super::{
    keys::{
        RSA_1_N as RSA_N, RSA_1_PRIVATE_PEM as RSA_PRIVATE_PEM, RSA_1_PUBLIC_PEM as RSA_PUBLIC_PEM,
        RSA_E,
    },
    support::{expect_error, expect_status, grant, me, org_id, token},
};
use crate::helpers::TestApp;

const CHECK_PATH: &str = "/relation-tuples/check/openapi";
const HYDRA_ISSUER: &str = "https://hydra.test/";

fn keto_answers(status: u16, body: &Value) -> Mock {
    Mock::given(method("POST"))
        .and(path(CHECK_PATH))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keto_decides_roles_and_a_keto_that_cannot_answer_lets_nobody_in() {
    let keto = MockServer::start().await;
    let keto_url = keto.uri();
    let app = TestApp::spawn_with(move |settings| settings.ory.keto_read_url = keto_url).await;
    let default = org_id(&app, "default").await;
    let alice_is_owner = json!({
        "namespace": "organizations",
        "object": default.to_string(),
        "relation": "owner",
        "subject_id": "alice",
    });
    let mount_roles = || async {
        Mock::given(method("POST"))
            .and(path(CHECK_PATH))
            .and(body_json(&alice_is_owner))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "allowed": true })))
            .with_priority(1)
            .mount(&keto)
            .await;
        keto_answers(200, &json!({ "allowed": false }))
            .with_priority(2)
            .mount(&keto)
            .await;
    };
    mount_roles().await;
    // Tokens come from the embedded issuer; nobody is in the memberships table.
    let alice = token(&app, "alice", "default", Role::Viewer).await;
    let bob = token(&app, "bob", "default", Role::Owner).await;

    let (_, body) = expect_status(me(&app, &alice).await, 200).await;
    assert_eq!(body["role"], "owner", "the role is Keto's, not the token's");
    assert_eq!(body["actor"], "user:alice");
    let asked: Vec<Value> = keto
        .received_requests()
        .await
        .expect("requests are recorded")
        .iter()
        .map(|request| request.body_json().expect("a JSON body"))
        .collect();
    assert_eq!(asked, std::slice::from_ref(&alice_is_owner));

    expect_error(me(&app, &bob).await, 403, "forbidden").await;
    // A membership row means nothing while Keto is in charge.
    grant(&app, "default", "bob", Role::Owner).await;
    expect_error(me(&app, &bob).await, 403, "forbidden").await;
    let relations: Vec<Value> = keto
        .received_requests()
        .await
        .expect("requests are recorded")
        .iter()
        .skip(1)
        .take(4)
        .map(|request| request.body_json::<Value>().expect("JSON")["relation"].clone())
        .collect();
    assert_eq!(relations, ["owner", "admin", "billing", "viewer"]);

    // Keto says no to everyone.
    keto.reset().await;
    keto_answers(200, &json!({ "allowed": false }))
        .mount(&keto)
        .await;
    expect_error(me(&app, &alice).await, 403, "forbidden").await;

    // Keto fails (503, never let through) or answers what is no check result (a 403 from a
    // proxy in front of it: 502, never let through either).
    keto.reset().await;
    keto_answers(500, &json!({ "error": "boom" }))
        .mount(&keto)
        .await;
    let headers = expect_error(me(&app, &alice).await, 503, "unavailable").await;
    assert_eq!(headers[header::RETRY_AFTER], "2");
    keto.reset().await;
    keto_answers(403, &json!({})).mount(&keto).await;
    expect_error(me(&app, &alice).await, 502, "upstream_invalid_answer").await;

    // Back to normal, the same token works again: nothing was cached from the failures.
    keto.reset().await;
    mount_roles().await;
    expect_status(me(&app, &alice).await, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keto_that_is_not_listening_lets_nobody_in() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = closed.local_addr().expect("an address");
    drop(closed);
    let app = TestApp::spawn_with(move |settings| {
        settings.ory.keto_read_url = format!("http://{address}");
    })
    .await;
    grant(&app, "default", "alice", Role::Owner).await;
    let alice = token(&app, "alice", "default", Role::Owner).await;

    let headers = expect_error(me(&app, &alice).await, 503, "unavailable").await;
    assert_eq!(headers[header::RETRY_AFTER], "2");
}

fn hydra_claims(audience: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": HYDRA_ISSUER,
        "sub": "hydra-user",
        "aud": [audience],
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "jti": "b7e2c1d0-5f3a-4e9b-8c7d-6a5b4c3d2e1f",
        "client_id": "dashboard",
        "scp": ["openid", "usage:read"],
        "ext": { "org": "default" },
    })
}

fn sign(algorithm: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(algorithm);
    header.kid = Some("rsa-1".into());
    jsonwebtoken::encode(&header, claims, key).expect("the token is signed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hydra_tokens_are_verified_against_its_published_keys() {
    let hydra = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/jwks.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "keys": [{
                "kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": RSA_N, "e": RSA_E,
            }],
        })))
        .mount(&hydra)
        .await;
    let jwks_url = format!("{}/.well-known/jwks.json", hydra.uri());
    let app = TestApp::spawn_with(move |settings| {
        settings.ory.hydra_jwks_url = jwks_url;
        settings.ory.hydra_issuer = HYDRA_ISSUER.into();
        settings.ory.audience = "tollgate".into();
    })
    .await;
    // No Keto: the role comes from the memberships table.
    grant(&app, "default", "hydra-user", Role::Owner).await;
    let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE_PEM.as_bytes()).expect("an RSA key");

    let valid = sign(Algorithm::RS256, &rsa, &hydra_claims("tollgate"));
    let (_, body) = expect_status(me(&app, &valid).await, 200).await;
    assert_eq!(body["actor"], "user:hydra-user");
    assert_eq!(body["role"], "owner");
    assert_eq!(
        body["organization"],
        org_id(&app, "default").await.to_string()
    );
    assert_eq!(body["scopes"], json!(["usage:read"]), "narrowed by `scp`");

    // The old trick: HS256 with the RSA public key as the HMAC secret.
    let hmac = EncodingKey::from_secret(RSA_PUBLIC_PEM.as_bytes());
    let confused = sign(Algorithm::HS256, &hmac, &hydra_claims("tollgate"));
    expect_error(me(&app, &confused).await, 401, "unauthorized").await;
    // Genuinely signed, for someone else.
    let elsewhere = sign(Algorithm::RS256, &rsa, &hydra_claims("another-api"));
    expect_error(me(&app, &elsewhere).await, 401, "unauthorized").await;
}
