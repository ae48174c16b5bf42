//! Who may call at all (401), what a valid caller's role allows (403), and the limit on failed
//! authentications (429).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, header};
use serde_json::json;
use tollgate_adapters::embedded_identity::{EmbeddedClaims, EmbeddedIssuer};
use tollgate_domain::access::Role;
use uuid::Uuid;

use super::{
    keys::ED_PRIVATE_PEM,
    support::{
        TOKEN_TTL, call, expect_error, expect_status, issuer, me, member, org_id, scopes_of, send,
        token,
    },
};
use crate::helpers::{TestApp, captured_logs};

/// The claims an owner of `default` would get, at `now` (seconds) for `ttl` seconds.
fn claims(issuer: &EmbeddedIssuer, now: i64, ttl: i64) -> EmbeddedClaims {
    EmbeddedClaims {
        iss: issuer.issuer().to_owned(),
        aud: vec![issuer.audience().to_owned()],
        sub: "alice".into(),
        iat: now,
        nbf: now,
        exp: now + ttl,
        jti: Uuid::new_v4().to_string(),
        scp: scopes_of(Role::Owner),
        org: "default".into(),
        role: "owner".into(),
    }
}

fn sign(claims: &EmbeddedClaims, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).expect("the token is signed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_valid_credential_are_unauthorized() {
    let app = TestApp::spawn().await;
    let issuer = issuer(&app).await;
    let valid = member(&app, "default", "alice", Role::Owner).await;
    let now = chrono::Utc::now().timestamp();

    let response = send(app.client.get(app.url("/api/me"))).await;
    let headers = expect_error(response, 401, "unauthorized").await;
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    // Without Kratos, sessions are not a way in either.
    for (name, value) in [
        ("x-session-token", "ory_st_abc"),
        ("cookie", "ory_session=abc"),
    ] {
        let request = app.client.get(app.url("/api/me")).header(name, value);
        expect_error(send(request).await, 401, "unauthorized").await;
    }
    for authorization in ["Basic x", "Bearer ", "Bearer", "Bearer not-a-token"] {
        let request = app
            .client
            .get(app.url("/api/me"))
            .header(header::AUTHORIZATION, authorization);
        expect_error(send(request).await, 401, "unauthorized").await;
    }

    // `alg: none`: the right claims, no signature.
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD
            .encode(json!({"alg": "none", "typ": "JWT", "kid": issuer.kid()}).to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(&issuer, now, 600)).expect("JSON")),
    );
    // Signed by another Ed25519 key, under the issuer's key id.
    let other_key = EncodingKey::from_ed_pem(ED_PRIVATE_PEM.as_bytes()).expect("a key");
    let forged = sign(&claims(&issuer, now, 600), issuer.kid(), &other_key);
    // Signed by the issuer's own key, but expired beyond the leeway. (PKCS#8 of an Ed25519
    // key is a fixed prefix and its 32-byte secret.)
    let seed = app.issuer_seed().await;
    let mut der = hex::decode("302e020100300506032b657004220420").expect("hex");
    der.extend_from_slice(&seed);
    let real_key = EncodingKey::from_ed_der(&der);
    let expired = sign(&claims(&issuer, now - 3600, 60), issuer.kid(), &real_key);
    let fresh = sign(&claims(&issuer, now, 600), issuer.kid(), &real_key);
    let not_yet_valid = sign(&claims(&issuer, now + 3600, 600), issuer.kid(), &real_key);
    // The same key, minting for another audience, or as another issuer.
    let mint = |issuer_name: &str, audience: &str| {
        EmbeddedIssuer::from_seed(&seed, issuer_name.into(), audience.into())
            .expect("the key loads")
            .issue(
                "alice",
                "default",
                "owner",
                &scopes_of(Role::Owner),
                TOKEN_TTL,
            )
            .expect("a token")
    };
    let other_audience = mint(issuer.issuer(), "someone-else");
    let other_issuer = mint("another-issuer", issuer.audience());
    let same_key_same_claims = mint(issuer.issuer(), issuer.audience());

    for (what, bad) in [
        ("alg none", unsigned),
        ("forged", forged),
        ("expired", expired),
        ("not yet valid", not_yet_valid),
        ("other audience", other_audience),
        ("other issuer", other_issuer),
    ] {
        let (headers, body) = expect_status(me(&app, &bad).await, 401).await;
        assert_eq!(body["error"]["code"], "unauthorized", "{what}: {body}");
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer", "{what}");
    }
    // The controls: the key read from the file and its copy really are the app's, and alice
    // really is an owner.
    expect_status(me(&app, &fresh).await, 200).await;
    expect_status(me(&app, &same_key_same_claims).await, 200).await;
    expect_status(me(&app, &valid).await, 200).await;
    let logs = captured_logs();
    for secret in [&valid, &fresh, &same_key_same_claims] {
        assert!(!logs.contains(secret.as_str()), "a token reached the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_decide_what_a_valid_token_may_do() {
    let app = TestApp::spawn().await;
    let default = org_id(&app, "default").await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let viewer = member(&app, "default", "victor", Role::Viewer).await;
    // A genuine token whose subject is nobody's member, claiming to be an owner.
    let stranger = token(&app, "mallory", "default", Role::Owner).await;

    let (_, body) = expect_status(me(&app, &owner).await, 200).await;
    assert_eq!(
        body,
        json!({
            "actor": "user:olivia",
            "organization": default.to_string(),
            "organization_slug": "default",
            "organization_name": "Default organization",
            "role": "owner",
            "scopes": ["usage:read", "billing:read", "billing:write", "settings:write", "events:write"],
        })
    );
    let (_, body) = expect_status(me(&app, &viewer).await, 200).await;
    assert_eq!(body["role"], "viewer");
    assert_eq!(body["scopes"], json!(["usage:read", "billing:read"]));

    let keys = |bearer: &str| send(call(&app, Method::GET, "/api/settings/api-keys", bearer));
    expect_error(keys(&viewer).await, 403, "forbidden").await;
    expect_status(keys(&owner).await, 200).await;
    expect_error(me(&app, &stranger).await, 403, "forbidden").await;
    expect_error(keys(&stranger).await, 403, "forbidden").await;

    // A token narrowed to `usage:read` cannot use the owner's other scopes.
    let narrowed = issuer(&app)
        .await
        .issue(
            "olivia",
            "default",
            "owner",
            &["usage:read".into()],
            TOKEN_TTL,
        )
        .expect("a token");
    let (_, body) = expect_status(me(&app, &narrowed).await, 200).await;
    assert_eq!(body["scopes"], json!(["usage:read"]));
    expect_error(keys(&narrowed).await, 403, "forbidden").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_authentications_are_limited_per_client() {
    let app = TestApp::spawn().await;
    let valid = member(&app, "default", "alice", Role::Owner).await;
    let limit = tollgate_http::Settings::load()
        .expect("the defaults load")
        .identity
        .max_failed_auth_per_minute;
    assert_eq!(limit, 20);

    // Refusals that are not failed authentications do not count.
    let viewer = member(&app, "default", "victor", Role::Viewer).await;
    for _ in 0..limit {
        let response = send(call(&app, Method::GET, "/api/audit", &viewer)).await;
        expect_error(response, 403, "forbidden").await;
    }
    expect_status(me(&app, &valid).await, 200).await;

    for _ in 0..limit {
        expect_error(me(&app, "not-a-token").await, 401, "unauthorized").await;
    }
    let headers = expect_error(me(&app, &valid).await, 429, "too_many_requests").await;
    assert_eq!(headers[header::RETRY_AFTER], "60");
    // A forwarding header claiming another client changes nothing.
    let request =
        call(&app, Method::GET, "/api/me", &valid).header("x-forwarded-for", "203.0.113.9");
    expect_error(send(request).await, 429, "too_many_requests").await;
    // API keys are refused as well: the block is on the client, not on the credential.
    let headers = expect_error(
        me(
            &app,
            "tg_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .await,
        429,
        "too_many_requests",
    )
    .await;
    assert!(headers.contains_key(header::RETRY_AFTER));
    // Routes outside `/api` are not behind the limit.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}
