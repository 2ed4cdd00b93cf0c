//! The client's one error type, built from a `tonic::Status` and its google.rpc details.

use tonic_types::StatusExt;

/// One bad field of a refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("not found: {message}")]
    NotFound { message: String },
    #[error("invalid argument: {message}")]
    InvalidArgument {
        message: String,
        violations: Vec<FieldViolation>,
    },
    #[error("failed precondition ({reason}): {message}")]
    FailedPrecondition { reason: String, message: String },
    #[error("already exists: {message}")]
    AlreadyExists { message: String },
    #[error("unavailable: {message}")]
    Unavailable { message: String },
    #[error("permission denied: {message}")]
    PermissionDenied { message: String },
    #[error("unauthenticated: {message}")]
    Unauthenticated { message: String },
    #[error("not implemented: {message}")]
    Unimplemented { message: String },
    #[error("cancelled or timed out: {message}")]
    Cancelled { message: String },
    #[error("server error {code:?}: {message}")]
    Server { code: tonic::Code, message: String },
    #[error("cannot connect: {0}")]
    Transport(String),
    #[error("unexpected response: {0}")]
    Protocol(String),
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
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
            tonic::Code::Cancelled | tonic::Code::DeadlineExceeded => Error::Cancelled { message },
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
}
