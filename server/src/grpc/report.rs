//! Wire forms of runs, issues and abandoned records.

use super::convert::{id, timestamp};
use crate::domain::{
    AbandonAction, Error, RecordKind, Result, RunPhase, RunState, Severity, Trigger,
};
use crate::store::models::{AbandonedRow, IssueRow};
use crate::sync::runs::Run;
use roster_proto::v1 as pb;

pub fn record_kind_to_pb(kind: RecordKind) -> pb::RecordKind {
    match kind {
        RecordKind::School => pb::RecordKind::School,
        RecordKind::Student => pb::RecordKind::Student,
        RecordKind::Guardian => pb::RecordKind::Guardian,
        RecordKind::Staff => pb::RecordKind::Staff,
        RecordKind::Class => pb::RecordKind::Class,
        RecordKind::StudentEnrollment => pb::RecordKind::StudentEnrollment,
        RecordKind::TeacherEnrollment => pb::RecordKind::TeacherEnrollment,
        RecordKind::FamilyRelationship => pb::RecordKind::FamilyRelationship,
    }
}

/// A record kind filter: UNSPECIFIED is None (all kinds).
pub fn record_kind_from_pb(field: &str, value: i32) -> Result<Option<RecordKind>> {
    let kind = pb::RecordKind::try_from(value)
        .map_err(|_| Error::invalid(field, format!("unknown value {value}")))?;
    Ok(RecordKind::ALL
        .iter()
        .copied()
        .find(|k| record_kind_to_pb(*k) == kind))
}

/// A severity filter: UNSPECIFIED is None (all severities).
pub fn severity_from_pb(value: i32) -> Result<Option<Severity>> {
    match pb::IssueSeverity::try_from(value) {
        Ok(pb::IssueSeverity::Unspecified) => Ok(None),
        Ok(pb::IssueSeverity::Info) => Ok(Some(Severity::Info)),
        Ok(pb::IssueSeverity::Warning) => Ok(Some(Severity::Warning)),
        Ok(pb::IssueSeverity::Error) => Ok(Some(Severity::Error)),
        Err(_) => Err(Error::invalid("severity", format!("unknown value {value}"))),
    }
}

fn kind_of(text: &str) -> i32 {
    RecordKind::parse(text)
        .map(|k| record_kind_to_pb(k) as i32)
        .unwrap_or(0)
}

pub fn run_to_pb(run: Run) -> pb::SyncRun {
    let row = run.row;
    pb::SyncRun {
        run_id: id(row.id),
        district_id: id(row.district_id),
        state: match run.state {
            RunState::Queued => pb::SyncState::Queued,
            RunState::Running => pb::SyncState::Running,
            RunState::Succeeded => pb::SyncState::Succeeded,
            RunState::Failed => pb::SyncState::Failed,
            RunState::Blocked => pb::SyncState::Blocked,
            RunState::Cancelled => pb::SyncState::Cancelled,
        } as i32,
        phase: match run.phase {
            RunPhase::None => pb::SyncPhase::Unspecified,
            RunPhase::Fetching => pb::SyncPhase::Fetching,
            RunPhase::Validating => pb::SyncPhase::Validating,
            RunPhase::Planning => pb::SyncPhase::Planning,
            RunPhase::Applying => pb::SyncPhase::Applying,
        } as i32,
        trigger: match run.trigger {
            Trigger::Manual => pb::SyncTrigger::Manual,
            Trigger::Scheduled => pb::SyncTrigger::Scheduled,
        } as i32,
        dry_run: row.dry_run,
        override_safety_threshold: row.override_threshold,
        request_id: row.request_id.unwrap_or_default(),
        source: run
            .source
            .as_ref()
            .map(|s| super::sync::source_to_pb(s, false)),
        create_time: timestamp(row.created_at),
        start_time: row.started_at.and_then(timestamp),
        finish_time: row.finished_at.and_then(timestamp),
        progress: Some(pb::SyncProgress {
            records_done: row.progress_done,
            records_total: row.progress_total,
        }),
        counts: run
            .counts
            .into_iter()
            .map(|(kind, c)| pb::RecordCounts {
                record_kind: record_kind_to_pb(kind) as i32,
                created: c.created,
                updated: c.updated,
                unchanged: c.unchanged,
                abandoned: c.abandoned,
                restored: c.restored,
                skipped: c.skipped,
                invalid: c.invalid,
            })
            .collect(),
        issue_count: row.issue_count,
        error_message: row.error_message,
        safety_block: run.safety_block.map(|b| pb::SafetyBlock {
            record_kind: record_kind_to_pb(b.record_kind) as i32,
            threshold_percent: b.threshold_percent,
            abandon_count: b.abandon_count,
            stored_count: b.stored_count,
            abandon_percent: b.abandon_percent,
        }),
    }
}

pub fn issue_to_pb(i: IssueRow) -> pb::SyncIssue {
    pb::SyncIssue {
        issue_id: id(i.id),
        run_id: id(i.run_id),
        severity: match Severity::parse(&i.severity) {
            Ok(Severity::Info) => pb::IssueSeverity::Info,
            Ok(Severity::Warning) => pb::IssueSeverity::Warning,
            Ok(Severity::Error) => pb::IssueSeverity::Error,
            Err(_) => pb::IssueSeverity::Unspecified,
        } as i32,
        record_kind: kind_of(&i.record_kind),
        code: i.code,
        message: i.message,
        source_file: i.source_file,
        source_line: i.source_line,
        source_resource: i.source_resource,
        source_id: i.source_id,
        field: i.field,
    }
}

pub fn abandoned_to_pb(a: AbandonedRow) -> pb::AbandonedRecord {
    pb::AbandonedRecord {
        id: id(a.id),
        district_id: id(a.district_id),
        record_kind: kind_of(&a.record_kind),
        record_id: id(a.record_id),
        source_id: a.source_id,
        display_name: a.display_name,
        school_id: a.school_id.map(id).unwrap_or_default(),
        action: match AbandonAction::parse(&a.action) {
            Ok(AbandonAction::Disconnected) => pb::AbandonAction::Disconnected,
            Ok(AbandonAction::RemovedFromSchool) => pb::AbandonAction::RemovedFromSchool,
            Ok(AbandonAction::Archived) => pb::AbandonAction::Archived,
            Ok(AbandonAction::RemovedFromClass) => pb::AbandonAction::RemovedFromClass,
            Err(_) => pb::AbandonAction::Unspecified,
        } as i32,
        run_id: id(a.run_id),
        abandon_time: timestamp(a.abandoned_at),
        restore_time: a.restored_at.and_then(timestamp),
        restore_run_id: a.restore_run_id.map(id).unwrap_or_default(),
    }
}
