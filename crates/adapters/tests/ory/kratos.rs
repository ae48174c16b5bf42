//! Kratos sessions (`/sessions/whoami`): the credential forwarded as it came, the brief cache,
//! and Kratos's statuses as authentication errors.

use std::time::Duration;

use tollgate_adapters::ory::{KratosConfig, KratosSessions};
use tollgate_application::ports::{AuthError, SessionCredential, SessionResolver};

use crate::stand_ins::*;
use crate::support::*;

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
