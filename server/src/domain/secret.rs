//! A source secret (a Clever district token, an OAuth consumer or client secret) in
//! memory. It never prints: `Debug` shows only that there is one, and nothing derives
//! `Display` or `Serialize` for it (security S3.2).

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it to its source.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A source secret as stored: sealed under the server's key (`sync::secrets`), and, only
/// for a secret stored by the previous release, the plain value that release reads,
/// kept until the rollout is finished (`roster-server secrets finish-rollout`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredSecret {
    pub sealed: Option<String>,
    pub legacy: Option<Secret>,
}

impl StoredSecret {
    pub fn sealed(blob: String) -> Self {
        StoredSecret {
            sealed: Some(blob),
            legacy: None,
        }
    }

    pub fn is_set(&self) -> bool {
        self.sealed.is_some() || self.legacy.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_2_debug_never_prints_the_secret() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{:?}", Some(s)), "Some(Secret(<redacted>))");
    }
}
