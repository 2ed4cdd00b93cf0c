//! Directory reads and manual-record writes: schools, people, classes and their links.
//! Lists page by id (ids are time-ordered, so this is creation order).

use crate::domain::{PageRequest, StaffRole, StatusFilter};
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use diesel::dsl::AsExprOf;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// Inserts one row of any of the directory's tables.
macro_rules! insert_one {
    ($fn_name:ident, $table:ident, $row:ty) => {
        pub async fn $fn_name(conn: &mut DbConn, row: &$row) -> R<()> {
            // Owned: a roster row writes its timestamps as `Stamp`s (`store::stamp`).
            let row = row.clone();
            with_conn!(conn, c => diesel::insert_into($table::table).values(row).execute(c).await)?;
            Ok(())
        }
    };
}

insert_one!(insert_school, schools, School);
insert_one!(insert_guardian, guardians, Guardian);
insert_one!(insert_class, classes, Class);
insert_one!(insert_class_student, class_students, ClassStudent);
insert_one!(insert_class_teacher, class_teachers, ClassTeacher);
insert_one!(insert_family_link, family_links, FamilyLink);

/// Inserts a new person and its first school membership, in the caller's transaction (the
/// edit and its journal entry, `directory::journal::write`).
macro_rules! insert_member {
    ($fn_name:ident, $person:ident, $row:ty, $membership:ident, $link:ty) => {
        pub async fn $fn_name(conn: &mut DbConn, row: &$row, membership: &$link) -> R<()> {
            // Owned: a roster row writes its timestamps as `Stamp`s (`store::stamp`).
            let (row, membership) = (row.clone(), membership.clone());
            with_conn!(conn, c => diesel::insert_into($person::table).values(row).execute(c).await)?;
            with_conn!(conn, c => diesel::insert_into($membership::table).values(membership).execute(c).await)?;
            Ok(())
        }
    };
}

insert_member!(
    insert_student_member,
    students,
    Student,
    school_students,
    SchoolStudent
);
insert_member!(insert_staff_member, staff, Staff, school_staff, SchoolStaff);

/// Reads one row by id from any of the directory's tables.
macro_rules! get_one {
    ($fn_name:ident, $table:ident, $row:ty) => {
        pub async fn $fn_name(conn: &mut DbConn, id: i64) -> R<Option<$row>> {
            Ok(with_conn!(conn, c => $table::table
                .find(id)
                .select(<$row>::as_select())
                .first(c)
                .await
                .optional())?)
        }
    };
}

get_one!(get_school, schools, School);
get_one!(get_student, students, Student);
get_one!(get_guardian, guardians, Guardian);
get_one!(get_staff, staff, Staff);
get_one!(get_class, classes, Class);

pub async fn list_schools(
    conn: &mut DbConn,
    district_id: i64,
    page: &PageRequest,
) -> R<Vec<School>> {
    let after = page.after.unwrap_or(0);
    Ok(with_conn!(conn, c => schools::table
        .filter(schools::district_id.eq(district_id).and(schools::id.gt(after)))
        .order(schools::id.asc())
        .limit(page.limit())
        .select(School::as_select())
        .load(c)
        .await)?)
}

pub async fn list_students(
    conn: &mut DbConn,
    school_id: i64,
    filter: StatusFilter,
    page: &PageRequest,
) -> R<Vec<Student>> {
    let after = page.after.unwrap_or(0);
    let (active, archived) = filter_flags(filter);
    Ok(with_conn!(conn, c => students::table
        .inner_join(school_students::table.on(school_students::student_id.eq(students::id)))
        .filter(school_students::school_id.eq(school_id).and(students::id.gt(after)))
        .filter(students::archived_at.is_null().and(active).or(students::archived_at.is_not_null().and(archived)))
        .order(students::id.asc())
        .limit(page.limit())
        .select(Student::as_select())
        .load(c)
        .await)?)
}

/// (include active, include archived) for a status filter, as SQL booleans.
fn filter_flags(filter: StatusFilter) -> (AsExprOf<bool, Bool>, AsExprOf<bool, Bool>) {
    let (active, archived) = match filter {
        StatusFilter::Active => (true, false),
        StatusFilter::Archived => (false, true),
        StatusFilter::All => (true, true),
    };
    (active.into_sql::<Bool>(), archived.into_sql::<Bool>())
}

pub async fn list_staff(conn: &mut DbConn, school_id: i64, page: &PageRequest) -> R<Vec<Staff>> {
    let after = page.after.unwrap_or(0);
    Ok(with_conn!(conn, c => staff::table
        .inner_join(school_staff::table.on(school_staff::staff_id.eq(staff::id)))
        .filter(school_staff::school_id.eq(school_id).and(staff::id.gt(after)))
        .order(staff::id.asc())
        .limit(page.limit())
        .select(Staff::as_select())
        .load(c)
        .await)?)
}

/// Guardians linked to students of a school, by the students' archive state.
pub async fn list_guardians(
    conn: &mut DbConn,
    school_id: i64,
    filter: StatusFilter,
    page: &PageRequest,
) -> R<Vec<Guardian>> {
    let after = page.after.unwrap_or(0);
    let (active, archived) = filter_flags(filter);
    Ok(with_conn!(conn, c => guardians::table
        .filter(guardians::id.gt(after))
        .filter(guardians::id.eq_any(
            family_links::table
                .inner_join(students::table.on(students::id.eq(family_links::student_id)))
                .inner_join(school_students::table.on(school_students::student_id.eq(students::id)))
                .filter(school_students::school_id.eq(school_id))
                .filter(students::archived_at.is_null().and(active).or(students::archived_at.is_not_null().and(archived)))
                .select(family_links::guardian_id),
        ))
        .order(guardians::id.asc())
        .limit(page.limit())
        .select(Guardian::as_select())
        .load(c)
        .await)?)
}

pub async fn list_classes(
    conn: &mut DbConn,
    school_id: i64,
    filter: StatusFilter,
    page: &PageRequest,
) -> R<Vec<Class>> {
    let after = page.after.unwrap_or(0);
    let (active, archived) = filter_flags(filter);
    Ok(with_conn!(conn, c => classes::table
        .filter(classes::school_id.eq(school_id).and(classes::id.gt(after)))
        .filter(classes::archived_at.is_null().and(active).or(classes::archived_at.is_not_null().and(archived)))
        .order(classes::id.asc())
        .limit(page.limit())
        .select(Class::as_select())
        .load(c)
        .await)?)
}

/// A class's teachers with id > after, in id order.
pub async fn class_teachers(
    conn: &mut DbConn,
    class_id: i64,
    after: i64,
    limit: i64,
) -> R<Vec<Staff>> {
    Ok(with_conn!(conn, c => staff::table
        .inner_join(class_teachers::table.on(class_teachers::staff_id.eq(staff::id)))
        .filter(class_teachers::class_id.eq(class_id).and(staff::id.gt(after)))
        .order(staff::id.asc())
        .limit(limit)
        .select(Staff::as_select())
        .load(c)
        .await)?)
}

/// Whether `staff_id` teaches the class.
pub async fn is_class_teacher(conn: &mut DbConn, class_id: i64, staff_id: i64) -> R<bool> {
    let n: i64 = with_conn!(conn, c => class_teachers::table
        .filter(class_teachers::class_id.eq(class_id).and(class_teachers::staff_id.eq(staff_id)))
        .count()
        .get_result(c)
        .await)?;
    Ok(n > 0)
}

/// A class's students with id > after, in id order.
pub async fn class_students(
    conn: &mut DbConn,
    class_id: i64,
    filter: StatusFilter,
    after: i64,
    limit: i64,
) -> R<Vec<Student>> {
    let (active, archived) = filter_flags(filter);
    Ok(with_conn!(conn, c => students::table
        .inner_join(class_students::table.on(class_students::student_id.eq(students::id)))
        .filter(class_students::class_id.eq(class_id).and(students::id.gt(after)))
        .filter(students::archived_at.is_null().and(active).or(students::archived_at.is_not_null().and(archived)))
        .order(students::id.asc())
        .limit(limit)
        .select(Student::as_select())
        .load(c)
        .await)?)
}

/// (student id, school id) for the given students.
pub async fn schools_of_students(conn: &mut DbConn, ids: &[i64]) -> R<Vec<(i64, i64)>> {
    Ok(with_conn!(conn, c => school_students::table
        .filter(school_students::student_id.eq_any(ids))
        .select((school_students::student_id, school_students::school_id))
        .load(c)
        .await)?)
}

/// (student id, guardian id) for the given students.
pub async fn guardians_of_students(conn: &mut DbConn, ids: &[i64]) -> R<Vec<(i64, i64)>> {
    Ok(with_conn!(conn, c => family_links::table
        .filter(family_links::student_id.eq_any(ids))
        .select((family_links::student_id, family_links::guardian_id))
        .load(c)
        .await)?)
}

/// (guardian id, student id) for the given guardians.
pub async fn students_of_guardians(conn: &mut DbConn, ids: &[i64]) -> R<Vec<(i64, i64)>> {
    Ok(with_conn!(conn, c => family_links::table
        .filter(family_links::guardian_id.eq_any(ids))
        .select((family_links::guardian_id, family_links::student_id))
        .load(c)
        .await)?)
}

/// (staff id, school id) for the given staff members.
pub async fn schools_of_staff(conn: &mut DbConn, ids: &[i64]) -> R<Vec<(i64, i64)>> {
    Ok(with_conn!(conn, c => school_staff::table
        .filter(school_staff::staff_id.eq_any(ids))
        .select((school_staff::staff_id, school_staff::school_id))
        .load(c)
        .await)?)
}

pub async fn students_by_ids(conn: &mut DbConn, ids: &[i64]) -> R<Vec<Student>> {
    Ok(with_conn!(conn, c => students::table
        .filter(students::id.eq_any(ids))
        .order(students::id.asc())
        .select(Student::as_select())
        .load(c)
        .await)?)
}

pub async fn guardians_by_ids(conn: &mut DbConn, ids: &[i64]) -> R<Vec<Guardian>> {
    Ok(with_conn!(conn, c => guardians::table
        .filter(guardians::id.eq_any(ids))
        .order(guardians::id.asc())
        .select(Guardian::as_select())
        .load(c)
        .await)?)
}

pub async fn staff_by_ids(conn: &mut DbConn, ids: &[i64]) -> R<Vec<Staff>> {
    Ok(with_conn!(conn, c => staff::table
        .filter(staff::id.eq_any(ids))
        .order(staff::id.asc())
        .select(Staff::as_select())
        .load(c)
        .await)?)
}

/// Classes a staff member teaches, archived ones included, in id order.
pub async fn classes_of_teacher(conn: &mut DbConn, staff_id: i64) -> R<Vec<Class>> {
    Ok(with_conn!(conn, c => classes::table
        .inner_join(class_teachers::table.on(class_teachers::class_id.eq(classes::id)))
        .filter(class_teachers::staff_id.eq(staff_id))
        .order(classes::id.asc())
        .select(Class::as_select())
        .load(c)
        .await)?)
}

pub async fn schools_by_ids(conn: &mut DbConn, ids: &[i64]) -> R<Vec<School>> {
    Ok(with_conn!(conn, c => schools::table
        .filter(schools::id.eq_any(ids))
        .order(schools::id.asc())
        .select(School::as_select())
        .load(c)
        .await)?)
}

/// Classes the given students are enrolled in, with (class, student) pairs.
pub async fn classes_of_students(conn: &mut DbConn, ids: &[i64]) -> R<Vec<(Class, i64)>> {
    Ok(with_conn!(conn, c => classes::table
        .inner_join(class_students::table.on(class_students::class_id.eq(classes::id)))
        .filter(class_students::student_id.eq_any(ids))
        .order(classes::id.asc())
        .select((Class::as_select(), class_students::student_id))
        .load(c)
        .await)?)
}

/// Staff members of a school (or, with None, of any school of the district) with id >
/// after, as recipients of an announcement.
pub async fn staff_recipients(
    conn: &mut DbConn,
    district_id: i64,
    school_id: Option<i64>,
    after: i64,
    limit: i64,
) -> R<Vec<Staff>> {
    let any_school = school_id.is_none().into_sql::<Bool>();
    let school = school_id.unwrap_or(0);
    Ok(with_conn!(conn, c => staff::table
        .filter(staff::district_id.eq(district_id).and(staff::id.gt(after)))
        .filter(staff::id.eq_any(
            school_staff::table
                .filter(school_staff::school_id.eq_any(school_ids_of(district_id)))
                .filter(school_staff::school_id.eq(school).or(any_school))
                .select(school_staff::staff_id),
        ))
        .order(staff::id.asc())
        .limit(limit)
        .select(Staff::as_select())
        .load(c)
        .await)?)
}

/// The ids of a district's schools: how a membership's rows of the district are found,
/// through the primary key that leads with the school (links keep no index on
/// district_id).
#[diesel::dsl::auto_type]
fn school_ids_of(district_id: i64) -> _ {
    schools::table
        .filter(schools::district_id.eq(district_id))
        .select(schools::id)
}

/// Guardians linked to at least one active student of a school (or, with None, of any
/// school of the district): who receives its announcements (R6.3).
pub async fn guardian_recipients(
    conn: &mut DbConn,
    district_id: i64,
    school_id: Option<i64>,
    after: i64,
    limit: i64,
) -> R<Vec<Guardian>> {
    let any_school = school_id.is_none().into_sql::<Bool>();
    let school = school_id.unwrap_or(0);
    Ok(with_conn!(conn, c => guardians::table
        .filter(guardians::district_id.eq(district_id).and(guardians::id.gt(after)))
        .filter(guardians::id.eq_any(
            family_links::table
                .inner_join(students::table.on(students::id.eq(family_links::student_id)))
                .inner_join(school_students::table.on(school_students::student_id.eq(students::id)))
                .filter(school_students::school_id.eq_any(school_ids_of(district_id)))
                .filter(school_students::school_id.eq(school).or(any_school))
                .filter(students::archived_at.is_null())
                .select(family_links::guardian_id),
        ))
        .order(guardians::id.asc())
        .limit(limit)
        .select(Guardian::as_select())
        .load(c)
        .await)?)
}

/// The contact columns of a guardian or staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub email: String,
    pub sms_number: String,
    pub home_phone: String,
}

pub async fn update_guardian_contact(
    conn: &mut DbConn,
    id: i64,
    contact: &Contact,
    now: NaiveDateTime,
) -> R<()> {
    with_conn!(conn, c => diesel::update(guardians::table.find(id))
        .set((
            guardians::email.eq(&contact.email),
            guardians::sms_number.eq(&contact.sms_number),
            guardians::home_phone.eq(&contact.home_phone),
            guardians::updated_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

pub async fn update_staff_contact(
    conn: &mut DbConn,
    id: i64,
    contact: &Contact,
    now: NaiveDateTime,
) -> R<()> {
    with_conn!(conn, c => diesel::update(staff::table.find(id))
        .set((
            staff::email.eq(&contact.email),
            staff::sms_number.eq(&contact.sms_number),
            staff::home_phone.eq(&contact.home_phone),
            staff::updated_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

pub async fn set_staff_role(
    conn: &mut DbConn,
    id: i64,
    role: StaffRole,
    now: NaiveDateTime,
) -> R<()> {
    with_conn!(conn, c => diesel::update(staff::table.find(id))
        .set((staff::role.eq(role), staff::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(())
}

/// Marks a guardian activated, once: a second activation keeps the first time. The row
/// changed, so its `updated_at` moves too (a revert tells an untouched row by it, R9.2).
pub async fn activate_guardian(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<()> {
    with_conn!(conn, c => diesel::update(guardians::table.find(id).filter(guardians::activated_at.is_null()))
        .set((guardians::activated_at.eq(now), guardians::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(())
}

/// Marks a staff member activated, once.
pub async fn activate_staff(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<()> {
    with_conn!(conn, c => diesel::update(staff::table.find(id).filter(staff::activated_at.is_null()))
        .set((staff::activated_at.eq(now), staff::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(())
}
