//! What the Ory tests share: a clock the test moves by hand, JWT minting with the fixed test
//! keys, a Hydra JWKS stand-in whose key set can be swapped (rotation) or taken down, and a
//! URL where nothing listens.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tollgate_application::{
    PortError,
    ports::{AuthError, Clock},
};
use url::Url;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

use super::keys;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub fn unauthenticated<T: std::fmt::Debug>(result: Result<T, AuthError>) -> bool {
    matches!(result, Err(AuthError::Unauthenticated(_)))
}

pub fn unavailable<T: std::fmt::Debug>(result: Result<T, AuthError>) -> bool {
    matches!(
        result,
        Err(AuthError::Upstream(PortError::Unavailable { .. }))
    )
}

/// How Ory failed to give a usable answer; panics on any other outcome.
pub fn upstream<T: std::fmt::Debug>(result: Result<T, AuthError>) -> PortError {
    match result {
        Err(AuthError::Upstream(error)) => error,
        other => panic!("expected an upstream failure, got {other:?}"),
    }
}

pub const ISSUER: &str = "https://auth.tollgate.test/";
pub const AUDIENCE: &str = "tollgate-api";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// 2026-11-25T12:00:00Z: every test starts here.
pub const START: i64 = 1_795_608_000;

pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(
            DateTime::from_timestamp(START, 0).unwrap_or_default(),
        )))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += TimeDelta::from_std(by).unwrap_or_default();
    }

    pub fn seconds(&self) -> i64 {
        self.now().timestamp()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Claims as Hydra writes them for a JWT access token (fosite `JWTClaims.ToMap`), valid for
/// five minutes from `now`.
pub fn hydra_claims(now: i64) -> Value {
    json!({
        "iss": ISSUER,
        "sub": "0b1c9a4e-6f51-4f0e-9d2f-5a1b8c7d6e5f",
        "aud": [AUDIENCE],
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "jti": "7a2d4f3c-1b0e-4c9d-8e7f-6a5b4c3d2e1f",
        "client_id": "billing-dashboard",
        "scp": ["usage:read", "usage:write"],
        "ext": {"org": "acme"},
    })
}

pub fn mint(
    algorithm: Algorithm,
    kid: &str,
    claims: &Value,
) -> Result<String, Box<dyn std::error::Error>> {
    let key = match algorithm {
        Algorithm::RS256 if kid == "rsa-2" => {
            EncodingKey::from_rsa_pem(keys::RSA_2_PRIVATE_PEM.as_bytes())?
        }
        Algorithm::RS256 => EncodingKey::from_rsa_pem(keys::RSA_1_PRIVATE_PEM.as_bytes())?,
        Algorithm::ES256 => EncodingKey::from_ec_pem(keys::EC_PRIVATE_PEM.as_bytes())?,
        Algorithm::EdDSA => EncodingKey::from_ed_pem(keys::ED_PRIVATE_PEM.as_bytes())?,
        other => return Err(format!("no test key for {other:?}").into()),
    };
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.to_owned());
    Ok(jsonwebtoken::encode(&header, claims, &key)?)
}

/// A token with any header, unsigned or signed by the caller: for the attacks.
pub fn forge(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

pub fn rsa_jwk(kid: &str, n: &str) -> Value {
    json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": n, "e": keys::RSA_E})
}

pub fn ec_jwk(kid: &str) -> Value {
    json!({"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": keys::EC_X, "y": keys::EC_Y})
}

pub fn ed_jwk(kid: &str) -> Value {
    json!({"kty": "OKP", "kid": kid, "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": keys::ED_X})
}

/// Hydra's `GET /.well-known/jwks.json`, answering whatever key set the test last gave it, or
/// 503 while it is down.
#[derive(Clone)]
pub struct JwksStandIn {
    keys: Arc<Mutex<Option<Vec<Value>>>>,
}

impl JwksStandIn {
    pub async fn mount(server: &MockServer, keys: Vec<Value>) -> Self {
        let stand_in = Self {
            keys: Arc::new(Mutex::new(Some(keys))),
        };
        Mock::given(matchers::method("GET"))
            .and(matchers::path(JWKS_PATH))
            .respond_with(stand_in.clone())
            .mount(server)
            .await;
        stand_in
    }

    pub fn publish(&self, keys: Vec<Value>) {
        *self.keys.lock().unwrap_or_else(PoisonError::into_inner) = Some(keys);
    }

    pub fn take_down(&self) {
        *self.keys.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

impl Respond for JwksStandIn {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        match &*self.keys.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(keys) => ResponseTemplate::new(200).set_body_json(json!({ "keys": keys })),
            None => ResponseTemplate::new(503).set_body_json(json!({
                "error": "temporarily_unavailable", "status_code": 503,
            })),
        }
    }
}

/// How many requests the stand-in received (all paths).
pub async fn request_count(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map_or(0, |requests| requests.len())
}

pub async fn only_request(server: &MockServer) -> Result<Request, Box<dyn std::error::Error>> {
    let mut requests = server.received_requests().await.unwrap_or_default();
    match requests.len() {
        1 => Ok(requests.remove(0)),
        count => Err(format!("expected one request, got {count}").into()),
    }
}

pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// A base URL on this machine where nothing listens (connection refused at once).
pub fn closed_url() -> Result<Url, Box<dyn std::error::Error>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    drop(listener);
    Ok(Url::parse(&format!("http://127.0.0.1:{port}/"))?)
}

pub fn base_url(server: &MockServer) -> Result<Url, Box<dyn std::error::Error>> {
    Ok(Url::parse(&server.uri())?)
}
