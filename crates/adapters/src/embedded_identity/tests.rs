#![allow(clippy::unwrap_used)]

mod key_file;
mod tokens;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use jsonwebtoken::Algorithm;
use rand::RngCore;
use tollgate_application::ports::{AccessTokenVerifier, AuthError};

use super::{EmbeddedIdentityError, EmbeddedIssuer, KEY_FILE_NAME, ensure_loopback};

const ISSUER: &str = "http://127.0.0.1:8080/";
const AUDIENCE: &str = "tollgate";
const HOUR: Duration = Duration::from_secs(3600);

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let mut name = [0_u8; 8];
        rand::rng().fill_bytes(&mut name);
        let path =
            std::env::temp_dir().join(format!("tollgate-embedded-identity-{}", hex::encode(name)));
        Self(path)
    }

    /// A directory that does not exist yet, to check that it is made.
    fn keys(&self) -> PathBuf {
        self.0.join("keys")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn issuer_in(dir: &Path) -> EmbeddedIssuer {
    EmbeddedIssuer::load_or_create(dir, ISSUER.to_owned(), AUDIENCE.to_owned()).unwrap()
}

fn scopes() -> Vec<String> {
    vec!["usage:read".to_owned(), "usage:write".to_owned()]
}

fn mint(issuer: &EmbeddedIssuer) -> String {
    issuer
        .issue("alice", "acme", "owner", &scopes(), HOUR)
        .unwrap()
}

/// Claims that the issuer would accept, for tokens signed by something else.
fn acceptable_claims() -> serde_json::Value {
    let now = Utc::now().timestamp();
    serde_json::json!({
        "iss": ISSUER, "aud": [AUDIENCE], "sub": "mallory", "iat": now, "nbf": now,
        "exp": now + 3600, "jti": "x", "scp": ["usage:write"], "org": "acme", "role": "owner",
    })
}

async fn refusal(issuer: &EmbeddedIssuer, token: &str) -> String {
    match issuer.verify(token).await {
        Err(AuthError::Unauthenticated(reason)) => reason,
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_jwks_has_exactly_the_rfc_8037_members() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.keys());
    let jwks = issuer.jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = keys[0].as_object().unwrap();
    let mut members: Vec<&str> = key.keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x"]);
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"], issuer.kid());
    let x = key["x"].as_str().unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(x).unwrap().len(), 32);

    // The JWKS is usable as is by a generic verifier (the Hydra-style path).
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let decoding_key = jsonwebtoken::DecodingKey::from_jwk(&set.keys[0]).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[AUDIENCE]);
    let token = mint(&issuer);
    jsonwebtoken::decode::<serde_json::Value>(&token, &decoding_key, &validation).unwrap();
}

#[test]
fn the_kid_is_the_rfc_7638_thumbprint() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.keys());
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(issuer.jwks()).unwrap();
    let thumbprint = set.keys[0]
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .unwrap();
    assert_eq!(issuer.kid(), thumbprint);
}

#[test]
fn only_loopback_addresses_are_accepted_unless_forced() {
    let address = |text: &str| text.parse::<SocketAddr>().unwrap();
    for loopback in [
        "127.0.0.1:4444",
        "127.1.2.3:80",
        "[::1]:4444",
        "[::ffff:127.0.0.1]:80",
    ] {
        assert!(
            ensure_loopback(address(loopback), false).is_ok(),
            "{loopback}"
        );
    }
    for exposed in [
        "0.0.0.0:4444",
        "[::]:4444",
        "192.168.1.10:4444",
        "[2001:db8::1]:443",
    ] {
        let error = ensure_loopback(address(exposed), false).unwrap_err();
        assert!(
            matches!(error, EmbeddedIdentityError::NonLoopbackBind { .. }),
            "{exposed}"
        );
        assert!(ensure_loopback(address(exposed), true).is_ok(), "{exposed}");
    }
}
