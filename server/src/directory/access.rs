//! Access derived from stored facts, never stored twice (R6.3): what a guardian reaches,
//! and who receives an announcement.

use super::views::{
    GuardianView, StaffView, StudentView, guardian_views, require_guardian, require_school,
    student_views,
};
use crate::domain::{Page, PageRequest, Result};
use crate::store::Store;
use crate::store::models::{Class, School};
use crate::store::queries::directory as q;
use crate::store::queries::districts;
use std::collections::BTreeSet;

/// What a guardian reaches now.
#[derive(Debug, Clone)]
pub struct GuardianAccess {
    pub guardian: GuardianView,
    /// Every linked student, active or archived (the link stays visible, R6.2).
    pub students: Vec<StudentView>,
    /// Schools of at least one active linked student.
    pub schools: Vec<School>,
    /// Non-archived classrooms with an active linked student enrolled.
    pub classes: Vec<Class>,
    /// Classrooms reached only as an archived student's class content (R6.1).
    pub student_content_classes: Vec<Class>,
}

pub async fn guardian_access(store: &Store, guardian_id: i64) -> Result<GuardianAccess> {
    let mut conn = store.conn().await?;
    let guardian = require_guardian(&mut conn, guardian_id).await?;
    let guardian = guardian_views(&mut conn, vec![guardian]).await?.remove(0);
    let students = q::students_by_ids(&mut conn, &guardian.student_ids).await?;
    let students = student_views(&mut conn, students).await?;
    let active: Vec<i64> = students
        .iter()
        .filter(|s| s.row.archived_at.is_none())
        .map(|s| s.row.id)
        .collect();
    let school_ids: BTreeSet<i64> = students
        .iter()
        .filter(|s| s.row.archived_at.is_none())
        .flat_map(|s| s.school_ids.iter().copied())
        .collect();
    let schools = q::schools_by_ids(&mut conn, &school_ids.into_iter().collect::<Vec<_>>()).await?;
    let all_ids: Vec<i64> = students.iter().map(|s| s.row.id).collect();
    let mut classes: Vec<Class> = Vec::new();
    let mut content: Vec<Class> = Vec::new();
    for (class, student_id) in q::classes_of_students(&mut conn, &all_ids).await? {
        let through_active = active.contains(&student_id) && class.archived_at.is_none();
        if through_active {
            content.retain(|c| c.id != class.id);
            if !classes.iter().any(|c| c.id == class.id) {
                classes.push(class);
            }
        } else if !classes.iter().any(|c| c.id == class.id)
            && !content.iter().any(|c| c.id == class.id)
        {
            content.push(class);
        }
    }
    Ok(GuardianAccess {
        guardian,
        students,
        schools,
        classes,
        student_content_classes: content,
    })
}

/// A person who receives an announcement.
#[derive(Debug, Clone)]
pub enum Recipient {
    Staff(StaffView),
    Guardian(GuardianView),
}

impl Recipient {
    fn id(&self) -> i64 {
        match self {
            Recipient::Staff(s) => s.row.id,
            Recipient::Guardian(g) => g.row.id,
        }
    }
}

/// Staff of the school (or district) and guardians of its active students (R6.1, R6.3).
pub async fn list_announcement_recipients(
    store: &Store,
    district_id: i64,
    school_id: Option<i64>,
    page: PageRequest,
) -> Result<Page<Recipient>> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, district_id).await?;
    if let Some(school_id) = school_id {
        require_school(&mut conn, district_id, school_id).await?;
    }
    let after = page.after.unwrap_or(0);
    let staff = q::staff_recipients(&mut conn, district_id, school_id, after, page.limit()).await?;
    let guardians =
        q::guardian_recipients(&mut conn, district_id, school_id, after, page.limit()).await?;
    let mut all: Vec<Recipient> = super::views::staff_views(&mut conn, staff)
        .await?
        .into_iter()
        .map(Recipient::Staff)
        .chain(
            guardian_views(&mut conn, guardians)
                .await?
                .into_iter()
                .map(Recipient::Guardian),
        )
        .collect();
    all.sort_by_key(Recipient::id);
    all.truncate(page.limit() as usize);
    Ok(page.finish(all, Recipient::id))
}
