//! People found by e-mail in Kratos's admin API: `GET /admin/identities` with
//! `credentials_identifier` (one person) or repeated `ids` (a team page), the API key as a
//! bearer token when one is configured, and failures as the upstream errors every adapter
//! answers.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use tollgate_adapters::ory::{IDS_PER_CALL, KratosDirectory, KratosDirectoryConfig};
use tollgate_application::{PortError, ports::IdentityDirectory};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

use crate::support::*;

const PATH: &str = "/admin/identities";
const ADA: &str = "9f425a8d-7efc-4768-8f23-7647a74fdf13";
const KEY: &str = "ory_pat_standin";

/// An identity as Kratos's `identity` schema has it (required fields and the addresses).
fn identity(id: &str, traits: Value, verifiable: &[&str]) -> Value {
    json!({
        "id": id,
        "schema_id": "default",
        "schema_url": "http://127.0.0.1:4433/schemas/ZGVmYXVsdA",
        "state": "active",
        "traits": traits,
        "verifiable_addresses": verifiable.iter().map(|email| json!({
            "id": "6b1a6b42-6b3c-4e4b-9b0b-0c1d1e2f3a4b", "value": email, "via": "email",
            "status": "completed", "verified": true
        })).collect::<Vec<_>>(),
        "recovery_addresses": [],
        "metadata_public": null,
        "created_at": "2026-11-25T12:00:00Z",
        "updated_at": "2026-11-25T12:00:00Z"
    })
}

async fn kratos_admin(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(PATH))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

fn directory(
    server: &MockServer,
    key: Option<&str>,
) -> Result<KratosDirectory, Box<dyn std::error::Error>> {
    let mut config = KratosDirectoryConfig::new(base_url(server)?);
    config.api_key = key.map(|key| SecretString::from(key.to_owned()));
    config.timeout = Duration::from_millis(500);
    Ok(KratosDirectory::new(config)?)
}

fn query(request: &Request, name: &str) -> Vec<String> {
    request
        .url
        .query_pairs()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .collect()
}

#[tokio::test]
async fn an_email_is_looked_up_as_the_exact_credentials_identifier_with_the_api_key() -> TestResult
{
    let answer = json!([identity(ADA, json!({"email": "ada@example.com"}), &[])]);
    let server = kratos_admin(ResponseTemplate::new(200).set_body_json(answer)).await;

    let found = directory(&server, Some(KEY))?
        .identity_by_email("ada+billing@example.com")
        .await?;

    assert_eq!(found.as_deref(), Some(ADA));
    let request = only_request(&server).await?;
    assert_eq!((request.method.as_str(), request.url.path()), ("GET", PATH));
    // `+` must arrive as a plus, not as a space.
    assert_eq!(
        query(&request, "credentials_identifier"),
        ["ada+billing@example.com"]
    );
    assert_eq!(request.url.query_pairs().count(), 1, "{}", request.url);
    assert_eq!(
        header(&request, "authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(header(&request, "accept"), Some("application/json"));
    Ok(())
}

#[tokio::test]
async fn without_an_api_key_no_authorization_is_sent_and_nobody_found_is_none() -> TestResult {
    let server = kratos_admin(ResponseTemplate::new(200).set_body_json(json!([]))).await;

    let found = directory(&server, None)?
        .identity_by_email("nobody@example.com")
        .await?;

    assert_eq!(found, None);
    assert_eq!(header(&only_request(&server).await?, "authorization"), None);
    Ok(())
}

#[tokio::test]
async fn emails_come_from_traits_or_verifiable_addresses_in_bounded_calls() -> TestResult {
    let ids: Vec<String> = (0..IDS_PER_CALL + 20)
        .map(|n| format!("00000000-0000-4000-8000-{n:012}"))
        .collect();
    let answer = json!([
        identity(&ids[0], json!({"email": "first@example.com"}), &[]),
        identity(
            &ids[1],
            json!({"username": "second"}),
            &["second@example.com"]
        ),
        identity(&ids[2], json!({"username": "third"}), &[]),
    ]);
    let server = kratos_admin(ResponseTemplate::new(200).set_body_json(answer)).await;

    let emails = directory(&server, None)?.emails_of(&ids).await?;

    assert_eq!(emails.len(), 2, "{emails:?}");
    assert_eq!(emails[&ids[0]], "first@example.com");
    assert_eq!(emails[&ids[1]], "second@example.com");
    let requests = server.received_requests().await.unwrap_or_default();
    let asked: Vec<Vec<String>> = requests.iter().map(|r| query(r, "ids")).collect();
    assert_eq!(
        asked,
        [ids[..IDS_PER_CALL].to_vec(), ids[IDS_PER_CALL..].to_vec()]
    );
    Ok(())
}

#[tokio::test]
async fn no_ids_asks_nothing() -> TestResult {
    let server = kratos_admin(ResponseTemplate::new(500)).await;
    let emails = directory(&server, None)?.emails_of(&[]).await?;
    assert!(emails.is_empty());
    assert_eq!(request_count(&server).await, 0);
    Ok(())
}

#[tokio::test]
async fn kratos_failing_or_answering_nonsense_is_an_upstream_error() -> TestResult {
    let failing = kratos_admin(ResponseTemplate::new(503)).await;
    let outcome = directory(&failing, None)?
        .identity_by_email("ada@example.com")
        .await;
    assert!(
        matches!(
            outcome,
            Err(PortError::Unavailable {
                service: "kratos",
                ..
            })
        ),
        "{outcome:?}"
    );

    let nonsense = kratos_admin(ResponseTemplate::new(200).set_body_string("<html>")).await;
    let outcome = directory(&nonsense, None)?
        .emails_of(&[ADA.to_owned()])
        .await;
    assert!(
        matches!(
            outcome,
            Err(PortError::InvalidAnswer {
                service: "kratos",
                ..
            })
        ),
        "{outcome:?}"
    );

    let mut config = KratosDirectoryConfig::new(closed_url()?);
    config.timeout = Duration::from_millis(500);
    let outcome = KratosDirectory::new(config)?
        .identity_by_email("ada@example.com")
        .await;
    assert!(
        matches!(
            outcome,
            Err(PortError::Unavailable {
                service: "kratos",
                ..
            })
        ),
        "{outcome:?}"
    );
    Ok(())
}

#[tokio::test]
async fn two_identities_for_one_identifier_are_refused_rather_than_guessed() -> TestResult {
    let answer = json!([
        identity(ADA, json!({"email": "ada@example.com"}), &[]),
        identity(
            "5f0c2a4e-8b1d-4c3e-9a7f-2d6b1e0c9a11",
            json!({"email": "ada@example.com"}),
            &[]
        ),
    ]);
    let server = kratos_admin(ResponseTemplate::new(200).set_body_json(answer)).await;
    let outcome = directory(&server, None)?
        .identity_by_email("ada@example.com")
        .await;
    assert!(
        matches!(outcome, Err(PortError::InvalidAnswer { .. })),
        "{outcome:?}"
    );
    Ok(())
}
