//! Minting and verifying: what is accepted, and the forgeries and mistakes that are not.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tollgate_application::ports::AccessTokenVerifier;

use super::{
    AUDIENCE, EmbeddedIdentityError, EmbeddedIssuer, HOUR, ISSUER, TempDir, acceptable_claims,
    issuer_in, mint, refusal, scopes,
};

#[tokio::test]
async fn an_issued_token_verifies() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.keys());
    let token = mint(&issuer);

    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some(issuer.kid()));

    let verified = issuer.verify(&token).await.unwrap();
    assert_eq!(verified.subject, "alice");
    assert_eq!(verified.organization.as_deref(), Some("acme"));
    assert_eq!(verified.scopes, scopes());
    let expires_at = verified.expires_at.unwrap();
    let remaining = expires_at - Utc::now();
    assert!(remaining > chrono::Duration::minutes(59) && remaining <= chrono::Duration::hours(1));

    let claims = issuer.decode_claims(&token).unwrap();
    assert_eq!(claims.role, "owner");
    assert_eq!(claims.aud, vec![AUDIENCE.to_owned()]);
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.nbf, claims.iat);
    assert_ne!(
        claims.jti,
        issuer.decode_claims(&mint(&issuer)).unwrap().jti
    );
}

#[tokio::test]
async fn a_token_survives_a_restart() {
    let temp = TempDir::new();
    let token = mint(&issuer_in(&temp.keys()));
    assert!(issuer_in(&temp.keys()).verify(&token).await.is_ok());
}

#[tokio::test]
async fn expiry_and_not_before_allow_thirty_seconds_of_leeway() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.keys());
    let minute = Duration::from_secs(60);
    let at = |seconds: i64| Utc::now() + chrono::Duration::seconds(seconds);
    let mint_at = |seconds| {
        issuer
            .issue_at(at(seconds), "alice", "acme", "owner", &[], minute)
            .unwrap()
    };

    // Expired 10 s ago: within the leeway.
    assert!(issuer.verify(&mint_at(-70)).await.is_ok());
    // Expired 50 s ago, and long ago.
    assert_eq!(
        refusal(&issuer, &mint_at(-110)).await,
        "the token has expired"
    );
    assert_eq!(
        refusal(&issuer, &mint_at(-7200)).await,
        "the token has expired"
    );
    // Valid from 10 s on: within the leeway; from an hour on: not yet.
    assert!(issuer.verify(&mint_at(10)).await.is_ok());
    assert_eq!(
        refusal(&issuer, &mint_at(3600)).await,
        "the token is not valid yet"
    );
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_refused_even_with_the_right_kid() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.0.join("ours"));
    let other = issuer_in(&temp.0.join("theirs"));

    // Another issuer's own token: unknown key id.
    let theirs = mint(&other);
    assert_eq!(
        refusal(&issuer, &theirs).await,
        "the token's key id is unknown"
    );

    // Forged: their key, our kid, claims we would accept.
    let their_key = std::fs::read(other.key_path().unwrap()).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(issuer.kid().to_owned());
    let forged = jsonwebtoken::encode(
        &header,
        &acceptable_claims(),
        &EncodingKey::from_ed_pem(&their_key).unwrap(),
    )
    .unwrap();
    assert_eq!(
        refusal(&issuer, &forged).await,
        "the token's signature does not verify"
    );
}

#[tokio::test]
async fn a_tampered_token_is_refused() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.keys());
    let token = mint(&issuer);
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["org"] = "globex".into();
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
    assert_eq!(
        refusal(&issuer, &tampered).await,
        "the token's signature does not verify"
    );
}

#[tokio::test]
async fn alg_none_and_hmac_tokens_are_refused() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.keys());
    let claims = acceptable_claims();

    let none_header = serde_json::json!({"alg": "none", "typ": "JWT", "kid": issuer.kid()});
    let encode = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let unsigned = format!("{}.{}.", encode(&none_header), encode(&claims));
    let reason = refusal(&issuer, &unsigned).await;
    assert!(reason.starts_with("the token is malformed"), "{reason}");

    // The classic confusion: HMAC keyed with the public key everyone can read from the JWKS.
    let x = issuer.jwks()["keys"][0]["x"].as_str().unwrap().to_owned();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(issuer.kid().to_owned());
    for secret in [URL_SAFE_NO_PAD.decode(&x).unwrap(), x.into_bytes()] {
        let hmac =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret)).unwrap();
        assert_eq!(
            refusal(&issuer, &hmac).await,
            "the token is not signed with EdDSA"
        );
    }
}

#[tokio::test]
async fn another_audience_or_issuer_is_refused() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.keys());
    // Same key, so only the claims differ.
    let other_audience =
        EmbeddedIssuer::load_or_create(&temp.keys(), ISSUER.to_owned(), "billing".to_owned())
            .unwrap();
    let other_issuer = EmbeddedIssuer::load_or_create(
        &temp.keys(),
        "http://localhost:8080/".to_owned(),
        AUDIENCE.to_owned(),
    )
    .unwrap();

    assert_eq!(
        refusal(&issuer, &mint(&other_audience)).await,
        "the token is for another audience"
    );
    assert_eq!(
        refusal(&issuer, &mint(&other_issuer)).await,
        "the token is from another issuer"
    );
}

#[test]
fn bad_requests_mint_nothing() {
    let temp = TempDir::new();
    let issuer = issuer_in(&temp.keys());
    for (subject, org, role, ttl) in [
        ("", "acme", "owner", HOUR),
        ("alice", " ", "owner", HOUR),
        ("alice", "acme", "", HOUR),
        ("alice", "acme", "owner", Duration::ZERO),
        ("alice", "acme", "owner", Duration::MAX),
    ] {
        let error = issuer.issue(subject, org, role, &[], ttl).unwrap_err();
        assert!(
            matches!(error, EmbeddedIdentityError::BadTokenRequest(_)),
            "{error}"
        );
    }
}
