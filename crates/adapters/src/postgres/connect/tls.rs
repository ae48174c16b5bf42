//! PostgreSQL over TLS (rustls), as libpq reads `sslmode` and `sslrootcert`.
//!
//! tokio-postgres knows `disable`, `prefer` and `require` but neither certificate check nor
//! `sslrootcert`, so both are taken off the URL here and applied by the connector:
//! - `disable` (Tollgate's default when the URL names no mode): plain TCP;
//! - `prefer`: TLS when the server offers it, else plain, the certificate unchecked;
//! - `require`: TLS or no connection; the certificate is checked against `sslrootcert` when
//!   one is named (as libpq does), else not at all;
//! - `verify-ca`: TLS, the certificate must chain to `sslrootcert`;
//! - `verify-full`: as `verify-ca`, and it must name the host connected to.
//!
//! `sslrootcert` is a PEM file of CA certificates, or `system` for the Mozilla roots
//! (webpki-roots); `verify-*` without it read `~/.postgresql/root.crt`, as libpq does.

use std::{
    fmt, io,
    path::{Path, PathBuf},
    sync::Arc,
};

use diesel::ConnectionError;
use rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::{
        WebPkiServerVerifier,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    },
    crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
};
use tokio::io::{AsyncRead, AsyncWrite};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TlsOptions {
    pub mode: SslMode,
    pub root_cert: Option<String>,
}

/// `url` without `sslmode` and `sslrootcert`, and what they asked for.
///
/// # Errors
/// `InvalidConnectionUrl` for a mode libpq does not have or Tollgate does not do (`allow`).
pub(super) fn split(url: &str) -> Result<(String, TlsOptions), ConnectionError> {
    let mut mode = None;
    let mut root_cert = None;
    let rest = if url.contains("://") {
        let mut parsed = url::Url::parse(url)
            .map_err(|e| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter_map(|(key, value)| match key.as_ref() {
                "sslmode" => {
                    mode = Some(value.into_owned());
                    None
                }
                "sslrootcert" => {
                    root_cert = Some(value.into_owned());
                    None
                }
                _ => Some((key.into_owned(), value.into_owned())),
            })
            .collect();
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
        parsed.to_string()
    } else {
        // `key=value` words (values with spaces or quotes are not read here).
        url.split_whitespace()
            .filter(|word| match word.split_once('=') {
                Some(("sslmode", value)) => {
                    mode = Some(value.to_owned());
                    false
                }
                Some(("sslrootcert", value)) => {
                    root_cert = Some(value.to_owned());
                    false
                }
                _ => true,
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mode = match mode.as_deref() {
        None | Some("disable") => SslMode::Disable,
        Some("prefer") => SslMode::Prefer,
        Some("require") => SslMode::Require,
        Some("verify-ca") => SslMode::VerifyCa,
        Some("verify-full") => SslMode::VerifyFull,
        Some(other) => {
            return Err(ConnectionError::InvalidConnectionUrl(format!(
                "sslmode={other} is not supported: use disable, prefer, require, verify-ca or \
                 verify-full"
            )));
        }
    };
    Ok((rest, TlsOptions { mode, root_cert }))
}

impl TlsOptions {
    /// The rustls configuration for these options; `None` for `disable`.
    ///
    /// # Errors
    /// `BadConnection` when the root certificates cannot be read.
    pub(super) fn client_config(&self) -> Result<Option<Arc<ClientConfig>>, ConnectionError> {
        if self.mode == SslMode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = match (&self.root_cert, self.mode) {
            (Some(path), _) => Some(roots(path)?),
            (None, SslMode::VerifyCa | SslMode::VerifyFull) => {
                let default = std::env::var_os("HOME")
                    .map(|home| Path::new(&home).join(".postgresql/root.crt"))
                    .filter(|path| path.exists())
                    .ok_or_else(|| {
                        bad(format!(
                            "sslmode={} needs sslrootcert=<CA file> in the database URL \
                             (or ~/.postgresql/root.crt)",
                            self.mode_name()
                        ))
                    })?;
                Some(roots(&default.to_string_lossy())?)
            }
            (None, _) => None,
        };
        let verifier: Arc<dyn ServerCertVerifier> = match roots {
            None => Arc::new(Unchecked(Arc::clone(&provider))),
            Some(roots) => {
                let webpki = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(&provider),
                )
                .build()
                .map_err(|e| bad(format!("sslrootcert: {e}")))?;
                if self.mode == SslMode::VerifyFull {
                    webpki
                } else {
                    Arc::new(AnyName(webpki))
                }
            }
        };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Some(Arc::new(config)))
    }

    pub(super) fn mode_name(&self) -> &'static str {
        match self.mode {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

fn bad(message: String) -> ConnectionError {
    ConnectionError::BadConnection(message)
}

fn roots(path: &str) -> Result<RootCertStore, ConnectionError> {
    let mut store = RootCertStore::empty();
    if path == "system" {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(store);
    }
    let certificates = CertificateDer::pem_file_iter(PathBuf::from(path))
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
    let (added, _) = store.add_parsable_certificates(certificates);
    if added == 0 {
        return Err(bad(format!(
            "sslrootcert {path} holds no usable CA certificate"
        )));
    }
    Ok(store)
}

/// `verify-ca`: the chain is checked, the name is not (libpq's meaning).
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require` without a CA: encrypted, the server unauthenticated (libpq's
/// meaning); the handshake's signatures are still checked.
struct Unchecked(Arc<CryptoProvider>);

impl fmt::Debug for Unchecked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Unchecked")
    }
}

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Asks the server for TLS on `socket` (PostgreSQL's `SSLRequest`) and makes the handshake;
/// `Ok(None)` when the server does not do TLS (the socket is then still usable in the clear).
/// Done here rather than by tokio-postgres so that the connection is handed to it as one
/// plain stream, read through [`super::super::sqlstate::CodedErrors`] above the TLS layer.
///
/// # Errors
/// When the socket fails, or the handshake does (certificate refused, protocol error).
pub(super) async fn negotiate<S>(
    mut socket: S,
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
) -> io::Result<Result<tokio_rustls::client::TlsStream<S>, S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Length 8, then the SSLRequest code 1234.5679 (protocol 3.0's section 55.2.10).
    const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
    socket.write_all(&SSL_REQUEST).await?;
    socket.flush().await?;
    let mut answer = [0_u8; 1];
    socket.read_exact(&mut answer).await?;
    match answer[0] {
        b'S' => tokio_rustls::TlsConnector::from(config)
            .connect(server_name, socket)
            .await
            .map(Ok),
        b'N' => Ok(Err(socket)),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the server answered the TLS request with {other:#04x}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn the_tls_words_are_taken_off_the_url_and_the_rest_kept() {
        let (rest, options) = split(
            "postgres://u:p@db:5432/x?sslmode=verify-full&application_name=tg&sslrootcert=/ca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:p@db:5432/x?application_name=tg");
        assert_eq!(options.mode, SslMode::VerifyFull);
        assert_eq!(options.root_cert.as_deref(), Some("/ca.pem"));

        let (rest, options) = split("postgres://db/x?sslmode=require").unwrap();
        assert_eq!(rest, "postgres://db/x");
        assert_eq!((options.mode, options.root_cert), (SslMode::Require, None));

        let (rest, options) = split("postgres://db/x").unwrap();
        assert_eq!(rest, "postgres://db/x");
        assert_eq!(options.mode, SslMode::Disable, "plain unless asked");

        let (rest, options) =
            split("host=db dbname=x sslmode=verify-ca sslrootcert=/ca.pem").unwrap();
        assert_eq!(rest, "host=db dbname=x");
        assert_eq!(options.mode, SslMode::VerifyCa);

        let error = split("postgres://db/x?sslmode=allow")
            .unwrap_err()
            .to_string();
        assert!(error.contains("sslmode=allow is not supported"), "{error}");
    }

    #[test]
    fn verification_needs_a_ca_and_a_bad_file_is_named() {
        let options = TlsOptions {
            mode: SslMode::VerifyFull,
            root_cert: Some("/nonexistent/ca.pem".into()),
        };
        let error = options.client_config().unwrap_err().to_string();
        assert!(error.contains("sslrootcert /nonexistent/ca.pem"), "{error}");
        let system = TlsOptions {
            mode: SslMode::VerifyFull,
            root_cert: Some("system".into()),
        };
        assert!(system.client_config().unwrap().is_some());
        let plain = TlsOptions {
            mode: SslMode::Disable,
            root_cert: None,
        };
        assert!(plain.client_config().unwrap().is_none());
    }
}
