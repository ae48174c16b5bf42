//! Hydra's JWT access tokens, verified against its JWKS: the algorithms and claims accepted,
//! the attacks refused, and how the key set is fetched, refreshed and kept while Hydra is down.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::json;
use tollgate_adapters::ory::{HydraJwtConfig, HydraJwtVerifier};
use tollgate_application::ports::AccessTokenVerifier;

use crate::keys;
use crate::stand_ins::*;
use crate::support::*;

#[tokio::test]
async fn rs256_token_is_accepted_with_its_scopes_and_organization() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let token = mint(Algorithm::RS256, "rsa-1", &hydra_claims(clock.seconds()))?;

    let verified = verifier.verify(&token).await?;

    assert_eq!(verified.subject, "0b1c9a4e-6f51-4f0e-9d2f-5a1b8c7d6e5f");
    assert_eq!(verified.scopes, ["usage:read", "usage:write"]);
    assert_eq!(verified.organization.as_deref(), Some("acme"));
    assert_eq!(
        verified.expires_at.map(|at| at.timestamp()),
        Some(START + 300)
    );
    let request = only_request(&server).await?;
    assert_eq!(
        (request.method.as_str(), request.url.path()),
        ("GET", JWKS_PATH)
    );
    Ok(())
}

#[tokio::test]
async fn eddsa_and_es256_tokens_are_accepted_with_string_scopes_and_audience() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let mut claims = hydra_claims(clock.seconds());
    claims["aud"] = json!(AUDIENCE);
    claims["scp"] = json!("usage:read  admin");
    claims["ext"] = json!({});
    claims["org"] = json!("globex");

    let eddsa = verifier
        .verify(&mint(Algorithm::EdDSA, "ed-1", &claims)?)
        .await?;
    let es256 = verifier
        .verify(&mint(Algorithm::ES256, "ec-1", &claims)?)
        .await?;

    assert_eq!(eddsa.scopes, ["usage:read", "admin"]);
    assert_eq!(eddsa.organization.as_deref(), Some("globex"));
    assert_eq!(es256, eddsa);
    // One fetch of the key set serves every key in it.
    assert_eq!(request_count(&server).await, 1);
    Ok(())
}

#[tokio::test]
async fn audience_array_with_other_entries_is_accepted() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let mut claims = hydra_claims(clock.seconds());
    claims["aud"] = json!(["https://other.test", AUDIENCE]);

    assert!(
        verifier
            .verify(&mint(Algorithm::RS256, "rsa-1", &claims)?)
            .await
            .is_ok()
    );
    Ok(())
}

#[tokio::test]
async fn alg_none_is_refused_without_looking_up_keys() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let claims = hydra_claims(clock.seconds());

    for alg in ["none", "None", "NONE"] {
        let token = forge(
            &json!({"alg": alg, "typ": "JWT", "kid": "rsa-1"}),
            &claims,
            b"",
        );
        assert!(unauthenticated(verifier.verify(&token).await), "{alg}");
    }
    assert_eq!(request_count(&server).await, 0);
    Ok(())
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let claims = hydra_claims(clock.seconds());
    // The key-confusion attack: the public key (which anyone can fetch) as an HMAC secret.
    for secret in [keys::RSA_1_PUBLIC_PEM.as_bytes(), keys::RSA_1_N.as_bytes()] {
        for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut header = jsonwebtoken::Header::new(algorithm);
            header.kid = Some("rsa-1".to_owned());
            let key = jsonwebtoken::EncodingKey::from_secret(secret);
            let token = jsonwebtoken::encode(&header, &claims, &key)?;
            assert!(
                unauthenticated(verifier.verify(&token).await),
                "{algorithm:?}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn token_algorithm_must_match_its_key() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let claims = hydra_claims(clock.seconds());

    // Properly signed, but naming a key of another type.
    let rsa_token_naming_ec_key = mint(Algorithm::RS256, "ec-1", &claims)?;
    let ed_token_naming_rsa_key = mint(Algorithm::EdDSA, "rsa-1", &claims)?;

    assert!(unauthenticated(
        verifier.verify(&rsa_token_naming_ec_key).await
    ));
    assert!(unauthenticated(
        verifier.verify(&ed_token_naming_rsa_key).await
    ));
    Ok(())
}

#[tokio::test]
async fn wrong_issuer_audience_and_times_are_refused() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let now = clock.seconds();
    let cases = [
        ("iss", json!("https://evil.test/")),
        // Exact: the same issuer without its trailing slash is another string.
        ("iss", json!("https://auth.tollgate.test")),
        ("iss", json!([ISSUER])),
        ("aud", json!(["https://other.test"])),
        ("aud", json!([])),
        ("aud", json!("tollgate")),
        ("exp", json!(now - 60)),
        ("nbf", json!(now + 60)),
        ("sub", json!("")),
    ];
    for (claim, value) in cases {
        let mut claims = hydra_claims(now);
        claims[claim] = value.clone();
        let token = mint(Algorithm::RS256, "rsa-1", &claims)?;
        assert!(
            unauthenticated(verifier.verify(&token).await),
            "{claim}: {value}"
        );
    }
    let mut without_exp = hydra_claims(now);
    without_exp
        .as_object_mut()
        .map(|claims| claims.remove("exp"));
    let token = mint(Algorithm::RS256, "rsa-1", &without_exp)?;
    assert!(unauthenticated(verifier.verify(&token).await), "no exp");
    Ok(())
}

#[tokio::test]
async fn times_get_the_configured_leeway() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let token = mint(Algorithm::RS256, "rsa-1", &hydra_claims(clock.seconds()))?;

    clock.advance(Duration::from_secs(305));
    assert!(
        verifier.verify(&token).await.is_ok(),
        "5 s past exp, within 10 s"
    );
    clock.advance(Duration::from_secs(10));
    assert!(
        unauthenticated(verifier.verify(&token).await),
        "15 s past exp"
    );
    Ok(())
}

#[tokio::test]
async fn tampered_token_is_refused() -> TestResult {
    let (server, _jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let token = mint(Algorithm::RS256, "rsa-1", &hydra_claims(clock.seconds()))?;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = hydra_claims(clock.seconds());
    claims["sub"] = json!("someone-else");
    let swapped_claims = format!(
        "{}.{}.{}",
        parts[0],
        forge(&json!({}), &claims, b"")
            .split('.')
            .nth(1)
            .unwrap_or_default(),
        parts[2]
    );
    let mut signature = parts[2].as_bytes().to_vec();
    signature[10] = if signature[10] == b'A' { b'B' } else { b'A' };
    let flipped_signature = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        String::from_utf8(signature)?
    );

    assert!(unauthenticated(verifier.verify(&swapped_claims).await));
    assert!(unauthenticated(verifier.verify(&flipped_signature).await));
    assert!(verifier.verify(&token).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn unknown_kid_refreshes_once_per_cooldown() -> TestResult {
    let (server, jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    let now = clock.seconds();
    assert!(
        verifier
            .verify(&mint(Algorithm::RS256, "rsa-1", &hydra_claims(now))?)
            .await
            .is_ok()
    );
    assert_eq!(request_count(&server).await, 1);

    // Hydra rotates: rsa-2 replaces rsa-1.
    jwks.publish(vec![rsa_jwk("rsa-2", keys::RSA_2_N)]);
    clock.advance(Duration::from_secs(31));
    let now = clock.seconds();
    let rotated = mint(Algorithm::RS256, "rsa-2", &hydra_claims(now))?;
    assert!(verifier.verify(&rotated).await.is_ok());
    assert_eq!(request_count(&server).await, 2);

    // Made-up kids within the cooldown are refused without asking Hydra again.
    for kid in ["made-up-1", "made-up-2", "rsa-1"] {
        let token = mint(Algorithm::RS256, kid, &hydra_claims(now))?;
        assert!(unauthenticated(verifier.verify(&token).await), "{kid}");
    }
    assert!(verifier.verify(&rotated).await.is_ok());
    assert_eq!(request_count(&server).await, 2);

    // After the cooldown an unknown kid may ask again.
    clock.advance(Duration::from_secs(31));
    let token = mint(
        Algorithm::RS256,
        "made-up-3",
        &hydra_claims(clock.seconds()),
    )?;
    assert!(unauthenticated(verifier.verify(&token).await));
    assert_eq!(request_count(&server).await, 3);
    Ok(())
}

#[tokio::test]
async fn jwks_down_with_nothing_cached_is_unavailable() -> TestResult {
    let clock = ManualClock::new();
    let token = mint(Algorithm::RS256, "rsa-1", &hydra_claims(clock.seconds()))?;

    let (server, jwks) = hydra_with_keys().await;
    jwks.take_down();
    assert!(unavailable(
        jwt_verifier(&server, &clock)?.verify(&token).await
    ));

    let config = HydraJwtConfig::new(ISSUER, closed_url()?.join(JWKS_PATH)?, AUDIENCE);
    let unreachable = HydraJwtVerifier::with_clock(config, clock.clone())?;
    assert!(unavailable(unreachable.verify(&token).await));
    Ok(())
}

#[tokio::test]
async fn cached_keys_keep_working_while_hydra_is_down() -> TestResult {
    let (server, jwks) = hydra_with_keys().await;
    let clock = ManualClock::new();
    let verifier = jwt_verifier(&server, &clock)?;
    assert!(
        verifier
            .verify(&mint(
                Algorithm::RS256,
                "rsa-1",
                &hydra_claims(clock.seconds())
            )?)
            .await
            .is_ok()
    );

    jwks.take_down();
    // Past the key set's maximum age, so a refresh is tried, and fails.
    clock.advance(Duration::from_secs(601));
    let now = clock.seconds();
    assert!(
        verifier
            .verify(&mint(Algorithm::EdDSA, "ed-1", &hydra_claims(now))?)
            .await
            .is_ok()
    );
    assert_eq!(request_count(&server).await, 2);
    // A key we never saw might be in the set we cannot fetch: that is not the caller's fault.
    let unknown = mint(Algorithm::RS256, "rsa-2", &hydra_claims(now))?;
    assert!(unavailable(verifier.verify(&unknown).await));
    Ok(())
}
