//! Portal links: a staff member hands a customer a link that opens its portal once, without an
//! account. The token is 256 random bits shown once; only its SHA-256 is stored. A link is
//! redeemed at most once, before it expires (1 hour unless asked, at most 24), and both the
//! issue and the redemption are audited.
//!
//! [`PortalLinkService::redeem`] is what the web frame's `/portal/links/{token}` route calls:
//! it answers whose portal to open (organization and customer), for a session limited to it.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;
use tollgate_domain::{ErrorCode, organization::OrganizationId, webhook_secret::SecretDigest};
use url::{Host, Url};
use uuid::Uuid;

use crate::{
    AppError,
    ports::{AuditContext, AuditEntry, Clock, NewPortalLink, PortalLinkStore, RedeemedPortalLink},
};

/// How long a link lives when the request does not say.
pub const DEFAULT_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// The longest a link may live.
pub const MAX_LIFETIME: TimeDelta = TimeDelta::hours(24);
/// The shortest: less would expire before a person could open it.
pub const MIN_LIFETIME: TimeDelta = TimeDelta::minutes(1);
/// The longest return URL kept.
pub const MAX_RETURN_URL: usize = 2048;
/// What every token starts with, so a leaked one is recognised (secret scanners).
pub const TOKEN_PREFIX: &str = "tgp_";

/// A link just issued: the token (shown once, never stored) and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedPortalLink {
    pub id: Uuid,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub struct PortalLinkService {
    store: Arc<dyn PortalLinkStore>,
    clock: Arc<dyn Clock>,
}

impl PortalLinkService {
    pub fn new(store: Arc<dyn PortalLinkStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// A new link into the portal of `customer` (the billing customer's id), valid for
    /// `expires_in` seconds (default an hour). `None` (nothing stored) for an unknown
    /// customer.
    ///
    /// # Errors
    /// `invalid_return_url` (422) for a return URL that is not an absolute https URL (http on
    /// a loopback host only) without credentials, up to 2048 characters; `out_of_range` for
    /// a lifetime outside 60 s to 24 h; `AppError::Port` when the store fails.
    pub async fn issue(
        &self,
        organization: OrganizationId,
        customer: Uuid,
        return_url: Option<&str>,
        expires_in: Option<i64>,
        context: &AuditContext,
    ) -> Result<Option<IssuedPortalLink>, AppError> {
        let return_url = return_url.map(checked_return_url).transpose()?;
        let lifetime = match expires_in {
            None => DEFAULT_LIFETIME,
            Some(seconds) => Some(TimeDelta::seconds(seconds.clamp(-1, i64::MAX / 1_000)))
                .filter(|lifetime| (MIN_LIFETIME..=MAX_LIFETIME).contains(lifetime))
                .ok_or_else(|| AppError::Unprocessable {
                    code: ErrorCode::OutOfRange,
                    message: format!(
                        "expires_in must be {} to {} seconds, not {seconds}",
                        MIN_LIFETIME.num_seconds(),
                        MAX_LIFETIME.num_seconds()
                    ),
                })?,
        };
        let mut random = [0_u8; 32];
        rand::rng().fill_bytes(&mut random);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(random));
        let link = NewPortalLink {
            id: Uuid::now_v7(),
            customer,
            digest: SecretDigest::of(&token),
            return_url,
            expires_at: self.clock.now() + lifetime,
        };
        let audit = AuditEntry::success(
            context,
            "portal_link.create",
            Some(format!("portal_link:{} customer:{customer}", link.id)),
        );
        if !self.store.create(organization, &link, &audit).await? {
            return Ok(None);
        }
        Ok(Some(IssuedPortalLink {
            id: link.id,
            token,
            expires_at: link.expires_at,
        }))
    }

    /// Redeems `token`: whose portal it opens, once. `None` for anything but an unused,
    /// unexpired link's token (without telling which).
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn redeem(
        &self,
        token: &str,
        context: &AuditContext,
    ) -> Result<Option<RedeemedPortalLink>, AppError> {
        // Not one of ours: no need to ask the database.
        if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        Ok(self
            .store
            .redeem(&SecretDigest::of(token), self.clock.now(), context)
            .await?)
    }

    /// Where the portal opened by link `id` sends its visitor back, if the link named a place.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn return_url(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<String>, AppError> {
        Ok(self.store.return_url(organization, id).await?)
    }
}

fn invalid_return_url(reason: &str) -> AppError {
    AppError::Unprocessable {
        code: ErrorCode::InvalidReturnUrl,
        message: format!("return_url {reason}"),
    }
}

/// `text` as a return URL the portal may send a person back to: absolute, https (http only to
/// a loopback host, for development), no user or password in it.
fn checked_return_url(text: &str) -> Result<String, AppError> {
    if text.len() > MAX_RETURN_URL {
        return Err(invalid_return_url(&format!(
            "is longer than {MAX_RETURN_URL} characters"
        )));
    }
    let url = Url::parse(text).map_err(|_| invalid_return_url("is not an absolute URL"))?;
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(invalid_return_url("names no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(invalid_return_url("must be https (http only to localhost)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid_return_url("must not carry a user name or password"));
    }
    Ok(url.to_string())
}
