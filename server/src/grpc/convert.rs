//! Conversions between stored rows / domain values and wire messages.

use crate::directory::{
    AccountHolder, ClassMember, GuardianView, Recipient, StaffView, StudentView,
};
use crate::domain::{Error, Origin, Page, PageRequest, Result, StaffRole, StatusFilter, parse_id};
use crate::store::models;
use chrono::NaiveDateTime;
use roster_proto::prost_types::Timestamp;
use roster_proto::v1 as pb;

pub fn timestamp(t: NaiveDateTime) -> Option<Timestamp> {
    let utc = t.and_utc();
    Some(Timestamp {
        seconds: utc.timestamp(),
        nanos: utc.timestamp_subsec_nanos() as i32,
    })
}

pub fn id(id: i64) -> String {
    id.to_string()
}

fn origin(text: &str) -> i32 {
    match Origin::parse(text) {
        Ok(Origin::Sis) => pb::Origin::Sis as i32,
        Ok(Origin::Manual) => pb::Origin::Manual as i32,
        Err(_) => pb::Origin::Unspecified as i32,
    }
}

fn status(archived_at: Option<NaiveDateTime>) -> i32 {
    if archived_at.is_some() {
        pb::RecordStatus::Archived as i32
    } else {
        pb::RecordStatus::Active as i32
    }
}

fn account_state(activated_at: Option<NaiveDateTime>) -> i32 {
    if activated_at.is_some() {
        pb::AccountState::Active as i32
    } else {
        pb::AccountState::Invitee as i32
    }
}

fn ids(ids: &[i64]) -> Vec<String> {
    ids.iter().map(|i| i.to_string()).collect()
}

pub fn district(d: models::District) -> pb::District {
    pb::District {
        id: id(d.id),
        display_name: d.display_name,
        create_time: timestamp(d.created_at),
        update_time: timestamp(d.updated_at),
    }
}

pub fn school(s: models::School) -> pb::School {
    pb::School {
        id: id(s.id),
        district_id: id(s.district_id),
        name: s.name,
        source_id: s.source_id.unwrap_or_default(),
        sis_id: s.sis_id,
        origin: origin(&s.origin),
        status: status(s.archived_at),
    }
}

pub fn student(v: StudentView) -> pb::Student {
    let s = v.row;
    pb::Student {
        id: id(s.id),
        district_id: id(s.district_id),
        given_name: s.given_name,
        family_name: s.family_name,
        email: s.email,
        grade: s.grade,
        source_id: s.source_id.unwrap_or_default(),
        sis_id: s.sis_id,
        origin: origin(&s.origin),
        status: status(s.archived_at),
        school_ids: ids(&v.school_ids),
        guardian_ids: ids(&v.guardian_ids),
        attributes: serde_json::from_str(&s.attributes).unwrap_or_default(),
        create_time: timestamp(s.created_at),
        update_time: timestamp(s.updated_at),
    }
}

pub fn guardian(v: GuardianView) -> pb::Guardian {
    let g = v.row;
    pb::Guardian {
        id: id(g.id),
        district_id: id(g.district_id),
        given_name: g.given_name,
        family_name: g.family_name,
        email: g.email,
        sms_number: g.sms_number,
        home_phone: g.home_phone,
        language: g.language,
        source_id: g.source_id.unwrap_or_default(),
        sis_id: g.sis_id,
        origin: origin(&g.origin),
        account_state: account_state(g.activated_at),
        student_ids: ids(&v.student_ids),
        create_time: timestamp(g.created_at),
        update_time: timestamp(g.updated_at),
    }
}

pub fn staff(v: StaffView) -> pb::StaffMember {
    let s = v.row;
    pb::StaffMember {
        id: id(s.id),
        district_id: id(s.district_id),
        given_name: s.given_name,
        family_name: s.family_name,
        email: s.email,
        sms_number: s.sms_number,
        home_phone: s.home_phone,
        language: s.language,
        role: match StaffRole::parse(&s.role) {
            Ok(StaffRole::Admin) => pb::StaffRole::Admin as i32,
            Ok(StaffRole::Teacher) => pb::StaffRole::Teacher as i32,
            Err(_) => pb::StaffRole::Unspecified as i32,
        },
        source_id: s.source_id.unwrap_or_default(),
        sis_id: s.sis_id,
        origin: origin(&s.origin),
        account_state: account_state(s.activated_at),
        school_ids: ids(&v.school_ids),
        create_time: timestamp(s.created_at),
        update_time: timestamp(s.updated_at),
    }
}

pub fn class(c: models::Class) -> pb::Class {
    pb::Class {
        id: id(c.id),
        district_id: id(c.district_id),
        school_id: id(c.school_id),
        name: c.name,
        grades: c
            .grades
            .split(',')
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect(),
        source_id: c.source_id.unwrap_or_default(),
        sis_id: c.sis_id,
        origin: origin(&c.origin),
        status: status(c.archived_at),
        create_time: timestamp(c.created_at),
        update_time: timestamp(c.updated_at),
    }
}

pub fn class_member(m: ClassMember) -> pb::ClassMember {
    match m {
        ClassMember::Teacher(t) => pb::ClassMember {
            role: pb::ClassMemberRole::Teacher as i32,
            member: Some(pb::class_member::Member::Teacher(staff(t))),
        },
        ClassMember::Student(s) => pb::ClassMember {
            role: pb::ClassMemberRole::Student as i32,
            member: Some(pb::class_member::Member::Student(student(s))),
        },
    }
}

pub fn recipient(r: Recipient) -> pb::AnnouncementRecipient {
    match r {
        Recipient::Staff(s) => pb::AnnouncementRecipient {
            kind: pb::RecipientKind::Staff as i32,
            user_id: id(s.row.id),
            display_name: format!("{} {}", s.row.given_name, s.row.family_name),
            email: s.row.email,
            sms_number: s.row.sms_number,
        },
        Recipient::Guardian(g) => pb::AnnouncementRecipient {
            kind: pb::RecipientKind::Guardian as i32,
            user_id: id(g.row.id),
            display_name: format!("{} {}", g.row.given_name, g.row.family_name),
            email: g.row.email,
            sms_number: g.row.sms_number,
        },
    }
}

/// Either a guardian or a staff member, for the responses that carry a `oneof user`.
pub enum User {
    Guardian(pb::Guardian),
    Staff(pb::StaffMember),
}

pub fn account_holder(h: AccountHolder) -> User {
    match h {
        AccountHolder::Guardian(g) => User::Guardian(guardian(g)),
        AccountHolder::Staff(s) => User::Staff(staff(s)),
    }
}

/// Reads a status filter: UNSPECIFIED means ACTIVE; an unknown number is refused.
pub fn status_filter(value: i32) -> Result<StatusFilter> {
    match pb::StatusFilter::try_from(value) {
        Ok(pb::StatusFilter::Unspecified | pb::StatusFilter::Active) => Ok(StatusFilter::Active),
        Ok(pb::StatusFilter::Archived) => Ok(StatusFilter::Archived),
        Ok(pb::StatusFilter::All) => Ok(StatusFilter::All),
        Err(_) => Err(Error::invalid(
            "status_filter",
            format!("unknown value {value}"),
        )),
    }
}

/// Reads a staff role; UNSPECIFIED is None.
pub fn staff_role(value: i32) -> Result<Option<StaffRole>> {
    match pb::StaffRole::try_from(value) {
        Ok(pb::StaffRole::Unspecified) => Ok(None),
        Ok(pb::StaffRole::Admin) => Ok(Some(StaffRole::Admin)),
        Ok(pb::StaffRole::Teacher) => Ok(Some(StaffRole::Teacher)),
        Err(_) => Err(Error::invalid("role", format!("unknown value {value}"))),
    }
}

/// Parses paging fields for a list named by `scope` (the list and its filters).
pub fn page(page_size: i32, page_token: &str, scope: String) -> Result<PageRequest> {
    PageRequest::parse(page_size, page_token, scope)
}

/// A page's items converted, and its token ("" at the end).
pub fn paged<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> (Vec<U>, String) {
    let page = page.map(f);
    (page.items, page.next_page_token.unwrap_or_default())
}

/// Parses a required id field.
pub fn req_id(field: &str, value: &str) -> Result<i64> {
    parse_id(field, value)
}
