//! The client's one error type, built from a `tonic::Status` and its google.rpc details.

use tonic_types::StatusExt;

/// One bad field of a refused request (a `google.rpc.BadRequest` field violation).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldViolation {
    /// The field's path in the request, e.g. `email` or `settings.schedule.time_zone`.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

/// Everything a call of this crate can fail with.
///
/// Server errors are mapped from the gRPC status code and its `google.rpc` details:
/// `INVALID_ARGUMENT` carries the field violations of its `BadRequest`, and
/// `FAILED_PRECONDITION` the stable `reason` of its `ErrorInfo`.
///
/// ```
/// use roster_client::Error;
///
/// let status = roster_client::tonic::Status::not_found("district 7 not found");
/// let err = Error::from(status);
/// assert!(matches!(err, Error::NotFound { .. }));
/// assert_eq!(err.to_string(), "not found: district 7 not found");
/// ```
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The record named by the request does not exist (`NOT_FOUND`).
    #[error("not found: {message}")]
    NotFound {
        /// The server's message.
        message: String,
    },
    /// The request was refused as malformed (`INVALID_ARGUMENT`).
    #[error("invalid argument: {message}")]
    InvalidArgument {
        /// The server's message.
        message: String,
        /// Every bad field, when the server named them.
        violations: Vec<FieldViolation>,
    },
    /// The request is valid but the system is not in a state to do it
    /// (`FAILED_PRECONDITION`).
    #[error("failed precondition ({reason}): {message}")]
    FailedPrecondition {
        /// A stable machine-readable reason, e.g. `NO_SOURCE` or `CONTACT_MANAGED_BY_SYNC`.
        reason: String,
        /// The server's message.
        message: String,
    },
    /// What the request would create exists already (`ALREADY_EXISTS`).
    #[error("already exists: {message}")]
    AlreadyExists {
        /// The server's message.
        message: String,
    },
    /// The server or its store cannot be reached; retrying later may work (`UNAVAILABLE`).
    #[error("unavailable: {message}")]
    Unavailable {
        /// The server's (or the transport's) message.
        message: String,
    },
    /// The caller may not do this (`PERMISSION_DENIED`).
    #[error("permission denied: {message}")]
    PermissionDenied {
        /// The server's message.
        message: String,
    },
    /// The call carried no valid credentials (`UNAUTHENTICATED`).
    #[error("unauthenticated: {message}")]
    Unauthenticated {
        /// The server's message.
        message: String,
    },
    /// The server does not implement this call (`UNIMPLEMENTED`).
    #[error("not implemented: {message}")]
    Unimplemented {
        /// The server's message.
        message: String,
    },
    /// The call was cancelled (`CANCELLED`).
    #[error("cancelled: {message}")]
    Cancelled {
        /// The server's (or the transport's) message.
        message: String,
    },
    /// No answer in time: the request timeout, a `wait` timeout, or `DEADLINE_EXCEEDED`.
    #[error("timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
    },
    /// Any other status code.
    #[error("server error {code:?}: {message}")]
    Server {
        /// The gRPC status code.
        code: tonic::Code,
        /// The server's message.
        message: String,
    },
    /// The endpoint is malformed or cannot be connected to.
    #[error("cannot connect: {0}")]
    Transport(String),
    /// The server answered with something this client does not understand.
    #[error("unexpected response: {0}")]
    Protocol(String),
    /// A local file could not be read or packed (uploads).
    #[error("{0}")]
    Io(String),
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        // A call that never reached the server (a refused TLS handshake, a connection
        // reset) comes back as UNKNOWN "transport error": say what happened instead.
        if status.code() == tonic::Code::Unknown
            && let Some(source) = std::error::Error::source(&status)
            && source.is::<tonic::transport::Error>()
        {
            let mut text = status.message().to_owned();
            let mut cause = Some(source);
            while let Some(inner) = cause {
                text.push_str(": ");
                text.push_str(&inner.to_string());
                cause = inner.source();
            }
            return Error::Transport(text);
        }
        let message = status.message().to_owned();
        match status.code() {
            tonic::Code::NotFound => Error::NotFound { message },
            tonic::Code::InvalidArgument => Error::InvalidArgument {
                violations: status
                    .get_details_bad_request()
                    .map(|br| {
                        br.field_violations
                            .into_iter()
                            .map(|v| FieldViolation {
                                field: v.field,
                                description: v.description,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                message,
            },
            tonic::Code::FailedPrecondition => Error::FailedPrecondition {
                reason: status
                    .get_details_error_info()
                    .map(|info| info.reason)
                    .unwrap_or_default(),
                message,
            },
            tonic::Code::AlreadyExists => Error::AlreadyExists { message },
            tonic::Code::Unavailable => Error::Unavailable { message },
            tonic::Code::PermissionDenied => Error::PermissionDenied { message },
            tonic::Code::Unauthenticated => Error::Unauthenticated { message },
            tonic::Code::Unimplemented => Error::Unimplemented { message },
            tonic::Code::Cancelled => Error::Cancelled { message },
            tonic::Code::DeadlineExceeded => Error::Timeout { message },
            code => Error::Server { code, message },
        }
    }
}

impl Error {
    /// The fields a refused request got wrong (empty for other errors).
    pub fn violations(&self) -> &[FieldViolation] {
        match self {
            Error::InvalidArgument { violations, .. } => violations,
            _ => &[],
        }
    }

    /// The stable reason of a `FailedPrecondition`, e.g. `NO_SOURCE`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Error::FailedPrecondition { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Whether retrying the same call later may succeed (`Unavailable`).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }
}
