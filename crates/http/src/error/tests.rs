//! How errors read over HTTP: codes, statuses, headers, and what 5xx bodies leave out.

use actix_web::body::to_bytes;

use tollgate_application::PortError;

use super::*;

async fn body_of(error: ApiError) -> serde_json::Value {
    let bytes = to_bytes(error.error_response().into_body()).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[actix_web::test]
async fn server_errors_hide_their_details() {
    let body = body_of(ApiError::Internal("password=hunter2 at db:5432".into())).await;
    assert_eq!(body["error"]["code"], "internal_error");
    assert!(!body.to_string().contains("hunter2"));

    let error = ApiError::unavailable("postgres: connection refused 10.0.0.5");
    let response = error.error_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers().get("Retry-After").unwrap(), "2");
    let body = body_of(error).await;
    assert!(!body.to_string().contains("10.0.0.5"));
}

#[actix_web::test]
async fn a_500_names_the_request_id_and_nothing_else() {
    let body = crate::middleware::REQUEST_ID
        .scope("req-7f3a".to_owned(), async {
            body_of(ApiError::Internal(
                "postgres: relation \"x\" at 10.0.0.5".into(),
            ))
            .await
        })
        .await;
    assert_eq!(body["error"]["code"], "internal_error");
    assert_eq!(body["error"]["request_id"], "req-7f3a");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("req-7f3a"), "{message}");
    assert!(!body.to_string().contains("10.0.0.5") && !body.to_string().contains("relation"));
}

#[actix_web::test]
async fn store_refusals_are_the_clients_fault_and_never_quote_the_store() {
    let (status, retry_after, body) = answer(PortError::InvalidInput {
        service: "postgres",
        reason: "22003: value \"99999999999\" is out of range for type integer".into(),
    })
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(retry_after, None);
    assert_eq!(body["error"]["code"], "invalid_value");
    assert!(!body.to_string().contains("99999999999"), "{body}");

    let (status, _, body) = answer(PortError::Conflict {
        service: "postgres",
        code: ErrorCode::CustomerExists,
        meaning: "a customer with this external id exists",
        reason: "billing_customers_organization_id_external_id_key (23505: ... (acme-42))".into(),
    })
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "customer_exists");
    assert_eq!(
        body["error"]["message"],
        "a customer with this external id exists"
    );
}

#[test]
fn every_code_has_one_status_and_answers_carry_it() {
    let error = ApiError::Malformed {
        code: ErrorCode::UnsupportedMediaType,
        message: "the body must be application/json".into(),
    };
    assert_eq!(error.status_code(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let error = ApiError::Invalid {
        code: ErrorCode::InvalidQuery,
        message: "from after to".into(),
    };
    assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn client_errors_carry_a_code_a_message_and_a_position() {
    let error = ApiError::InvalidBody(BodyError {
        code: ErrorCode::InvalidJson,
        message: "expected value".into(),
        line: Some(3),
        column: Some(7),
    });
    assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
    let body = body_of(error).await;
    assert_eq!(body["error"]["code"], "invalid_json");
    assert_eq!(body["error"]["line"], 3);
    assert_eq!(body["error"]["column"], 7);
}

/// What an upstream answered never reaches the client: the reasons below quote it.
const UPSTREAM_SAID: &str = "{\"data\": \"not rows\"} secret-tenant-42";

async fn answer(error: PortError) -> (StatusCode, Option<String>, serde_json::Value) {
    let response = ApiError::from(AppError::Port(error)).error_response();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .map(|value| value.to_str().unwrap().to_owned());
    let status = response.status();
    let bytes = to_bytes(response.into_body()).await.unwrap();
    (status, retry_after, serde_json::from_slice(&bytes).unwrap())
}

#[actix_web::test]
async fn an_unreadable_upstream_answer_is_a_502_naming_the_upstream_not_its_body() {
    let (status, retry_after, body) = answer(PortError::InvalidAnswer {
        service: "openmeter",
        reason: format!("invalid type at line 1 column 17: {UPSTREAM_SAID}"),
    })
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(retry_after, None);
    assert_eq!(body["error"]["code"], "upstream_invalid_answer");
    assert_eq!(
        body["error"]["message"],
        "openmeter answered something Tollgate cannot read"
    );
    assert!(!body.to_string().contains("secret-tenant-42"), "{body}");
}

#[actix_web::test]
async fn a_slow_upstream_is_a_504_and_an_unreachable_one_a_503_with_its_retry_after() {
    let (status, _, body) = answer(PortError::TimedOut {
        service: "lago",
        reason: UPSTREAM_SAID.into(),
    })
    .await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(body["error"]["code"], "upstream_timeout");
    assert_eq!(body["error"]["message"], "Lago did not answer in time");
    assert!(!body.to_string().contains("secret-tenant-42"), "{body}");

    let throttled = |retry_after| PortError::Unavailable {
        service: "openmeter",
        reason: UPSTREAM_SAID.into(),
        retry_after,
    };
    let (status, retry_after, body) = answer(throttled(Some(Duration::from_millis(30_200)))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        retry_after.as_deref(),
        Some("31"),
        "rounded up, never early"
    );
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(
        body["error"]["message"],
        "OpenMeter is unavailable; retry later"
    );
    assert!(!body.to_string().contains("secret-tenant-42"), "{body}");
    let (_, retry_after, _) = answer(throttled(None)).await;
    assert_eq!(retry_after.as_deref(), Some("2"), "the default");
}

#[actix_web::test]
async fn identity_systems_map_the_same_way_and_an_invalid_credential_stays_401() {
    let status = |error: AuthError| ApiError::from(error).status_code();
    let invalid = PortError::InvalidAnswer {
        service: "hydra",
        reason: "missing field `active`".into(),
    };
    assert_eq!(status(invalid.into()), StatusCode::BAD_GATEWAY);
    let timed_out = PortError::TimedOut {
        service: "keto",
        reason: "timed out".into(),
    };
    assert_eq!(status(timed_out.into()), StatusCode::GATEWAY_TIMEOUT);
    let down = PortError::unavailable("kratos", "cannot connect");
    assert_eq!(status(down.into()), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        status(AuthError::Unauthenticated("token is not active".into())),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn no_message_is_longer_than_the_limit_whatever_it_quotes() {
    let body = body_of(ApiError::Invalid {
        code: ErrorCode::InvalidValue,
        message: format!("refused: {}", "x".repeat(10_000)),
    })
    .await;
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!(
        message.chars().count(),
        MESSAGE_LIMIT + "… (cut)".chars().count()
    );
    assert!(message.ends_with("… (cut)"), "{message}");
}
