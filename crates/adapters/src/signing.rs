//! Webhook signatures: Stripe's, checked on the events Stripe sends Tollgate, and Standard
//! Webhooks', made on the events Tollgate sends operators (and checked by their stand-ins).
//!
//! Both are HMAC-SHA256 over the exact body bytes with a timestamp, and neither reads a clock:
//! the caller passes `now`, so tests and replays of old events are deterministic.

pub mod standard_webhooks;
pub mod stripe;

#[cfg(test)]
mod tests;

use hmac::{Hmac, Mac, digest::generic_array::GenericArray};
use sha2::{Digest, Sha256};

/// SHA-256's block size, the length HMAC brings every key to.
const BLOCK: usize = 64;

/// HMAC-SHA256 of the parts, concatenated, under `key`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC zero-pads keys to the block and hashes longer ones first (RFC 2104, 2). Doing it
    // here gives the fixed-size key `Hmac::new` takes, without the fallible `new_from_slice`
    // (which cannot fail for HMAC, but would need an error path all the same).
    let mut block = [0_u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut mac = Hmac::<Sha256>::new(GenericArray::from_slice(&block));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}
