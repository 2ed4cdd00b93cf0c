//! Who is calling, and the one function that decides what they may touch (S1): every
//! call resolves the district it touches (named directly, or reached through a run,
//! upload, school, class or person) and asks [`Caller::check`].

use super::{ApiKeyRole, Error, Result};

/// What a call needs of a district.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// To read it.
    Read,
    /// To change it: settings, runs, uploads, manual records, erasure.
    Write,
}

/// The districts a key covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Districts(Vec<i64>),
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The API key; None when no key is needed (loopback before any key exists, or a
    /// server started with `--insecure-no-auth`).
    pub key_id: Option<i64>,
    pub role: ApiKeyRole,
    pub scope: Scope,
    /// The end user a service acted for (`x-roster-actor`), for the audit log.
    pub actor: String,
}

impl Caller {
    /// A caller allowed everything: no key was needed.
    pub fn unrestricted(actor: String) -> Self {
        Caller {
            key_id: None,
            role: ApiKeyRole::Admin,
            scope: Scope::All,
            actor,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == ApiKeyRole::Admin
    }

    /// Whether the key covers the district (admin keys cover every one).
    pub fn covers(&self, district_id: i64) -> bool {
        self.is_admin()
            || match &self.scope {
                Scope::All => true,
                Scope::Districts(ids) => ids.contains(&district_id),
            }
    }

    /// Allows the call on `district_id`, or says why not (PERMISSION_DENIED).
    pub fn check(&self, need: Need, district_id: i64) -> Result<()> {
        if !self.covers(district_id) {
            return Err(Error::PermissionDenied(format!(
                "this API key does not cover district {district_id}"
            )));
        }
        if need == Need::Write && self.role == ApiKeyRole::Reader {
            return Err(Error::PermissionDenied(
                "this API key may read, not change anything".into(),
            ));
        }
        Ok(())
    }

    /// Allows an admin-only call.
    pub fn check_admin(&self) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Error::PermissionDenied(
                "only an admin API key may do this".into(),
            ))
        }
    }

    /// The districts a list may show: None for all.
    pub fn visible(&self) -> Option<&[i64]> {
        match (&self.scope, self.is_admin()) {
            (_, true) | (Scope::All, _) => None,
            (Scope::Districts(ids), false) => Some(ids),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(role: ApiKeyRole, scope: Scope) -> Caller {
        Caller {
            key_id: Some(1),
            role,
            scope,
            actor: String::new(),
        }
    }

    #[test]
    fn s1_1_roles_and_districts_decide() {
        let operator = key(ApiKeyRole::Operator, Scope::Districts(vec![7]));
        assert!(operator.check(Need::Write, 7).is_ok());
        assert!(operator.check(Need::Read, 8).is_err());
        assert!(operator.check_admin().is_err());
        let reader = key(ApiKeyRole::Reader, Scope::All);
        assert!(reader.check(Need::Read, 9).is_ok());
        assert!(reader.check(Need::Write, 9).is_err());
        assert_eq!(reader.visible(), None);
        let admin = key(ApiKeyRole::Admin, Scope::Districts(vec![]));
        assert!(admin.check(Need::Write, 1).is_ok() && admin.check_admin().is_ok());
    }
}
