//! API keys and audit events on the wire; a key's secret never is, but once at creation.

use super::{Wire, id, timestamp};
use crate::access::keys::ApiKey;
use crate::domain::{Error, Result};
use crate::store::models::AuditRow;
use chrono::{DateTime, NaiveDateTime};
use roster_proto::prost_types::Timestamp;
use roster_proto::v1 as pb;

pub fn api_key(k: ApiKey) -> pb::ApiKey {
    let row = k.row;
    pb::ApiKey {
        key_id: id(row.id),
        display_name: row.display_name,
        role: row.role.to_i32(),
        district_ids: k.district_ids.into_iter().map(id).collect(),
        all_districts: row.all_districts,
        rate_limit_per_second: row.rate_limit_per_second,
        create_time: timestamp(row.created_at),
        last_use_time: row.last_used_at.and_then(timestamp),
        revoke_time: row.revoked_at.and_then(timestamp),
    }
}

pub fn audit_event(e: AuditRow) -> pb::AuditEvent {
    pb::AuditEvent {
        event_id: id(e.id),
        time: timestamp(e.at),
        key_id: e.key_id.map(id).unwrap_or_default(),
        actor: e.actor,
        method: e.method,
        district_id: e.district_id.map(id).unwrap_or_default(),
        target_id: e.target_id.map(id).unwrap_or_default(),
        changed_fields: e
            .changed_fields
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// A wire time as stored (UTC).
pub fn from_timestamp(t: &Timestamp) -> Result<NaiveDateTime> {
    DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32)
        .map(|d| d.naive_utc())
        .ok_or_else(|| Error::invalid("time", "is out of range"))
}
