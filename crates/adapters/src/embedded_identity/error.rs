//! What can go wrong when keeping the signing key, minting a token or choosing where to serve.

use std::{io, net::SocketAddr, path::PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedIdentityError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The key file can be read by someone else than its owner: it may have leaked, and a leaked
    /// key mints tokens for anyone, so it is not used.
    #[error(
        "{} has mode {mode:o}: the signing key may have been read by others; delete it to make \
         a new one (tokens it signed stop verifying), or `chmod 600` it if you know it did not leak",
        path.display()
    )]
    LoosePermissions { path: PathBuf, mode: u32 },
    #[error("{} is not a regular file (a symbolic link or a directory)", path.display())]
    NotARegularFile { path: PathBuf },
    #[error("{} does not hold a PKCS#8 Ed25519 private key: {reason}", path.display())]
    InvalidKey { path: PathBuf, reason: String },
    #[error("the operating system's random generator failed: {0}")]
    Random(String),
    #[error("cannot mint a token: {0}")]
    BadTokenRequest(&'static str),
    #[error("cannot sign a token: {0}")]
    Signing(String),
    #[error(
        "refusing to serve the embedded identity issuer on {bind}: it is not a loopback address, \
         and its tokens are for development only; bind to 127.0.0.1 or ::1, configure Ory, \
         or force it explicitly"
    )]
    NonLoopbackBind { bind: SocketAddr },
}

impl EmbeddedIdentityError {
    pub(super) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
