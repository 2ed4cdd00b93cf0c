//! Directory records on the wire.

use super::{Wire, id, ids, timestamp};
use crate::directory::{
    AccountHolder, Class, ClassMember, District, GuardianView, Person, Recipient, School,
    StaffView, StudentView, SuppressionRow,
};
use chrono::NaiveDateTime;
use roster_proto::v1 as pb;

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

pub fn district(d: District) -> pb::District {
    pb::District {
        id: id(d.id),
        display_name: d.display_name,
        create_time: timestamp(d.created_at),
        update_time: timestamp(d.updated_at),
    }
}

pub fn school(s: School) -> pb::School {
    pb::School {
        id: id(s.id),
        district_id: id(s.district_id),
        name: s.name,
        source_id: s.source_id.unwrap_or_default(),
        sis_id: s.sis_id,
        origin: s.origin.to_i32(),
        status: status(s.archived_at),
    }
}

pub fn student(v: StudentView) -> pb::Student {
    let s = v.row;
    pb::Student {
        id: id(s.id),
        district_id: id(s.district_id),
        given_name: s.given_name.into(),
        family_name: s.family_name.into(),
        email: s.email.into(),
        grade: s.grade.into(),
        source_id: s.source_id.unwrap_or_default().into(),
        sis_id: s.sis_id.into(),
        origin: s.origin.to_i32(),
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
        given_name: g.given_name.into(),
        family_name: g.family_name.into(),
        email: g.email.into(),
        sms_number: g.sms_number.into(),
        home_phone: g.home_phone.into(),
        language: g.language.into(),
        source_id: g.source_id.unwrap_or_default().into(),
        sis_id: g.sis_id.into(),
        origin: g.origin.to_i32(),
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
        given_name: s.given_name.into(),
        family_name: s.family_name.into(),
        email: s.email.into(),
        sms_number: s.sms_number.into(),
        home_phone: s.home_phone.into(),
        language: s.language.into(),
        role: s.role.to_i32(),
        source_id: s.source_id.unwrap_or_default().into(),
        sis_id: s.sis_id.into(),
        origin: s.origin.to_i32(),
        account_state: account_state(s.activated_at),
        school_ids: ids(&v.school_ids),
        create_time: timestamp(s.created_at),
        update_time: timestamp(s.updated_at),
    }
}

pub fn class(c: Class) -> pb::Class {
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
        origin: c.origin.to_i32(),
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
            email: s.row.email.into(),
            sms_number: s.row.sms_number.into(),
        },
        Recipient::Guardian(g) => pb::AnnouncementRecipient {
            kind: pb::RecipientKind::Guardian as i32,
            user_id: id(g.row.id),
            display_name: format!("{} {}", g.row.given_name, g.row.family_name),
            email: g.row.email.into(),
            sms_number: g.row.sms_number.into(),
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

pub fn suppression(s: SuppressionRow) -> pb::Suppression {
    pb::Suppression {
        suppression_id: id(s.id),
        district_id: id(s.district_id),
        record_kind: s.record_kind.to_i32(),
        source_id: s.source_id,
        create_time: timestamp(s.created_at),
    }
}

/// A search result: a student, guardian or staff member.
pub fn person(p: Person) -> pb::Person {
    use pb::person::Person as Wire;
    let person = match p {
        Person::Student(s) => Wire::Student(student(s)),
        Person::Guardian(g) => Wire::Guardian(guardian(g)),
        Person::Staff(s) => Wire::StaffMember(staff(s)),
    };
    pb::Person {
        person: Some(person),
    }
}
