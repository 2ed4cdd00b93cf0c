//! People as the directory shows them: each record with the ids of what it is linked to,
//! built in a few set-based queries whatever their number, and the lookups every
//! directory call starts with.

use crate::domain::{Error, Result};
use crate::store::DbConn;
use crate::store::models::{Class, Guardian, School, Staff, Student};
use crate::store::queries::directory as q;
use std::collections::HashMap;

/// A student with the ids of its schools and guardians.
#[derive(Debug, Clone)]
pub struct StudentView {
    pub row: Student,
    pub school_ids: Vec<i64>,
    pub guardian_ids: Vec<i64>,
}

/// A guardian with the ids of its students.
#[derive(Debug, Clone)]
pub struct GuardianView {
    pub row: Guardian,
    pub student_ids: Vec<i64>,
}

/// A staff member with the ids of its schools.
#[derive(Debug, Clone)]
pub struct StaffView {
    pub row: Staff,
    pub school_ids: Vec<i64>,
}

/// A guardian or a staff member: the people who hold accounts.
#[derive(Debug, Clone)]
pub enum AccountHolder {
    Guardian(GuardianView),
    Staff(StaffView),
}

fn group(pairs: Vec<(i64, i64)>) -> HashMap<i64, Vec<i64>> {
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    for (key, value) in pairs {
        map.entry(key).or_default().push(value);
    }
    for values in map.values_mut() {
        values.sort_unstable();
    }
    map
}

/// Adds schools and guardians to students, in two queries whatever their number.
pub async fn student_views(conn: &mut DbConn, rows: Vec<Student>) -> Result<Vec<StudentView>> {
    let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let mut schools = group(q::schools_of_students(conn, &ids).await?);
    let mut guardians = group(q::guardians_of_students(conn, &ids).await?);
    Ok(rows
        .into_iter()
        .map(|row| StudentView {
            school_ids: schools.remove(&row.id).unwrap_or_default(),
            guardian_ids: guardians.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub async fn guardian_views(conn: &mut DbConn, rows: Vec<Guardian>) -> Result<Vec<GuardianView>> {
    let ids: Vec<i64> = rows.iter().map(|g| g.id).collect();
    let mut students = group(q::students_of_guardians(conn, &ids).await?);
    Ok(rows
        .into_iter()
        .map(|row| GuardianView {
            student_ids: students.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub async fn staff_views(conn: &mut DbConn, rows: Vec<Staff>) -> Result<Vec<StaffView>> {
    let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let mut schools = group(q::schools_of_staff(conn, &ids).await?);
    Ok(rows
        .into_iter()
        .map(|row| StaffView {
            school_ids: schools.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub(super) fn one<T>(views: Vec<T>) -> Result<T> {
    views
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("view of a stored row is missing".into()))
}

/// The school, which must belong to `district_id`; NOT_FOUND otherwise.
pub async fn require_school(conn: &mut DbConn, district_id: i64, school_id: i64) -> Result<School> {
    match q::get_school(conn, school_id).await? {
        Some(school) if school.district_id == district_id => Ok(school),
        _ => Err(Error::not_found(format!(
            "school {school_id} in district {district_id}"
        ))),
    }
}

pub async fn require_student(conn: &mut DbConn, id: i64) -> Result<Student> {
    q::get_student(conn, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("student {id}")))
}

pub async fn require_guardian(conn: &mut DbConn, id: i64) -> Result<Guardian> {
    q::get_guardian(conn, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("guardian {id}")))
}

pub async fn require_staff(conn: &mut DbConn, id: i64) -> Result<Staff> {
    q::get_staff(conn, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("staff member {id}")))
}

/// The school, whatever its district; NOT_FOUND otherwise.
pub async fn require_school_any(conn: &mut DbConn, school_id: i64) -> Result<School> {
    q::get_school(conn, school_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("school {school_id}")))
}

pub async fn require_class(conn: &mut DbConn, id: i64) -> Result<Class> {
    q::get_class(conn, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("class {id}")))
}
