//! API keys, the audit log and erasure.

use super::{Table, fields, or_dash, when};
use roster_client::{ApiKey, ApiKeyRole, AuditEvent, ErasedDistrict, Suppression};

/// Which districts a key covers: `all` (an admin key, or one for all districts), its
/// districts, or `none` (an operator or reader key whose districts were all erased).
fn key_districts(k: &ApiKey) -> String {
    if k.all_districts || k.role == ApiKeyRole::Admin {
        "all".to_owned()
    } else if k.district_ids.is_empty() {
        "none".to_owned()
    } else {
        k.district_ids.join(",")
    }
}

fn rate_limit(k: &ApiKey) -> String {
    k.rate_limit_per_second
        .map_or_else(|| "default".to_owned(), |rate| format!("{rate}/s"))
}

pub fn keys(list: &[ApiKey]) -> Table {
    let mut table = Table::new([
        "ID",
        "NAME",
        "ROLE",
        "DISTRICTS",
        "RATE LIMIT",
        "CREATED",
        "LAST USED",
        "REVOKED",
    ]);
    for k in list {
        table.row([
            k.id.clone(),
            k.display_name.clone(),
            k.role.to_string(),
            key_districts(k),
            rate_limit(k),
            when(k.create_time),
            when(k.last_use_time),
            when(k.revoke_time),
        ]);
    }
    table
}

/// A key just created, with its secret: the only time it is ever shown.
pub fn created_key(k: &ApiKey, secret: &str) -> Table {
    fields(&[
        ("id", k.id.clone()),
        ("name", k.display_name.clone()),
        ("role", k.role.to_string()),
        ("districts", key_districts(k)),
        ("rate limit", rate_limit(k)),
        ("created", when(k.create_time)),
        ("secret", secret.to_owned()),
    ])
}

pub fn audit_events(list: &[AuditEvent]) -> Table {
    let mut table = Table::new([
        "TIME", "KEY", "ACTOR", "METHOD", "DISTRICT", "TARGET", "FIELDS",
    ]);
    for e in list {
        let method = e.method.strip_prefix("/roster.v1.").unwrap_or(&e.method);
        let changed = if e.changed_fields.is_empty() {
            "-".to_owned()
        } else {
            e.changed_fields.join(",")
        };
        table.row([
            when(e.time),
            or_dash(e.key_id.as_deref()),
            or_dash(e.actor.as_deref()),
            method.to_owned(),
            or_dash(e.district_id.as_deref()),
            or_dash(e.target_id.as_deref()),
            changed,
        ]);
    }
    table
}

pub fn suppressions(list: &[Suppression]) -> Table {
    let mut table = Table::new(["ID", "KIND", "SOURCE ID", "CREATED"]);
    for s in list {
        table.row([
            s.id.clone(),
            s.record_kind.to_string(),
            s.source_id.clone(),
            when(s.create_time),
        ]);
    }
    table
}

/// The rows an erased district lost, by table, and their total.
pub fn erased_district(e: &ErasedDistrict) -> Table {
    let mut table = Table::new(["TABLE", "ROWS REMOVED"]);
    for (name, rows) in &e.removed {
        table.row([name.clone(), rows.to_string()]);
    }
    table.row(["total".to_owned(), e.total().to_string()]);
    table
}
