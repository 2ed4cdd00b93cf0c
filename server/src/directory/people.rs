//! Students, guardians and staff: manual creation, reads with their links, and the
//! account actions (contact edits R4.6, role R4.3, activation R4.5).

use super::districts::{optional_text, required_name};
use crate::domain::{
    Error, Origin, Page, PageRequest, PhoneKind, Result, StaffRole, StatusFilter, Violations,
    new_id, now, parse_email, parse_phone,
};
use crate::store::models::{
    Class, FamilyLink, Guardian, School, SchoolStaff, SchoolStudent, Staff, Student,
};
use crate::store::queries::directory::{self as q, Contact};
use crate::store::queries::districts;
use crate::store::queries::settings;
use crate::store::{DbConn, Store};
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

fn one<T>(views: Vec<T>) -> Result<T> {
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

pub async fn create_student(store: &Store, input: NewStudent) -> Result<StudentView> {
    let mut v = Violations::default();
    let names = names(&mut v, &input.given_name, &input.family_name, &input.sis_id)?;
    let email = v
        .check(parse_email("email", &input.email))?
        .unwrap_or_default();
    let grade = v
        .check(optional_text("grade", &input.grade))?
        .unwrap_or_default();
    v.into_result()?;
    let mut conn = store.conn().await?;
    districts::require(&mut conn, input.district_id).await?;
    require_school(&mut conn, input.district_id, input.school_id).await?;
    let now = now();
    let row = Student {
        id: new_id(),
        district_id: input.district_id,
        source_id: None,
        sis_id: names.sis_id,
        given_name: names.given,
        family_name: names.family,
        email,
        grade,
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
    let inserted = row.clone();
    conn.transaction::<_, Error, _>(|c| {
        let (inserted, membership) = (inserted.clone(), membership.clone());
        Box::pin(async move {
            q::insert_student(c, &inserted).await?;
            q::insert_school_student(c, &membership).await?;
            Ok(())
        })
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

fn contact(v: &mut Violations, input: &ContactInput, region: &str) -> Result<Contact> {
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

pub async fn create_guardian(store: &Store, input: NewGuardian) -> Result<GuardianView> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, input.district_id).await?;
    let region = settings::load(&mut conn, input.district_id)
        .await?
        .default_phone_region;
    let mut v = Violations::default();
    let names = names(&mut v, &input.given_name, &input.family_name, &input.sis_id)?;
    let contact = contact(&mut v, &input.contact, &region)?;
    let language = v
        .check(optional_text("language", &input.language))?
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
        sis_id: names.sis_id,
        given_name: names.given,
        family_name: names.family,
        email: contact.email,
        sms_number: contact.sms_number,
        home_phone: contact.home_phone,
        language,
        origin: Origin::Manual,
        activated_at: None,
        created_at: now,
        updated_at: now,
    };
    q::insert_guardian(&mut conn, &row).await?;
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

pub async fn create_staff(store: &Store, input: NewStaff) -> Result<StaffView> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, input.district_id).await?;
    let region = settings::load(&mut conn, input.district_id)
        .await?
        .default_phone_region;
    let mut v = Violations::default();
    let names = names(&mut v, &input.given_name, &input.family_name, &input.sis_id)?;
    let contact = contact(&mut v, &input.contact, &region)?;
    let language = v
        .check(optional_text("language", &input.language))?
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
        sis_id: names.sis_id,
        given_name: names.given,
        family_name: names.family,
        email: contact.email,
        sms_number: contact.sms_number,
        home_phone: contact.home_phone,
        language,
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
    let inserted = row.clone();
    conn.transaction::<_, Error, _>(|c| {
        let (inserted, membership) = (inserted.clone(), membership.clone());
        Box::pin(async move {
            q::insert_staff(c, &inserted).await?;
            q::insert_school_staff(c, &membership).await?;
            Ok(())
        })
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

/// The school, whatever its district; NOT_FOUND otherwise.
pub async fn require_school_any(conn: &mut DbConn, school_id: i64) -> Result<School> {
    q::get_school(conn, school_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("school {school_id}")))
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
    q::insert_family_link(&mut conn, &link)
        .await
        .map_err(|e| match Error::from(e) {
            Error::AlreadyExists { .. } => Error::AlreadyExists {
                message: format!(
                    "guardian {guardian_id} is already linked to student {student_id}"
                ),
            },
            other => other,
        })?;
    one(guardian_views(&mut conn, vec![guardian]).await?)
}

/// Finds the guardian or staff member with this id.
async fn account_holder(conn: &mut DbConn, user_id: i64) -> Result<AccountHolder> {
    if let Some(g) = q::get_guardian(conn, user_id).await? {
        return Ok(AccountHolder::Guardian(one(
            guardian_views(conn, vec![g]).await?
        )?));
    }
    if let Some(s) = q::get_staff(conn, user_id).await? {
        return Ok(AccountHolder::Staff(
            one(staff_views(conn, vec![s]).await?)?,
        ));
    }
    Err(Error::not_found(format!(
        "guardian or staff member {user_id}"
    )))
}

/// Which contact fields an update names.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactMask {
    pub email: bool,
    pub sms_number: bool,
    pub home_phone: bool,
}

impl ContactMask {
    /// Reads `update_mask.paths`; an empty or unknown path is INVALID_ARGUMENT.
    pub fn parse(paths: &[String]) -> Result<Self> {
        if paths.is_empty() {
            return Err(Error::invalid(
                "update_mask",
                "must name at least one of email, sms_number, home_phone",
            ));
        }
        let mut mask = ContactMask::default();
        for path in paths {
            match path.as_str() {
                "email" | "contact_details.email" => mask.email = true,
                "sms_number" | "contact_details.sms_number" => mask.sms_number = true,
                "home_phone" | "contact_details.home_phone" => mask.home_phone = true,
                other => {
                    return Err(Error::invalid(
                        "update_mask",
                        format!("unknown path `{other}` (use email, sms_number, home_phone)"),
                    ));
                }
            }
        }
        Ok(mask)
    }
}

/// Edits contact details. Refused with CONTACT_MANAGED_BY_SYNC for an active sis user
/// while the district's Update Active Users setting is on (R4.6).
pub async fn update_contact_details(
    store: &Store,
    user_id: i64,
    input: ContactInput,
    mask: ContactMask,
) -> Result<AccountHolder> {
    let mut conn = store.conn().await?;
    let holder = account_holder(&mut conn, user_id).await?;
    let (district_id, origin, activated, current) = match &holder {
        AccountHolder::Guardian(g) => (
            g.row.district_id,
            &g.row.origin,
            g.row.activated_at.is_some(),
            contact_of(&g.row.email, &g.row.sms_number, &g.row.home_phone),
        ),
        AccountHolder::Staff(s) => (
            s.row.district_id,
            &s.row.origin,
            s.row.activated_at.is_some(),
            contact_of(&s.row.email, &s.row.sms_number, &s.row.home_phone),
        ),
    };
    let settings = settings::load(&mut conn, district_id).await?;
    if *origin == Origin::Sis && activated && settings.update_active_users {
        return Err(Error::precondition(
            "CONTACT_MANAGED_BY_SYNC",
            format!(
                "the contact details of user {user_id} are managed by the roster sync \
                 (Update Active Users is on); change them in the SIS"
            ),
        ));
    }
    let mut v = Violations::default();
    let parsed = contact(&mut v, &input, &settings.default_phone_region)?;
    v.into_result()?;
    let updated = Contact {
        email: if mask.email {
            parsed.email
        } else {
            current.email
        },
        sms_number: if mask.sms_number {
            parsed.sms_number
        } else {
            current.sms_number
        },
        home_phone: if mask.home_phone {
            parsed.home_phone
        } else {
            current.home_phone
        },
    };
    let now = now();
    match &holder {
        AccountHolder::Guardian(_) => {
            q::update_guardian_contact(&mut conn, user_id, &updated, now).await?
        }
        AccountHolder::Staff(_) => {
            q::update_staff_contact(&mut conn, user_id, &updated, now).await?
        }
    }
    account_holder(&mut conn, user_id).await
}

fn contact_of(email: &str, sms_number: &str, home_phone: &str) -> Contact {
    Contact {
        email: email.to_owned(),
        sms_number: sms_number.to_owned(),
        home_phone: home_phone.to_owned(),
    }
}

/// Changes a staff member's role: only ever done here, never by a sync (R4.3).
pub async fn set_staff_role(store: &Store, staff_id: i64, role: StaffRole) -> Result<StaffView> {
    let mut conn = store.conn().await?;
    require_staff(&mut conn, staff_id).await?;
    q::set_staff_role(&mut conn, staff_id, role, now()).await?;
    let row = require_staff(&mut conn, staff_id).await?;
    one(staff_views(&mut conn, vec![row]).await?)
}

/// Records a first login: the invitee becomes an active user (R4.5, R4.6).
pub async fn activate_user(store: &Store, user_id: i64) -> Result<AccountHolder> {
    let mut conn = store.conn().await?;
    let now = now();
    match account_holder(&mut conn, user_id).await? {
        AccountHolder::Guardian(_) => q::activate_guardian(&mut conn, user_id, now).await?,
        AccountHolder::Staff(_) => q::activate_staff(&mut conn, user_id, now).await?,
    }
    account_holder(&mut conn, user_id).await
}
