//! Keto relation checks: the documented request, denials, and failures that never allow.

use std::time::Duration;

use serde_json::json;
use tollgate_adapters::ory::{KetoConfig, KetoPermissions};
use tollgate_application::{PortError, ports::PermissionChecker};
use wiremock::ResponseTemplate;

use crate::stand_ins::*;
use crate::support::*;

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
async fn keto_failures_are_never_allowed() -> TestResult {
    let error =
        json!({"error": {"code": 500, "status": "Internal Server Error", "message": "boom"}});
    let server = keto(ResponseTemplate::new(500).set_body_json(error.clone())).await;
    assert!(unavailable(permissions(&server)?.check(&question()).await));

    // A 403 that is not a check result (an API key without rights) is not an answer.
    let server = keto(ResponseTemplate::new(403).set_body_json(error)).await;
    let failure = upstream(permissions(&server)?.check(&question()).await);
    assert!(
        matches!(
            failure,
            PortError::InvalidAnswer {
                service: "keto",
                ..
            }
        ),
        "{failure:?}"
    );

    let server = keto(
        ResponseTemplate::new(200)
            .set_body_json(json!({"allowed": true}))
            .set_delay(Duration::from_secs(2)),
    )
    .await;
    let mut config = KetoConfig::new(base_url(&server)?);
    config.timeout = Duration::from_millis(200);
    let failure = upstream(KetoPermissions::new(config)?.check(&question()).await);
    assert!(
        matches!(
            failure,
            PortError::TimedOut {
                service: "keto",
                ..
            }
        ),
        "{failure:?}"
    );

    let unreachable = KetoPermissions::new(KetoConfig::new(closed_url()?))?;
    assert!(unavailable(unreachable.check(&question()).await));
    Ok(())
}
