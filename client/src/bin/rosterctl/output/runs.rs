//! Sync settings, runs and what they did, record history, uploads, and the districts' sync
//! health.

use super::{Table, fields, or_dash, span, when};
use roster_client::{
    AbandonedRecord, FieldChange, HistoryEntry, PlannedChange, SyncHealth, SyncIssue, SyncRun,
    SyncSettings, Upload,
};

pub fn settings(s: &SyncSettings) -> Table {
    fields(&[
        ("district", s.district_id.clone()),
        (
            "source",
            s.source
                .as_ref()
                .map_or_else(|| "(none)".to_owned(), |source| source.to_string()),
        ),
        ("update active users", s.update_active_users.to_string()),
        ("family policy", s.abandoned_family_policy.to_string()),
        ("threshold", format!("{}%", s.abandon_threshold_percent)),
        (
            "school threshold",
            format!("{}%", s.school_abandon_threshold_percent),
        ),
        ("phone region", s.default_phone_region.clone()),
        ("schedule", s.schedule.to_string()),
        ("schedule paused", s.schedule_paused.to_string()),
        ("require approval", s.require_approval.to_string()),
        ("plan ttl", span(s.plan_ttl)),
        ("updated", when(s.update_time)),
    ])
}

pub fn runs(list: &[SyncRun]) -> Table {
    let mut table = Table::new([
        "ID", "STATE", "PHASE", "TRIGGER", "REVERTS", "DRY RUN", "ISSUES", "CREATED", "FINISHED",
    ]);
    for r in list {
        table.row([
            r.id.clone(),
            r.state.to_string(),
            r.phase.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            r.trigger.to_string(),
            or_dash(r.reverted_run_id.as_deref()),
            r.dry_run.to_string(),
            r.issue_count.to_string(),
            when(r.create_time),
            when(r.finish_time),
        ]);
    }
    table
}

/// A run: its fields, then its counts per record kind.
pub fn run(r: &SyncRun) -> Vec<Table> {
    let mut pairs = vec![
        ("run", r.id.clone()),
        ("district", r.district_id.clone()),
        ("state", r.state.to_string()),
        ("dry run", r.dry_run.to_string()),
        (
            "progress",
            format!("{}/{}", r.progress.records_done, r.progress.records_total),
        ),
        ("issues", r.issue_count.to_string()),
        ("approved", r.approved.to_string()),
        ("started", when(r.start_time)),
        ("finished", when(r.finish_time)),
    ];
    if let Some(phase) = r.phase {
        pairs.insert(3, ("phase", phase.to_string()));
    }
    if let Some(reverted) = &r.reverted_run_id {
        pairs.push(("reverts", reverted.clone()));
    }
    if let Some(message) = &r.error_message {
        pairs.push(("error", message.clone()));
    }
    if let Some(block) = &r.safety_block {
        pairs.push(("blocked", block.to_string()));
    }
    if r.plan_expire_time.is_some() {
        pairs.push(("plan expires", when(r.plan_expire_time)));
    }
    let mut report = vec![fields(&pairs)];
    if r.counts.is_empty() {
        return report;
    }
    let mut counts = Table::new([
        "KIND",
        "CREATED",
        "UPDATED",
        "UNCHANGED",
        "ABANDONED",
        "RESTORED",
        "SKIPPED",
        "INVALID",
    ]);
    for c in &r.counts {
        counts.row([
            c.record_kind.to_string(),
            c.created.to_string(),
            c.updated.to_string(),
            c.unchanged.to_string(),
            c.abandoned.to_string(),
            c.restored.to_string(),
            c.skipped.to_string(),
            c.invalid.to_string(),
        ]);
    }
    report.push(counts);
    report
}

pub fn issues(list: &[SyncIssue]) -> Table {
    let mut table = Table::new([
        "SEVERITY",
        "KIND",
        "CODE",
        "WHERE",
        "FIELD",
        "SOURCE ID",
        "MESSAGE",
    ]);
    for i in list {
        let place = match (&i.source_file, i.source_line, &i.source_resource) {
            (Some(file), Some(line), _) => format!("{file}:{line}"),
            (Some(file), None, _) => file.clone(),
            (None, _, Some(resource)) => resource.clone(),
            (None, _, None) => "-".to_owned(),
        };
        table.row([
            i.severity.to_string(),
            i.record_kind
                .map_or_else(|| "-".to_owned(), |k| k.to_string()),
            i.code.clone(),
            place,
            or_dash(i.field.as_deref()),
            or_dash(i.source_id.as_deref()),
            i.message.clone(),
        ]);
    }
    table
}

/// A plan, a change per row, its field changes on one line as `changes` writes them.
pub fn planned_changes(list: &[PlannedChange]) -> Table {
    let mut table = Table::new([
        "KIND",
        "ACTION",
        "RECORD ID",
        "SOURCE ID",
        "NAME",
        "SCHOOL",
        "CHANGES",
    ]);
    for c in list {
        table.row([
            c.record_kind.to_string(),
            c.action.to_string(),
            or_dash(c.record_id.as_deref()),
            or_dash(c.source_id.as_deref()),
            c.display_name.clone(),
            or_dash(c.school_id.as_deref()),
            changes(&c.field_changes),
        ]);
    }
    table
}

/// A record's history, newest first as listed, its field changes written as a plan's are
/// (a history entry is an applied change), so the two read alike.
pub fn history(list: &[HistoryEntry]) -> Table {
    let mut table = Table::new(["TIME", "ACTION", "KIND", "BY", "CHANGES"]);
    for e in list {
        table.row([
            when(e.time),
            e.action.to_string(),
            e.record_kind.to_string(),
            made_by(e),
            changes(&e.field_changes),
        ]);
    }
    table
}

/// What made a history entry: `run ID`, or `key ID` for an edit, then ` for ACTOR` when
/// the key named the end user it acted for. An edit on a server without keys has no key:
/// `-`, or just `for ACTOR`.
fn made_by(e: &HistoryEntry) -> String {
    let maker = match (&e.run_id, &e.key_id) {
        (Some(run), _) => Some(format!("run {run}")),
        (None, Some(key)) => Some(format!("key {key}")),
        (None, None) => None,
    };
    match (maker, &e.actor) {
        (Some(maker), Some(actor)) => format!("{maker} for {actor}"),
        (Some(maker), None) => maker,
        (None, Some(actor)) => format!("for {actor}"),
        (None, None) => "-".to_owned(),
    }
}

/// Field changes as `field: old -> new` (`-` for no value), joined by `; ` so that each
/// change stays on one line; `-` when there are none.
fn changes(list: &[FieldChange]) -> String {
    if list.is_empty() {
        return "-".to_owned();
    }
    list.iter()
        .map(|f| {
            format!(
                "{}: {} -> {}",
                f.field,
                or_dash(f.old_value.as_deref()),
                or_dash(f.new_value.as_deref())
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn abandoned(list: &[AbandonedRecord]) -> Table {
    let mut table = Table::new(["WHEN", "KIND", "NAME", "ACTION", "RUN", "RESTORED"]);
    for a in list {
        table.row([
            when(a.abandon_time),
            a.record_kind.to_string(),
            a.display_name.clone(),
            a.action.to_string(),
            a.run_id.clone(),
            when(a.restore_time),
        ]);
    }
    table
}

pub fn upload(u: &Upload) -> Table {
    fields(&[
        ("upload id", u.upload_id.clone()),
        ("size", format!("{} bytes", u.size_bytes)),
    ])
}

pub fn health(list: &[SyncHealth]) -> Table {
    let mut table = Table::new([
        "DISTRICT",
        "NAME",
        "LAST RUN",
        "STATE",
        "LAST SUCCESS",
        "FAILURES",
        "NEXT RUN",
        "ATTENTION",
    ]);
    for h in list {
        let attention = if h.needs_attention {
            h.attention_reasons
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(",")
        } else {
            "-".to_owned()
        };
        table.row([
            h.district_id.clone(),
            h.display_name.clone(),
            when(h.last_run_time),
            h.last_run_state
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
            when(h.last_success_time),
            h.consecutive_failures.to_string(),
            when(h.next_scheduled_time),
            attention,
        ]);
    }
    table
}
