//! The store's error, and its one mapping into the domain error.

use crate::domain::Error;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The configuration names no usable store (bad URL, unwritable path).
    #[error("{0}")]
    Config(String),
    /// The store cannot be reached or gave up the connection.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store is reachable but did not lend a connection in time (every one busy).
    #[error("store busy: {0}")]
    Busy(String),
    #[error(transparent)]
    Query(#[from] DieselError),
    #[error("migration failed: {0}")]
    Migration(String),
    /// Batched writes stopped between two statements, as asked
    /// ([`DbConn::stop_writes_when`](super::DbConn::stop_writes_when)).
    #[error("the writes were stopped before they were done")]
    Stopped,
}

impl StoreError {
    /// A write that lost to a concurrent one and may pass when run again: a deadlock, a
    /// lock wait timeout, or a Galera conflict: a certification failure at commit
    /// ("Deadlock found ..."), or a transaction a replicated write aborted while it ran
    /// ("Deadlock: wsrep aborted transaction"; "WSREP detected deadlock/conflict ..." on
    /// Percona's build). MySQL's error numbers do not reach Diesel's error, its messages do.
    /// A COMMIT that lost this way and whose ROLLBACK then failed too is still one: nothing
    /// was committed, and the connection is replaced before the next try
    /// (`DbConn::transaction`).
    pub fn is_conflict(&self) -> bool {
        match self {
            StoreError::Query(e) => is_conflict(e),
            _ => false,
        }
    }
}

fn is_conflict(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            m.starts_with("Deadlock")
                || m.starts_with("WSREP detected deadlock/conflict")
                || m.starts_with("Lock wait timeout exceeded")
                || m.contains("database is locked")
        }
        DieselError::RollbackErrorOnCommit { commit_error, .. } => is_conflict(commit_error),
        _ => false,
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        if e.is_conflict() {
            return Error::Conflict(e.to_string());
        }
        match e {
            StoreError::Unavailable(msg) | StoreError::Busy(msg) => Error::Unavailable(msg),
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                info,
            )) => Error::AlreadyExists {
                message: format!("record already exists ({})", info.message()),
            },
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            )) => Error::Unavailable(info.message().to_owned()),
            // A Galera node out of the cluster's primary component (joining, or cut off)
            // refuses every query until it is back: the store is unavailable, not broken.
            StoreError::Query(DieselError::DatabaseError(_, info))
                if info
                    .message()
                    .starts_with("WSREP has not yet prepared node") =>
            {
                Error::Unavailable(info.message().to_owned())
            }
            StoreError::Query(DieselError::NotFound) => Error::not_found("record"),
            other => Error::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(message: &str) -> StoreError {
        StoreError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(message.to_owned()),
        ))
    }

    // R7.4 on Galera: every way a lost race is reported is tried again, so a caller hears
    // the answer one server would give, never an internal error.
    #[test]
    fn r7_4_every_lost_race_is_a_conflict_and_nothing_else_is() {
        for lost in [
            "Deadlock found when trying to get lock; try restarting transaction",
            "Deadlock: wsrep aborted transaction",
            "WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction",
            "Lock wait timeout exceeded; try restarting transaction",
            "database is locked",
        ] {
            assert!(failed(lost).is_conflict(), "{lost}");
            assert!(
                matches!(Error::from(failed(lost)), Error::Conflict(_)),
                "{lost}"
            );
        }
        for other in [
            "Table 'roster.students' doesn't exist",
            "WSREP has not yet prepared node for application use",
        ] {
            assert!(!failed(other).is_conflict(), "{other}");
        }
    }

    // A Galera node outside the primary component is unavailable (a caller retries
    // elsewhere or later), not an internal error.
    #[test]
    fn a_galera_node_not_ready_is_unavailable() {
        let not_ready = failed("WSREP has not yet prepared node for application use");
        assert!(matches!(Error::from(not_ready), Error::Unavailable(_)));
        let broken = failed("Table 'roster.students' doesn't exist");
        assert!(matches!(Error::from(broken), Error::Internal(_)));
    }
}
