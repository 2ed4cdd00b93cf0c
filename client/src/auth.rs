//! The interceptor that puts the bearer token (and the end user a service acts for) on
//! every call.

use crate::Error;
use std::fmt;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;

/// Adds `authorization: Bearer <token>` to every call; does nothing without a token.
///
/// [`RosterClient`](crate::RosterClient) installs it on every stub it hands out, so the
/// generated stubs from [`RosterClient::sync`](crate::RosterClient::sync),
/// [`RosterClient::directory`](crate::RosterClient::directory) and
/// [`RosterClient::access`](crate::RosterClient::access) send the token too.
#[derive(Clone, Default)]
pub struct BearerAuth {
    header: Option<MetadataValue<Ascii>>,
    /// `x-roster-actor`: the end user a service acts for, for the server's audit log.
    actor: Option<MetadataValue<Ascii>>,
}

impl BearerAuth {
    /// An interceptor sending `token`. Fails if the token is not printable ASCII.
    pub fn new(token: &str) -> Result<Self, Error> {
        let mut header = MetadataValue::<Ascii>::try_from(format!("Bearer {token}"))
            .map_err(|_| Error::Transport("the bearer token must be printable ASCII".into()))?;
        header.set_sensitive(true);
        Ok(BearerAuth {
            header: Some(header),
            actor: None,
        })
    }

    /// The same, also naming the end user calls are made for (`x-roster-actor`).
    pub fn with_actor(mut self, actor: &str) -> Result<Self, Error> {
        let value = MetadataValue::<Ascii>::try_from(actor)
            .map_err(|_| Error::Transport("the actor must be printable ASCII".into()))?;
        self.actor = Some(value);
        Ok(self)
    }

    /// Whether a token is sent.
    pub fn is_set(&self) -> bool {
        self.header.is_some()
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = if self.is_set() {
            "<redacted>"
        } else {
            "<none>"
        };
        f.debug_struct("BearerAuth").field("token", &token).finish()
    }
}

impl Interceptor for BearerAuth {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(header) = &self.header {
            request
                .metadata_mut()
                .insert("authorization", header.clone());
        }
        if let Some(actor) = &self.actor {
            request
                .metadata_mut()
                .insert("x-roster-actor", actor.clone());
        }
        Ok(request)
    }
}
