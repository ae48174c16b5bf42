//! Minting and verifying the embedded issuer's EdDSA access tokens, and its JWKS.

use std::{
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use rand::{TryRngCore, rngs::OsRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tollgate_application::ports::{AccessTokenVerifier, AuthError, VerifiedToken};

use super::{EmbeddedIdentityError, key_file};

/// How far `exp` and `nbf` may be off, in seconds: the clocks of the minting CLI and the
/// server may differ a little even on one machine (containers, VMs).
pub const LEEWAY_SECONDS: u64 = 30;

/// The claims of an embedded token. All are required when verifying: the issuer only ever
/// accepts tokens it minted itself, and it always writes every one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedClaims {
    pub iss: String,
    pub aud: Vec<String>,
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub scp: Vec<String>,
    /// The organization's name the token was minted for (`--org`).
    pub org: String,
    /// The caller's role in that organization (`--role`), e.g. `owner`. Kept out of `scp` on
    /// purpose: a role is a relation to check, not a scope; read it with
    /// [`EmbeddedIssuer::decode_claims`].
    pub role: String,
}

/// A local issuer with one Ed25519 key pair, kept in a directory by
/// [`EmbeddedIssuer::load_or_create`].
pub struct EmbeddedIssuer {
    issuer: String,
    audience: String,
    kid: String,
    /// The raw 32-byte public key, the JWK's `x`.
    public_key: [u8; 32],
    encoding_key: EncodingKey,
    decoding_key: DecodingKey,
    validation: Validation,
    /// The file the key was read from; `None` for a key kept in the database.
    key_path: Option<PathBuf>,
}

impl EmbeddedIssuer {
    /// Loads the key pair kept in `dir/identity-signing-key.pem`, making it first (and `dir`)
    /// when there is none. An existing key is never replaced.
    ///
    /// # Errors
    /// `LoosePermissions` when the key file can be read by group or others, `NotARegularFile`,
    /// `InvalidKey` for a file that is not a PKCS#8 Ed25519 key, `Io` and `Random` otherwise.
    pub fn load_or_create(
        dir: &Path,
        issuer: String,
        audience: String,
    ) -> Result<Self, EmbeddedIdentityError> {
        let (signing_key, key_path) = key_file::load_or_create(dir)?;
        Self::with_key(&signing_key, Some(key_path), issuer, audience)
    }

    /// The issuer of the Ed25519 key whose 32-byte secret is `seed` (kept in the database's
    /// `installation_secrets`, so every replica signs and verifies with one key).
    ///
    /// # Errors
    /// `InvalidKey` when `seed` is not 32 bytes.
    pub fn from_seed(
        seed: &[u8],
        issuer: String,
        audience: String,
    ) -> Result<Self, EmbeddedIdentityError> {
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| EmbeddedIdentityError::InvalidKey {
                path: PathBuf::from("installation_secrets"),
                reason: format!("the seed has {} bytes, not 32", seed.len()),
            })?;
        Self::with_key(
            &ed25519_dalek::SigningKey::from_bytes(seed),
            None,
            issuer,
            audience,
        )
    }

    /// The 32-byte secret of the key kept in `dir` by an earlier version, if there is one: it
    /// is moved into the database at the first start that keeps the key there, so the tokens
    /// it signed keep working.
    ///
    /// # Errors
    /// As [`EmbeddedIssuer::load_or_create`] for a file that is there but unusable.
    pub fn seed_kept_in(
        dir: &Path,
    ) -> Result<
        Option<ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing<[u8; 32]>>,
        EmbeddedIdentityError,
    > {
        Ok(key_file::read_existing(&dir.join(key_file::KEY_FILE_NAME))?
            .map(|key| ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing::new(key.to_bytes())))
    }

    fn with_key(
        signing_key: &ed25519_dalek::SigningKey,
        key_path: Option<PathBuf>,
        issuer: String,
        audience: String,
    ) -> Result<Self, EmbeddedIdentityError> {
        // jsonwebtoken signs with a PKCS#8 DER document but verifies with the raw public key.
        let der = signing_key
            .to_pkcs8_der()
            .map_err(|e| EmbeddedIdentityError::InvalidKey {
                path: key_path
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("installation_secrets")),
                reason: e.to_string(),
            })?;
        let public_key = signing_key.verifying_key().to_bytes();

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);

        Ok(Self {
            kid: key_id(&public_key),
            encoding_key: EncodingKey::from_ed_der(der.as_bytes()),
            decoding_key: DecodingKey::from_ed_der(&public_key),
            public_key,
            validation,
            issuer,
            audience,
            key_path,
        })
    }

    /// Mints an access token for `subject` acting as `role` in `organization`, valid for `ttl`.
    ///
    /// # Errors
    /// `BadTokenRequest` for an empty subject, organization or role or a zero or huge `ttl`;
    /// `Random` or `Signing` when the token cannot be made.
    pub fn issue(
        &self,
        subject: &str,
        organization: &str,
        role: &str,
        scopes: &[String],
        ttl: Duration,
    ) -> Result<String, EmbeddedIdentityError> {
        self.issue_at(Utc::now(), subject, organization, role, scopes, ttl)
    }

    /// [`EmbeddedIssuer::issue`] as if it were `now`, so that tests can mint expired tokens.
    pub(super) fn issue_at(
        &self,
        now: DateTime<Utc>,
        subject: &str,
        organization: &str,
        role: &str,
        scopes: &[String],
        ttl: Duration,
    ) -> Result<String, EmbeddedIdentityError> {
        for (value, what) in [
            (subject, "the subject is empty"),
            (organization, "the organization is empty"),
            (role, "the role is empty"),
        ] {
            if value.trim().is_empty() {
                return Err(EmbeddedIdentityError::BadTokenRequest(what));
            }
        }
        if ttl.is_zero() {
            return Err(EmbeddedIdentityError::BadTokenRequest(
                "the lifetime is zero",
            ));
        }
        let expires_at = chrono::Duration::from_std(ttl)
            .ok()
            .and_then(|ttl| now.checked_add_signed(ttl))
            .ok_or(EmbeddedIdentityError::BadTokenRequest(
                "the lifetime is too long",
            ))?;

        let mut jti = [0_u8; 16];
        OsRng
            .try_fill_bytes(&mut jti)
            .map_err(|e| EmbeddedIdentityError::Random(e.to_string()))?;
        let claims = EmbeddedClaims {
            iss: self.issuer.clone(),
            aud: vec![self.audience.clone()],
            sub: subject.to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: URL_SAFE_NO_PAD.encode(jti),
            scp: scopes.to_vec(),
            org: organization.to_owned(),
            role: role.to_owned(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding_key)
            .map_err(|e| EmbeddedIdentityError::Signing(e.to_string()))
    }

    /// The public key as a JSON Web Key Set (RFC 8037 `OKP` / `Ed25519`).
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(self.public_key),
                "kid": self.kid,
                "alg": "EdDSA",
                "use": "sig",
            }]
        })
    }

    /// Verifies `token` like [`AccessTokenVerifier::verify`] and returns all its claims,
    /// including the `role` that `VerifiedToken` has no room for.
    ///
    /// # Errors
    /// `Unauthenticated` for any token that is not one of this issuer's, valid now.
    pub fn decode_claims(&self, token: &str) -> Result<EmbeddedClaims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(rejected)?;
        // `decode` pins the algorithm too; checking here first gives the clearer reason.
        if header.alg != Algorithm::EdDSA {
            return Err(unauthenticated("the token is not signed with EdDSA"));
        }
        match header.kid.as_deref() {
            Some(kid) if kid == self.kid => {}
            Some(_) => return Err(unauthenticated("the token's key id is unknown")),
            None => return Err(unauthenticated("the token has no key id")),
        }
        jsonwebtoken::decode::<EmbeddedClaims>(token, &self.decoding_key, &self.validation)
            .map(|data| data.claims)
            .map_err(rejected)
    }

    /// The key id (`kid`): the RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key,
    /// so it stays the same for as long as the key does.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The key's file, for an issuer made by [`EmbeddedIssuer::load_or_create`].
    pub fn key_path(&self) -> Option<&Path> {
        self.key_path.as_deref()
    }
}

// By hand, so that no key material can end up in a log.
impl fmt::Debug for EmbeddedIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("kid", &self.kid)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl AccessTokenVerifier for EmbeddedIssuer {
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let claims = self.decode_claims(token)?;
        Ok(VerifiedToken {
            subject: claims.sub,
            scopes: claims.scp,
            expires_at: DateTime::from_timestamp(claims.exp, 0),
            organization: Some(claims.org),
        })
    }
}

/// RFC 7638: SHA-256 over the required members of the JWK, in lexicographic order, no spaces.
fn key_id(public_key: &[u8; 32]) -> String {
    let x = URL_SAFE_NO_PAD.encode(public_key);
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn unauthenticated(reason: &str) -> AuthError {
    AuthError::Unauthenticated(reason.to_owned())
}

fn rejected(error: jsonwebtoken::errors::Error) -> AuthError {
    let reason = match error.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::ImmatureSignature => "the token is not valid yet".to_owned(),
        ErrorKind::InvalidSignature => "the token's signature does not verify".to_owned(),
        ErrorKind::InvalidAlgorithm => "the token is not signed with EdDSA".to_owned(),
        ErrorKind::InvalidIssuer => "the token is from another issuer".to_owned(),
        ErrorKind::InvalidAudience => "the token is for another audience".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no `{claim}` claim"),
        _ => format!("the token is malformed: {error}"),
    };
    AuthError::Unauthenticated(reason)
}
