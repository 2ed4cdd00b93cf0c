//! Who may call (S1) and what was changed (S2): API keys, the caller of each request,
//! the district each request touches, per-key rate limits, and the audit log. The gRPC
//! layer asks here; nothing here knows the wire.

pub mod audit;
pub mod keys;
mod limits;
pub mod targets;

pub use limits::RateLimits;
pub use targets::Target;

use crate::domain::{Caller, Error, Need, Result};
use crate::store::Store;
use crate::store::queries::keys as q;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How the server lets callers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every call needs a key.
    Keys,
    /// On loopback before the first key exists, calls need none (the embedded default
    /// works out of the box); the first key ends that (S1.5).
    OpenUntilFirstKey,
    /// `--insecure-no-auth`: no call needs a key.
    Insecure,
}

/// The access state of a server.
#[derive(Debug, Clone)]
pub struct Access {
    store: Store,
    mode: Mode,
    /// Set once a key was seen to exist: keys are never deleted, so it stays set.
    keys_exist: Arc<AtomicBool>,
    limits: RateLimits,
}

impl Access {
    pub fn new(store: Store, mode: Mode, limits: RateLimits) -> Self {
        Access {
            store,
            mode,
            keys_exist: Arc::default(),
            limits,
        }
    }

    /// The caller of a request carrying `bearer` (the key, if any) and `actor` (the
    /// `x-roster-actor` header): UNAUTHENTICATED without a usable key, RESOURCE_EXHAUSTED
    /// past the key's rate.
    pub async fn caller(&self, bearer: Option<&str>, actor: String) -> Result<Caller> {
        if self.mode == Mode::Insecure
            || (self.mode == Mode::OpenUntilFirstKey && !self.keys_exist().await?)
        {
            return Ok(Caller::unrestricted(actor));
        }
        let key = bearer.ok_or_else(|| {
            Error::Unauthenticated("missing `authorization: Bearer <API key>`".into())
        })?;
        let (caller, rate) = keys::authenticate(&self.store, key, actor).await?;
        if let Some(id) = caller.key_id {
            self.limits.admit(id, rate)?;
        }
        Ok(caller)
    }

    async fn keys_exist(&self) -> Result<bool> {
        if self.keys_exist.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let exist = q::any(&mut self.store.conn().await?).await?;
        if exist {
            self.keys_exist.store(true, Ordering::Relaxed);
        }
        Ok(exist)
    }

    /// Allows `caller` what it needs of the district `target` belongs to; that district.
    pub async fn allow(&self, caller: &Caller, need: Need, target: Target) -> Result<i64> {
        let district = targets::district_of(&self.store, target).await?;
        caller.check(need, district)?;
        Ok(district)
    }
}
