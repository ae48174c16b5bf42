//! Translating database failures into the ports' vocabulary, by SQLSTATE only.
//!
//! The SQLSTATE comes from the message ([`super::sqlstate`]: diesel-async keeps no other trace
//! of it), so the server's `lc_messages` changes nothing here. No message text is matched:
//! a test greps this crate for it.
//!
//! | SQLSTATE | `PortError` | HTTP |
//! |---|---|---|
//! | class 22 (data exception) | `InvalidInput` | 422 `invalid_value` |
//! | 23505 unique, 23P01 exclusion | `Conflict` (the constraint's meaning) | 409 |
//! | 40001, 40P01, 55P03, 57014, 57P01-57P03, class 08, 53300 | `Unavailable` | 503 + `Retry-After` |
//! | none (the connection broke mid-statement) | `Unavailable` | 503 + `Retry-After` |
//! | anything else | `Internal` | 500 with the request id only |

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::{PoolError as ConnectionError, deadpool::PoolError};
use tollgate_application::PortError;

use super::{constraints, sqlstate::sqlstate};

const SERVICE: &str = "postgres";

/// No connection: the pool timed out, or the server refused or could not be reached (too
/// many connections, starting up, shutting down). All worth a retry.
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

/// What a statement's failure means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InvalidInput,
    Conflict,
    Transient,
    Internal,
}

/// The kind of a SQLSTATE. `57014` (query canceled) is transient because the pool's
/// `statement_timeout` is what cancels: a statement waiting on a lock, which will be free
/// later (`change_lock.rs` relies on it).
fn kind_of(code: &str) -> Kind {
    match code {
        "23505" | "23P01" => Kind::Conflict,
        "40001" | "40P01" | "55P03" | "57014" | "57P01" | "57P02" | "57P03" | "53300" => {
            Kind::Transient
        }
        _ if code.starts_with("22") => Kind::InvalidInput,
        _ if code.starts_with("08") => Kind::Transient,
        _ => Kind::Internal,
    }
}

pub(super) fn from_query(error: DieselError) -> PortError {
    let DieselError::DatabaseError(kind, info) = &error else {
        return internal(&error);
    };
    let code = sqlstate(info.message()).or(match kind {
        // diesel-async's kinds, for a connection opened without the SQLSTATE in its messages
        // (none of Tollgate's pools): the codes they stand for.
        DatabaseErrorKind::UniqueViolation => Some("23505"),
        DatabaseErrorKind::ExclusionViolation => Some("23P01"),
        DatabaseErrorKind::SerializationFailure => Some("40001"),
        // A connection lost mid-statement carries no SQLSTATE (`08006` in libpq's words):
        // whether it committed is unknown, so the sender must retry.
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
            Some("08006")
        }
        _ => None,
    });
    match code.map_or(Kind::Internal, kind_of) {
        Kind::InvalidInput => PortError::InvalidInput {
            service: SERVICE,
            reason: error.to_string(),
        },
        Kind::Conflict => {
            let (code, meaning) = constraints::conflict(info.constraint_name());
            PortError::Conflict {
                service: SERVICE,
                code,
                meaning,
                reason: format!("{} ({error})", info.constraint_name().unwrap_or("-")),
            }
        }
        Kind::Transient => PortError::unavailable(SERVICE, error.to_string()),
        Kind::Internal => internal(&error),
    }
}

fn internal(error: &DieselError) -> PortError {
    PortError::Internal {
        service: SERVICE,
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests;
