use secrecy::SecretString;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tollgate_application::ports::{SignatureAlgorithm, SignatureError, WebhookSignatureVerifier};

use super::fixture;
use crate::lago::webhook::{HmacSignature, LagoWebhookVerifier};

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    hmac_key: String,
    payload: String,
    payload_sha256: Option<String>,
    x_lago_signature: String,
    expected: String,
}

fn vectors() -> Vec<Vector> {
    let vectors: Vectors =
        serde_json::from_str(fixture!("webhook_hmac_vectors.json")).expect("the vectors read");
    vectors.vectors
}

#[test]
fn every_contract_vector_verifies_or_is_refused_as_it_says() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 3, "every vector of the contract is here");
    let mut seen = (0, 0);
    for vector in vectors {
        if let Some(expected) = &vector.payload_sha256 {
            // The payload is the raw body byte for byte, not a re-serialised copy.
            assert_eq!(
                &hex::encode(Sha256::digest(vector.payload.as_bytes())),
                expected,
                "{}",
                vector.name
            );
        }
        let verdict = HmacSignature::new(SecretString::from(vector.hmac_key.clone()))
            .verify(&vector.x_lago_signature, vector.payload.as_bytes());
        match vector.expected.as_str() {
            "valid" => {
                assert!(verdict.is_ok(), "{}: {verdict:?}", vector.name);
                seen.0 += 1;
            }
            "invalid_signature" => {
                assert!(
                    matches!(verdict, Err(SignatureError::Invalid(_))),
                    "{}: {verdict:?}",
                    vector.name
                );
                seen.1 += 1;
            }
            other => panic!("{}: unknown expectation {other}", vector.name),
        }
    }
    assert_eq!(seen, (2, 1), "two valid vectors, one invalid");
}

#[test]
fn a_valid_signature_is_refused_with_another_key_or_another_encoding() {
    // valid_wallet_depleted: its signature has a `/`, which URL-safe Base64 writes `_`.
    let vector = vectors().remove(1);
    let body = vector.payload.as_bytes();
    let right = HmacSignature::new(SecretString::from(vector.hmac_key.clone()));
    let wrong = HmacSignature::new(SecretString::from("lago_hmac_key_test_vector_0002"));
    assert!(wrong.verify(&vector.x_lago_signature, body).is_err());
    // Standard padded Base64 only: no URL-safe alphabet, no missing padding.
    let unpadded = vector.x_lago_signature.trim_end_matches('=');
    assert!(right.verify(unpadded, body).is_err());
    let url_safe = vector.x_lago_signature.replace('/', "_").replace('+', "-");
    assert_ne!(url_safe, vector.x_lago_signature, "the vector has a / or +");
    assert!(right.verify(&url_safe, body).is_err());
    // A truncated tag is not a shorter valid tag.
    let mut truncated = vector.x_lago_signature.clone();
    truncated.truncate(20);
    assert!(right.verify(&truncated, body).is_err());
    assert!(right.verify("", body).is_err());
}

#[tokio::test]
async fn an_algorithm_without_its_configuration_is_refused() {
    let vector = vectors().remove(0);
    let without_key = LagoWebhookVerifier::new(None, None);
    let verdict = without_key
        .verify(
            SignatureAlgorithm::Hmac,
            &vector.x_lago_signature,
            vector.payload.as_bytes(),
        )
        .await;
    assert!(matches!(verdict, Err(SignatureError::Invalid(_))));
    let with_key = LagoWebhookVerifier::new(Some(SecretString::from(vector.hmac_key)), None);
    assert!(
        with_key
            .verify(
                SignatureAlgorithm::Hmac,
                &vector.x_lago_signature,
                vector.payload.as_bytes()
            )
            .await
            .is_ok()
    );
    assert!(
        with_key
            .verify(SignatureAlgorithm::Jwt, "a.b.c", vector.payload.as_bytes())
            .await
            .is_err()
    );
}
