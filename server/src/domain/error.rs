//! The domain error: what went wrong in terms a caller understands. The gRPC layer maps
//! it to a status once (`grpc::status`); domain code never sees `tonic::Status`.

use std::fmt;

/// One bad field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; each violation names a field.
    #[error("{}", display_violations(.0))]
    InvalidArgument(Vec<Violation>),
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{message}")]
    AlreadyExists { message: String },
    /// The request is valid but the system is not in a state to do it; `reason` is a
    /// stable UPPER_SNAKE code callers can switch on.
    #[error("{message}")]
    FailedPrecondition {
        reason: &'static str,
        message: String,
    },
    /// The caller's key does not allow the call.
    #[error("{0}")]
    PermissionDenied(String),
    /// The call carries no usable key.
    #[error("{0}")]
    Unauthenticated(String),
    /// A write lost to a concurrent one (a deadlock, a Galera certification failure);
    /// running the call again may succeed.
    #[error("write conflict: {0}")]
    Conflict(String),
    /// A limit of the server or of the caller was reached; retry after the delay.
    #[error("{message}")]
    ResourceExhausted {
        message: String,
        retry_after: std::time::Duration,
    },
    /// The store cannot be reached; retrying later may succeed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected store failure: logged in full, reported without details.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn display_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    pub fn invalid(field: impl Into<String>, description: impl fmt::Display) -> Self {
        Error::InvalidArgument(vec![Violation {
            field: field.into(),
            description: description.to_string(),
        }])
    }

    pub fn not_found(what: impl fmt::Display) -> Self {
        Error::NotFound {
            what: what.to_string(),
        }
    }

    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Error::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }

    /// Prefixes the fields of an InvalidArgument with `parent.` (for nested messages).
    pub fn within(self, parent: &str) -> Self {
        match self {
            Error::InvalidArgument(vs) => Error::InvalidArgument(
                vs.into_iter()
                    .map(|v| Violation {
                        field: format!("{parent}.{}", v.field),
                        description: v.description,
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

/// Collects field violations so a request reports all its bad fields at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Records the error of `result` if it is an InvalidArgument; returns the value if any.
    pub fn check<T>(&mut self, result: Result<T>) -> Result<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(Error::InvalidArgument(vs)) => {
                self.0.extend(vs);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidArgument(self.0))
        }
    }
}
