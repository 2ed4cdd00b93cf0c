//! Optional bearer-token check on the roster services: UNAUTHENTICATED without a token,
//! PERMISSION_DENIED with a wrong one. The token is compared in constant time and never
//! logged.

use std::sync::Arc;
use tonic::{Request, Status};

#[derive(Clone, Default)]
pub struct BearerAuth {
    token: Option<Arc<str>>,
}

impl std::fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerAuth")
            .field("enabled", &self.token.is_some())
            .finish()
    }
}

impl BearerAuth {
    pub fn new(token: Option<String>) -> Self {
        BearerAuth {
            token: token.filter(|t| !t.is_empty()).map(Arc::from),
        }
    }
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl tonic::service::Interceptor for BearerAuth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.token else {
            return Ok(request);
        };
        let given = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match given {
            None => Err(Status::unauthenticated(
                "missing `authorization: Bearer <token>`",
            )),
            Some(token) if same(token.as_bytes(), expected.as_bytes()) => Ok(request),
            Some(_) => Err(Status::permission_denied(
                "the bearer token is not valid for this server",
            )),
        }
    }
}
