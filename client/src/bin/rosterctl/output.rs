//! Printing results: aligned tables for people, JSON for scripts.

use crate::Failure;
use crate::cli::OutputFormat;
use roster_client::prost_types::Timestamp;
use roster_client::{
    AbandonedRecord, ApiKey, ApiKeyRole, AuditEvent, Class, ClassDetail, ClassMember, District,
    ErasedDistrict, Guardian, GuardianAccess, GuardianDetail, Person, School, StaffMember,
    StaffMemberDetail, Student, StudentDetail, Suppression, SyncHealth, SyncIssue, SyncRun,
    SyncSettings, Upload,
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

/// What a command prints for people: tables (a record's fields, then its lists), or a
/// sentence.
pub enum Report {
    Tables(Vec<Table>),
    Text(String),
}

impl From<Table> for Report {
    fn from(table: Table) -> Self {
        Report::Tables(vec![table])
    }
}

impl From<Vec<Table>> for Report {
    fn from(tables: Vec<Table>) -> Self {
        Report::Tables(tables)
    }
}

impl From<String> for Report {
    fn from(text: String) -> Self {
        Report::Text(text)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Tables(tables) => {
                for (i, table) in tables.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{table}")?;
                }
                Ok(())
            }
            Report::Text(text) => write!(f, "{text}"),
        }
    }
}

impl Report {
    /// The tables as CSV, a blank line between two; a sentence as a one-cell `message`
    /// table.
    fn to_csv(&self) -> Result<String, csv::Error> {
        let message;
        let tables = match self {
            Report::Tables(tables) => tables.as_slice(),
            Report::Text(text) => {
                let mut table = Table::new(["MESSAGE"]);
                table.row([text.trim_end().to_owned()]);
                message = [table];
                &message[..]
            }
        };
        let mut out = Vec::new();
        for (i, table) in tables.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            let mut writer = csv::Writer::from_writer(&mut out);
            for line in std::iter::once(&table.header).chain(&table.rows) {
                writer.write_record(line.iter().map(|cell| spreadsheet_safe(cell).into_owned()))?;
            }
            writer.flush()?;
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// A cell a spreadsheet would read as a formula (`=`, `@`, or `+`/`-` not starting a
/// number or phone number) gets a leading `'`, so a name in a district's file cannot run
/// in the admin's spreadsheet; `-` alone (no value) stays as it is.
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let numeric = |rest: &str| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || " ()-.+".contains(c))
    };
    let risky = match cell.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => cell.len() > 1 && !numeric(&cell[1..]),
        _ => false,
    };
    if risky {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Prints `value` as JSON, or as the tables (or text) `render` makes of it, aligned or
/// as CSV.
pub fn print<T, R>(
    format: OutputFormat,
    value: &T,
    render: impl FnOnce(&T) -> R,
) -> Result<(), Failure>
where
    T: Serialize + ?Sized,
    R: Into<Report>,
{
    match format {
        OutputFormat::Json => {
            let json = serde_json::to_string_pretty(value)
                .map_err(|e| Failure::Local(format!("cannot print JSON: {e}")))?;
            println!("{json}");
        }
        OutputFormat::Table => print!("{}", render(value).into()),
        OutputFormat::Csv => {
            let csv = render(value)
                .into()
                .to_csv()
                .map_err(|e| Failure::Local(format!("cannot print CSV: {e}")))?;
            print!("{csv}");
        }
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

fn name(given: &str, family: &str) -> String {
    format!("{given} {family}")
}

fn joined(list: &[String]) -> String {
    if list.is_empty() {
        "-".to_owned()
    } else {
        list.join(",")
    }
}

pub fn guardians(list: &[Guardian]) -> Table {
    let mut table = Table::new([
        "ID", "NAME", "EMAIL", "SMS", "PHONE", "LANGUAGE", "ORIGIN", "ACCOUNT", "STUDENTS",
    ]);
    for g in list {
        table.row([
            g.id.clone(),
            name(&g.given_name, &g.family_name),
            or_dash(g.email.as_deref()),
            or_dash(g.sms_number.as_deref()),
            or_dash(g.home_phone.as_deref()),
            or_dash(g.language.as_deref()),
            g.origin.to_string(),
            g.account_state.to_string(),
            joined(&g.student_ids),
        ]);
    }
    table
}

pub fn staff(list: &[StaffMember]) -> Table {
    let mut table = Table::new([
        "ID", "NAME", "ROLE", "EMAIL", "SMS", "ORIGIN", "ACCOUNT", "SCHOOLS",
    ]);
    for s in list {
        table.row([
            s.id.clone(),
            name(&s.given_name, &s.family_name),
            s.role.to_string(),
            or_dash(s.email.as_deref()),
            or_dash(s.sms_number.as_deref()),
            s.origin.to_string(),
            s.account_state.to_string(),
            joined(&s.school_ids),
        ]);
    }
    table
}

pub fn classes(list: &[Class]) -> Table {
    let mut table = Table::new(["ID", "NAME", "GRADES", "SCHOOL", "ORIGIN", "STATUS"]);
    for c in list {
        table.row([
            c.id.clone(),
            c.name.clone(),
            joined(&c.grades),
            c.school_id.clone(),
            c.origin.to_string(),
            c.status.to_string(),
        ]);
    }
    table
}

pub fn members(list: &[ClassMember]) -> Table {
    let mut table = Table::new(["ROLE", "ID", "NAME", "EMAIL", "ORIGIN", "STATUS"]);
    for m in list {
        let row = match m {
            ClassMember::Teacher(t) => [
                "teacher".to_owned(),
                t.id.clone(),
                name(&t.given_name, &t.family_name),
                or_dash(t.email.as_deref()),
                t.origin.to_string(),
                t.account_state.to_string(),
            ],
            ClassMember::Student(s) => [
                "student".to_owned(),
                s.id.clone(),
                name(&s.given_name, &s.family_name),
                or_dash(s.email.as_deref()),
                s.origin.to_string(),
                s.status.to_string(),
            ],
        };
        table.row(row);
    }
    table
}

/// Search results: one row per person whatever its kind, with what identifies it.
pub fn people(list: &[Person]) -> Table {
    let mut table = Table::new([
        "KIND",
        "ID",
        "NAME",
        "SOURCE ID",
        "SIS ID",
        "EMAIL",
        "ORIGIN",
        "STATUS",
    ]);
    for p in list {
        // (kind, id, given, family, source id, sis id, email, origin, status)
        let (kind, id, given, family, source_id, sis_id, email, origin, status) = match p {
            Person::Student(s) => (
                "student",
                &s.id,
                &s.given_name,
                &s.family_name,
                &s.source_id,
                &s.sis_id,
                &s.email,
                s.origin,
                s.status.to_string(),
            ),
            Person::Guardian(g) => (
                "guardian",
                &g.id,
                &g.given_name,
                &g.family_name,
                &g.source_id,
                &g.sis_id,
                &g.email,
                g.origin,
                g.account_state.to_string(),
            ),
            Person::Staff(s) => (
                "staff",
                &s.id,
                &s.given_name,
                &s.family_name,
                &s.source_id,
                &s.sis_id,
                &s.email,
                s.origin,
                s.account_state.to_string(),
            ),
        };
        table.row([
            kind.to_owned(),
            id.clone(),
            name(given, family),
            or_dash(source_id.as_deref()),
            or_dash(sis_id.as_deref()),
            or_dash(email.as_deref()),
            origin.to_string(),
            status,
        ]);
    }
    table
}

pub fn student_detail(d: &StudentDetail) -> Vec<Table> {
    let s = &d.student;
    let mut pairs = vec![
        ("id", s.id.clone()),
        ("name", name(&s.given_name, &s.family_name)),
        ("grade", or_dash(s.grade.as_deref())),
        ("email", or_dash(s.email.as_deref())),
        ("source id", or_dash(s.source_id.as_deref())),
        ("sis id", or_dash(s.sis_id.as_deref())),
        ("origin", s.origin.to_string()),
        ("status", s.status.to_string()),
        ("schools", joined(&s.school_ids)),
        ("updated", when(s.update_time)),
    ];
    let attributes: Vec<(String, String)> = s
        .attributes
        .iter()
        .map(|(k, v)| (format!("attribute {k}"), v.clone()))
        .collect();
    pairs.extend(attributes.iter().map(|(k, v)| (k.as_str(), v.clone())));
    vec![fields(&pairs), guardians(&d.guardians), classes(&d.classes)]
}

fn account_fields(g: &Guardian) -> Vec<(&'static str, String)> {
    vec![
        ("id", g.id.clone()),
        ("name", name(&g.given_name, &g.family_name)),
        ("email", or_dash(g.email.as_deref())),
        ("sms", or_dash(g.sms_number.as_deref())),
        ("phone", or_dash(g.home_phone.as_deref())),
        ("language", or_dash(g.language.as_deref())),
        ("source id", or_dash(g.source_id.as_deref())),
        ("sis id", or_dash(g.sis_id.as_deref())),
        ("origin", g.origin.to_string()),
        ("account", g.account_state.to_string()),
        ("updated", when(g.update_time)),
    ]
}

pub fn guardian_detail(d: &GuardianDetail) -> Vec<Table> {
    vec![fields(&account_fields(&d.guardian)), students(&d.students)]
}

pub fn staff_detail(d: &StaffMemberDetail) -> Vec<Table> {
    let s = &d.staff_member;
    let pairs = [
        ("id", s.id.clone()),
        ("name", name(&s.given_name, &s.family_name)),
        ("role", s.role.to_string()),
        ("email", or_dash(s.email.as_deref())),
        ("sms", or_dash(s.sms_number.as_deref())),
        ("phone", or_dash(s.home_phone.as_deref())),
        ("language", or_dash(s.language.as_deref())),
        ("source id", or_dash(s.source_id.as_deref())),
        ("sis id", or_dash(s.sis_id.as_deref())),
        ("origin", s.origin.to_string()),
        ("account", s.account_state.to_string()),
        ("schools", joined(&s.school_ids)),
        ("updated", when(s.update_time)),
    ];
    vec![fields(&pairs), classes(&d.classes)]
}

pub fn class_detail(d: &ClassDetail) -> Vec<Table> {
    let c = &d.class;
    let pairs = [
        ("id", c.id.clone()),
        ("name", c.name.clone()),
        ("grades", joined(&c.grades)),
        ("school", format!("{} ({})", d.school.name, d.school.id)),
        ("source id", or_dash(c.source_id.as_deref())),
        ("sis id", or_dash(c.sis_id.as_deref())),
        ("origin", c.origin.to_string()),
        ("status", c.status.to_string()),
        ("updated", when(c.update_time)),
    ];
    vec![fields(&pairs)]
}

/// What a guardian reaches: the guardian, then its students, schools and classrooms.
pub fn access(a: &GuardianAccess) -> Vec<Table> {
    let mut content = classes(&a.student_content_classes);
    content.header[0] = "CONTENT CLASS ID".to_owned();
    vec![
        fields(&account_fields(&a.guardian)),
        students(&a.students),
        schools(&a.schools),
        classes(&a.classes),
        content,
    ]
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
