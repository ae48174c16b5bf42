//! The stand-ins for Hydra's admin API, Kratos and Keto, answering what Ory documents
//! (contracts: Hydra `introspectedOAuth2Token`, Kratos `session` and `errorGeneric`, Keto
//! `checkPermissionResult`), and the adapters pointed at them.

use std::sync::Arc;

use serde_json::json;
use tollgate_adapters::ory::{
    HydraIntrospection, HydraIntrospectionConfig, HydraJwtConfig, HydraJwtVerifier, KetoConfig,
    KetoPermissions, KratosConfig, KratosSessions,
};
use tollgate_application::ports::RelationCheck;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{keys, support::*};

pub async fn hydra_with_keys() -> (MockServer, JwksStandIn) {
    let server = MockServer::start().await;
    let keys = vec![
        rsa_jwk("rsa-1", keys::RSA_1_N),
        ec_jwk("ec-1"),
        ed_jwk("ed-1"),
    ];
    let jwks = JwksStandIn::mount(&server, keys).await;
    (server, jwks)
}

pub fn jwt_verifier(
    server: &MockServer,
    clock: &Arc<ManualClock>,
) -> Result<HydraJwtVerifier, Box<dyn std::error::Error>> {
    let jwks_url = base_url(server)?.join(JWKS_PATH)?;
    let config = HydraJwtConfig::new(ISSUER, jwks_url, AUDIENCE);
    Ok(HydraJwtVerifier::with_clock(config, clock.clone())?)
}

pub const INTROSPECT_PATH: &str = "/admin/oauth2/introspect";

pub const OPAQUE: &str = "ory_at_Xr0b-XUhsFJ4vY3nQ_8sEZ4.qW2Jc9fT0mB7aLk5yV1eRnH3uP6sD8gZ";

pub async fn hydra_admin(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(INTROSPECT_PATH))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

pub fn active_answer(now: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "active": true,
        "sub": "0b1c9a4e-6f51-4f0e-9d2f-5a1b8c7d6e5f",
        "client_id": "billing-dashboard",
        "scope": "usage:read usage:write",
        "aud": [AUDIENCE],
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        // Hydra writes its issuer with exactly one trailing slash.
        "iss": "https://auth.tollgate.test/",
        "token_type": "Bearer",
        "token_use": "access_token",
        "ext": {"org": "acme"},
    }))
}

pub fn introspection(
    server: &MockServer,
    clock: &Arc<ManualClock>,
) -> Result<HydraIntrospection, Box<dyn std::error::Error>> {
    let mut config = HydraIntrospectionConfig::new(base_url(server)?);
    config.issuer = Some("https://auth.tollgate.test".to_owned());
    config.audience = Some(AUDIENCE.to_owned());
    config.api_key = Some("ory_pat_test-api-key".to_owned().into());
    Ok(HydraIntrospection::with_clock(config, clock.clone())?)
}

pub const WHOAMI_PATH: &str = "/sessions/whoami";

pub const COOKIE: &str = "theme=dark; ory_kratos_session=MTY5NzA0NTk2NnxEdi1CQkFFQ180SUFBUkFCRUFBQVJfLUNBQUV=; csrf_token_806=x9Uq";

pub fn session_answer(now: i64) -> ResponseTemplate {
    let expires = chrono::DateTime::from_timestamp(now + 3600, 0).unwrap_or_default();
    ResponseTemplate::new(200)
        .insert_header("X-Kratos-Authenticated-Identity-Id", "9f425a8d-7efc-4768-8f23-7647a74fdf13")
        .set_body_json(json!({
            "id": "4fbd3d4c-2a47-4a39-9b4c-6d0f6c1b5e8a",
            "active": true,
            "expires_at": expires.to_rfc3339(),
            "authenticated_at": "2026-11-25T11:00:00Z",
            "issued_at": "2026-11-25T11:00:00Z",
            "authenticator_assurance_level": "aal1",
            "authentication_methods": [{"method": "password", "aal": "aal1", "completed_at": "2026-11-25T11:00:00Z"}],
            "identity": {
                "id": "9f425a8d-7efc-4768-8f23-7647a74fdf13",
                "schema_id": "default",
                "schema_url": "https://id.tollgate.test/schemas/default",
                "state": "active",
                "traits": {"email": "ada@example.com", "name": {"first": "Ada"}},
            },
        }))
}

pub fn kratos_error(status: u16, id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"id": id, "code": status, "status": "Unauthorized", "message": "no"},
    }))
}

pub async fn kratos(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(WHOAMI_PATH))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

pub fn sessions(
    server: &MockServer,
    clock: &Arc<ManualClock>,
) -> Result<KratosSessions, Box<dyn std::error::Error>> {
    Ok(KratosSessions::with_clock(
        KratosConfig::new(base_url(server)?),
        clock.clone(),
    )?)
}

pub const CHECK_PATH: &str = "/relation-tuples/check/openapi";

pub fn question() -> RelationCheck {
    RelationCheck {
        namespace: "Organization".to_owned(),
        object: "acme".to_owned(),
        relation: "members".to_owned(),
        subject: "9f425a8d-7efc-4768-8f23-7647a74fdf13".to_owned(),
    }
}

pub async fn keto(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(CHECK_PATH))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

pub fn permissions(server: &MockServer) -> Result<KetoPermissions, Box<dyn std::error::Error>> {
    Ok(KetoPermissions::new(KetoConfig::new(base_url(server)?))?)
}
