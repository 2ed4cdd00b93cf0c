//! Manual changes to manual records and memberships (R1.3): archiving and restoring a
//! student or class, removing a class member, a guardian's link or a school member. A sis
//! record, or a membership the sync manages, is refused with `MANAGED_BY_SYNC`: the sync
//! archives, restores and removes those itself (R5, R6).

use super::edits::{MANAGED_BY_SYNC, changed_meanwhile, student_view};
use super::journal::{self, Membership};
use super::views::{
    GuardianView, StudentView, guardian_views, one, require_class, require_guardian,
    require_school_any, require_staff, require_student,
};
use crate::domain::{Caller, Error, Origin, RecordKind, Result, now};
use crate::store::Store;
use crate::store::models::Class;
use crate::store::queries::edits as e;

/// A sis record is the sync's to archive and restore.
fn refuse_sis(what: &str, origin: Origin, rule: &str) -> Result<()> {
    if origin == Origin::Sis {
        return Err(Error::precondition(
            MANAGED_BY_SYNC,
            format!("{what} is a sis record: the roster sync archives and restores it ({rule})"),
        ));
    }
    Ok(())
}

/// Whether the sync manages a membership or link of `origin` between records of origins
/// `a` and `b`: a sis one, or any one between two sis records (R1.4). The same test as
/// the sync's own (`sync::plan::managed`), so what is refused here is what a run keeps
/// or abandons.
fn refuse_managed_link(what: &str, origin: Origin, a: Origin, b: Origin) -> Result<()> {
    if origin == Origin::Sis || (a == Origin::Sis && b == Origin::Sis) {
        return Err(Error::precondition(
            MANAGED_BY_SYNC,
            format!("{what} is managed by the roster sync (R1.4, R5); change it in the SIS"),
        ));
    }
    Ok(())
}

/// Archives (`archive`) or restores a manual student. Archiving an archived student (or
/// restoring an active one) changes nothing and keeps the first archive time.
pub async fn set_student_archived(
    store: &Store,
    by: &Caller,
    id: i64,
    archive: bool,
) -> Result<StudentView> {
    let mut conn = store.conn().await?;
    let what = format!("student {id}");
    let rule = "R5.7, R6";
    let row = require_student(&mut conn, id).await?;
    refuse_sis(&what, row.origin, rule)?;
    if row.archived_at.is_some() != archive {
        let made = journal::archived((row.district_id, RecordKind::Student, id), archive);
        journal::write(&mut conn, by, made, move |c| {
            let what = what.clone();
            Box::pin(async move {
                let now = now();
                if !e::set_student_archived(c, id, archive.then_some(now), now).await? {
                    // Another call archived it, or a sync associated it, in between.
                    refuse_sis(&what, require_student(c, id).await?.origin, rule)?;
                }
                Ok(())
            })
        })
        .await?;
    }
    student_view(&mut conn, id).await
}

/// Archives (`archive`) or restores a manual class; it keeps its members either way
/// (R5.3).
pub async fn set_class_archived(
    store: &Store,
    by: &Caller,
    id: i64,
    archive: bool,
) -> Result<Class> {
    let mut conn = store.conn().await?;
    let what = format!("class {id}");
    let rule = "R5.3, R5.7";
    let row = require_class(&mut conn, id).await?;
    refuse_sis(&what, row.origin, rule)?;
    if row.archived_at.is_some() != archive {
        let made = journal::archived((row.district_id, RecordKind::Class, id), archive);
        journal::write(&mut conn, by, made, move |c| {
            let what = what.clone();
            Box::pin(async move {
                let now = now();
                if !e::set_class_archived(c, id, archive.then_some(now), now).await? {
                    refuse_sis(&what, require_class(c, id).await?.origin, rule)?;
                }
                Ok(())
            })
        })
        .await?;
    }
    require_class(&mut conn, id).await
}

/// Removes a student or teacher from a class.
pub async fn remove_class_member(
    store: &Store,
    by: &Caller,
    class_id: i64,
    user_id: i64,
) -> Result<()> {
    let mut conn = store.conn().await?;
    let class = require_class(&mut conn, class_id).await?;
    let key = (class_id, user_id);
    let (kind, origin) = if let Some(m) = e::get_class_student(&mut conn, key).await? {
        let student = require_student(&mut conn, user_id).await?;
        let what = format!("the enrollment of student {user_id} in class {class_id}");
        refuse_managed_link(&what, m.origin, class.origin, student.origin)?;
        (RecordKind::StudentEnrollment, m.origin)
    } else if let Some(m) = e::get_class_teacher(&mut conn, key).await? {
        let teacher = require_staff(&mut conn, user_id).await?;
        let what = format!("the enrollment of teacher {user_id} in class {class_id}");
        refuse_managed_link(&what, m.origin, class.origin, teacher.origin)?;
        (RecordKind::TeacherEnrollment, m.origin)
    } else {
        return Err(Error::not_found(format!(
            "member {user_id} of class {class_id}"
        )));
    };
    let made = Membership {
        district_id: class.district_id,
        kind,
        person: user_id,
        field: "class",
        other: class_id,
        other_source_id: class.source_id.as_deref(),
    }
    .edit(false);
    journal::write(&mut conn, by, made, move |c| {
        Box::pin(async move {
            let removed = if kind == RecordKind::StudentEnrollment {
                e::delete_class_student(c, key, origin).await?
            } else {
                e::delete_class_teacher(c, key, origin).await?
            };
            removed.then_some(()).ok_or_else(|| {
                changed_meanwhile(&format!("the membership of {user_id} in class {class_id}"))
            })
        })
    })
    .await
}

/// Disconnects a guardian from a student.
pub async fn unlink_guardian(
    store: &Store,
    by: &Caller,
    guardian_id: i64,
    student_id: i64,
) -> Result<GuardianView> {
    let mut conn = store.conn().await?;
    let guardian = require_guardian(&mut conn, guardian_id).await?;
    let key = (student_id, guardian_id);
    let link = e::get_family_link(&mut conn, key).await?.ok_or_else(|| {
        Error::not_found(format!(
            "link of guardian {guardian_id} to student {student_id}"
        ))
    })?;
    let student = require_student(&mut conn, student_id).await?;
    let what = format!("the link of guardian {guardian_id} to student {student_id}");
    refuse_managed_link(&what, link.origin, student.origin, guardian.origin)?;
    let made = Membership {
        district_id: guardian.district_id,
        kind: RecordKind::FamilyRelationship,
        person: guardian_id,
        field: "student",
        other: student_id,
        other_source_id: student.source_id.as_deref(),
    }
    .edit(false);
    let origin = link.origin;
    journal::write(&mut conn, by, made, move |c| {
        let what = what.clone();
        Box::pin(async move {
            let removed = e::delete_family_link(c, key, origin).await?;
            removed
                .then_some(())
                .ok_or_else(|| changed_meanwhile(&what))
        })
    })
    .await?;
    one(guardian_views(&mut conn, vec![guardian]).await?)
}

/// Removes a student or staff member from a school: only that membership (class
/// memberships stay until removed one by one).
pub async fn remove_school_member(
    store: &Store,
    by: &Caller,
    school_id: i64,
    user_id: i64,
) -> Result<()> {
    let mut conn = store.conn().await?;
    let school = require_school_any(&mut conn, school_id).await?;
    let key = (school_id, user_id);
    let (kind, origin) = if let Some(m) = e::get_school_student(&mut conn, key).await? {
        let student = require_student(&mut conn, user_id).await?;
        let what = format!("the membership of student {user_id} in school {school_id}");
        refuse_managed_link(&what, m.origin, school.origin, student.origin)?;
        (RecordKind::Student, m.origin)
    } else if let Some(m) = e::get_school_staff(&mut conn, key).await? {
        let staff = require_staff(&mut conn, user_id).await?;
        let what = format!("the membership of staff member {user_id} in school {school_id}");
        refuse_managed_link(&what, m.origin, school.origin, staff.origin)?;
        (RecordKind::Staff, m.origin)
    } else {
        return Err(Error::not_found(format!(
            "member {user_id} of school {school_id}"
        )));
    };
    let made = Membership {
        district_id: school.district_id,
        kind,
        person: user_id,
        field: "school",
        other: school_id,
        other_source_id: school.source_id.as_deref(),
    }
    .edit(false);
    journal::write(&mut conn, by, made, move |c| {
        Box::pin(async move {
            let removed = if kind == RecordKind::Student {
                e::delete_school_student(c, key, origin).await?
            } else {
                e::delete_school_staff(c, key, origin).await?
            };
            removed.then_some(()).ok_or_else(|| {
                changed_meanwhile(&format!(
                    "the membership of {user_id} in school {school_id}"
                ))
            })
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_4_a_link_between_two_sis_records_is_the_syncs() {
        use Origin::{Manual, Sis};
        assert!(refuse_managed_link("l", Sis, Manual, Manual).is_err());
        assert!(refuse_managed_link("l", Manual, Sis, Sis).is_err());
        assert!(refuse_managed_link("l", Manual, Sis, Manual).is_ok());
        assert!(refuse_managed_link("l", Manual, Manual, Sis).is_ok());
    }
}
