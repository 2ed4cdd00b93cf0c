//! The one mapping from the domain error to a gRPC status, with google.rpc details:
//! BadRequest field violations for INVALID_ARGUMENT, ErrorInfo for FAILED_PRECONDITION.

use crate::domain::Error;
use std::collections::HashMap;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The ErrorInfo domain of this service's errors.
pub const ERROR_DOMAIN: &str = "roster.v1";

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidArgument(violations) => {
                let message = Error::InvalidArgument(violations.clone()).to_string();
                let details = ErrorDetails::with_bad_request(
                    violations
                        .into_iter()
                        .map(|v| FieldViolation::new(v.field, v.description))
                        .collect::<Vec<_>>(),
                );
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            Error::NotFound { what } => Status::not_found(format!("{what} not found")),
            Error::AlreadyExists { message } => Status::already_exists(message),
            Error::FailedPrecondition { reason, message } => {
                let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::Unauthenticated(message) => Status::unauthenticated(message),
            Error::ResourceExhausted {
                message,
                retry_after,
            } => {
                let details = ErrorDetails::with_retry_info(Some(retry_after));
                Status::with_error_details(Code::ResourceExhausted, message, details)
            }
            Error::Conflict(detail) => {
                tracing::warn!(%detail, "write conflict");
                Status::aborted("the change conflicted with a concurrent one; retry")
            }
            Error::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                Status::unavailable("the roster store is unavailable; retry later")
            }
            Error::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Status::internal("internal error (logged on the server)")
            }
        }
    }
}
