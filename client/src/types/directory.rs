//! Directory records: districts, schools, people, classes, and what a guardian reaches.

use super::{AccountState, Origin, RecipientKind, RecordStatus, StaffRole};
use super::{all, required, serialize_time, text, time};
use crate::{Error, pb};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// A district: the unit of sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct District {
    /// Server-assigned id.
    pub id: String,
    /// Human-readable name shown in the product.
    pub display_name: String,
    /// When it was created.
    #[serde(serialize_with = "serialize_time")]
    pub create_time: Option<SystemTime>,
    /// When it last changed.
    #[serde(serialize_with = "serialize_time")]
    pub update_time: Option<SystemTime>,
}

impl From<pb::District> for District {
    fn from(d: pb::District) -> Self {
        District {
            id: d.id,
            display_name: d.display_name,
            create_time: time(d.create_time),
            update_time: time(d.update_time),
        }
    }
}

/// A school of a district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct School {
    /// Server-assigned id.
    pub id: String,
    /// The district it belongs to.
    pub district_id: String,
    /// Its name.
    pub name: String,
    /// The source's stable id; `None` for manual records.
    pub source_id: Option<String>,
    /// The human SIS ID, when known.
    pub sis_id: Option<String>,
    /// Where it came from.
    pub origin: Origin,
    /// Active or archived.
    pub status: RecordStatus,
}

impl TryFrom<pb::School> for School {
    type Error = Error;

    fn try_from(s: pb::School) -> Result<Self, Error> {
        Ok(School {
            id: s.id,
            district_id: s.district_id,
            name: s.name,
            source_id: text(s.source_id),
            sis_id: text(s.sis_id),
            origin: s.origin.try_into()?,
            status: s.status.try_into()?,
        })
    }
}

/// A student. Students hold no account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Student {
    /// Server-assigned id.
    pub id: String,
    /// The district it belongs to.
    pub district_id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Email address, when known.
    pub email: Option<String>,
    /// Grade level as the source writes it (for example `KG`, `05`).
    pub grade: Option<String>,
    /// The source's stable id; `None` for manual records.
    pub source_id: Option<String>,
    /// The human SIS ID, when known.
    pub sis_id: Option<String>,
    /// Where it came from.
    pub origin: Origin,
    /// `Archived` for a student of an abandoned family under the `SOFT` policy.
    pub status: RecordStatus,
    /// Schools the student is a member of.
    pub school_ids: Vec<String>,
    /// Guardians linked to the student.
    pub guardian_ids: Vec<String>,
    /// Attributes from the source's demographics and metadata columns.
    pub attributes: BTreeMap<String, String>,
    /// When it was created.
    #[serde(serialize_with = "serialize_time")]
    pub create_time: Option<SystemTime>,
    /// When it last changed.
    #[serde(serialize_with = "serialize_time")]
    pub update_time: Option<SystemTime>,
}

impl TryFrom<pb::Student> for Student {
    type Error = Error;

    fn try_from(s: pb::Student) -> Result<Self, Error> {
        Ok(Student {
            id: s.id,
            district_id: s.district_id,
            given_name: s.given_name,
            family_name: s.family_name,
            email: text(s.email),
            grade: text(s.grade),
            source_id: text(s.source_id),
            sis_id: text(s.sis_id),
            origin: s.origin.try_into()?,
            status: s.status.try_into()?,
            school_ids: s.school_ids,
            guardian_ids: s.guardian_ids,
            attributes: s.attributes.into_iter().collect(),
            create_time: time(s.create_time),
            update_time: time(s.update_time),
        })
    }
}

/// A guardian: a OneRoster parent, guardian or relative; a Clever contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guardian {
    /// Server-assigned id.
    pub id: String,
    /// The district it belongs to.
    pub district_id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Email address, when known.
    pub email: Option<String>,
    /// SMS-capable number in E.164 form.
    pub sms_number: Option<String>,
    /// Home phone number in E.164 form.
    pub home_phone: Option<String>,
    /// Preferred language (a BCP 47 tag such as `en`).
    pub language: Option<String>,
    /// The source's stable id; `None` for manual records.
    pub source_id: Option<String>,
    /// The human SIS ID, when known.
    pub sis_id: Option<String>,
    /// Where it came from.
    pub origin: Origin,
    /// Invitee or active.
    pub account_state: AccountState,
    /// Students the guardian is linked to.
    pub student_ids: Vec<String>,
    /// When it was created.
    #[serde(serialize_with = "serialize_time")]
    pub create_time: Option<SystemTime>,
    /// When it last changed.
    #[serde(serialize_with = "serialize_time")]
    pub update_time: Option<SystemTime>,
}

impl TryFrom<pb::Guardian> for Guardian {
    type Error = Error;

    fn try_from(g: pb::Guardian) -> Result<Self, Error> {
        Ok(Guardian {
            id: g.id,
            district_id: g.district_id,
            given_name: g.given_name,
            family_name: g.family_name,
            email: text(g.email),
            sms_number: text(g.sms_number),
            home_phone: text(g.home_phone),
            language: text(g.language),
            source_id: text(g.source_id),
            sis_id: text(g.sis_id),
            origin: g.origin.try_into()?,
            account_state: g.account_state.try_into()?,
            student_ids: g.student_ids,
            create_time: time(g.create_time),
            update_time: time(g.update_time),
        })
    }
}

/// A staff member: teacher or administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    /// Server-assigned id.
    pub id: String,
    /// The district it belongs to.
    pub district_id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Email address, when known.
    pub email: Option<String>,
    /// SMS-capable number in E.164 form.
    pub sms_number: Option<String>,
    /// Home phone number in E.164 form.
    pub home_phone: Option<String>,
    /// Preferred language (a BCP 47 tag such as `en`).
    pub language: Option<String>,
    /// Admin or teacher.
    pub role: StaffRole,
    /// The source's stable id; `None` for manual records.
    pub source_id: Option<String>,
    /// The human SIS ID, when known.
    pub sis_id: Option<String>,
    /// Where it came from.
    pub origin: Origin,
    /// Invitee or active.
    pub account_state: AccountState,
    /// Schools the staff member is a member of; empty once removed from all.
    pub school_ids: Vec<String>,
    /// When it was created.
    #[serde(serialize_with = "serialize_time")]
    pub create_time: Option<SystemTime>,
    /// When it last changed.
    #[serde(serialize_with = "serialize_time")]
    pub update_time: Option<SystemTime>,
}

impl TryFrom<pb::StaffMember> for StaffMember {
    type Error = Error;

    fn try_from(s: pb::StaffMember) -> Result<Self, Error> {
        Ok(StaffMember {
            id: s.id,
            district_id: s.district_id,
            given_name: s.given_name,
            family_name: s.family_name,
            email: text(s.email),
            sms_number: text(s.sms_number),
            home_phone: text(s.home_phone),
            language: text(s.language),
            role: s.role.try_into()?,
            source_id: text(s.source_id),
            sis_id: text(s.sis_id),
            origin: s.origin.try_into()?,
            account_state: s.account_state.try_into()?,
            school_ids: s.school_ids,
            create_time: time(s.create_time),
            update_time: time(s.update_time),
        })
    }
}

/// A class (a OneRoster class, a Clever section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Class {
    /// Server-assigned id.
    pub id: String,
    /// The district it belongs to.
    pub district_id: String,
    /// The school it belongs to.
    pub school_id: String,
    /// Its name.
    pub name: String,
    /// Grade levels of the class.
    pub grades: Vec<String>,
    /// The source's stable id; `None` for manual records.
    pub source_id: Option<String>,
    /// The human SIS ID, when known.
    pub sis_id: Option<String>,
    /// Where it came from.
    pub origin: Origin,
    /// `Archived` once abandoned by a sync.
    pub status: RecordStatus,
    /// When it was created.
    #[serde(serialize_with = "serialize_time")]
    pub create_time: Option<SystemTime>,
    /// When it last changed.
    #[serde(serialize_with = "serialize_time")]
    pub update_time: Option<SystemTime>,
}

impl TryFrom<pb::Class> for Class {
    type Error = Error;

    fn try_from(c: pb::Class) -> Result<Self, Error> {
        Ok(Class {
            id: c.id,
            district_id: c.district_id,
            school_id: c.school_id,
            name: c.name,
            grades: c.grades,
            source_id: text(c.source_id),
            sis_id: text(c.sis_id),
            origin: c.origin.try_into()?,
            status: c.status.try_into()?,
            create_time: time(c.create_time),
            update_time: time(c.update_time),
        })
    }
}

/// A member of a class: a teacher or a student.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "role", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClassMember {
    /// A teacher of the class.
    Teacher(StaffMember),
    /// A student of the class.
    Student(Student),
}

impl TryFrom<pb::ClassMember> for ClassMember {
    type Error = Error;

    fn try_from(m: pb::ClassMember) -> Result<Self, Error> {
        match required(m.member, "class member")? {
            pb::class_member::Member::Teacher(t) => Ok(ClassMember::Teacher(t.try_into()?)),
            pb::class_member::Member::Student(s) => Ok(ClassMember::Student(s.try_into()?)),
        }
    }
}

/// A guardian or staff member: the people who hold accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum User {
    /// A guardian.
    Guardian(Guardian),
    /// A staff member.
    Staff(StaffMember),
}

impl TryFrom<pb::update_contact_details_response::User> for User {
    type Error = Error;

    fn try_from(u: pb::update_contact_details_response::User) -> Result<Self, Error> {
        use pb::update_contact_details_response::User as Wire;
        match u {
            Wire::Guardian(g) => Ok(User::Guardian(g.try_into()?)),
            Wire::StaffMember(s) => Ok(User::Staff(s.try_into()?)),
        }
    }
}

impl TryFrom<pb::activate_user_response::User> for User {
    type Error = Error;

    fn try_from(u: pb::activate_user_response::User) -> Result<Self, Error> {
        use pb::activate_user_response::User as Wire;
        match u {
            Wire::Guardian(g) => Ok(User::Guardian(g.try_into()?)),
            Wire::StaffMember(s) => Ok(User::Staff(s.try_into()?)),
        }
    }
}

/// One student with its guardians and classes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudentDetail {
    /// The student.
    pub student: Student,
    /// Its guardians.
    pub guardians: Vec<Guardian>,
    /// Its classes.
    pub classes: Vec<Class>,
}

impl TryFrom<pb::GetStudentResponse> for StudentDetail {
    type Error = Error;

    fn try_from(r: pb::GetStudentResponse) -> Result<Self, Error> {
        Ok(StudentDetail {
            student: required(r.student, "student")?.try_into()?,
            guardians: all(r.guardians)?,
            classes: all(r.classes)?,
        })
    }
}

/// What a guardian reaches now: linked students, schools, classrooms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardianAccess {
    /// The guardian.
    pub guardian: Guardian,
    /// Every linked student, active or archived.
    pub students: Vec<Student>,
    /// Schools reached through at least one active linked student.
    pub schools: Vec<School>,
    /// Non-archived classrooms in which an active linked student is enrolled.
    pub classes: Vec<Class>,
    /// Classrooms reached only through archived students' class content.
    pub student_content_classes: Vec<Class>,
}

impl TryFrom<pb::GetGuardianAccessResponse> for GuardianAccess {
    type Error = Error;

    fn try_from(r: pb::GetGuardianAccessResponse) -> Result<Self, Error> {
        Ok(GuardianAccess {
            guardian: required(r.guardian, "guardian")?.try_into()?,
            students: all(r.students)?,
            schools: all(r.schools)?,
            classes: all(r.classes)?,
            student_content_classes: all(r.student_content_classes)?,
        })
    }
}

/// A person who receives an announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnouncementRecipient {
    /// Staff member or guardian.
    pub kind: RecipientKind,
    /// The staff member's or guardian's id.
    pub user_id: String,
    /// The name to show.
    pub display_name: String,
    /// Email address, when known.
    pub email: Option<String>,
    /// SMS-capable number, when known.
    pub sms_number: Option<String>,
}

impl TryFrom<pb::AnnouncementRecipient> for AnnouncementRecipient {
    type Error = Error;

    fn try_from(r: pb::AnnouncementRecipient) -> Result<Self, Error> {
        Ok(AnnouncementRecipient {
            kind: r.kind.try_into()?,
            user_id: r.user_id,
            display_name: r.display_name,
            email: text(r.email),
            sms_number: text(r.sms_number),
        })
    }
}

/// A student, guardian or staff member, as [`search_people`](crate::RosterClient::search_people)
/// finds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Person {
    /// A student.
    Student(Student),
    /// A guardian.
    Guardian(Guardian),
    /// A staff member.
    Staff(StaffMember),
}

impl Person {
    /// The person's id, whatever its kind.
    pub fn id(&self) -> &str {
        match self {
            Person::Student(s) => &s.id,
            Person::Guardian(g) => &g.id,
            Person::Staff(s) => &s.id,
        }
    }
}

impl TryFrom<pb::Person> for Person {
    type Error = Error;

    fn try_from(p: pb::Person) -> Result<Self, Error> {
        use pb::person::Person as Wire;
        match required(p.person, "person")? {
            Wire::Student(s) => Ok(Person::Student(s.try_into()?)),
            Wire::Guardian(g) => Ok(Person::Guardian(g.try_into()?)),
            Wire::StaffMember(s) => Ok(Person::Staff(s.try_into()?)),
        }
    }
}

/// One guardian with its linked students.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardianDetail {
    /// The guardian.
    pub guardian: Guardian,
    /// Every linked student, active or archived.
    pub students: Vec<Student>,
}

impl TryFrom<pb::GetGuardianResponse> for GuardianDetail {
    type Error = Error;

    fn try_from(r: pb::GetGuardianResponse) -> Result<Self, Error> {
        Ok(GuardianDetail {
            guardian: required(r.guardian, "guardian")?.try_into()?,
            students: all(r.students)?,
        })
    }
}

/// One staff member with the classes it teaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMemberDetail {
    /// The staff member.
    pub staff_member: StaffMember,
    /// The classes it teaches, archived ones included.
    pub classes: Vec<Class>,
}

impl TryFrom<pb::GetStaffMemberResponse> for StaffMemberDetail {
    type Error = Error;

    fn try_from(r: pb::GetStaffMemberResponse) -> Result<Self, Error> {
        Ok(StaffMemberDetail {
            staff_member: required(r.staff_member, "staff member")?.try_into()?,
            classes: all(r.classes)?,
        })
    }
}

/// One class with its school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassDetail {
    /// The class.
    pub class: Class,
    /// Its school.
    pub school: School,
}

impl TryFrom<pb::GetClassResponse> for ClassDetail {
    type Error = Error;

    fn try_from(r: pb::GetClassResponse) -> Result<Self, Error> {
        Ok(ClassDetail {
            class: required(r.class, "class")?.try_into()?,
            school: required(r.school, "school")?.try_into()?,
        })
    }
}
