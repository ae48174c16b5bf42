//! Every vector of the shared contract (`contracts/stripe/vectors.json`, copied to
//! `tests/fixtures/stripe/signature_vectors.json`), then the header's edge cases.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::*;

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    secret: String,
    old_secret: Option<String>,
    timestamp: Option<i64>,
    now: i64,
    payload: String,
    payload_sha256: String,
    header: String,
    expected: String,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stripe/signature_vectors.json"
    ));
    serde_json::from_str::<Vectors>(text).unwrap().vectors
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

const BODY: &[u8] = b"{\"id\":\"evt_1\",\"object\":\"event\"}\n";

#[test]
fn every_contract_vector_verifies_or_is_refused_as_it_says() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 8, "every vector of the contract is here");
    for vector in vectors {
        // The payload is the raw body byte for byte, not a re-serialised copy.
        assert_eq!(
            hex::encode(Sha256::digest(vector.payload.as_bytes())),
            vector.payload_sha256,
            "{}",
            vector.name
        );
        let verifier = StripeSignatureVerifier::new([secret(&vector.secret)]);
        let verdict = verifier.verify(&vector.header, vector.payload.as_bytes(), at(vector.now));
        let expected = match vector.expected.as_str() {
            "valid" => Ok(()),
            "invalid_signature" => Err(StripeSignatureError::NoMatch),
            "timestamp_outside_tolerance" => Err(StripeSignatureError::OutsideTolerance {
                timestamp: vector.timestamp.unwrap(),
            }),
            "no_signatures_for_scheme_v1" => Err(StripeSignatureError::NoV1),
            "malformed_header" => Err(StripeSignatureError::Malformed("no `t` timestamp")),
            other => panic!("{}: unknown expectation {other}", vector.name),
        };
        assert_eq!(verdict, expected, "{}", vector.name);
        // A verifier still holding only the rolled-out secret accepts the rotation's header.
        if let Some(old) = &vector.old_secret {
            let old_only = StripeSignatureVerifier::new([secret(old)]);
            assert_eq!(
                old_only.verify(&vector.header, vector.payload.as_bytes(), at(vector.now)),
                Ok(()),
                "{} under the old secret",
                vector.name
            );
        }
    }
}

#[test]
fn sign_makes_the_contract_header_and_one_v1_per_secret() {
    let vectors = vectors();
    let first = &vectors[0];
    let header = sign(
        &[&secret(&first.secret)],
        first.timestamp.unwrap(),
        first.payload.as_bytes(),
    );
    assert_eq!(header, first.header);

    let rotation = &vectors[1];
    let (old, new) = (
        secret(rotation.old_secret.as_deref().unwrap()),
        secret(&rotation.secret),
    );
    let header = sign(
        &[&old, &new],
        rotation.timestamp.unwrap(),
        rotation.payload.as_bytes(),
    );
    // The contract's header is these two plus a `v0`, which verifiers ignore.
    assert!(rotation.header.starts_with(&header), "{header}");
}

#[test]
fn any_of_several_configured_secrets_may_match() {
    let header = sign(&[&secret("whsec_new")], 1_000, BODY);
    let verifier = StripeSignatureVerifier::new([secret("whsec_old"), secret("whsec_new")]);
    assert_eq!(verifier.verify(&header, BODY, at(1_000)), Ok(()));
    let none = StripeSignatureVerifier::new([]);
    assert_eq!(
        none.verify(&header, BODY, at(1_000)),
        Err(StripeSignatureError::NoMatch)
    );
}

#[test]
fn only_stale_timestamps_are_refused_and_300_seconds_is_still_fresh() {
    let header = sign(&[&secret("whsec_a")], 1_000, BODY);
    let verifier = StripeSignatureVerifier::new([secret("whsec_a")]);
    assert_eq!(verifier.verify(&header, BODY, at(1_300)), Ok(()));
    assert_eq!(
        verifier.verify(&header, BODY, at(1_301)),
        Err(StripeSignatureError::OutsideTolerance { timestamp: 1_000 })
    );
    // Ahead of our clock is skew, not a replay.
    assert_eq!(verifier.verify(&header, BODY, at(0)), Ok(()));
}

#[test]
fn a_stale_header_with_a_wrong_signature_is_refused_for_the_signature() {
    let header = sign(&[&secret("whsec_other")], 1_000, BODY);
    let verifier = StripeSignatureVerifier::new([secret("whsec_a")]);
    assert_eq!(
        verifier.verify(&header, BODY, at(9_999)),
        Err(StripeSignatureError::NoMatch)
    );
}

#[test]
fn the_header_is_read_leniently_but_never_guessed_at() {
    let valid = hex::encode(signature(&secret("whsec_a"), 1_000, BODY));
    let verifier = StripeSignatureVerifier::new([secret("whsec_a")]);
    let check = |header: &str| verifier.verify(header, BODY, at(1_000));
    // Spaces after commas, unknown schemes, items without `=` and non-hex `v1`s are skipped.
    assert_eq!(
        check(&format!("t=1000, v1=zz, x-new=1, junk, v1={valid}")),
        Ok(())
    );
    assert_eq!(check(&format!("v1={valid},t=1000")), Ok(()));
    assert_eq!(
        check(&format!("t=1000,v1={}", valid.to_uppercase())),
        Ok(())
    );
    for (header, error) in [
        ("", StripeSignatureError::Malformed("no `t` timestamp")),
        (
            "garbage",
            StripeSignatureError::Malformed("no `t` timestamp"),
        ),
        (
            "t=,v1=00",
            StripeSignatureError::Malformed("`t` is not whole Unix seconds"),
        ),
        (
            "t=+1000,v1=00",
            StripeSignatureError::Malformed("`t` is not whole Unix seconds"),
        ),
        (
            "t=-1,v1=00",
            StripeSignatureError::Malformed("`t` is not whole Unix seconds"),
        ),
        (
            "t=1e3,v1=00",
            StripeSignatureError::Malformed("`t` is not whole Unix seconds"),
        ),
        (
            "t=99999999999999999999,v1=00",
            StripeSignatureError::Malformed("`t` is not whole Unix seconds"),
        ),
        (
            "t=1000,t=1001,v1=00",
            StripeSignatureError::Malformed("`t` is given twice"),
        ),
        ("t=1000", StripeSignatureError::NoV1),
        ("t=1000,v0=00,v1x=00", StripeSignatureError::NoV1),
        ("t=1000,v1=", StripeSignatureError::NoMatch),
    ] {
        assert_eq!(check(header), Err(error), "{header:?}");
    }
}

#[test]
fn a_truncated_or_extended_signature_does_not_match() {
    let valid = hex::encode(signature(&secret("whsec_a"), 1_000, BODY));
    let verifier = StripeSignatureVerifier::new([secret("whsec_a")]);
    for v1 in [&valid[..62], &format!("{valid}00")] {
        assert_eq!(
            verifier.verify(&format!("t=1000,v1={v1}"), BODY, at(1_000)),
            Err(StripeSignatureError::NoMatch),
            "{v1}"
        );
    }
}
