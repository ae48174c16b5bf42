//! The Ory adapters against local stand-ins for Hydra, Kratos and Keto (wiremock). Each
//! stand-in answers the JSON that Ory documents, and each test checks the request as Ory
//! documents it: method, path, forwarded headers, form or JSON body.

#[path = "support/ory_keys.rs"]
mod keys;
#[path = "support/ory_stand_ins.rs"]
mod stand_ins;
#[path = "support/ory_support.rs"]
mod support;

use std::{sync::Arc, time::Duration};

use jsonwebtoken::Algorithm;
use serde_json::json;
use stand_ins::*;
use support::*;
use tollgate_adapters::ory::{
    HydraIntrospection, HydraIntrospectionConfig, HydraJwtConfig, HydraJwtVerifier, KetoConfig,
    KetoPermissions, KratosConfig, KratosSessions, OryAccessTokens,
};
use tollgate_application::ports::{
    AccessTokenVerifier, AuthError, PermissionChecker, SessionCredential, SessionResolver,
};
use wiremock::ResponseTemplate;

// ---- Hydra: JWT access tokens ----------------------------------------------------------------

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

// ---- Hydra: opaque tokens, introspected -------------------------------------------------------

#[tokio::test]
async fn introspection_posts_the_token_as_a_form_and_reads_the_answer() -> TestResult {
    let clock = ManualClock::new();
    let server = hydra_admin(active_answer(clock.seconds())).await;

    let verified = introspection(&server, &clock)?.verify(OPAQUE).await?;

    assert_eq!(verified.subject, "0b1c9a4e-6f51-4f0e-9d2f-5a1b8c7d6e5f");
    assert_eq!(verified.scopes, ["usage:read", "usage:write"]);
    assert_eq!(verified.organization.as_deref(), Some("acme"));
    assert_eq!(
        verified.expires_at.map(|at| at.timestamp()),
        Some(START + 3600)
    );
    let request = only_request(&server).await?;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), INTROSPECT_PATH);
    assert_eq!(
        header(&request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        header(&request, "authorization"),
        Some("Bearer ory_pat_test-api-key")
    );
    assert_eq!(String::from_utf8(request.body)?, format!("token={OPAQUE}"));
    Ok(())
}

#[tokio::test]
async fn inactive_token_is_refused_and_not_remembered() -> TestResult {
    let clock = ManualClock::new();
    let server =
        hydra_admin(ResponseTemplate::new(200).set_body_json(json!({"active": false}))).await;
    let introspection = introspection(&server, &clock)?;

    assert!(unauthenticated(introspection.verify(OPAQUE).await));
    assert!(unauthenticated(introspection.verify(OPAQUE).await));
    assert_eq!(request_count(&server).await, 2);
    Ok(())
}

#[tokio::test]
async fn active_answers_that_do_not_fit_are_refused() -> TestResult {
    let clock = ManualClock::new();
    let now = clock.seconds();
    for (field, value) in [
        ("aud", json!(["https://other.test"])),
        ("iss", json!("https://evil.test/")),
        ("token_use", json!("refresh_token")),
        ("exp", json!(now - 1)),
    ] {
        let mut answer = json!({"active": true, "sub": "someone", "aud": [AUDIENCE],
            "iss": ISSUER, "exp": now + 60, "token_use": "access_token"});
        answer[field] = value.clone();
        let server = hydra_admin(ResponseTemplate::new(200).set_body_json(answer)).await;
        let result = introspection(&server, &clock)?.verify(OPAQUE).await;
        assert!(unauthenticated(result), "{field}: {value}");
    }
    Ok(())
}

#[tokio::test]
async fn positive_answers_are_cached_until_exp_or_ttl() -> TestResult {
    let clock = ManualClock::new();
    let now = clock.seconds();
    let answer = json!({"active": true, "sub": "someone", "aud": [AUDIENCE], "exp": now + 20});
    let server = hydra_admin(ResponseTemplate::new(200).set_body_json(answer)).await;
    let introspection = introspection(&server, &clock)?;

    introspection.verify(OPAQUE).await?;
    introspection.verify(OPAQUE).await?;
    assert_eq!(
        request_count(&server).await,
        1,
        "second answer from the cache"
    );

    // The token's exp (20 s) comes before the cache TTL (60 s): the entry goes with it.
    clock.advance(Duration::from_secs(21));
    assert!(unauthenticated(introspection.verify(OPAQUE).await));
    assert_eq!(request_count(&server).await, 2);

    // Another token, long-lived: asked again once the 60 s TTL is over.
    let other = "ory_at_another-token.signature";
    let server = hydra_admin(active_answer(clock.seconds())).await;
    let introspection = self::introspection(&server, &clock)?;
    introspection.verify(other).await?;
    clock.advance(Duration::from_secs(59));
    introspection.verify(other).await?;
    assert_eq!(request_count(&server).await, 1);
    clock.advance(Duration::from_secs(2));
    introspection.verify(other).await?;
    assert_eq!(request_count(&server).await, 2);
    Ok(())
}

#[tokio::test]
async fn introspection_errors_are_unavailable() -> TestResult {
    let clock = ManualClock::new();
    let error =
        json!({"error": "server_error", "error_description": "db down", "status_code": 500});
    let server = hydra_admin(ResponseTemplate::new(500).set_body_json(error)).await;
    assert!(unavailable(
        introspection(&server, &clock)?.verify(OPAQUE).await
    ));

    let unreachable = HydraIntrospection::with_clock(
        HydraIntrospectionConfig::new(closed_url()?),
        clock.clone(),
    )?;
    assert!(unavailable(unreachable.verify(OPAQUE).await));
    Ok(())
}

#[tokio::test]
async fn router_sends_each_token_kind_to_its_verifier() -> TestResult {
    let clock = ManualClock::new();
    let (hydra_public, _jwks) = hydra_with_keys().await;
    let hydra_admin = hydra_admin(active_answer(clock.seconds())).await;
    let tokens = OryAccessTokens::new()
        .with_jwt(Arc::new(jwt_verifier(&hydra_public, &clock)?))
        .with_introspection(Arc::new(introspection(&hydra_admin, &clock)?));

    let jwt = mint(Algorithm::EdDSA, "ed-1", &hydra_claims(clock.seconds()))?;
    assert!(tokens.verify(&jwt).await.is_ok());
    assert!(tokens.verify(OPAQUE).await.is_ok());
    for not_an_access_token in ["", "ory_rt_refresh.token", "ory_st_session", "with space.x"] {
        assert!(
            unauthenticated(tokens.verify(not_an_access_token).await),
            "{not_an_access_token}"
        );
    }
    assert_eq!(request_count(&hydra_public).await, 1);
    assert_eq!(request_count(&hydra_admin).await, 1);

    let jwt_only = OryAccessTokens::new().with_jwt(Arc::new(jwt_verifier(&hydra_public, &clock)?));
    assert!(unauthenticated(jwt_only.verify(OPAQUE).await));
    Ok(())
}

// ---- Kratos: sessions -------------------------------------------------------------------------

#[tokio::test]
async fn kratos_gets_the_cookie_header_exactly_as_it_came() -> TestResult {
    let clock = ManualClock::new();
    let server = kratos(session_answer(clock.seconds())).await;

    let session = sessions(&server, &clock)?
        .whoami(&SessionCredential::Cookie(COOKIE.to_owned()))
        .await?;

    assert_eq!(session.subject, "9f425a8d-7efc-4768-8f23-7647a74fdf13");
    assert_eq!(session.email.as_deref(), Some("ada@example.com"));
    assert_eq!(
        session.expires_at.map(|at| at.timestamp()),
        Some(START + 3600)
    );
    let request = only_request(&server).await?;
    assert_eq!(
        (request.method.as_str(), request.url.path()),
        ("GET", WHOAMI_PATH)
    );
    assert_eq!(header(&request, "cookie"), Some(COOKIE));
    assert_eq!(header(&request, "x-session-token"), None);
    assert_eq!(header(&request, "authorization"), None);
    Ok(())
}

#[tokio::test]
async fn kratos_gets_the_session_token_header() -> TestResult {
    let clock = ManualClock::new();
    let server = kratos(session_answer(clock.seconds())).await;
    let token = "ory_st_MP2YWEMeM8MxjkGKpH4dqOQ4Q4DlSPaj";

    sessions(&server, &clock)?
        .whoami(&SessionCredential::Token(token.to_owned()))
        .await?;

    let request = only_request(&server).await?;
    assert_eq!(header(&request, "x-session-token"), Some(token));
    assert_eq!(header(&request, "cookie"), None);
    Ok(())
}

#[tokio::test]
async fn kratos_answers_are_cached_briefly() -> TestResult {
    let clock = ManualClock::new();
    let server = kratos(session_answer(clock.seconds())).await;
    let sessions = sessions(&server, &clock)?;
    let cookie = SessionCredential::Cookie(COOKIE.to_owned());

    sessions.whoami(&cookie).await?;
    sessions.whoami(&cookie).await?;
    assert_eq!(request_count(&server).await, 1);
    // The same text as a session token is another credential.
    sessions
        .whoami(&SessionCredential::Token(COOKIE.to_owned()))
        .await?;
    assert_eq!(request_count(&server).await, 2);

    clock.advance(Duration::from_secs(16));
    sessions.whoami(&cookie).await?;
    assert_eq!(request_count(&server).await, 3);
    Ok(())
}

#[tokio::test]
async fn kratos_statuses_map_to_auth_errors() -> TestResult {
    let clock = ManualClock::new();
    let cookie = SessionCredential::Cookie(COOKIE.to_owned());

    let server = kratos(kratos_error(401, "session_inactive")).await;
    assert!(unauthenticated(
        sessions(&server, &clock)?.whoami(&cookie).await
    ));

    let server = kratos(kratos_error(403, "session_aal2_required")).await;
    let result = sessions(&server, &clock)?.whoami(&cookie).await;
    assert!(matches!(result, Err(AuthError::Forbidden(_))), "{result:?}");

    let server = kratos(kratos_error(429, "too_many_requests")).await;
    assert!(unavailable(
        sessions(&server, &clock)?.whoami(&cookie).await
    ));

    let server = kratos(kratos_error(500, "internal")).await;
    assert!(unavailable(
        sessions(&server, &clock)?.whoami(&cookie).await
    ));

    let unreachable = KratosSessions::with_clock(KratosConfig::new(closed_url()?), clock.clone())?;
    assert!(unavailable(unreachable.whoami(&cookie).await));
    Ok(())
}

#[tokio::test]
async fn expired_or_empty_sessions_are_refused() -> TestResult {
    let clock = ManualClock::new();
    let server = kratos(session_answer(clock.seconds() - 7200)).await;
    let sessions = sessions(&server, &clock)?;

    let cookie = SessionCredential::Cookie(COOKIE.to_owned());
    assert!(unauthenticated(sessions.whoami(&cookie).await));
    assert!(unauthenticated(
        sessions
            .whoami(&SessionCredential::Token(String::new()))
            .await
    ));
    assert_eq!(request_count(&server).await, 1);
    Ok(())
}

// ---- Keto: relation checks ----------------------------------------------------------------------

#[tokio::test]
async fn keto_is_asked_with_the_documented_body() -> TestResult {
    let server = keto(ResponseTemplate::new(200).set_body_json(json!({"allowed": true}))).await;
    let mut config = KetoConfig::new(base_url(&server)?);
    config.max_depth = Some(5);
    config.api_key = Some("ory_pat_keto".to_owned().into());

    assert!(KetoPermissions::new(config)?.check(&question()).await?);

    let request = only_request(&server).await?;
    assert_eq!(
        (request.method.as_str(), request.url.path()),
        ("POST", CHECK_PATH)
    );
    assert_eq!(request.url.query(), Some("max-depth=5"));
    assert_eq!(header(&request, "content-type"), Some("application/json"));
    assert_eq!(
        header(&request, "authorization"),
        Some("Bearer ory_pat_keto")
    );
    assert_eq!(
        request.body_json::<serde_json::Value>()?,
        json!({"namespace": "Organization", "object": "acme", "relation": "members",
            "subject_id": "9f425a8d-7efc-4768-8f23-7647a74fdf13"})
    );
    Ok(())
}

#[tokio::test]
async fn keto_denials_are_false_on_200_and_on_403() -> TestResult {
    let server = keto(ResponseTemplate::new(200).set_body_json(json!({"allowed": false}))).await;
    assert!(!permissions(&server)?.check(&question()).await?);

    let server = keto(ResponseTemplate::new(403).set_body_json(json!({"allowed": false}))).await;
    assert!(!permissions(&server)?.check(&question()).await?);
    Ok(())
}

#[tokio::test]
async fn keto_failures_are_unavailable_never_allowed() -> TestResult {
    let error =
        json!({"error": {"code": 500, "status": "Internal Server Error", "message": "boom"}});
    let server = keto(ResponseTemplate::new(500).set_body_json(error.clone())).await;
    assert!(unavailable(permissions(&server)?.check(&question()).await));

    // A 403 that is not a check result (an API key without rights) is not an answer.
    let server = keto(ResponseTemplate::new(403).set_body_json(error)).await;
    assert!(unavailable(permissions(&server)?.check(&question()).await));

    let server = keto(
        ResponseTemplate::new(200)
            .set_body_json(json!({"allowed": true}))
            .set_delay(Duration::from_secs(2)),
    )
    .await;
    let mut config = KetoConfig::new(base_url(&server)?);
    config.timeout = Duration::from_millis(200);
    assert!(unavailable(
        KetoPermissions::new(config)?.check(&question()).await
    ));

    let unreachable = KetoPermissions::new(KetoConfig::new(closed_url()?))?;
    assert!(unavailable(unreachable.check(&question()).await));
    Ok(())
}
