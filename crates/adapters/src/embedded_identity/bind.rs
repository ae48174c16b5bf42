//! Where the embedded issuer may serve: loopback only, unless an operator forces it.

use std::net::{IpAddr, SocketAddr};

use super::EmbeddedIdentityError;

/// Refuses a non-loopback `bind` address unless `force`: anyone who reaches the embedded
/// issuer's API could use tokens minted for development, so it stays on the machine by default.
///
/// IPv4-mapped IPv6 loopback (`::ffff:127.0.0.1`) counts as loopback; the unspecified addresses
/// (`0.0.0.0`, `::`) do not, since they listen on every interface.
///
/// # Errors
/// `NonLoopbackBind` for any other address when `force` is false.
pub fn ensure_loopback(bind: SocketAddr, force: bool) -> Result<(), EmbeddedIdentityError> {
    if is_loopback(bind.ip()) {
        return Ok(());
    }
    if force {
        tracing::warn!(
            %bind,
            "serving the embedded identity issuer on a non-loopback address because it was forced"
        );
        return Ok(());
    }
    Err(EmbeddedIdentityError::NonLoopbackBind { bind })
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}
