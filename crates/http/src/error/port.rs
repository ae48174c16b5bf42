//! What the ports' errors become: the client's fault (a refused value, a clash with a stored
//! record), an outside system that could not answer, or a bug.

use tollgate_application::PortError;
use tollgate_domain::ErrorCode;

use super::{ApiError, upstream};

impl From<PortError> for ApiError {
    fn from(error: PortError) -> Self {
        match error {
            // The engine's own words: they describe the client's data, not our internals.
            PortError::Refused { service, reason } => Self::Invalid {
                code: ErrorCode::BillingEngineRefused,
                message: format!("{service} refused the request: {reason}"),
            },
            PortError::Unavailable {
                service,
                reason,
                retry_after,
            } if upstream::is_upstream(service) => Self::UpstreamUnavailable {
                service,
                reason,
                retry_after,
            },
            PortError::Unavailable {
                service,
                reason,
                retry_after,
            } => Self::Unavailable {
                reason: format!("{service}: {reason}"),
                retry_after,
            },
            PortError::TimedOut { service, reason } => Self::UpstreamTimeout { service, reason },
            PortError::InvalidAnswer { service, reason } => {
                Self::UpstreamInvalidAnswer { service, reason }
            }
            // Class 22: the value is the client's, so is the fault; the store's words may quote
            // the value, so they stay in the log.
            PortError::InvalidInput { service, reason } => {
                tracing::info!(service, %reason, "the store refused a value");
                Self::Invalid {
                    code: ErrorCode::InvalidValue,
                    message: "a value is out of the range or format the store accepts".to_owned(),
                }
            }
            PortError::Conflict { code, meaning, .. } => Self::Conflict {
                code,
                message: meaning.to_owned(),
            },
            PortError::Internal { service, reason } => {
                Self::Internal(format!("{service}: {reason}"))
            }
        }
    }
}
