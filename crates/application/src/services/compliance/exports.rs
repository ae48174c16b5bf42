//! Exports of what Tollgate holds about a person (GDPR Art. 15, 20). A request is queued (one
//! open per subject), a worker builds it under a lease (`run`, in `tollgate serve` and
//! `tollgate worker`), the person downloads it for [`DOWNLOADABLE_DAYS`] days, then the
//! content is deleted. A member's export is one JSON document (`document.rs`); a customer's
//! zip (issue 14 §3) is another format of the same request and runner.

mod document;

use std::{sync::Arc, time::Duration};

use chrono::TimeDelta;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tollgate_domain::{
    ErrorCode,
    access::Role,
    organization::OrganizationId,
    privacy::{
        consent::{Subject, SubjectKind},
        export::{DOWNLOADABLE_DAYS, DUE_DAYS, ExportFormat, ExportStatus, MAX_ATTEMPTS},
    },
};
use uuid::Uuid;

use crate::{
    AppError, PortError,
    ports::{
        AuditContext, AuditEntry, ClaimedExport, Clock, ConsentStore, ExportRecord,
        ExportRequested, ExportStore, MemberRecords, NewExport,
    },
};

pub use document::MEMBER_EXPORT_FORMAT;

/// The most of a subject's requests listed.
pub const LISTED: i64 = 10;

/// Who asks to read a request: its subject, or an owner or admin of the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReader {
    pub subject: Option<Subject>,
    pub admin: bool,
}

impl ExportReader {
    fn may_read(&self, record: &ExportRecord) -> bool {
        self.admin || self.subject.as_ref() == Some(&record.subject)
    }
}

/// How the runner works.
#[derive(Debug, Clone)]
pub struct ExportRunnerSettings {
    /// How long a claim holds a request; a worker that dies frees it after this.
    pub lease: Duration,
    /// Wait between looks when nothing is due.
    pub idle_poll: Duration,
}

pub struct ExportService {
    store: Arc<dyn ExportStore>,
    members: Arc<dyn MemberRecords>,
    consents: Arc<dyn ConsentStore>,
    clock: Arc<dyn Clock>,
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::try_days(n).unwrap_or(TimeDelta::MAX)
}

impl ExportService {
    pub fn new(
        store: Arc<dyn ExportStore>,
        members: Arc<dyn MemberRecords>,
        consents: Arc<dyn ConsentStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            members,
            consents,
            clock,
        }
    }

    /// Queues an export of the member `subject` for themselves (`POST /api/me/export`, the
    /// dashboard's `/privacy/export`), audited as `privacy_export.request`.
    ///
    /// # Errors
    /// 409 `export_pending` while the member has an open request; `AppError::Port`.
    pub async fn request_own(
        &self,
        organization: OrganizationId,
        subject: &str,
        role: Role,
        customer: Option<String>,
        context: &AuditContext,
    ) -> Result<ExportRecord, AppError> {
        let subject = Subject::member(subject);
        let export = NewExport {
            id: Uuid::new_v4(),
            subject: subject.clone(),
            format: ExportFormat::Json,
            member_role: Some(role),
            member_customer: customer,
            due_at: self.clock.now() + days(DUE_DAYS),
        };
        let audit = AuditEntry::success(
            context,
            "privacy_export.request",
            Some(format!("{subject} export:{}", export.id)),
        );
        match self.store.request(organization, &export, &audit).await? {
            ExportRequested::Queued(record) => Ok(record),
            ExportRequested::AlreadyOpen(open) => Err(AppError::Conflict {
                code: ErrorCode::ExportPending,
                message: format!(
                    "an export for this subject is already {} (id {}); wait for it",
                    open.status.as_str(),
                    open.id
                ),
            }),
        }
    }

    /// The request, when `reader` may see it (else as if it did not exist).
    ///
    /// # Errors
    /// `AppError::Port`.
    pub async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
        reader: &ExportReader,
    ) -> Result<Option<ExportRecord>, AppError> {
        Ok(self
            .store
            .get(organization, id)
            .await?
            .filter(|record| reader.may_read(record)))
    }

    /// The subject's latest requests, newest first.
    ///
    /// # Errors
    /// `AppError::Port`.
    pub async fn of_subject(
        &self,
        organization: OrganizationId,
        subject: &Subject,
    ) -> Result<Vec<ExportRecord>, AppError> {
        Ok(self.store.of_subject(organization, subject, LISTED).await?)
    }

    /// The built export, for its subject (or an owner/admin), audited as
    /// `privacy_export.download`. `Ok(None)`: no such request for this reader.
    ///
    /// # Errors
    /// 409 `export_pending` while it is being built, 410 `download_expired` after its
    /// [`DOWNLOADABLE_DAYS`] days (or when it failed), `AppError::Port`.
    pub async fn download(
        &self,
        organization: OrganizationId,
        id: Uuid,
        reader: &ExportReader,
        context: &AuditContext,
    ) -> Result<Option<(ExportRecord, Vec<u8>)>, AppError> {
        let Some(record) = self.get(organization, id, reader).await? else {
            return Ok(None);
        };
        if record.status.is_open() {
            return Err(AppError::Conflict {
                code: ErrorCode::ExportPending,
                message: "the export is still being built; try again in a moment".to_owned(),
            });
        }
        let expired = || AppError::Gone {
            code: ErrorCode::DownloadExpired,
            message: format!(
                "exports can be downloaded for {DOWNLOADABLE_DAYS} days after they are built; \
                 request a new one"
            ),
        };
        if record.status == ExportStatus::Failed {
            return Err(expired());
        }
        let audit = AuditEntry::success(
            context,
            "privacy_export.download",
            Some(format!("{} export:{}", record.subject, record.id)),
        );
        let content = self
            .store
            .content(organization, id, self.clock.now(), &audit)
            .await?
            .ok_or_else(expired)?;
        Ok(Some((record, content)))
    }

    /// Builds the oldest due request, if any: `Ok(Some(id))` when one was settled.
    ///
    /// # Errors
    /// `AppError::Port` when the queue cannot be read or settled (a failed build is settled
    /// as a failed attempt, not an error).
    pub async fn run_once(&self, lease: Duration) -> Result<Option<Uuid>, AppError> {
        let now = self.clock.now();
        let lease = TimeDelta::from_std(lease).unwrap_or(TimeDelta::MAX);
        let Some(claimed) = self.store.claim(now, lease).await? else {
            return Ok(None);
        };
        let id = claimed.record.id;
        match self.build(&claimed).await {
            Ok(content) => {
                let sha256: [u8; 32] = Sha256::digest(&content).into();
                let completed_at = self.clock.now();
                let stored = self
                    .store
                    .complete(
                        &claimed,
                        &content,
                        sha256,
                        completed_at,
                        completed_at + days(DOWNLOADABLE_DAYS),
                    )
                    .await?;
                if !stored {
                    tracing::warn!(export = %id, "an export's lease ran out before it was stored");
                }
            }
            Err(error) => {
                let give_up = claimed.record.attempts + 1 >= MAX_ATTEMPTS;
                tracing::warn!(export = %id, %error, give_up, "an export could not be built");
                self.store
                    .fail(&claimed, &error.to_string(), give_up)
                    .await?;
            }
        }
        Ok(Some(id))
    }

    async fn build(&self, claimed: &ClaimedExport) -> Result<Vec<u8>, PortError> {
        let record = &claimed.record;
        match (record.subject.kind, record.format) {
            (SubjectKind::Member, ExportFormat::Json) => {
                document::member(
                    record,
                    self.members.as_ref(),
                    self.consents.as_ref(),
                    self.clock.now(),
                )
                .await
            }
            (kind, format) => Err(PortError::Internal {
                service: "privacy_exports",
                reason: format!(
                    "{} exports as {} are not built yet",
                    kind.as_str(),
                    format.as_str()
                ),
            }),
        }
    }

    /// Builds due requests and deletes expired content until `shutdown` turns true.
    pub async fn run(
        self: Arc<Self>,
        settings: ExportRunnerSettings,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            let built = match self.run_once(settings.lease).await {
                Ok(built) => built.is_some(),
                Err(error) => {
                    tracing::error!(%error, "the export queue cannot be read");
                    false
                }
            };
            if !built {
                match self.store.purge_expired(self.clock.now()).await {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "expired exports deleted"),
                    Err(error) => tracing::error!(%error, "expired exports cannot be deleted"),
                }
            }
            if *shutdown.borrow() {
                return;
            }
            if built {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(settings.idle_poll) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
