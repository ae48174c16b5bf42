//! The dashboard's sessions: begun after a sign-in, resumed on every page, ended by logging
//! out or by time (30 idle minutes, 12 hours in all by default); and the one-time sign-in
//! links of `tollgate dev-login`.
//!
//! A session's id and a link's secret are 32 random bytes handed to the browser once; only
//! their SHA-256 is stored.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;
use tollgate_domain::webhook_secret::SecretDigest;

use crate::{
    PortError,
    ports::{
        AuditContext, AuditEntry, Clock, SessionHolder, SignInMethod, WebSessionRecord,
        WebSessionStore,
    },
};

#[cfg(test)]
mod tests;

/// How long sessions and links live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long is over.
    pub idle: Duration,
    /// A session is over this long after it began, however busy.
    pub absolute: Duration,
    /// A sign-in link is refused this long after it was made.
    pub link_ttl: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            link_ttl: Duration::from_secs(10 * 60),
        }
    }
}

/// A live session, resumed from its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub record: WebSessionRecord,
    /// SHA-256 of the session id: what CSRF tokens are bound to.
    pub digest: [u8; 32],
}

/// A sign-in link's secret and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLink {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

pub struct WebSessionService {
    store: Arc<dyn WebSessionStore>,
    clock: Arc<dyn Clock>,
    policy: SessionPolicy,
}

fn random_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn digest(secret: &str) -> [u8; 32] {
    *SecretDigest::of(secret).as_bytes()
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

impl WebSessionService {
    pub fn new(
        store: Arc<dyn WebSessionStore>,
        clock: Arc<dyn Clock>,
        policy: SessionPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            policy,
        }
    }

    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    /// Begins a session for `holder` (audited as `session.start`) and answers its id, which
    /// only the cookie keeps.
    ///
    /// # Errors
    /// `PortError` when the store cannot be reached.
    pub async fn start(
        &self,
        holder: &SessionHolder,
        method: SignInMethod,
        context: &AuditContext,
    ) -> Result<String, PortError> {
        let secret = random_secret();
        let entry = AuditEntry::success(context, "session.start", Some(method.as_str().to_owned()));
        self.store
            .insert(&digest(&secret), holder, method, self.clock.now(), &entry)
            .await?;
        Ok(secret)
    }

    /// The live session whose id is `secret`, kept alive by this use.
    ///
    /// # Errors
    /// `PortError` when the store cannot be reached.
    pub async fn resume(&self, secret: &str) -> Result<Option<WebSession>, PortError> {
        let digest = digest(secret);
        let now = self.clock.now();
        let record = self
            .store
            .touch(
                &digest,
                now,
                now - delta(self.policy.idle),
                now - delta(self.policy.absolute),
            )
            .await?;
        Ok(record.map(|record| WebSession { record, digest }))
    }

    /// Ends the session whose id is `secret` (audited as `session.end`); `false` when it was
    /// not live.
    ///
    /// # Errors
    /// `PortError` when the store cannot be reached.
    pub async fn end(&self, secret: &str, context: &AuditContext) -> Result<bool, PortError> {
        let entry = AuditEntry::success(context, "session.end", None);
        self.store
            .revoke(&digest(secret), self.clock.now(), &entry)
            .await
    }

    /// Makes a one-time sign-in link for `holder` (audited as `session.link`).
    ///
    /// # Errors
    /// `PortError` when the store cannot be reached.
    pub async fn issue_link(
        &self,
        holder: &SessionHolder,
        context: &AuditContext,
    ) -> Result<IssuedLink, PortError> {
        let secret = random_secret();
        let expires_at = self.clock.now() + delta(self.policy.link_ttl);
        let entry = AuditEntry::success(
            context,
            "session.link",
            Some(format!("user:{}", holder.subject)),
        );
        self.store
            .insert_link(&digest(&secret), holder, expires_at, &entry)
            .await?;
        Ok(IssuedLink { secret, expires_at })
    }

    /// Uses up the link whose secret is `secret`: whom it signs in, or none when it is
    /// unknown, used or expired.
    ///
    /// # Errors
    /// `PortError` when the store cannot be reached.
    pub async fn redeem_link(&self, secret: &str) -> Result<Option<SessionHolder>, PortError> {
        self.store
            .redeem_link(&digest(secret), self.clock.now())
            .await
    }
}
