//! API keys (S1.3): random 256-bit keys, shown once when created and stored only as
//! their SHA-256 (a key is random, so no slow hash is needed), compared in constant time,
//! revocable with effect on the next call, with their last use kept to the minute.

use crate::domain::{ApiKeyRole, Caller, Error, Page, PageRequest, Result, Scope, new_id, now};
use crate::store::Store;
use crate::store::models::ApiKeyRow;
use crate::store::queries::{districts as district_rows, keys as q};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, TimeDelta};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use subtle::ConstantTimeEq;

/// What a key looks like: easy to spot in a log or a leaked file.
const PREFIX: &str = "rsk_";

/// An API key as listed: never its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub row: ApiKeyRow,
    pub district_ids: Vec<i64>,
}

/// What CreateApiKey asks for.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub display_name: String,
    pub role: ApiKeyRole,
    pub district_ids: Vec<i64>,
    pub all_districts: bool,
    pub rate_limit_per_second: i32,
}

fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a key; the key and the one time its secret is seen.
pub async fn create(store: &Store, new: NewKey) -> Result<(ApiKey, String)> {
    let name = new.display_name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(Error::invalid(
            "display_name",
            "is required, at most 255 characters",
        ));
    }
    let scoped = new.role != ApiKeyRole::Admin;
    if scoped && new.all_districts != new.district_ids.is_empty() {
        return Err(Error::invalid(
            "district_ids",
            "an operator or reader key names its districts, or is for all districts: one of the two",
        ));
    }
    if !scoped && (new.all_districts || !new.district_ids.is_empty()) {
        return Err(Error::invalid(
            "district_ids",
            "an admin key covers every district already",
        ));
    }
    if new.rate_limit_per_second < 0 {
        return Err(Error::invalid(
            "rate_limit_per_second",
            "must not be negative",
        ));
    }
    let mut conn = store.conn().await?;
    for district in &new.district_ids {
        district_rows::require(&mut conn, *district).await?;
    }
    let secret = format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let row = ApiKeyRow {
        id: new_id(),
        display_name: name.to_owned(),
        role: new.role,
        all_districts: scoped && new.all_districts,
        secret_hash: hash(&secret),
        rate_limit_per_second: new.rate_limit_per_second,
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    q::insert(&mut conn, &row, &new.district_ids).await?;
    Ok((
        ApiKey {
            row,
            district_ids: new.district_ids,
        },
        secret,
    ))
}

pub async fn list(store: &Store, page: PageRequest) -> Result<Page<ApiKey>> {
    let mut conn = store.conn().await?;
    let rows = q::list(&mut conn, &page).await?;
    let page = page.finish(rows, |k| k.id);
    let ids: Vec<i64> = page.items.iter().map(|k| k.id).collect();
    let mut districts: HashMap<i64, Vec<i64>> = HashMap::new();
    for (key, district) in q::districts(&mut conn, &ids).await? {
        districts.entry(key).or_default().push(district);
    }
    Ok(page.map(|row| ApiKey {
        district_ids: districts.remove(&row.id).unwrap_or_default(),
        row,
    }))
}

pub async fn revoke(store: &Store, key_id: i64) -> Result<ApiKey> {
    let mut conn = store.conn().await?;
    q::get(&mut conn, key_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("API key {key_id}")))?;
    q::revoke(&mut conn, key_id, now()).await?;
    let row = q::get(&mut conn, key_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("API key {key_id}")))?;
    let district_ids = q::districts(&mut conn, &[key_id])
        .await?
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    Ok(ApiKey { row, district_ids })
}

/// The caller a key stands for, and the key's own rate; UNAUTHENTICATED for a key that
/// is unknown or revoked.
pub async fn authenticate(store: &Store, key: &str, actor: String) -> Result<(Caller, i32)> {
    let unknown = || Error::Unauthenticated("the API key is not valid".into());
    let digest = hash(key.trim());
    let mut conn = store.conn().await?;
    let row = q::by_hash(&mut conn, &digest).await?.ok_or_else(unknown)?;
    if !bool::from(row.secret_hash.as_bytes().ct_eq(digest.as_bytes())) {
        return Err(unknown());
    }
    if row.revoked_at.is_some() {
        return Err(Error::Unauthenticated("the API key was revoked".into()));
    }
    let scope = if row.all_districts || row.role == ApiKeyRole::Admin {
        Scope::All
    } else {
        Scope::Districts(
            q::districts(&mut conn, &[row.id])
                .await?
                .into_iter()
                .map(|(_, d)| d)
                .collect(),
        )
    };
    if should_touch(row.id, now()) {
        q::touch(&mut conn, row.id, now()).await?;
    }
    Ok((
        Caller {
            key_id: Some(row.id),
            role: row.role,
            scope,
            actor,
        },
        row.rate_limit_per_second,
    ))
}

/// When each key's last use was last written by this process: at most once a minute,
/// so using a key costs no write per call.
static TOUCHED: LazyLock<Mutex<HashMap<i64, NaiveDateTime>>> = LazyLock::new(Mutex::default);

fn should_touch(key: i64, at: NaiveDateTime) -> bool {
    let Ok(mut touched) = TOUCHED.lock() else {
        return true;
    };
    match touched.get(&key) {
        Some(last) if at - *last < TimeDelta::minutes(1) => false,
        _ => {
            touched.insert(key, at);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_3_keys_are_random_and_only_their_hash_is_kept() {
        let a = format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
        );
        assert!(a.len() >= PREFIX.len() + 43, "256 bits");
        let h = hash(&a);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&a[PREFIX.len()..]));
        assert_eq!(hash(&a), h);
    }
}
