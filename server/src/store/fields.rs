//! A stored record as a person reads it: its fields as text, in the order they read, and
//! the difference of two versions of it. A plan's review (R9.1) and a record's history
//! (R9.3) show changes through this, whether a run or an edit made them.

use super::models::*;
use crate::domain::RecordKind;

/// One field of a change: name, old value, new value (empty when there is none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct FieldChange(pub String, pub String, pub String);

impl FieldChange {
    /// Field changes as the store keeps them (planned changes, history): a JSON array of
    /// `[field, old, new]`.
    pub fn to_json(fields: &[FieldChange]) -> String {
        serde_json::to_string(fields).unwrap_or_else(|_| "[]".into())
    }

    /// What [`FieldChange::to_json`] wrote; nothing for text that does not read.
    pub fn from_json(text: &str) -> Vec<FieldChange> {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// A stored record kind as a change shows it.
pub trait Reviewed: std::fmt::Debug {
    const KIND: RecordKind;
    fn id(&self) -> i64;
    fn source_id(&self) -> Option<&str>;
    fn display_name(&self) -> String;
    fn school(&self) -> Option<i64> {
        None
    }
    fn archived(&self) -> bool {
        false
    }
    /// The fields a person reads, in the order they read; a school by `school`'s label.
    fn fields(&self, school: &Labels) -> Vec<(&'static str, String)>;
}

/// How a reference to a school reads: its source id where the caller knows it.
pub type Labels<'a> = dyn Fn(i64) -> String + 'a;

/// A school as `#id`, for a caller that does not look source ids up.
pub fn by_id(id: i64) -> String {
    format!("#{id}")
}

/// The fields of `before` and `after` that differ: a change of the record.
pub fn differences<T: Reviewed>(before: &T, after: &T, school: &Labels) -> Vec<FieldChange> {
    before
        .fields(school)
        .into_iter()
        .zip(after.fields(school))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((f, a), (_, b))| FieldChange(f.into(), a, b))
        .collect()
}

/// A record's fields and their values now, a school by id.
pub fn values<T: Reviewed>(record: &T) -> Vec<(String, String)> {
    record
        .fields(&by_id)
        .into_iter()
        .map(|(f, v)| (f.to_owned(), v))
        .collect()
}

/// A stored record's id and, when a source gave it, its source id.
macro_rules! identity {
    () => {
        fn id(&self) -> i64 {
            self.id
        }
        fn source_id(&self) -> Option<&str> {
            self.source_id.as_deref()
        }
    };
}

/// A record that is archived rather than removed.
macro_rules! archivable {
    () => {
        fn archived(&self) -> bool {
            self.archived_at.is_some()
        }
    };
}

fn person_name(given: &str, family: &str) -> String {
    format!("{given} {family}").trim().to_owned()
}

impl Reviewed for School {
    const KIND: RecordKind = RecordKind::School;
    identity!();
    fn display_name(&self) -> String {
        self.name.clone()
    }
    fn school(&self) -> Option<i64> {
        Some(self.id)
    }
    archivable!();
    fn fields(&self, _: &Labels) -> Vec<(&'static str, String)> {
        vec![("sis_id", self.sis_id.clone()), ("name", self.name.clone())]
    }
}

impl Reviewed for Student {
    const KIND: RecordKind = RecordKind::Student;
    identity!();
    fn display_name(&self) -> String {
        person_name(&self.given_name, &self.family_name)
    }
    archivable!();
    fn fields(&self, _: &Labels) -> Vec<(&'static str, String)> {
        vec![
            ("sis_id", self.sis_id.to_string()),
            ("given_name", self.given_name.to_string()),
            ("family_name", self.family_name.to_string()),
            ("email", self.email.to_string()),
            ("grade", self.grade.to_string()),
            ("attributes", attributes(&self.attributes)),
        ]
    }
}

/// Stored attributes are a JSON object; none reads as nothing.
fn attributes(json: &str) -> String {
    match json {
        "" | "{}" => String::new(),
        other => other.to_owned(),
    }
}

/// Guardians and staff share their contact fields.
macro_rules! contact_fields {
    ($row:expr) => {
        [
            ("sis_id", $row.sis_id.to_string()),
            ("given_name", $row.given_name.to_string()),
            ("family_name", $row.family_name.to_string()),
            ("email", $row.email.to_string()),
            ("sms_number", $row.sms_number.to_string()),
            ("home_phone", $row.home_phone.to_string()),
            ("language", $row.language.to_string()),
        ]
    };
}

impl Reviewed for Guardian {
    const KIND: RecordKind = RecordKind::Guardian;
    identity!();
    fn display_name(&self) -> String {
        person_name(&self.given_name, &self.family_name)
    }
    fn fields(&self, _: &Labels) -> Vec<(&'static str, String)> {
        contact_fields!(self).to_vec()
    }
}

impl Reviewed for Staff {
    const KIND: RecordKind = RecordKind::Staff;
    identity!();
    fn display_name(&self) -> String {
        person_name(&self.given_name, &self.family_name)
    }
    fn fields(&self, _: &Labels) -> Vec<(&'static str, String)> {
        let mut fields = contact_fields!(self).to_vec();
        fields.push(("role", self.role.to_string()));
        fields
    }
}

impl Reviewed for Class {
    const KIND: RecordKind = RecordKind::Class;
    identity!();
    fn display_name(&self) -> String {
        self.name.clone()
    }
    fn school(&self) -> Option<i64> {
        Some(self.school_id)
    }
    archivable!();
    fn fields(&self, school: &Labels) -> Vec<(&'static str, String)> {
        vec![
            ("sis_id", self.sis_id.clone()),
            ("name", self.name.clone()),
            ("grades", self.grades.clone()),
            ("school", school(self.school_id)),
            (
                "term_end",
                self.term_end_date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
        ]
    }
}
