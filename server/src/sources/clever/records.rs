//! Clever records as Clever lists them, and what each becomes in the snapshot: schools,
//! people by role (a user holds one object per role), contacts' family relationships, and
//! sections with their students and teachers (R8.5).

/// A Clever record as one collection lists it.
use crate::domain::{IssueCode, RecordKind, StaffRole};
use crate::snapshot::{
    Carried, Issue, SnapClass, SnapEnrollment, SnapGuardian, SnapLink, SnapSchool, SnapStaff,
    SnapStudent, Snapshot, SourceId, SourceRef, TermEnd, Text,
};
use crate::sources::terms::Sessions;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use std::collections::{BTreeMap, HashSet};

pub(super) trait Record: DeserializeOwned {
    /// What an issue about a record that cannot be read is filed under.
    const KIND: RecordKind;

    fn id(&self) -> &str;

    /// What an issue about this record is filed under.
    fn kind(&self) -> RecordKind {
        Self::KIND
    }
}

/// A district: not synced itself, but an org people may name without being in error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct District {
    pub(super) id: String,
}

impl Record for District {
    const KIND: RecordKind = RecordKind::School;

    fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct School {
    id: String,
    name: String,
    sis_id: String,
}

impl Record for School {
    const KIND: RecordKind = RecordKind::School;

    fn id(&self) -> &str {
        &self.id
    }
}

pub(super) fn add_school(school: School, at: &SourceRef, snap: &mut Snapshot) {
    if school.name.is_empty() {
        let kind = RecordKind::School;
        let issue = Issue::invalid(
            kind,
            IssueCode::MissingField,
            at,
            &school.id,
            "name",
            "name is empty",
        );
        snap.issues.push(issue);
        return;
    }
    snap.schools.push(SnapSchool {
        source_id: Text::new(school.id),
        sis_id: Text::new(school.sis_id),
        name: Text::new(school.name),
        at: at.clone(),
    });
}

/// A Clever user: a person, with one object per role held.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct User {
    id: String,
    email: String,
    name: Name,
    roles: Roles,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Name {
    first: String,
    last: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Roles {
    student: Option<StudentInfo>,
    teacher: Option<TeacherInfo>,
    staff: Option<StaffInfo>,
    /// Only whether the user holds the role matters: a district admin is an admin.
    district_admin: Option<IgnoredAny>,
    contact: Option<ContactInfo>,
}

impl Roles {
    /// Whether any role makes the user a staff member (R2.3).
    fn is_staff(&self) -> bool {
        self.teacher.is_some() || self.staff.is_some() || self.district_admin.is_some()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct StudentInfo {
    sis_id: String,
    /// The primary school; `schools` lists all of them.
    school: String,
    schools: Vec<String>,
    grade: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TeacherInfo {
    sis_id: String,
    school: String,
    schools: Vec<String>,
}

/// Clever's `staff` role (called school admins in older API versions).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct StaffInfo {
    /// Clever staff have no `sis_id`; this is the district's identifier for them.
    staff_id: String,
    schools: Vec<String>,
    /// The Clever roles given to the staff member, e.g. `School Tech Lead`.
    roles: Vec<String>,
}

impl StaffInfo {
    /// Clever staff only reach the Clever portal by default; a district grants admin
    /// rights with a role, School Tech Lead being Clever's admin role for staff. A role
    /// naming "admin" counts as well, for districts that name their own.
    fn has_admin_rights(&self) -> bool {
        self.roles.iter().any(|role| {
            let role = role.to_ascii_lowercase();
            role == "school tech lead" || role.contains("admin")
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ContactInfo {
    sis_id: String,
    phone: String,
    /// `Cell`, `Home`, `Work`, `Other` or empty.
    phone_type: String,
    student_relationships: Vec<StudentRelationship>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct StudentRelationship {
    student: String,
}

impl Record for User {
    const KIND: RecordKind = RecordKind::Student;

    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> RecordKind {
        if self.roles.student.is_some() {
            RecordKind::Student
        } else if self.roles.is_staff() {
            RecordKind::Staff
        } else if self.roles.contact.is_some() {
            RecordKind::Guardian
        } else {
            Self::KIND
        }
    }
}

/// A family relationship as a contact lists it, kept until every user is known.
pub(super) struct Listed {
    link: SnapLink,
    at: SourceRef,
}

/// One record per kind of role the user holds: a student, a guardian (contact) and one
/// staff member for its teacher, staff and district admin roles together, since staff are
/// keyed by user id and a teacher who is also a school admin is one person (R2.3).
pub(super) fn add_user(user: User, at: &SourceRef, snap: &mut Snapshot, listed: &mut Vec<Listed>) {
    let roles = &user.roles;
    if roles.student.is_none() && roles.contact.is_none() && !roles.is_staff() {
        let message =
            "the user has none of the roles student, teacher, staff, district_admin and contact";
        let issue = Issue::invalid(
            user.kind(),
            IssueCode::InvalidValue,
            at,
            &user.id,
            "roles",
            message,
        );
        snap.issues.push(issue);
        return;
    }
    if let Some(role) = &roles.student
        && let Some(name) = names(&user, RecordKind::Student, at, &mut snap.issues)
    {
        snap.students.push(student(&user, role, name, at));
    }
    if roles.is_staff()
        && let Some(name) = names(&user, RecordKind::Staff, at, &mut snap.issues)
    {
        snap.staff.push(staff(&user, roles, name, at));
    }
    if let Some(role) = &roles.contact
        && let Some(name) = names(&user, RecordKind::Guardian, at, &mut snap.issues)
    {
        snap.guardians.push(guardian(&user, role, name, at));
        list_relationships(&user, role, at, snap, listed);
    }
}

/// Given and family name, which every record needs; `None`, with an issue, when one is
/// missing.
pub(super) fn names(
    user: &User,
    kind: RecordKind,
    at: &SourceRef,
    issues: &mut Vec<Issue>,
) -> Option<(String, String)> {
    for (field, value) in [
        ("name.first", &user.name.first),
        ("name.last", &user.name.last),
    ] {
        if value.is_empty() {
            let message = format!("{field} is empty");
            issues.push(Issue::invalid(
                kind,
                IssueCode::MissingField,
                at,
                &user.id,
                field,
                message,
            ));
            return None;
        }
    }
    Some((user.name.first.clone(), user.name.last.clone()))
}

/// A role's school memberships (R8.4): all its `schools`, or its one `school`.
pub(super) fn memberships(schools: &[String], school: &str) -> Vec<String> {
    if !schools.is_empty() {
        schools.to_vec()
    } else if school.is_empty() {
        Vec::new()
    } else {
        vec![school.to_owned()]
    }
}

pub(super) fn student(
    user: &User,
    role: &StudentInfo,
    (given_name, family_name): (String, String),
    at: &SourceRef,
) -> SnapStudent {
    SnapStudent {
        source_id: Text::new(&user.id),
        sis_id: Text::new(&role.sis_id),
        given_name: Text::new(given_name),
        family_name: Text::new(family_name),
        email: Text::new(&user.email),
        grade: Text::new(grade(&role.grade)),
        school_source_ids: memberships(&role.schools, &role.school),
        // Clever does not carry them our way (R2.6): the stored ones stay.
        attributes: BTreeMap::new(),
        attribute_keys: Some(Default::default()),
        carried: Carried::default(),
        at: at.clone(),
    }
}

/// The staff member of a user's teacher, staff and district admin roles. It is an admin
/// when it is a district admin or staff with admin rights, else a teacher (R2.3); it
/// belongs to the schools of its teacher and staff roles (a district admin's role names
/// none). Clever has no phone numbers or language for staff.
pub(super) fn staff(
    user: &User,
    roles: &Roles,
    (given_name, family_name): (String, String),
    at: &SourceRef,
) -> SnapStaff {
    let teacher = roles.teacher.as_ref();
    let school_staff = roles.staff.as_ref();
    let admin =
        roles.district_admin.is_some() || school_staff.is_some_and(StaffInfo::has_admin_rights);
    let mut schools: Vec<String> = teacher
        .map(|t| memberships(&t.schools, &t.school))
        .unwrap_or_default();
    schools.extend(
        school_staff
            .into_iter()
            .flat_map(|s| s.schools.iter().cloned()),
    );
    let mut listed = HashSet::new();
    schools.retain(|school| listed.insert(school.clone()));
    let sis_id = teacher
        .map(|t| t.sis_id.clone())
        .filter(|id| !id.is_empty())
        .or_else(|| school_staff.map(|s| s.staff_id.clone()))
        .unwrap_or_default();
    SnapStaff {
        source_id: Text::new(&user.id),
        sis_id: Text::new(sis_id),
        given_name: Text::new(given_name),
        family_name: Text::new(family_name),
        email: Text::new(&user.email),
        sms_number: Text::default(),
        home_phone: Text::default(),
        language: Text::default(),
        role: if admin {
            StaffRole::Admin
        } else {
            StaffRole::Teacher
        },
        school_source_ids: schools,
        // Clever has no phone numbers for staff: the stored ones stay (R4.8).
        carried: Carried {
            sms: false,
            phone: false,
            ..Carried::default()
        },
        at: at.clone(),
    }
}

pub(super) fn guardian(
    user: &User,
    role: &ContactInfo,
    (given_name, family_name): (String, String),
    at: &SourceRef,
) -> SnapGuardian {
    let (sms_number, home_phone) = phones(role);
    // A contact has one phone: the field it is not says nothing of the other (R4.8).
    let carried = match (sms_number.is_empty(), home_phone.is_empty()) {
        (false, true) => Carried {
            phone: false,
            ..Carried::default()
        },
        (true, false) => Carried {
            sms: false,
            ..Carried::default()
        },
        _ => Carried::default(),
    };
    SnapGuardian {
        source_id: Text::new(&user.id),
        sis_id: Text::new(&role.sis_id),
        given_name: Text::new(given_name),
        family_name: Text::new(family_name),
        email: Text::new(&user.email),
        sms_number: Text::new(sms_number),
        home_phone: Text::new(home_phone),
        // Clever contacts carry no language.
        language: Text::default(),
        carried,
        at: at.clone(),
    }
}

/// A contact's one phone as (SMS number, home phone). A cell phone is the SMS number; so is
/// one of unknown or `Other` type, which the planner keeps only if the phone library finds
/// it SMS-capable (R3.1). A home phone is the home phone; a work phone is neither.
pub(super) fn phones(role: &ContactInfo) -> (String, String) {
    let phone = role.phone.clone();
    match role.phone_type.to_ascii_lowercase().as_str() {
        "home" => (String::new(), phone),
        "work" => (String::new(), String::new()),
        _ => (phone, String::new()),
    }
}

/// The contact's `student_relationships` (R8.5), resolved once every user is read.
pub(super) fn list_relationships(
    user: &User,
    role: &ContactInfo,
    at: &SourceRef,
    snap: &mut Snapshot,
    listed: &mut Vec<Listed>,
) {
    for relationship in &role.student_relationships {
        if relationship.student.is_empty() {
            let field = "student_relationships.student";
            let kind = RecordKind::FamilyRelationship;
            let issue = Issue::invalid(
                kind,
                IssueCode::MissingField,
                at,
                &user.id,
                field,
                format!("{field} is empty"),
            );
            snap.issues.push(issue);
            continue;
        }
        listed.push(Listed {
            link: SnapLink {
                student_source_id: SourceId::new(&relationship.student),
                guardian_source_id: SourceId::new(&user.id),
            },
            at: at.clone(),
        });
    }
}

/// Keeps the relationships whose student is a user of the district; one naming a user
/// Clever does not list is reported (R3.3). A relationship with a user that is no student
/// record goes later, silently, with the reference check.
pub(super) fn resolve_links(listed: Vec<Listed>, users: &HashSet<String>, snap: &mut Snapshot) {
    for Listed { link, at } in listed {
        if users.contains(link.student_source_id.as_str()) {
            snap.links.push(link);
            continue;
        }
        let message = format!(
            "student `{}` is not among the district's users",
            link.student_source_id
        );
        snap.issues.push(Issue::invalid(
            RecordKind::FamilyRelationship,
            IssueCode::UnknownReference,
            &at,
            &link.guardian_source_id,
            "student_relationships.student",
            message,
        ));
    }
}

/// A Clever section: a class with its students and teachers.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Section {
    id: String,
    name: String,
    sis_id: String,
    school: String,
    grade: String,
    students: Vec<String>,
    teachers: Vec<String>,
    /// The primary teacher, normally also in `teachers`.
    teacher: String,
    /// The section's term (R5.10).
    term_id: String,
}

/// A Clever term: read for when the sections of that term end (R5.10).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Term {
    pub(super) id: String,
    /// `YYYY-MM-DD`.
    pub(super) end_date: String,
}

impl Record for Term {
    const KIND: RecordKind = RecordKind::Class;

    fn id(&self) -> &str {
        &self.id
    }
}

impl Record for Section {
    const KIND: RecordKind = RecordKind::Class;

    fn id(&self) -> &str {
        &self.id
    }
}

/// The class and its enrollments (R2.4, R2.5). Clever has no enrollment ids, so the
/// enrollments have none; the references are checked later, with the store. With `terms`
/// (Clever served them), the class ends with its term (R5.10).
pub(super) fn add_section(
    section: Section,
    at: &SourceRef,
    snap: &mut Snapshot,
    terms: Option<&Sessions>,
) {
    for (field, value) in [("name", &section.name), ("school", &section.school)] {
        if value.is_empty() {
            let message = format!("{field} is empty");
            let issue = Issue::invalid(
                RecordKind::Class,
                IssueCode::MissingField,
                at,
                &section.id,
                field,
                message,
            );
            snap.issues.push(issue);
            return;
        }
    }
    let enrollment = |user: &String| SnapEnrollment {
        source_id: SourceId::default(),
        class_source_id: SourceId::new(&section.id),
        user_source_id: SourceId::new(user),
        at: at.clone(),
    };
    snap.student_enrollments
        .extend(unique(section.students.iter()).into_iter().map(enrollment));
    let teachers = section.teachers.iter().chain([&section.teacher]);
    snap.teacher_enrollments
        .extend(unique(teachers).into_iter().map(enrollment));
    let grades = if section.grade.is_empty() {
        Vec::new()
    } else {
        vec![grade(&section.grade)]
    };
    let term_end = match terms {
        Some(terms) => {
            let term: Vec<String> = (!section.term_id.is_empty())
                .then(|| section.term_id.clone())
                .into_iter()
                .collect();
            terms.class_end(&section.id, &term, at, "term_id", &mut snap.issues)
        }
        None => TermEnd::Unknown,
    };
    snap.classes.push(SnapClass {
        source_id: Text::new(section.id),
        sis_id: Text::new(section.sis_id),
        name: Text::new(section.name),
        grades,
        school_source_id: Text::new(section.school),
        term_end,
        at: at.clone(),
    });
}

/// The non-empty ids, each once, in order.
pub(super) fn unique<'a>(ids: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut seen = HashSet::new();
    ids.filter(|id| !id.is_empty() && seen.insert(*id))
        .collect()
}

/// A Clever grade in our vocabulary, OneRoster's (CEDS) codes as CSV and REST sources write
/// them, so a district reads the same from any source: `Kindergarten` is `KG`, `4` is
/// `04`. A word Clever does not define is kept as written.
pub(super) fn grade(clever: &str) -> String {
    let code = match clever {
        "InfantToddler" => "IT",
        "Preschool" => "PR",
        "PreKindergarten" => "PK",
        "TransitionalKindergarten" => "TK",
        "Kindergarten" => "KG",
        "PostGraduate" => "PS",
        "Ungraded" => "UG",
        "Other" => "Other",
        number => {
            return match number.parse::<u8>() {
                Ok(n @ 1..=13) => format!("{n:02}"),
                _ => number.to_owned(),
            };
        }
    };
    code.to_owned()
}
