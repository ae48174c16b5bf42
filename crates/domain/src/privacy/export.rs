//! Requests to export what Tollgate holds about a person (GDPR Art. 15 and 20): queued, built
//! by a worker under a lease, downloadable for a while, then gone.

/// Where a request stands. `Pending` and `Running` are open: a subject has one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportStatus {
    Pending,
    Running,
    Done,
    /// Gave up after repeated failures (the reason is in the log and the row).
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Running, Self::Done, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }
}

/// What the worker writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// One JSON document: a member's own export.
    Json,
    /// A zip with a manifest (a customer's full export, issue 14 §3).
    Zip,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Zip => "zip",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Json, Self::Zip]
            .into_iter()
            .find(|format| format.as_str() == text)
    }
}

/// How long a finished export can be downloaded.
pub const DOWNLOADABLE_DAYS: i64 = 7;
/// When a request is due by law: one month (Art. 12(3)), kept as 30 days.
pub const DUE_DAYS: i64 = 30;
/// Failed builds retried before the request is given up as `Failed`.
pub const MAX_ATTEMPTS: i32 = 5;
