//! Values longer than the product stores (R3.4, security S5.2), checked once for every kind
//! of source: OneRoster CSV and REST, Clever. A record holding one is left out of the
//! snapshot with a `VALUE_TOO_LONG` error naming the field and the limit, so its row is
//! unreadable in this run and its stored record stays as it was. Nothing is ever cut short,
//! and no backend sees a value its column cannot hold (MySQL would refuse it with "Data too
//! long"; SQLite would store it).
//!
//! The limits are the columns' (`migrations/`): `VARCHAR(n)` counts characters, `TEXT`
//! holds 65,535 bytes. Fields are named as OneRoster names them, whatever the source, as
//! the planner's issues do.

use super::{Issue, SnapEnrollment, Snapshot, SourceRef};
use crate::domain::{IssueCode, RecordKind};

/// Source ids, SIS ids, names and class names: `VARCHAR(255)`.
pub const NAME_CHARS: usize = 255;
/// Emails: `VARCHAR(320)`.
pub const EMAIL_CHARS: usize = 320;
/// SMS and home phone numbers: `VARCHAR(32)`.
pub const PHONE_CHARS: usize = 32;
/// Language tags: `VARCHAR(35)`.
pub const LANGUAGE_CHARS: usize = 35;
/// A student's attributes, stored as JSON: `TEXT`, in bytes.
pub const ATTRIBUTES_BYTES: usize = 65_535;

/// What a run's issue can hold (`sync_issues`): the source id and the field name. An
/// issue about a value too long to store may be about a source id too long to store.
const ISSUE_SOURCE_ID_CHARS: usize = 255;
const ISSUE_FIELD_CHARS: usize = 64;

/// How a column counts its size.
#[derive(Debug, Clone, Copy)]
enum Limit {
    /// `VARCHAR(n)`: characters.
    Chars(usize),
    /// `TEXT`: bytes.
    Bytes(usize),
}

/// One stored value of a record: its field as OneRoster names it, the value, the limit.
type Field<'a> = (&'static str, &'a str, Limit);

const NAME: Limit = Limit::Chars(NAME_CHARS);

impl Snapshot {
    /// Leaves out every record holding a value longer than its column stores, each with a
    /// `VALUE_TOO_LONG` error (the first such field of the record is named). Issues
    /// already in the snapshot are made to fit the run's report.
    pub fn check_lengths(&mut self) {
        let mut issues = Vec::new();
        let mut check = |kind, at: &SourceRef, id: &str, fields: &[Field<'_>]| {
            let Some(issue) = too_long(kind, at, id, fields) else {
                return true;
            };
            issues.push(issue);
            false
        };
        self.schools.retain(|s| {
            let fields = [
                ("sourcedId", s.source_id.as_str(), NAME),
                ("identifier", &s.sis_id, NAME),
                ("name", &s.name, NAME),
            ];
            check(RecordKind::School, &s.at, &s.source_id, &fields)
        });
        self.students.retain(|s| {
            // Written out only when too long, to be named: counting needs no copy.
            let attributes = if json_len(&s.attributes) > ATTRIBUTES_BYTES {
                serde_json::to_string(&s.attributes).unwrap_or_default()
            } else {
                String::new()
            };
            let fields = [
                ("sourcedId", s.source_id.as_str(), NAME),
                ("identifier", &s.sis_id, NAME),
                ("givenName", &s.given_name, NAME),
                ("familyName", &s.family_name, NAME),
                ("email", &s.email, Limit::Chars(EMAIL_CHARS)),
                ("attributes", &attributes, Limit::Bytes(ATTRIBUTES_BYTES)),
            ];
            check(RecordKind::Student, &s.at, &s.source_id, &fields)
        });
        self.guardians.retain(|g| {
            let fields = account_fields(
                [&g.source_id, &g.sis_id, &g.given_name, &g.family_name],
                [&g.email, &g.sms_number, &g.home_phone, &g.language],
            );
            check(RecordKind::Guardian, &g.at, &g.source_id, &fields)
        });
        self.staff.retain(|s| {
            let fields = account_fields(
                [&s.source_id, &s.sis_id, &s.given_name, &s.family_name],
                [&s.email, &s.sms_number, &s.home_phone, &s.language],
            );
            check(RecordKind::Staff, &s.at, &s.source_id, &fields)
        });
        // Grades are not checked here: the planner keeps only grades of the vocabulary
        // (a few characters each), and leaves any other out with INVALID_GRADE (R3.4).
        self.classes.retain(|c| {
            let fields = [
                ("sourcedId", c.source_id.as_str(), NAME),
                ("classCode", &c.sis_id, NAME),
                ("title", &c.name, NAME),
            ];
            check(RecordKind::Class, &c.at, &c.source_id, &fields)
        });
        let mut enrollment = |kind, e: &SnapEnrollment| {
            let fields = [("sourcedId", e.source_id.as_str(), NAME)];
            check(kind, &e.at, &e.source_id, &fields)
        };
        self.student_enrollments
            .retain(|e| enrollment(RecordKind::StudentEnrollment, e));
        self.teacher_enrollments
            .retain(|e| enrollment(RecordKind::TeacherEnrollment, e));
        self.issues.extend(issues);
        for issue in &mut self.issues {
            fit_issue(issue);
        }
    }
}

/// The stored fields of a guardian or a staff member.
fn account_fields<'a>(names: [&'a str; 4], contact: [&'a str; 4]) -> [Field<'a>; 8] {
    let [source_id, sis_id, given, family] = names;
    let [email, sms, phone, language] = contact;
    [
        ("sourcedId", source_id, NAME),
        ("identifier", sis_id, NAME),
        ("givenName", given, NAME),
        ("familyName", family, NAME),
        ("email", email, Limit::Chars(EMAIL_CHARS)),
        ("sms", sms, Limit::Chars(PHONE_CHARS)),
        ("phone", phone, Limit::Chars(PHONE_CHARS)),
        ("language", language, Limit::Chars(LANGUAGE_CHARS)),
    ]
}

/// The issue for the first field of `fields` longer than its limit, if any.
fn too_long(kind: RecordKind, at: &SourceRef, id: &str, fields: &[Field<'_>]) -> Option<Issue> {
    fields.iter().find_map(|&(field, value, limit)| {
        let message = match limit {
            // No more characters than bytes: only a value of more bytes than the limit is
            // counted, and counting stops just past the limit.
            Limit::Chars(limit) if value.len() > limit && value.chars().nth(limit).is_some() => {
                format!(
                    "{field}: {} characters, longer than the limit of {limit}",
                    value.chars().count()
                )
            }
            Limit::Bytes(limit) if value.len() > limit => format!(
                "{field}: {} bytes as stored, longer than the limit of {limit}",
                value.len()
            ),
            _ => return None,
        };
        let message = format!("{message}; the row is skipped and nothing is cut short");
        Some(Issue::invalid(
            kind,
            IssueCode::ValueTooLong,
            at,
            id,
            field,
            message,
        ))
    })
}

/// The length in bytes of `value` written as JSON, as stored, counted without writing it.
fn json_len(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing into a counter fails only for a value JSON cannot hold, which a map of
    // strings is not.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// Makes an issue fit the run's report: a source id or a field name too long for it is
/// shortened there, marked with `…`. Only the report's copy is shortened; no record is
/// ever stored under a shortened id (its row is skipped above).
fn fit_issue(issue: &mut Issue) {
    clip(&mut issue.source_id, ISSUE_SOURCE_ID_CHARS);
    clip(&mut issue.field, ISSUE_FIELD_CHARS);
}

fn clip(text: &mut String, limit: usize) {
    if let Some((at, _)) = text.char_indices().nth(limit) {
        // Leave room for the mark within the limit.
        let keep = text[..at].char_indices().last().map_or(0, |(i, _)| i);
        text.truncate(keep);
        text.push('…');
    }
}

#[cfg(test)]
mod tests;
