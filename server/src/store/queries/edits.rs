//! Manual edits: changed fields of people and classes, archiving and restoring, and
//! removing memberships and links. Each write holds only while the row is still what the
//! directory checked (its origin, its archive state): a sync that associated the record
//! in between (R1.4) makes the write match nothing rather than overwrite the sync's
//! values. Each returns whether it matched a row.

use crate::domain::Origin;
use crate::store::models::{ClassStudent, ClassTeacher, FamilyLink, SchoolStaff, SchoolStudent};
use crate::store::schema::*;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// A student's changed fields (`None` stays as stored).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = students)]
pub struct StudentChanges {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub grade: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// A guardian's changed fields.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = guardians)]
pub struct GuardianChanges {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub language: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// A staff member's changed fields.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = staff)]
pub struct StaffChanges {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub language: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// A class's changed fields; grades joined by commas.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = classes)]
pub struct ClassChanges {
    pub name: Option<String>,
    pub grades: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// Declares the update of one table's record while its origin is still `origin`.
macro_rules! update_fields {
    ($(#[$meta:meta])* $name:ident, $t:ident, $changes:ty) => {
        $(#[$meta])*
        pub async fn $name(conn: &mut DbConn, id: i64, origin: Origin, changes: &$changes) -> R<bool> {
            let n = with_conn!(conn, c => diesel::update($t::table.find(id).filter($t::origin.eq(origin)))
                .set(changes)
                .execute(c)
                .await)?;
            Ok(n > 0)
        }
    };
}

update_fields!(
    /// Updates a student's fields while its origin is `origin`.
    update_student,
    students,
    StudentChanges
);
update_fields!(
    /// Updates a guardian's fields while its origin is `origin`.
    update_guardian,
    guardians,
    GuardianChanges
);
update_fields!(
    /// Updates a staff member's fields while its origin is `origin`.
    update_staff,
    staff,
    StaffChanges
);
update_fields!(
    /// Updates a class's fields while its origin is `origin`.
    update_class,
    classes,
    ClassChanges
);

/// Declares archiving (`Some` time) or restoring (`None`) a manual record of one table;
/// it matches only a manual row in the other state.
macro_rules! set_archived {
    ($(#[$meta:meta])* $name:ident, $t:ident) => {
        $(#[$meta])*
        pub async fn $name(
            conn: &mut DbConn,
            id: i64,
            archived_at: Option<NaiveDateTime>,
            now: NaiveDateTime,
        ) -> R<bool> {
            let archiving = archived_at.is_some();
            let n = with_conn!(conn, c => diesel::update(
                    $t::table
                        .find(id)
                        .filter($t::origin.eq(Origin::Manual))
                        .filter($t::archived_at.is_null().eq(archiving)),
                )
                .set(($t::archived_at.eq(archived_at), $t::updated_at.eq(now)))
                .execute(c)
                .await)?;
            Ok(n > 0)
        }
    };
}

set_archived!(
    /// Archives (`Some`) or restores (`None`) a manual student.
    set_student_archived,
    students
);
set_archived!(
    /// Archives (`Some`) or restores (`None`) a manual class.
    set_class_archived,
    classes
);

/// Declares reading and deleting one link table's row by its key.
macro_rules! link {
    ($get:ident, $delete:ident, $t:ident, $row:ty, $what:literal) => {
        #[doc = concat!("The ", $what, " of this key, if any.")]
        pub async fn $get(conn: &mut DbConn, key: (i64, i64)) -> R<Option<$row>> {
            Ok(with_conn!(conn, c => $t::table
                .find(key)
                .select(<$row>::as_select())
                .first(c)
                .await
                .optional())?)
        }

        #[doc = concat!("Deletes the ", $what, " of this key while its origin is `origin`.")]
        pub async fn $delete(conn: &mut DbConn, key: (i64, i64), origin: Origin) -> R<bool> {
            let n = with_conn!(conn, c => diesel::delete($t::table.find(key).filter($t::origin.eq(origin)))
                .execute(c)
                .await)?;
            Ok(n > 0)
        }
    };
}

link!(
    get_class_student,
    delete_class_student,
    class_students,
    ClassStudent,
    "(class, student) enrollment"
);
link!(
    get_class_teacher,
    delete_class_teacher,
    class_teachers,
    ClassTeacher,
    "(class, staff member) teaching enrollment"
);
link!(
    get_family_link,
    delete_family_link,
    family_links,
    FamilyLink,
    "(student, guardian) family link"
);
link!(
    get_school_student,
    delete_school_student,
    school_students,
    SchoolStudent,
    "(school, student) membership"
);
link!(
    get_school_staff,
    delete_school_staff,
    school_staff,
    SchoolStaff,
    "(school, staff member) membership"
);
