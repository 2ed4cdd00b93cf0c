//! Source secrets at rest (S3.1): sealed with AES-256-GCM under a key the database does
//! not hold, a fresh random nonce each time, and the district and field as associated
//! data, so a sealed secret copied to another district or field does not open.
//!
//! A sealed secret reads `v1:` then, in base64, the key's id (4 bytes, to tell which key
//! sealed it), the nonce (12 bytes) and the ciphertext with its tag.

use crate::domain::{Error, Result, Secret, StoredSecret, hex};
use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

const VERSION: &str = "v1:";
const FIELD: &str = "source_secret";

/// The server's key for source secrets.
pub struct Sealer {
    cipher: Aes256Gcm,
    key_id: [u8; 4],
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("key_id", &hex(&self.key_id))
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// A sealer from 32 key bytes.
    pub fn new(key: &[u8]) -> Result<Self> {
        if key.len() != 32 {
            return Err(Error::Internal(format!(
                "a secret key is 32 bytes, not {}",
                key.len()
            )));
        }
        let digest = Sha256::digest(key);
        Ok(Sealer {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
            key_id: [digest[0], digest[1], digest[2], digest[3]],
        })
    }

    /// A sealer from a key written in base64 (what `ROSTER_SECRET_KEY` and the key file
    /// hold).
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| Error::Internal("the secret key is not base64".into()))?;
        Sealer::new(&bytes)
    }

    /// The key in `path`, or, when there is no such file yet, a new random key written
    /// there readable by its owner only (the embedded default's first start).
    pub fn from_file_or_create(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Sealer::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Aes256Gcm::generate_key(&mut OsRng);
                write_private(path, &STANDARD.encode(key))?;
                tracing::info!(path = %path.display(), "created a secret key for source secrets");
                Sealer::new(&key)
            }
            Err(e) => Err(Error::Internal(format!(
                "cannot read the secret key {}: {e}",
                path.display()
            ))),
        }
    }

    /// Seals a district's source secret.
    pub fn seal(&self, district_id: i64, secret: &Secret) -> Result<String> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = aad(district_id);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.expose().as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::Internal("sealing the secret failed".into()))?;
        let mut blob = Vec::with_capacity(4 + 12 + ciphertext.len());
        blob.extend_from_slice(&self.key_id);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Ok(format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Opens a sealed secret of a district. The error says why, never what.
    pub fn open(&self, district_id: i64, sealed: &str) -> std::result::Result<Secret, String> {
        let blob = sealed
            .strip_prefix(VERSION)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > 16)
            .ok_or("the stored secret is not one this server wrote")?;
        let (key_id, rest) = blob.split_at(4);
        if key_id != self.key_id {
            return Err(format!(
                "the stored secret was sealed with another key (id {}, this server's is {}): \
                 start the server with the key it was sealed with, or set the secret again",
                hex(key_id),
                hex(&self.key_id)
            ));
        }
        let (nonce, ciphertext) = rest.split_at(12);
        let aad = aad(district_id);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| "the stored secret does not open: it was not sealed for this district")?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| "the stored secret does not open".into())
    }

    /// The plain secret of a stored one: the sealed form when there is one, else the
    /// previous release's plain value.
    pub fn reveal(
        &self,
        district_id: i64,
        stored: &StoredSecret,
    ) -> std::result::Result<Option<Secret>, String> {
        match (&stored.sealed, &stored.legacy) {
            (Some(sealed), _) => self.open(district_id, sealed).map(Some),
            (None, legacy) => Ok(legacy.clone()),
        }
    }
}

fn aad(district_id: i64) -> String {
    format!("roster-sync|{district_id}|{FIELD}")
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::Internal(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn s3_1_a_sealed_secret_opens_only_for_its_district_and_key() {
        let s = sealer();
        let secret = Secret::new("clever-token-123");
        let sealed = s.seal(42, &secret).unwrap();
        assert!(!sealed.contains("clever-token-123"));
        assert_ne!(
            sealed,
            s.seal(42, &secret).unwrap(),
            "a fresh nonce each time"
        );
        assert_eq!(s.open(42, &sealed).unwrap(), secret);
        assert!(s.open(43, &sealed).is_err(), "another district");
        let other = Sealer::new(&[8u8; 32]).unwrap();
        let err = other.open(42, &sealed).unwrap_err();
        assert!(err.contains("another key"), "{err}");
        assert!(!err.contains("clever"), "{err}");
    }

    #[test]
    fn s3_1_a_new_key_file_is_private_to_its_owner() {
        let path = std::env::temp_dir().join(format!("roster-key-{:016x}", rand::random::<u64>()));
        let first = Sealer::from_file_or_create(&path).unwrap();
        let again = Sealer::from_file_or_create(&path).unwrap();
        assert_eq!(first.key_id, again.key_id);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_file(path);
    }
}
