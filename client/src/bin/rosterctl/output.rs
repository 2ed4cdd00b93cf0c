//! Printing results: aligned tables for people, JSON for scripts.

use crate::Failure;
use crate::cli::OutputFormat;
use roster_client::prost_types::Timestamp;
use roster_client::{
    AbandonedRecord, ApiKey, ApiKeyRole, AuditEvent, District, ErasedDistrict, School, Student,
    Suppression, SyncIssue, SyncRun, SyncSettings, Upload,
};
use serde::Serialize;
use std::fmt;
use std::time::SystemTime;

/// Rows of cells under a header, printed in aligned columns.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<const N: usize>(header: [&str; N]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<const N: usize>(&mut self, cells: [String; N]) {
        self.rows.push(cells.into());
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for line in std::iter::once(&self.header).chain(&self.rows) {
            let last = line.len().saturating_sub(1);
            for (i, (cell, width)) in line.iter().zip(widths.iter().copied()).enumerate() {
                if i == last {
                    writeln!(f, "{cell}")?;
                } else {
                    write!(f, "{cell:<width$}  ")?;
                }
            }
        }
        Ok(())
    }
}

/// Prints `value` as JSON, or as the table (or text) `render` makes of it.
pub fn print<T, R>(
    format: OutputFormat,
    value: &T,
    render: impl FnOnce(&T) -> R,
) -> Result<(), Failure>
where
    T: Serialize + ?Sized,
    R: fmt::Display,
{
    match format {
        OutputFormat::Json => {
            let json = serde_json::to_string_pretty(value)
                .map_err(|e| Failure::Local(format!("cannot print JSON: {e}")))?;
            println!("{json}");
        }
        OutputFormat::Table => print!("{}", render(value)),
    }
    Ok(())
}

/// A timestamp for people: RFC 3339 in UTC, or `-`.
pub fn when(time: Option<SystemTime>) -> String {
    time.map(|t| Timestamp::from(t).to_string())
        .unwrap_or_else(|| "-".to_owned())
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

/// Labelled values, one per line.
fn fields(pairs: &[(&str, String)]) -> Table {
    let mut table = Table::new(["FIELD", "VALUE"]);
    for (label, value) in pairs {
        table.row([(*label).to_owned(), value.clone()]);
    }
    table
}

pub fn district(d: &District) -> Table {
    districts(std::slice::from_ref(d))
}

pub fn districts(list: &[District]) -> Table {
    let mut table = Table::new(["ID", "NAME", "CREATED"]);
    for d in list {
        table.row([d.id.clone(), d.display_name.clone(), when(d.create_time)]);
    }
    table
}

pub fn schools(list: &[School]) -> Table {
    let mut table = Table::new(["ID", "NAME", "SIS ID", "ORIGIN", "STATUS"]);
    for s in list {
        table.row([
            s.id.clone(),
            s.name.clone(),
            or_dash(s.sis_id.as_deref()),
            s.origin.to_string(),
            s.status.to_string(),
        ]);
    }
    table
}

pub fn students(list: &[Student]) -> Table {
    let mut table = Table::new(["ID", "NAME", "GRADE", "EMAIL", "ORIGIN", "STATUS"]);
    for s in list {
        table.row([
            s.id.clone(),
            format!("{} {}", s.given_name, s.family_name),
            or_dash(s.grade.as_deref()),
            or_dash(s.email.as_deref()),
            s.origin.to_string(),
            s.status.to_string(),
        ]);
    }
    table
}

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
        ("updated", when(s.update_time)),
    ])
}

pub fn runs(list: &[SyncRun]) -> Table {
    let mut table = Table::new([
        "ID", "STATE", "PHASE", "TRIGGER", "DRY RUN", "ISSUES", "CREATED", "FINISHED",
    ]);
    for r in list {
        table.row([
            r.id.clone(),
            r.state.to_string(),
            r.phase.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            r.trigger.to_string(),
            r.dry_run.to_string(),
            r.issue_count.to_string(),
            when(r.create_time),
            when(r.finish_time),
        ]);
    }
    table
}

/// A run: its fields, then its counts per record kind.
pub fn run(r: &SyncRun) -> String {
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
        ("started", when(r.start_time)),
        ("finished", when(r.finish_time)),
    ];
    if let Some(phase) = r.phase {
        pairs.insert(3, ("phase", phase.to_string()));
    }
    if let Some(message) = &r.error_message {
        pairs.push(("error", message.clone()));
    }
    if let Some(block) = &r.safety_block {
        pairs.push(("blocked", block.to_string()));
    }
    let mut report = fields(&pairs).to_string();
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
    report.push('\n');
    report.push_str(&counts.to_string());
    report
}

pub fn issues(list: &[SyncIssue]) -> Table {
    let mut table = Table::new(["SEVERITY", "KIND", "CODE", "WHERE", "SOURCE ID", "MESSAGE"]);
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
            or_dash(i.source_id.as_deref()),
            i.message.clone(),
        ]);
    }
    table
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
