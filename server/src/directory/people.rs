//! Students, guardians and staff: manual creation (R1.3), and reads with their links.

use super::districts::{optional_text, required_name};
use super::journal::{self, Membership};
use super::values::{grade, language};
use super::views::*;
use crate::domain::{
    Caller, Error, Origin, Page, PageRequest, PhoneKind, RecordKind, Result, StaffRole,
    StatusFilter, Violations, new_id, now, parse_email, parse_phone,
};
use crate::store::Store;
use crate::store::models::{
    Class, FamilyLink, Guardian, SchoolStaff, SchoolStudent, Staff, Student,
};
use crate::store::queries::directory::{self as q, Contact};
use crate::store::queries::districts;
use crate::store::queries::settings;

/// Names, checked together so a request reports every bad field at once.
struct Names {
    given: String,
    family: String,
    sis_id: String,
}

fn names(v: &mut Violations, given: &str, family: &str, sis_id: &str) -> Result<Names> {
    Ok(Names {
        given: v
            .check(required_name("given_name", given))?
            .unwrap_or_default(),
        family: v
            .check(required_name("family_name", family))?
            .unwrap_or_default(),
        sis_id: v
            .check(optional_text("sis_id", sis_id))?
            .unwrap_or_default(),
    })
}

/// Input of CreateStudent.
#[derive(Debug, Clone, Default)]
pub struct NewStudent {
    pub district_id: i64,
    pub school_id: i64,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub grade: String,
    pub sis_id: String,
}

pub async fn create_student(store: &Store, by: &Caller, input: NewStudent) -> Result<StudentView> {
    let mut v = Violations::default();
    let names = names(&mut v, &input.given_name, &input.family_name, &input.sis_id)?;
    let email = v
        .check(parse_email("email", &input.email))?
        .unwrap_or_default();
    let grade = v.check(grade("grade", &input.grade))?.unwrap_or_default();
    v.into_result()?;
    let mut conn = store.conn().await?;
    districts::require(&mut conn, input.district_id).await?;
    require_school(&mut conn, input.district_id, input.school_id).await?;
    let now = now();
    let row = Student {
        id: new_id(),
        district_id: input.district_id,
        source_id: None,
        sis_id: names.sis_id.into(),
        given_name: names.given.into(),
        family_name: names.family.into(),
        email: email.into(),
        grade: grade.into(),
        attributes: "{}".into(),
        origin: Origin::Manual,
        archived_at: None,
        created_at: now,
        updated_at: now,
    };
    let membership = SchoolStudent {
        school_id: input.school_id,
        student_id: row.id,
        district_id: input.district_id,
        origin: Origin::Manual,
        created_at: now,
    };
    let made = journal::created(row.district_id, &row);
    let (r, m) = (row.clone(), membership);
    journal::write(&mut conn, by, made, move |c| {
        let (r, m) = (r.clone(), m.clone());
        Box::pin(async move { Ok(q::insert_student_member(c, &r, &m).await?) })
    })
    .await?;
    Ok(StudentView {
        row,
        school_ids: vec![input.school_id],
        guardian_ids: vec![],
    })
}

/// Contact details as entered, before validation.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub email: String,
    pub sms_number: String,
    pub home_phone: String,
}

pub(super) fn contact(v: &mut Violations, input: &ContactInput, region: &str) -> Result<Contact> {
    Ok(Contact {
        email: v
            .check(parse_email("email", &input.email))?
            .unwrap_or_default(),
        sms_number: v
            .check(parse_phone(
                "sms_number",
                &input.sms_number,
                region,
                PhoneKind::Sms,
            ))?
            .unwrap_or_default(),
        home_phone: v
            .check(parse_phone(
                "home_phone",
                &input.home_phone,
                region,
                PhoneKind::Voice,
            ))?
            .unwrap_or_default(),
    })
}

/// Input of CreateGuardian.
#[derive(Debug, Clone, Default)]
pub struct NewGuardian {
    pub district_id: i64,
    pub given_name: String,
    pub family_name: String,
    pub contact: ContactInput,
    pub language: String,
    pub sis_id: String,
}

pub async fn create_guardian(
    store: &Store,
    by: &Caller,
    input: NewGuardian,
) -> Result<GuardianView> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, input.district_id).await?;
    let region = settings::load(&mut conn, input.district_id)
        .await?
        .default_phone_region;
    let mut v = Violations::default();
    let names = names(&mut v, &input.given_name, &input.family_name, &input.sis_id)?;
    let contact = contact(&mut v, &input.contact, &region)?;
    let language = v
        .check(language("language", &input.language))?
        .unwrap_or_default();
    v.into_result()?;
    if contact.email.is_empty() && contact.sms_number.is_empty() {
        return Err(Error::invalid(
            "email",
            "a guardian needs an email or an SMS number to be reached",
        ));
    }
    let now = now();
    let row = Guardian {
        id: new_id(),
        district_id: input.district_id,
        source_id: None,
        sis_id: names.sis_id.into(),
        given_name: names.given.into(),
        family_name: names.family.into(),
        email: contact.email.into(),
        sms_number: contact.sms_number.into(),
        home_phone: contact.home_phone.into(),
        language: language.into(),
        origin: Origin::Manual,
        activated_at: None,
        created_at: now,
        updated_at: now,
    };
    let made = journal::created(row.district_id, &row);
    let r = row.clone();
    journal::write(&mut conn, by, made, move |c| {
        let r = r.clone();
        Box::pin(async move { Ok(q::insert_guardian(c, &r).await?) })
    })
    .await?;
    Ok(GuardianView {
        row,
        student_ids: vec![],
    })
}

/// Input of CreateStaffMember.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub district_id: i64,
    pub school_id: i64,
    pub given_name: String,
    pub family_name: String,
    pub contact: ContactInput,
    pub language: String,
    pub role: Option<StaffRole>,
    pub sis_id: String,
}

pub async fn create_staff(store: &Store, by: &Caller, input: NewStaff) -> Result<StaffView> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, input.district_id).await?;
    let region = settings::load(&mut conn, input.district_id)
        .await?
        .default_phone_region;
    let mut v = Violations::default();
    let names = names(&mut v, &input.given_name, &input.family_name, &input.sis_id)?;
    let contact = contact(&mut v, &input.contact, &region)?;
    let language = v
        .check(language("language", &input.language))?
        .unwrap_or_default();
    let role = v.check(
        input
            .role
            .ok_or_else(|| Error::invalid("role", "is required (ADMIN or TEACHER)")),
    )?;
    v.into_result()?;
    let role = role.ok_or_else(|| Error::Internal("role checked above".into()))?;
    require_school(&mut conn, input.district_id, input.school_id).await?;
    let now = now();
    let row = Staff {
        id: new_id(),
        district_id: input.district_id,
        source_id: None,
        sis_id: names.sis_id.into(),
        given_name: names.given.into(),
        family_name: names.family.into(),
        email: contact.email.into(),
        sms_number: contact.sms_number.into(),
        home_phone: contact.home_phone.into(),
        language: language.into(),
        role,
        origin: Origin::Manual,
        activated_at: None,
        created_at: now,
        updated_at: now,
    };
    let membership = SchoolStaff {
        school_id: input.school_id,
        staff_id: row.id,
        district_id: input.district_id,
        origin: Origin::Manual,
        created_at: now,
    };
    let made = journal::created(row.district_id, &row);
    let (r, m) = (row.clone(), membership);
    journal::write(&mut conn, by, made, move |c| {
        let (r, m) = (r.clone(), m.clone());
        Box::pin(async move { Ok(q::insert_staff_member(c, &r, &m).await?) })
    })
    .await?;
    Ok(StaffView {
        row,
        school_ids: vec![input.school_id],
    })
}

pub async fn list_students(
    store: &Store,
    school_id: i64,
    filter: StatusFilter,
    page: PageRequest,
) -> Result<Page<StudentView>> {
    let mut conn = store.conn().await?;
    require_school_any(&mut conn, school_id).await?;
    let rows = q::list_students(&mut conn, school_id, filter, &page).await?;
    let page = page.finish(rows, |s| s.id);
    let items = student_views(&mut conn, page.items).await?;
    Ok(Page {
        items,
        next_page_token: page.next_page_token,
    })
}

/// A student with its guardians and classes.
#[derive(Debug, Clone)]
pub struct StudentDetail {
    pub student: StudentView,
    pub guardians: Vec<GuardianView>,
    pub classes: Vec<Class>,
}

pub async fn get_student(store: &Store, id: i64) -> Result<StudentDetail> {
    let mut conn = store.conn().await?;
    let row = require_student(&mut conn, id).await?;
    let student = one(student_views(&mut conn, vec![row]).await?)?;
    let guardian_rows = q::guardians_by_ids(&mut conn, &student.guardian_ids).await?;
    let guardians = guardian_views(&mut conn, guardian_rows).await?;
    let classes = q::classes_of_students(&mut conn, &[id])
        .await?
        .into_iter()
        .map(|(class, _)| class)
        .collect();
    Ok(StudentDetail {
        student,
        guardians,
        classes,
    })
}

/// A guardian with its linked students, active or archived.
#[derive(Debug, Clone)]
pub struct GuardianDetail {
    pub guardian: GuardianView,
    pub students: Vec<StudentView>,
}

pub async fn get_guardian(store: &Store, id: i64) -> Result<GuardianDetail> {
    let mut conn = store.conn().await?;
    let row = require_guardian(&mut conn, id).await?;
    let guardian = one(guardian_views(&mut conn, vec![row]).await?)?;
    let rows = q::students_by_ids(&mut conn, &guardian.student_ids).await?;
    let students = student_views(&mut conn, rows).await?;
    Ok(GuardianDetail { guardian, students })
}

/// A staff member with the classes it teaches.
#[derive(Debug, Clone)]
pub struct StaffDetail {
    pub staff: StaffView,
    pub classes: Vec<Class>,
}

pub async fn get_staff(store: &Store, id: i64) -> Result<StaffDetail> {
    let mut conn = store.conn().await?;
    let row = require_staff(&mut conn, id).await?;
    let staff = one(staff_views(&mut conn, vec![row]).await?)?;
    let classes = q::classes_of_teacher(&mut conn, id).await?;
    Ok(StaffDetail { staff, classes })
}

pub async fn list_staff(
    store: &Store,
    school_id: i64,
    page: PageRequest,
) -> Result<Page<StaffView>> {
    let mut conn = store.conn().await?;
    require_school_any(&mut conn, school_id).await?;
    let rows = q::list_staff(&mut conn, school_id, &page).await?;
    let page = page.finish(rows, |s| s.id);
    let items = staff_views(&mut conn, page.items).await?;
    Ok(Page {
        items,
        next_page_token: page.next_page_token,
    })
}

pub async fn list_guardians(
    store: &Store,
    school_id: i64,
    filter: StatusFilter,
    page: PageRequest,
) -> Result<Page<GuardianView>> {
    let mut conn = store.conn().await?;
    require_school_any(&mut conn, school_id).await?;
    let rows = q::list_guardians(&mut conn, school_id, filter, &page).await?;
    let page = page.finish(rows, |g| g.id);
    let items = guardian_views(&mut conn, page.items).await?;
    Ok(Page {
        items,
        next_page_token: page.next_page_token,
    })
}

/// Links a guardian to a student of the same district (a manual link, R1.3).
pub async fn link_guardian(
    store: &Store,
    by: &Caller,
    guardian_id: i64,
    student_id: i64,
) -> Result<GuardianView> {
    let mut conn = store.conn().await?;
    let guardian = require_guardian(&mut conn, guardian_id).await?;
    let student = require_student(&mut conn, student_id).await?;
    if guardian.district_id != student.district_id {
        return Err(Error::invalid(
            "student_id",
            "belongs to another district than the guardian",
        ));
    }
    let link = FamilyLink {
        student_id,
        guardian_id,
        district_id: guardian.district_id,
        origin: Origin::Manual,
        created_at: now(),
    };
    let made = Membership {
        district_id: guardian.district_id,
        kind: RecordKind::FamilyRelationship,
        person: guardian_id,
        field: "student",
        other: student_id,
        other_source_id: student.source_id.as_deref(),
    }
    .edit(true);
    journal::write(&mut conn, by, made, move |c| {
        let link = link.clone();
        Box::pin(async move {
            q::insert_family_link(c, &link)
                .await
                .map_err(|e| match Error::from(e) {
                    Error::AlreadyExists { .. } => Error::AlreadyExists {
                        message: format!(
                            "guardian {guardian_id} is already linked to student {student_id}"
                        ),
                    },
                    other => other,
                })
        })
    })
    .await?;
    one(guardian_views(&mut conn, vec![guardian]).await?)
}
