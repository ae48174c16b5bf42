//! Hydra's opaque access tokens, introspected by its admin API: the request as Hydra documents
//! it, the answers refused, and how long a positive answer is remembered.

use std::time::Duration;

use serde_json::json;
use tollgate_adapters::ory::{HydraIntrospection, HydraIntrospectionConfig};
use tollgate_application::ports::AccessTokenVerifier;
use wiremock::ResponseTemplate;

use crate::stand_ins::*;
use crate::support::*;

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
