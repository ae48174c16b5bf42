//! Translating database failures into the ports' vocabulary.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::{PoolError as ConnectionError, deadpool::PoolError};
use tollgate_application::PortError;

const SERVICE: &str = "postgres";

pub(super) fn from_pool(error: PoolError) -> PortError {
    let reason = match &error {
        PoolError::Timeout(_) => "no database connection became free in time".to_owned(),
        PoolError::Backend(ConnectionError::ConnectionError(e)) => {
            format!("cannot connect: {e}")
        }
        other => other.to_string(),
    };
    PortError::unavailable(SERVICE, reason)
}

pub(super) fn from_query(error: DieselError) -> PortError {
    match &error {
        // diesel-async reports a connection lost mid-statement (no SQLSTATE) as
        // UnableToSendCommand: whether it committed is unknown, so the sender must retry.
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _)
        | DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            PortError::unavailable(SERVICE, error.to_string())
        }
        DieselError::DatabaseError(_, info) if is_transient(info.message()) => {
            PortError::unavailable(SERVICE, error.to_string())
        }
        _ => PortError::Internal {
            service: SERVICE,
            reason: error.to_string(),
        },
    }
}

/// Failures worth a retry by the sender: the server going away, deadlocks, cancellations.
pub(super) fn is_transient(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "deadlock detected",
        "terminating connection",
        "server closed the connection",
        "canceling statement",
        "connection reset",
        "connection closed",
        "error communicating with the server",
        "the database system is",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}
