//! Academic sessions (OneRoster `academicSessions`, Clever `terms`), read for one thing: when
//! each class's term ends (R5.10). Sessions are not stored; each reader resolves the
//! sessions a class names into the latest end date, which the class carries.
//!
//! A session is no record of the roster, so what is wrong with one is a warning filed
//! under the classes it is for (`RecordKind::Class`), never an invalid class: an unusable
//! session leaves the term end of its classes as stored (R3.4), and nothing else changes.

use crate::domain::{IssueCode, RecordKind, Severity};
use crate::snapshot::{Issue, SourceRef, TermEnd};
use chrono::NaiveDate;
use std::collections::HashMap;

/// The sessions one source lists.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    /// By source id: the session's end, or `None` when it is listed but unusable (deleted,
    /// or its end date missing or bad: reported where it was read).
    ends: HashMap<String, Option<NaiveDate>>,
    /// Whether the source lists every session: a class naming one it does not list is
    /// then reported. A delta lists only changes, and says nothing of the others.
    complete: bool,
    /// What the collection is called in messages (`academicSessions.csv`, `terms`).
    name: String,
}

impl Sessions {
    pub fn new(name: &str, complete: bool) -> Self {
        Sessions {
            ends: HashMap::new(),
            complete,
            name: name.to_owned(),
        }
    }

    /// A session listed but not usable: classes naming it keep their stored term end.
    pub fn unusable(&mut self, id: &str) {
        self.ends.insert(id.to_owned(), None);
    }

    /// Reads a session's end date (`field` names it in issues), reporting a missing or bad
    /// one, and records the session.
    pub fn add(
        &mut self,
        id: &str,
        end: &str,
        at: &SourceRef,
        field: &str,
        issues: &mut Vec<Issue>,
    ) {
        let kind = RecordKind::Class;
        let parsed = if end.is_empty() {
            issues.push(Issue::warning(
                kind,
                IssueCode::MissingField,
                at,
                id,
                field,
                format!("{field} is empty; the classes of this session keep their stored term end"),
            ));
            None
        } else {
            let parsed = parse_date(end);
            if parsed.is_none() {
                issues.push(Issue::warning(
                    kind,
                    IssueCode::InvalidDate,
                    at,
                    id,
                    field,
                    format!(
                        "{field} `{end}` is not a date (YYYY-MM-DD); the classes of this session keep their stored term end"
                    ),
                ));
            }
            parsed
        };
        self.ends.insert(id.to_owned(), parsed);
    }

    /// When the term of class `class` (read at `at`), naming sessions `ids` in `field`,
    /// ends: the latest end of its sessions. A session the source does not list is
    /// reported (`UNKNOWN_REFERENCE`, a warning: the class is read) when the sessions are
    /// complete; that, or an unusable session, leaves the term end unknown.
    pub fn class_end(
        &self,
        class: &str,
        ids: &[String],
        at: &SourceRef,
        field: &str,
        issues: &mut Vec<Issue>,
    ) -> TermEnd {
        let mut latest: Option<NaiveDate> = None;
        let mut known = true;
        for id in ids {
            match self.ends.get(id) {
                Some(Some(end)) => latest = latest.max(Some(*end)),
                Some(None) => known = false,
                None => {
                    known = false;
                    if self.complete {
                        issues.push(Issue::warning(
                            RecordKind::Class,
                            IssueCode::UnknownReference,
                            at,
                            class,
                            field,
                            format!(
                                "session `{id}` is not in {}; the class keeps its stored term end",
                                self.name
                            ),
                        ));
                    }
                }
            }
        }
        match latest {
            _ if !known => TermEnd::Unknown,
            Some(end) => TermEnd::On(end),
            None => TermEnd::NoTerm,
        }
    }
}

/// A session date: `YYYY-MM-DD`, or a date-time whose date is taken (exporters that write
/// `dateLastModified` as a date-time do the same with session dates, R8.1).
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let date = match text.get(10..11) {
        Some("T" | "t" | " ") => &text[..10],
        _ => text,
    };
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// Issues found reading the session rows themselves (a missing or repeated id, a bad
/// status) are warnings: a session is no record of the roster, and skipping it costs only
/// the term end of its classes, which stays as stored.
pub(crate) fn as_warnings(issues: &mut [Issue]) {
    for issue in issues {
        if issue.severity == Severity::Error {
            issue.severity = Severity::Warning;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::CsvFile;

    #[test]
    fn dates_read_as_oneroster_writes_them() {
        let d = NaiveDate::from_ymd_opt(2025, 6, 13);
        assert_eq!(parse_date("2025-06-13"), d);
        assert_eq!(parse_date("2025-06-13T23:59:59.000Z"), d);
        assert_eq!(parse_date("2025-6-13x"), None);
        assert_eq!(parse_date("13/06/2025"), None);
        assert_eq!(parse_date("2025-02-30"), None);
        assert_eq!(parse_date("é"), None);
    }

    // R5.10: a class with several terms ends with the latest; an unusable or unlisted one
    // makes its end unknown, reported only when the sessions are the whole list.
    #[test]
    fn r5_10_a_class_ends_with_its_latest_term() {
        let at = SourceRef::csv(CsvFile::AcademicSessions, 2);
        let mut issues = Vec::new();
        let mut s = Sessions::new("academicSessions.csv", true);
        s.add("fall", "2025-01-17", &at, "endDate", &mut issues);
        s.add("spring", "2025-06-13", &at, "endDate", &mut issues);
        s.add("bad", "June", &at, "endDate", &mut issues);
        s.unusable("gone");
        assert_eq!(issues.len(), 1);
        assert_eq!(
            (issues[0].code, issues[0].severity, issues[0].field.as_str()),
            (IssueCode::InvalidDate, Severity::Warning, "endDate")
        );
        issues.clear();
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let end = |v: &[&str], issues: &mut Vec<Issue>| {
            s.class_end("c", &ids(v), &at, "termSourcedIds", issues)
        };
        assert_eq!(
            end(&["spring", "fall"], &mut issues),
            TermEnd::On(NaiveDate::from_ymd_opt(2025, 6, 13).unwrap())
        );
        assert_eq!(end(&[], &mut issues), TermEnd::NoTerm);
        assert_eq!(end(&["fall", "bad"], &mut issues), TermEnd::Unknown);
        assert_eq!(end(&["gone"], &mut issues), TermEnd::Unknown);
        assert!(issues.is_empty());
        assert_eq!(end(&["fall", "nowhere"], &mut issues), TermEnd::Unknown);
        assert_eq!(issues[0].code, IssueCode::UnknownReference);
        assert_eq!(issues[0].severity, Severity::Warning);

        let delta = Sessions::new("academicSessions.csv", false);
        let mut none = Vec::new();
        assert_eq!(
            delta.class_end("c", &ids(&["x"]), &at, "termSourcedIds", &mut none),
            TermEnd::Unknown
        );
        assert!(none.is_empty(), "a delta says nothing of unlisted sessions");
    }
}
