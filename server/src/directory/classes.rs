//! Classes and their members.

use super::districts::{optional_text, required_name};
use super::journal::{self, Membership};
use super::values::class_grades;
use super::views::{
    StaffView, StudentView, require_school, require_school_any, require_staff, require_student,
    staff_views, student_views,
};
use crate::domain::{
    Caller, Error, Origin, Page, PageRequest, RecordKind, Result, StatusFilter, Violations, new_id,
    now,
};
use crate::store::Store;
use crate::store::models::{Class, ClassStudent, ClassTeacher, School};
use crate::store::queries::directory as q;
use crate::store::queries::districts;

/// Input of CreateClass.
#[derive(Debug, Clone, Default)]
pub struct NewClass {
    pub district_id: i64,
    pub school_id: i64,
    pub name: String,
    pub grades: Vec<String>,
    pub sis_id: String,
}

pub async fn create_class(store: &Store, by: &Caller, input: NewClass) -> Result<Class> {
    let mut v = Violations::default();
    let name = v
        .check(required_name("name", &input.name))?
        .unwrap_or_default();
    let sis_id = v
        .check(optional_text("sis_id", &input.sis_id))?
        .unwrap_or_default();
    let grades = v.check(class_grades(&input.grades))?.unwrap_or_default();
    v.into_result()?;
    let mut conn = store.conn().await?;
    districts::require(&mut conn, input.district_id).await?;
    require_school(&mut conn, input.district_id, input.school_id).await?;
    let now = now();
    let row = Class {
        id: new_id(),
        district_id: input.district_id,
        school_id: input.school_id,
        source_id: None,
        sis_id,
        name,
        grades,
        origin: Origin::Manual,
        archived_at: None,
        created_at: now,
        updated_at: now,
        term_end_date: None,
    };
    let made = journal::created(row.district_id, &row);
    let r = row.clone();
    journal::write(&mut conn, by, made, move |c| {
        let r = r.clone();
        Box::pin(async move { Ok(q::insert_class(c, &r).await?) })
    })
    .await?;
    Ok(row)
}

/// A class with its school.
#[derive(Debug, Clone)]
pub struct ClassDetail {
    pub class: Class,
    pub school: School,
}

pub async fn get_class(store: &Store, id: i64) -> Result<ClassDetail> {
    let mut conn = store.conn().await?;
    let class = q::get_class(&mut conn, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("class {id}")))?;
    let school = require_school_any(&mut conn, class.school_id).await?;
    Ok(ClassDetail { class, school })
}

pub async fn list_classes(
    store: &Store,
    school_id: i64,
    filter: StatusFilter,
    page: PageRequest,
) -> Result<Page<Class>> {
    let mut conn = store.conn().await?;
    require_school_any(&mut conn, school_id).await?;
    let rows = q::list_classes(&mut conn, school_id, filter, &page).await?;
    Ok(page.finish(rows, |c| c.id))
}

/// A teacher or a student of a class.
#[derive(Debug, Clone)]
pub enum ClassMember {
    Teacher(StaffView),
    Student(StudentView),
}

impl ClassMember {
    fn id(&self) -> i64 {
        match self {
            ClassMember::Teacher(t) => t.row.id,
            ClassMember::Student(s) => s.row.id,
        }
    }
}

/// Adds a manual membership; the person must be of the class's district and, for a
/// student or teacher, a member of the class's school.
pub async fn add_class_member(
    store: &Store,
    by: &Caller,
    class_id: i64,
    user_id: i64,
    as_teacher: bool,
) -> Result<ClassMember> {
    let mut conn = store.conn().await?;
    let class = q::get_class(&mut conn, class_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("class {class_id}")))?;
    let now = now();
    let enrolled = |kind| Membership {
        district_id: class.district_id,
        kind,
        person: user_id,
        field: "class",
        other: class_id,
        other_source_id: class.source_id.as_deref(),
    };
    let member = if as_teacher {
        let teacher = require_staff(&mut conn, user_id).await?;
        same_district(class.district_id, teacher.district_id)?;
        let view = staff_views(&mut conn, vec![teacher]).await?.remove(0);
        let row = ClassTeacher {
            class_id,
            staff_id: user_id,
            district_id: class.district_id,
            source_id: None,
            origin: Origin::Manual,
            created_at: now,
        };
        let made = enrolled(RecordKind::TeacherEnrollment).edit(true);
        journal::write(&mut conn, by, made, move |c| {
            let row = row.clone();
            Box::pin(async move {
                q::insert_class_teacher(c, &row)
                    .await
                    .map_err(|e| already_member(e, user_id, class_id))
            })
        })
        .await?;
        ClassMember::Teacher(view)
    } else {
        let student = require_student(&mut conn, user_id).await?;
        same_district(class.district_id, student.district_id)?;
        let view = student_views(&mut conn, vec![student]).await?.remove(0);
        let row = ClassStudent {
            class_id,
            student_id: user_id,
            district_id: class.district_id,
            source_id: None,
            origin: Origin::Manual,
            created_at: now,
        };
        let made = enrolled(RecordKind::StudentEnrollment).edit(true);
        journal::write(&mut conn, by, made, move |c| {
            let row = row.clone();
            Box::pin(async move {
                q::insert_class_student(c, &row)
                    .await
                    .map_err(|e| already_member(e, user_id, class_id))
            })
        })
        .await?;
        ClassMember::Student(view)
    };
    Ok(member)
}

fn same_district(class_district: i64, user_district: i64) -> Result<()> {
    if class_district == user_district {
        Ok(())
    } else {
        Err(Error::invalid(
            "user_id",
            "belongs to another district than the class",
        ))
    }
}

fn already_member(e: crate::store::StoreError, user_id: i64, class_id: i64) -> Error {
    match Error::from(e) {
        Error::AlreadyExists { .. } => Error::AlreadyExists {
            message: format!("user {user_id} is already a member of class {class_id}"),
        },
        other => other,
    }
}

/// Teachers and students of a class, in one id order (ids are unique across kinds).
/// A class's teachers, then its students by `filter` (R6.1: archived students stay in
/// their classrooms, shown by ARCHIVED and ALL). ARCHIVED lists no teacher.
pub async fn list_class_members(
    store: &Store,
    class_id: i64,
    filter: StatusFilter,
    page: PageRequest,
) -> Result<Page<ClassMember>> {
    let mut conn = store.conn().await?;
    q::get_class(&mut conn, class_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("class {class_id}")))?;
    // Teachers first, then students, each in id order. Ids are unique across kinds, so
    // the token's last id tells which of the two lists the previous page ended in.
    let (teachers_after, students_after) = match page.after {
        None if filter == StatusFilter::Archived => (None, 0),
        None => (Some(0), 0),
        Some(id) if q::is_class_teacher(&mut conn, class_id, id).await? => (Some(id), 0),
        Some(id) => (None, id),
    };
    let mut members: Vec<ClassMember> = Vec::new();
    if let Some(after) = teachers_after {
        let teachers = q::class_teachers(&mut conn, class_id, after, page.limit()).await?;
        members.extend(
            staff_views(&mut conn, teachers)
                .await?
                .into_iter()
                .map(ClassMember::Teacher),
        );
    }
    let room = page.limit() - members.len() as i64;
    if room > 0 {
        let students = q::class_students(&mut conn, class_id, filter, students_after, room).await?;
        members.extend(
            student_views(&mut conn, students)
                .await?
                .into_iter()
                .map(ClassMember::Student),
        );
    }
    Ok(page.finish(members, ClassMember::id))
}
