//! Manual edits (R1.3): field-masked updates of people and classes. Archiving and
//! removing memberships are in `removals`.
//!
//! What the sync manages is refused with FAILED_PRECONDITION, reason `MANAGED_BY_SYNC`:
//! the next run would undo the edit, or a sync never updates the record again (R4.7).
//! That is a sis record's synced fields (R4.1 to R4.4; a guardian's or staff member's
//! language is set only when the sync creates it, R2.2, so it stays editable), archiving
//! a sis student or class (R5.3, R6), and a membership or link the sync manages (a sis
//! one, or any one between two sis records, R1.4, as the sync decides in
//! `sync::plan::managed`). Manual records take every edit.

use super::districts::required_name;
use super::journal;
use super::values::{class_grades, grade, language};
use super::views::{
    GuardianView, StaffView, StudentView, guardian_views, one, require_class, require_guardian,
    require_staff, require_student, staff_views, student_views,
};
use crate::domain::{Caller, Error, Origin, Result, Violations, now};
use crate::store::models::Class;
use crate::store::queries::edits::{
    self as e, ClassChanges, GuardianChanges, StaffChanges, StudentChanges,
};
use crate::store::{DbConn, Store};

/// The FAILED_PRECONDITION reason of an edit the sync would undo.
pub const MANAGED_BY_SYNC: &str = "MANAGED_BY_SYNC";

/// Paths an update of a student may name; all are synced for a sis student (R4.1).
pub const STUDENT_FIELDS: &[&str] = &["given_name", "family_name", "grade"];
/// Paths an update of a guardian may name; the names are synced (R4.2), not the language.
pub const GUARDIAN_FIELDS: &[&str] = &["given_name", "family_name", "language"];
/// Paths an update of a staff member may name; the names are synced (R4.3).
pub const STAFF_FIELDS: &[&str] = &["given_name", "family_name", "language"];
/// Paths an update of a class may name; both are synced for a sis class (R4.4).
pub const CLASS_FIELDS: &[&str] = &["name", "grades"];
const SYNCED_NAMES: &[&str] = &["given_name", "family_name"];

/// The fields an update names, each one of those the call edits.
#[derive(Debug, Clone)]
struct Mask(Vec<&'static str>);

impl Mask {
    /// Reads `update_mask.paths`: none, or one the call does not edit, is INVALID_ARGUMENT.
    fn parse(paths: &[String], editable: &'static [&'static str]) -> Result<Self> {
        let names = editable.join(", ");
        if paths.is_empty() {
            return Err(Error::invalid(
                "update_mask",
                format!("must name at least one of {names}"),
            ));
        }
        let mut fields = Vec::new();
        for path in paths {
            match editable.iter().find(|f| **f == path.as_str()) {
                Some(f) if !fields.contains(f) => fields.push(*f),
                Some(_) => {}
                None => {
                    return Err(Error::invalid(
                        "update_mask",
                        format!("unknown path `{path}` (use {names})"),
                    ));
                }
            }
        }
        Ok(Mask(fields))
    }

    fn has(&self, field: &str) -> bool {
        self.0.contains(&field)
    }

    /// Refuses the fields of a sis record that the sync manages (`rule` says which).
    fn refuse_synced(&self, what: &str, origin: Origin, synced: &[&str], rule: &str) -> Result<()> {
        let refused: Vec<&str> = self
            .0
            .iter()
            .copied()
            .filter(|f| synced.contains(f))
            .collect();
        if origin != Origin::Sis || refused.is_empty() {
            return Ok(());
        }
        Err(Error::precondition(
            MANAGED_BY_SYNC,
            format!(
                "{} of {what} {} managed by the roster sync ({rule}); change {} in the SIS",
                refused.join(", "),
                if refused.len() == 1 { "is" } else { "are" },
                if refused.len() == 1 { "it" } else { "them" },
            ),
        ))
    }
}

/// A conditional write matched nothing: the record changed between the check and the
/// write (a sync associated it, or another call got there first).
pub(super) fn changed_meanwhile(what: &str) -> Error {
    Error::Conflict(format!("{what} changed while it was being edited"))
}

/// The value of `field` when the mask names it, checked by `check`.
fn masked<T>(
    v: &mut Violations,
    mask: &Mask,
    field: &str,
    check: impl FnOnce() -> Result<T>,
) -> Result<Option<T>> {
    if mask.has(field) {
        v.check(check())
    } else {
        Ok(None)
    }
}

/// New values of UpdateStudent (only the fields the mask names are read).
#[derive(Debug, Clone, Default)]
pub struct StudentEdit {
    pub given_name: String,
    pub family_name: String,
    pub grade: String,
}

pub async fn update_student(
    store: &Store,
    by: &Caller,
    id: i64,
    edit: StudentEdit,
    paths: &[String],
) -> Result<StudentView> {
    let mask = Mask::parse(paths, STUDENT_FIELDS)?;
    let mut conn = store.conn().await?;
    let row = require_student(&mut conn, id).await?;
    let what = format!("student {id}");
    mask.refuse_synced(&what, row.origin, STUDENT_FIELDS, "R4.1")?;
    let mut v = Violations::default();
    let changes = StudentChanges {
        given_name: masked(&mut v, &mask, "given_name", || {
            required_name("given_name", &edit.given_name)
        })?,
        family_name: masked(&mut v, &mask, "family_name", || {
            required_name("family_name", &edit.family_name)
        })?,
        grade: masked(&mut v, &mask, "grade", || grade("grade", &edit.grade))?,
        updated_at: now(),
    };
    v.into_result()?;
    let origin = row.origin;
    let after = journal::update(&mut conn, by, row.district_id, &row, move |c| {
        let (changes, what) = (changes.clone(), what.clone());
        Box::pin(async move {
            if !e::update_student(c, id, origin, &changes).await? {
                return Err(changed_meanwhile(&what));
            }
            require_student(c, id).await
        })
    })
    .await?;
    one(student_views(&mut conn, vec![after]).await?)
}

/// New values of UpdateGuardian and UpdateStaffMember.
#[derive(Debug, Clone, Default)]
pub struct AccountEdit {
    pub given_name: String,
    pub family_name: String,
    pub language: String,
}

/// The checked values of an account edit: (given name, family name, language).
type AccountValues = (Option<String>, Option<String>, Option<String>);

fn account_values(edit: &AccountEdit, mask: &Mask) -> Result<AccountValues> {
    let mut v = Violations::default();
    let values = (
        masked(&mut v, mask, "given_name", || {
            required_name("given_name", &edit.given_name)
        })?,
        masked(&mut v, mask, "family_name", || {
            required_name("family_name", &edit.family_name)
        })?,
        masked(&mut v, mask, "language", || {
            language("language", &edit.language)
        })?,
    );
    v.into_result()?;
    Ok(values)
}

pub async fn update_guardian(
    store: &Store,
    by: &Caller,
    id: i64,
    edit: AccountEdit,
    paths: &[String],
) -> Result<GuardianView> {
    let mask = Mask::parse(paths, GUARDIAN_FIELDS)?;
    let mut conn = store.conn().await?;
    let row = require_guardian(&mut conn, id).await?;
    let what = format!("guardian {id}");
    mask.refuse_synced(&what, row.origin, SYNCED_NAMES, "R4.2")?;
    let (given_name, family_name, language) = account_values(&edit, &mask)?;
    let changes = GuardianChanges {
        given_name,
        family_name,
        language,
        updated_at: now(),
    };
    let origin = row.origin;
    let after = journal::update(&mut conn, by, row.district_id, &row, move |c| {
        let (changes, what) = (changes.clone(), what.clone());
        Box::pin(async move {
            if !e::update_guardian(c, id, origin, &changes).await? {
                return Err(changed_meanwhile(&what));
            }
            require_guardian(c, id).await
        })
    })
    .await?;
    one(guardian_views(&mut conn, vec![after]).await?)
}

pub async fn update_staff(
    store: &Store,
    by: &Caller,
    id: i64,
    edit: AccountEdit,
    paths: &[String],
) -> Result<StaffView> {
    let mask = Mask::parse(paths, STAFF_FIELDS)?;
    let mut conn = store.conn().await?;
    let row = require_staff(&mut conn, id).await?;
    let what = format!("staff member {id}");
    mask.refuse_synced(&what, row.origin, SYNCED_NAMES, "R4.3")?;
    let (given_name, family_name, language) = account_values(&edit, &mask)?;
    let changes = StaffChanges {
        given_name,
        family_name,
        language,
        updated_at: now(),
    };
    let origin = row.origin;
    let after = journal::update(&mut conn, by, row.district_id, &row, move |c| {
        let (changes, what) = (changes.clone(), what.clone());
        Box::pin(async move {
            if !e::update_staff(c, id, origin, &changes).await? {
                return Err(changed_meanwhile(&what));
            }
            require_staff(c, id).await
        })
    })
    .await?;
    one(staff_views(&mut conn, vec![after]).await?)
}

/// New values of UpdateClass.
#[derive(Debug, Clone, Default)]
pub struct ClassEdit {
    pub name: String,
    pub grades: Vec<String>,
}

pub async fn update_class(
    store: &Store,
    by: &Caller,
    id: i64,
    edit: ClassEdit,
    paths: &[String],
) -> Result<Class> {
    let mask = Mask::parse(paths, CLASS_FIELDS)?;
    let mut conn = store.conn().await?;
    let row = require_class(&mut conn, id).await?;
    let what = format!("class {id}");
    mask.refuse_synced(&what, row.origin, CLASS_FIELDS, "R4.4")?;
    let mut v = Violations::default();
    let changes = ClassChanges {
        name: masked(&mut v, &mask, "name", || required_name("name", &edit.name))?,
        grades: masked(&mut v, &mask, "grades", || class_grades(&edit.grades))?,
        updated_at: now(),
    };
    v.into_result()?;
    let origin = row.origin;
    journal::update(&mut conn, by, row.district_id, &row, move |c| {
        let (changes, what) = (changes.clone(), what.clone());
        Box::pin(async move {
            if !e::update_class(c, id, origin, &changes).await? {
                return Err(changed_meanwhile(&what));
            }
            require_class(c, id).await
        })
    })
    .await
}

pub(super) async fn student_view(conn: &mut DbConn, id: i64) -> Result<StudentView> {
    let row = require_student(conn, id).await?;
    one(student_views(conn, vec![row]).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn masks_name_known_fields_only() {
        assert!(Mask::parse(&[], STUDENT_FIELDS).is_err());
        let err = Mask::parse(&paths(&["email"]), STUDENT_FIELDS).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("update_mask: unknown path `email`")
        );
        let mask = Mask::parse(&paths(&["grade", "grade"]), STUDENT_FIELDS).unwrap();
        assert_eq!(mask.0, vec!["grade"]);
    }

    #[test]
    fn r4_2_a_sis_guardians_names_are_refused_its_language_is_not() {
        let names = Mask::parse(&paths(&["language", "given_name"]), GUARDIAN_FIELDS).unwrap();
        let err = names
            .refuse_synced("guardian 1", Origin::Sis, SYNCED_NAMES, "R4.2")
            .unwrap_err();
        assert!(
            matches!(&err, Error::FailedPrecondition { reason, message }
                if *reason == MANAGED_BY_SYNC && message.starts_with("given_name of guardian 1 is managed")),
            "{err:?}"
        );
        let language = Mask::parse(&paths(&["language"]), GUARDIAN_FIELDS).unwrap();
        assert!(
            language
                .refuse_synced("guardian 1", Origin::Sis, SYNCED_NAMES, "R4.2")
                .is_ok()
        );
        // R4.7: a manual record takes every field.
        assert!(
            names
                .refuse_synced("guardian 1", Origin::Manual, SYNCED_NAMES, "R4.2")
                .is_ok()
        );
    }
}
