//! Every case of the shared contract (`contracts/standard-webhooks/vectors.json`, copied to
//! `tests/fixtures/standard_webhooks/signature_vectors.json`), our signatures checked by the
//! spec's own Rust library, and the secrets.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
struct Vectors {
    tolerance_seconds: i64,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    secret: String,
    headers: BTreeMap<String, String>,
    body: String,
    now: i64,
    valid: bool,
}

fn vectors() -> Vectors {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/standard_webhooks/signature_vectors.json"
    ));
    serde_json::from_str(text).unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn case<'a>(cases: &'a [Case], name: &str) -> &'a Case {
    cases.iter().find(|case| case.name == name).unwrap()
}

/// Why each invalid case of the contract must be refused.
fn expected_refusal(name: &str) -> StandardWebhookError {
    match name {
        "only_other_versions" => StandardWebhookError::NoV1,
        "stale_timestamp" | "future_timestamp" => StandardWebhookError::OutsideTolerance {
            timestamp: 1_765_000_000,
        },
        "missing_signature_header" => StandardWebhookError::MissingHeader(HEADER_SIGNATURE),
        "non_numeric_timestamp" => StandardWebhookError::InvalidTimestamp,
        _ => StandardWebhookError::NoMatch,
    }
}

#[test]
fn every_contract_case_verifies_or_is_refused_as_it_says() {
    let vectors = vectors();
    assert_eq!(vectors.tolerance_seconds, TOLERANCE_SECS);
    assert_eq!(
        vectors.cases.len(),
        18,
        "every case of the contract is here"
    );
    for case in &vectors.cases {
        let secret = EndpointSecret::parse(&case.secret).unwrap();
        let verdict = verify(
            &[&secret],
            |name| case.headers.get(name).map(String::as_str),
            case.body.as_bytes(),
            at(case.now),
        );
        if case.valid {
            assert_eq!(verdict, Ok(()), "{}", case.name);
        } else {
            assert_eq!(verdict, Err(expected_refusal(&case.name)), "{}", case.name);
        }
    }
}

#[test]
fn signing_reproduces_the_contract_signatures_including_a_rotation() {
    let vectors = vectors();
    for name in [
        "upstream_sign_vector_js_go_python",
        "upstream_sign_vector_rust",
        "tollgate_current_secret",
    ] {
        let case = case(&vectors.cases, name);
        let secret = EndpointSecret::parse(&case.secret).unwrap();
        let timestamp: i64 = case.headers[HEADER_TIMESTAMP].parse().unwrap();
        let signed = sign(
            &[&secret],
            &case.headers[HEADER_ID],
            at(timestamp),
            case.body.as_bytes(),
        )
        .unwrap();
        assert_eq!(signed.signature, case.headers[HEADER_SIGNATURE], "{name}");
        assert_eq!(signed.timestamp, timestamp);
    }
    // During a rotation both secrets sign, the old one first.
    let rotation = case(&vectors.cases, "tollgate_rotation_both_signatures");
    let new = EndpointSecret::parse(&rotation.secret).unwrap();
    let old_case = case(&vectors.cases, "tollgate_rotation_receiver_holds_old");
    let old = EndpointSecret::parse(&old_case.secret).unwrap();
    let signed = sign(
        &[&old, &new],
        &rotation.headers[HEADER_ID],
        at(1_765_000_000),
        rotation.body.as_bytes(),
    )
    .unwrap();
    assert_eq!(signed.signature, rotation.headers[HEADER_SIGNATURE]);
    let pairs = signed.pairs();
    assert_eq!(
        pairs[0],
        (HEADER_ID, "msg_01JDQ8ZJ6Q6X5Q2V7N8P9R0S1T".to_owned())
    );
    assert_eq!(pairs[1], (HEADER_TIMESTAMP, "1765000000".to_owned()));
}

/// The spec's own Rust library (`standardwebhooks`, an independent HMAC and base64) accepts
/// what we sign. It reads the clock, so this signs with the current time.
#[test]
fn the_reference_library_accepts_our_signatures_old_and_new_secret() {
    let (old, new) = (EndpointSecret::generate(), EndpointSecret::generate());
    let body = br#"{"type":"invoice.paid","timestamp":"2026-12-06T07:30:00Z","data":{"amount_due":"129.50"}}"#;
    let signed = sign(&[&old, &new], "msg_2q8v", Utc::now(), body).unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in signed.pairs() {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    for secret in [&old, &new] {
        let reference = standardwebhooks::Webhook::new(secret.reveal().expose_secret()).unwrap();
        reference.verify(body, &headers).unwrap();
    }
    // And refuses them under a third secret, so the check above is not vacuous.
    let other = standardwebhooks::Webhook::new(EndpointSecret::generate().reveal().expose_secret())
        .unwrap();
    assert!(other.verify(body, &headers).is_err());
    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    let reference = standardwebhooks::Webhook::new(new.reveal().expose_secret()).unwrap();
    assert!(reference.verify(&tampered, &headers).is_err());
}

#[test]
fn tolerance_holds_both_ways_and_300_seconds_is_still_inside() {
    let secret = EndpointSecret::generate();
    let signed = sign(&[&secret], "msg_1", at(10_000), b"{}").unwrap();
    let pairs = signed.pairs();
    let header = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    for now in [9_700, 10_000, 10_300] {
        assert_eq!(verify(&[&secret], header, b"{}", at(now)), Ok(()), "{now}");
    }
    for now in [9_699, 10_301] {
        assert_eq!(
            verify(&[&secret], header, b"{}", at(now)),
            Err(StandardWebhookError::OutsideTolerance { timestamp: 10_000 }),
            "{now}"
        );
    }
}

#[test]
fn a_message_is_signed_with_at_least_one_secret_and_a_usable_id() {
    let secret = EndpointSecret::generate();
    assert_eq!(
        sign(&[], "msg_1", at(0), b"{}"),
        Err(StandardWebhookError::NoSecret)
    );
    for id in ["", "msg.1"] {
        assert_eq!(
            sign(&[&secret], id, at(0), b"{}"),
            Err(StandardWebhookError::InvalidMessageId),
            "{id:?}"
        );
    }
}

#[test]
fn generated_secrets_are_32_random_bytes_that_read_back() {
    let (one, two) = (EndpointSecret::generate(), EndpointSecret::generate());
    let text = one.reveal();
    let text = text.expose_secret();
    assert!(
        text.starts_with("whsec_") && text.len() == "whsec_".len() + 44,
        "{text}"
    );
    assert_eq!(one.key().len(), EndpointSecret::GENERATED_BYTES);
    assert_ne!(one.key(), two.key());
    assert_eq!(EndpointSecret::parse(text).unwrap().key(), one.key());
    assert_eq!(format!("{one:?}"), "EndpointSecret(..)");
}

#[test]
fn secrets_of_another_shape_or_length_are_refused() {
    use base64::{Engine, engine::general_purpose::STANDARD};
    let of_len = |len: usize| format!("whsec_{}", STANDARD.encode(vec![7_u8; len]));
    assert!(EndpointSecret::parse(&of_len(24)).is_ok());
    assert!(EndpointSecret::parse(&of_len(64)).is_ok());
    for (text, error) in [
        (of_len(23), SecretError::WrongLength { len: 23 }),
        (of_len(65), SecretError::WrongLength { len: 65 }),
        ("whsec_".to_owned(), SecretError::WrongLength { len: 0 }),
        (of_len(32).replacen("whsec_", "", 1), SecretError::NoPrefix),
        (
            of_len(32).replacen("whsec_", "whsec-", 1),
            SecretError::NoPrefix,
        ),
        ("whsec_not base64!".to_owned(), SecretError::NotBase64),
    ] {
        assert_eq!(
            EndpointSecret::parse(&text).map(|_| ()),
            Err(error),
            "{text}"
        );
    }
}
