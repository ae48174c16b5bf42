//! The signatures against the contract's vectors and a stand-in Lago, and the payloads against
//! the documented shapes.

mod hmac;
mod jwt;
mod payload;

/// A file of `tests/fixtures/lago/` (at the repository root), compiled in.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/lago/",
            $name
        ))
    };
}
pub(super) use fixture;
