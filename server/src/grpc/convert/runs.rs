//! Runs, their reports, and sync settings on the wire. Secrets never leave: a source on
//! the wire says only whether its secret is set.

use super::{Wire, id, opt_id, req_id, timestamp};
use crate::domain::{
    AbandonedFilter, Error, FamilyPolicy, RecordKind, RestAuth, Result, Run, Schedule,
    ScheduleKind, Secret, Source, SyncHealth, SyncSettings,
};
use crate::store::fields::FieldChange;
use crate::sync::history::Entry;
use crate::sync::reports::{AbandonedRow, IssueRow};
use crate::sync::review::PlannedChange;
use crate::sync::settings::SettingsUpdate;
use roster_proto::v1 as pb;

/// A district's sync health on the wire.
pub fn health(h: SyncHealth) -> pb::SyncHealth {
    let needs_attention = h.needs_attention();
    let last = h.last_run.as_ref();
    pb::SyncHealth {
        district_id: id(h.district_id),
        display_name: h.display_name,
        last_run_id: last.map(|r| id(r.id)).unwrap_or_default(),
        last_run_state: last.map_or(0, |r| r.state.to_i32()),
        last_run_time: last.and_then(|r| timestamp(r.finished_at.unwrap_or(r.created_at))),
        last_error_message: last.map(|r| r.error_message.clone()).unwrap_or_default(),
        last_success_time: h.last_success_at.and_then(timestamp),
        consecutive_failures: h.consecutive_failures,
        next_scheduled_time: h.next_scheduled_at.and_then(timestamp),
        needs_attention,
        attention_reasons: h.reasons.into_iter().map(|r| r.to_i32()).collect(),
    }
}

pub fn run(run: Run) -> pb::SyncRun {
    pb::SyncRun {
        run_id: id(run.id),
        district_id: id(run.district_id),
        state: run.state.to_i32(),
        phase: run.phase.to_i32(),
        trigger: run.trigger.to_i32(),
        dry_run: run.dry_run,
        override_safety_threshold: run.override_threshold,
        request_id: run.request_id.unwrap_or_default(),
        source: run.source.as_ref().map(|s| source(s, false)),
        create_time: timestamp(run.created_at),
        start_time: run.started_at.and_then(timestamp),
        finish_time: run.finished_at.and_then(timestamp),
        progress: Some(pb::SyncProgress {
            records_done: run.progress_done,
            records_total: run.progress_total,
        }),
        counts: run
            .counts
            .into_iter()
            .map(|(kind, c)| pb::RecordCounts {
                record_kind: kind.to_i32(),
                created: c.created,
                updated: c.updated,
                unchanged: c.unchanged,
                abandoned: c.abandoned,
                restored: c.restored,
                skipped: c.skipped,
                invalid: c.invalid,
            })
            .collect(),
        issue_count: run.issue_count,
        error_message: run.error_message,
        safety_block: run.safety_block.map(|b| pb::SafetyBlock {
            record_kind: b.record_kind.to_i32(),
            threshold_percent: b.threshold_percent,
            abandon_count: b.abandon_count,
            stored_count: b.stored_count,
            abandon_percent: b.abandon_percent,
            school_id: b.school_id.map(id).unwrap_or_default(),
        }),
        plan_expire_time: run.plan_expires_at.and_then(timestamp),
        approved: run.approved,
        reverted_run_id: run.reverts_run_id.map(id).unwrap_or_default(),
    }
}

pub fn issue(i: IssueRow) -> pb::SyncIssue {
    pb::SyncIssue {
        issue_id: id(i.id),
        run_id: id(i.run_id),
        severity: i.severity.to_i32(),
        record_kind: i.record_kind.to_i32(),
        code: i.code,
        message: i.message,
        source_file: i.source_file,
        source_line: i.source_line,
        source_resource: i.source_resource,
        source_id: i.source_id,
        field: i.field,
    }
}

/// A planned change on the wire (R9.1).
pub fn planned_change((c, fields): (PlannedChange, Vec<FieldChange>)) -> pb::PlannedChange {
    pb::PlannedChange {
        record_kind: c.record_kind.to_i32(),
        action: c.action.to_i32(),
        record_id: c.record_id.map(id).unwrap_or_default(),
        source_id: c.source_id,
        display_name: c.display_name,
        school_id: c.school_id.map(id).unwrap_or_default(),
        field_changes: field_changes(fields),
    }
}

/// A history entry on the wire (R9.3).
pub fn history_entry(e: Entry) -> pb::HistoryEntry {
    let row = e.row;
    pb::HistoryEntry {
        entry_id: if row.id == 0 {
            String::new()
        } else {
            id(row.id)
        },
        time: timestamp(row.at),
        run_id: row.run_id.map(id).unwrap_or_default(),
        key_id: row.key_id.map(id).unwrap_or_default(),
        actor: row.actor,
        record_kind: row.record_kind.to_i32(),
        record_id: id(row.record_id),
        action: row.action.to_i32(),
        field_changes: field_changes(e.fields),
    }
}

fn field_changes(fields: Vec<FieldChange>) -> Vec<pb::FieldChange> {
    fields
        .into_iter()
        .map(|FieldChange(field, old_value, new_value)| pb::FieldChange {
            field,
            old_value,
            new_value,
        })
        .collect()
}

pub fn abandoned(a: AbandonedRow) -> pb::AbandonedRecord {
    pb::AbandonedRecord {
        id: id(a.id),
        district_id: id(a.district_id),
        record_kind: a.record_kind.to_i32(),
        record_id: id(a.record_id),
        source_id: a.source_id,
        display_name: a.display_name,
        school_id: a.school_id.map(id).unwrap_or_default(),
        action: a.action.to_i32(),
        run_id: id(a.run_id),
        abandon_time: timestamp(a.abandoned_at),
        restore_time: a.restored_at.and_then(timestamp),
        restore_run_id: a.restore_run_id.map(id).unwrap_or_default(),
    }
}

/// The filters of ListAbandonedRecords.
pub fn abandoned_filter(r: &pb::ListAbandonedRecordsRequest) -> Result<AbandonedFilter> {
    Ok(AbandonedFilter {
        kind: RecordKind::read("record_kind", r.record_kind)?,
        run_id: opt_id("run_id", &r.run_id)?,
        restored: match pb::RestoredFilter::try_from(r.restored) {
            Ok(pb::RestoredFilter::Unspecified) => None,
            Ok(pb::RestoredFilter::Restored) => Some(true),
            Ok(pb::RestoredFilter::NotRestored) => Some(false),
            Err(_) => {
                return Err(Error::invalid(
                    "restored",
                    format!("unknown value {}", r.restored),
                ));
            }
        },
    })
}

/// The wire form of a source: its secret never leaves, only whether one is set.
pub fn source(source: &Source, secret_set: bool) -> pb::SyncSource {
    use pb::sync_source::Kind;
    let kind = match source {
        Source::OneRosterCsvUpload { upload_id } => {
            Kind::OnerosterCsvUpload(pb::OneRosterCsvUpload {
                upload_id: id(*upload_id),
            })
        }
        Source::OneRosterCsvPath { path } => {
            Kind::OnerosterCsvPath(pb::OneRosterCsvPath { path: path.clone() })
        }
        Source::OneRosterRest { base_url, auth } => Kind::OnerosterRest(pb::OneRosterRest {
            base_url: base_url.clone(),
            auth: Some(match auth {
                RestAuth::OAuth1 { consumer_key } => {
                    pb::one_roster_rest::Auth::Oauth1(pb::OAuth1 {
                        consumer_key: consumer_key.clone(),
                        consumer_secret: String::new(),
                        consumer_secret_set: secret_set,
                    })
                }
                RestAuth::OAuth2 {
                    token_url,
                    client_id,
                    scope,
                } => pb::one_roster_rest::Auth::Oauth2(pb::OAuth2ClientCredentials {
                    token_url: token_url.clone(),
                    client_id: client_id.clone(),
                    client_secret: String::new(),
                    scope: scope.clone(),
                    client_secret_set: secret_set,
                }),
            }),
        }),
        Source::Clever { base_url } => Kind::Clever(pb::Clever {
            base_url: base_url.clone(),
            district_token: String::new(),
            district_token_set: secret_set,
        }),
    };
    pb::SyncSource { kind: Some(kind) }
}

/// A source from the wire, as given, with its secret (an empty secret is None).
pub fn source_from_pb(source: pb::SyncSource) -> Result<(Source, Option<Secret>)> {
    use pb::sync_source::Kind;
    let secret = |s: String| (!s.is_empty()).then(|| Secret::new(s));
    match source.kind {
        None => Err(Error::invalid("source", "must set one kind of source")),
        Some(Kind::OnerosterCsvUpload(u)) => Ok((
            Source::OneRosterCsvUpload {
                upload_id: req_id("source.oneroster_csv_upload.upload_id", &u.upload_id)?,
            },
            None,
        )),
        Some(Kind::OnerosterCsvPath(p)) => Ok((Source::OneRosterCsvPath { path: p.path }, None)),
        Some(Kind::OnerosterRest(r)) => {
            let (auth, s) = match r.auth {
                Some(pb::one_roster_rest::Auth::Oauth1(a)) => (
                    RestAuth::OAuth1 {
                        consumer_key: a.consumer_key,
                    },
                    secret(a.consumer_secret),
                ),
                Some(pb::one_roster_rest::Auth::Oauth2(a)) => (
                    RestAuth::OAuth2 {
                        token_url: a.token_url,
                        client_id: a.client_id,
                        scope: a.scope,
                    },
                    secret(a.client_secret),
                ),
                None => {
                    return Err(Error::invalid(
                        "source.oneroster_rest.auth",
                        "must be oauth1 or oauth2",
                    ));
                }
            };
            Ok((
                Source::OneRosterRest {
                    base_url: r.base_url,
                    auth,
                },
                s,
            ))
        }
        Some(Kind::Clever(c)) => Ok((
            Source::Clever {
                base_url: c.base_url,
            },
            secret(c.district_token),
        )),
    }
}

pub fn settings(s: SyncSettings) -> pb::SyncSettings {
    let secret_set = s.secret.is_some();
    pb::SyncSettings {
        district_id: id(s.district_id),
        source: s.source.as_ref().map(|src| source(src, secret_set)),
        update_active_users: s.update_active_users,
        abandoned_family_policy: s.abandoned_family_policy.to_i32(),
        abandon_threshold_percent: s.abandon_threshold_percent,
        school_abandon_threshold_percent: s.school_abandon_threshold_percent,
        default_phone_region: s.default_phone_region,
        schedule: Some(pb::SyncSchedule {
            kind: s.schedule.kind.to_i32(),
            interval_minutes: s.schedule.interval_minutes,
            daily_time: s.schedule.daily_time,
            time_zone: s.schedule.time_zone,
        }),
        update_time: timestamp(s.updated_at),
        require_approval: s.require_approval,
        plan_ttl: Some(prost_types::Duration {
            seconds: s.plan_ttl.num_seconds(),
            nanos: 0,
        }),
        schedule_paused: s.schedule_paused,
    }
}

/// The settings fields the mask names, read out of the wire settings.
pub fn settings_update(s: pb::SyncSettings, paths: &[String]) -> Result<SettingsUpdate> {
    if paths.is_empty() {
        return Err(Error::invalid(
            "update_mask",
            "must name at least one field: source, update_active_users, abandoned_family_policy, \
             abandon_threshold_percent, school_abandon_threshold_percent, \
             default_phone_region, schedule, require_approval, plan_ttl",
        ));
    }
    let mut update = SettingsUpdate::default();
    for path in paths {
        match path.trim_start_matches("settings.") {
            "source" => {
                update.source = Some(match s.source.clone() {
                    Some(src) => Some(source_from_pb(src).map_err(|e| e.within("settings"))?),
                    None => None,
                })
            }
            "update_active_users" => update.update_active_users = Some(s.update_active_users),
            "abandoned_family_policy" => {
                update.abandoned_family_policy = Some(
                    FamilyPolicy::read(
                        "settings.abandoned_family_policy",
                        s.abandoned_family_policy,
                    )?
                    .ok_or_else(|| {
                        Error::invalid(
                            "settings.abandoned_family_policy",
                            "must be SOFT or EXTREME",
                        )
                    })?,
                )
            }
            "abandon_threshold_percent" => {
                update.abandon_threshold_percent = Some(s.abandon_threshold_percent)
            }
            "school_abandon_threshold_percent" => {
                update.school_abandon_threshold_percent = Some(s.school_abandon_threshold_percent)
            }
            "default_phone_region" => {
                update.default_phone_region = Some(s.default_phone_region.clone())
            }
            "schedule" => update.schedule = Some(schedule(s.schedule.clone().unwrap_or_default())?),
            "require_approval" => update.require_approval = Some(s.require_approval),
            "plan_ttl" => {
                let ttl = s.plan_ttl.ok_or_else(|| {
                    Error::invalid("settings.plan_ttl", "is required when the mask names it")
                })?;
                if ttl.seconds < 0 || ttl.nanos != 0 {
                    return Err(Error::invalid(
                        "settings.plan_ttl",
                        "must be a whole number of seconds",
                    ));
                }
                update.plan_ttl = Some(chrono::TimeDelta::seconds(ttl.seconds))
            }
            other => {
                return Err(Error::invalid(
                    "update_mask",
                    format!("unknown path `{other}`"),
                ));
            }
        }
    }
    Ok(update)
}

fn schedule(sch: pb::SyncSchedule) -> Result<Schedule> {
    let kind = ScheduleKind::read("settings.schedule.kind", sch.kind)?.unwrap_or(ScheduleKind::Off);
    Ok(match kind {
        ScheduleKind::Off => Schedule::off(),
        ScheduleKind::Interval => Schedule {
            interval_minutes: sch.interval_minutes,
            ..Schedule::off_with(kind)
        },
        ScheduleKind::Daily => Schedule {
            daily_time: sch.daily_time.trim().to_owned(),
            time_zone: sch.time_zone.trim().to_owned(),
            ..Schedule::off_with(kind)
        },
    })
}
