//! Consent to optional processing: recorded by the banner (the person) or the API (an operator
//! recording a decision collected elsewhere), always under the notice in force, always audited.

use std::sync::Arc;

use tollgate_domain::{
    ErrorCode,
    organization::OrganizationId,
    privacy::{
        consent::{ConsentDecision, ConsentMethod, ConsentPurpose, Subject},
        notice::Notice,
    },
};

use crate::{
    AppError,
    ports::{AuditContext, AuditEntry, ConsentRecord, ConsentStore, NewConsent},
};

/// The most records `history` answers.
pub const HISTORY_LIMIT: i64 = 500;

pub struct ConsentService {
    store: Arc<dyn ConsentStore>,
    notice: Arc<Notice>,
    /// The optional processing this installation is configured for: what the banner asks.
    optional: Vec<ConsentPurpose>,
}

/// A decision asked for.
#[derive(Debug, Clone)]
pub struct ConsentChange<'a> {
    pub subject: Subject,
    pub purposes: Vec<ConsentPurpose>,
    pub decision: ConsentDecision,
    /// The notice version the person was shown: must be the one in force.
    pub notice_version: &'a str,
    pub method: ConsentMethod,
}

impl ConsentService {
    pub fn new(
        store: Arc<dyn ConsentStore>,
        notice: Arc<Notice>,
        optional: Vec<ConsentPurpose>,
    ) -> Self {
        Self {
            store,
            notice,
            optional,
        }
    }

    pub fn notice(&self) -> &Notice {
        &self.notice
    }

    /// What the banner asks about; empty when nothing optional is configured (no banner).
    pub fn optional_purposes(&self) -> &[ConsentPurpose] {
        &self.optional
    }

    /// # Errors
    /// 422 `unknown_purpose` for anything but the three purpose names.
    pub fn purpose(text: &str) -> Result<ConsentPurpose, AppError> {
        ConsentPurpose::parse(text).ok_or_else(|| AppError::Unprocessable {
            code: ErrorCode::UnknownPurpose,
            message: format!(
                "{:?} is not a consent purpose: one of langfuse_export, prompt_capture, analytics_cookies",
                tollgate_domain::error::cut(text)
            ),
        })
    }

    /// Records the decision for every purpose, each with its audit record (`consent.grant` or
    /// `consent.withdraw`, target `<subject> <purpose>`).
    ///
    /// # Errors
    /// 422 `stale_notice_version` when the person was shown another notice than the one in
    /// force; `AppError::Port` when the store fails.
    pub async fn record(
        &self,
        organization: OrganizationId,
        change: ConsentChange<'_>,
        context: &AuditContext,
    ) -> Result<Vec<ConsentRecord>, AppError> {
        if change.notice_version != self.notice.version {
            return Err(AppError::Unprocessable {
                code: ErrorCode::StaleNoticeVersion,
                message: format!(
                    "the notice in force is version {}; show it and ask again",
                    self.notice.version
                ),
            });
        }
        if change.purposes.is_empty() {
            return Err(AppError::Unprocessable {
                code: ErrorCode::MissingField,
                message: "name at least one purpose".to_owned(),
            });
        }
        let action = match change.decision {
            ConsentDecision::Granted => "consent.grant",
            ConsentDecision::Withdrawn => "consent.withdraw",
        };
        let mut purposes = change.purposes.clone();
        purposes.sort();
        purposes.dedup();
        let consents: Vec<(NewConsent, AuditEntry)> = purposes
            .into_iter()
            .map(|purpose| {
                (
                    NewConsent {
                        subject: change.subject.clone(),
                        purpose,
                        decision: change.decision,
                        notice_version: self.notice.version.clone(),
                        notice_sha256: self.notice.sha256,
                        method: change.method,
                    },
                    AuditEntry::success(
                        context,
                        action,
                        Some(format!("{} {}", change.subject, purpose.as_str())),
                    ),
                )
            })
            .collect();
        Ok(self.store.append(organization, &consents).await?)
    }

    /// The subject's records, newest first.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn history(
        &self,
        organization: OrganizationId,
        subject: &Subject,
    ) -> Result<Vec<ConsentRecord>, AppError> {
        Ok(self
            .store
            .history(organization, subject, HISTORY_LIMIT)
            .await?)
    }

    /// Whether the banner should ask `subject`: something optional is configured and they
    /// have not answered every purpose of it under the notice in force.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn banner_needed(
        &self,
        organization: OrganizationId,
        subject: &Subject,
    ) -> Result<bool, AppError> {
        if self.optional.is_empty() {
            return Ok(false);
        }
        let standing = self.store.standing(organization, subject).await?;
        Ok(!standing.answers(&self.optional, &self.notice.version))
    }
}

#[cfg(test)]
mod tests;
