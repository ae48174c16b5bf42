//! Webhook deliveries as Stripe makes them, for tests that post events to Tollgate: the exact
//! body bytes and their `Stripe-Signature`, signed with the adapter's own signer (which the
//! contract's vectors check, `signing/stripe/tests.rs`).

use secrecy::SecretString;
use serde_json::Value;
use tollgate_adapters::signing::stripe::sign;

/// The `Stripe-Signature` header an endpoint with `secret` (`whsec_…`) receives for `body`
/// sent at `timestamp` (unix seconds).
pub fn stripe_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let secret = SecretString::from(secret.to_owned());
    sign(&[&secret], timestamp, body)
}

/// `event` as delivered now to an endpoint with `secret`: the body to post and its
/// `Stripe-Signature`. Post the body as is: the signature covers these exact bytes.
pub fn signed_delivery(secret: &str, event: &Value) -> (Vec<u8>, String) {
    let body = serde_json::to_vec_pretty(event).expect("an event serialises");
    let header = stripe_signature(secret, chrono::Utc::now().timestamp(), &body);
    (body, header)
}
