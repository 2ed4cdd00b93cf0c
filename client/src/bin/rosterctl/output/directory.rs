//! Districts, schools, people and classes, as lists and as one record with its links.

use super::{Table, fields, or_dash, when};
use roster_client::{
    Class, ClassDetail, ClassMember, District, Guardian, GuardianAccess, GuardianDetail, Person,
    School, StaffMember, StaffMemberDetail, Student, StudentDetail,
};

pub fn district(d: &District) -> Table {
    districts(std::slice::from_ref(d))
}

pub fn districts(list: &[District]) -> Table {
    let mut table = Table::new(["ID", "NAME", "CREATED"]);
    for d in list {
        table.row([d.id.clone(), d.display_name.clone(), when(d.create_time)]);
    }
    table
}

pub fn schools(list: &[School]) -> Table {
    let mut table = Table::new(["ID", "NAME", "SIS ID", "ORIGIN", "STATUS"]);
    for s in list {
        table.row([
            s.id.clone(),
            s.name.clone(),
            or_dash(s.sis_id.as_deref()),
            s.origin.to_string(),
            s.status.to_string(),
        ]);
    }
    table
}

pub fn students(list: &[Student]) -> Table {
    let mut table = Table::new(["ID", "NAME", "GRADE", "EMAIL", "ORIGIN", "STATUS"]);
    for s in list {
        table.row([
            s.id.clone(),
            format!("{} {}", s.given_name, s.family_name),
            or_dash(s.grade.as_deref()),
            or_dash(s.email.as_deref()),
            s.origin.to_string(),
            s.status.to_string(),
        ]);
    }
    table
}

fn name(given: &str, family: &str) -> String {
    format!("{given} {family}")
}

fn joined(list: &[String]) -> String {
    if list.is_empty() {
        "-".to_owned()
    } else {
        list.join(",")
    }
}

pub fn guardians(list: &[Guardian]) -> Table {
    let mut table = Table::new([
        "ID", "NAME", "EMAIL", "SMS", "PHONE", "LANGUAGE", "ORIGIN", "ACCOUNT", "STUDENTS",
    ]);
    for g in list {
        table.row([
            g.id.clone(),
            name(&g.given_name, &g.family_name),
            or_dash(g.email.as_deref()),
            or_dash(g.sms_number.as_deref()),
            or_dash(g.home_phone.as_deref()),
            or_dash(g.language.as_deref()),
            g.origin.to_string(),
            g.account_state.to_string(),
            joined(&g.student_ids),
        ]);
    }
    table
}

pub fn staff(list: &[StaffMember]) -> Table {
    let mut table = Table::new([
        "ID", "NAME", "ROLE", "EMAIL", "SMS", "ORIGIN", "ACCOUNT", "SCHOOLS",
    ]);
    for s in list {
        table.row([
            s.id.clone(),
            name(&s.given_name, &s.family_name),
            s.role.to_string(),
            or_dash(s.email.as_deref()),
            or_dash(s.sms_number.as_deref()),
            s.origin.to_string(),
            s.account_state.to_string(),
            joined(&s.school_ids),
        ]);
    }
    table
}

pub fn classes(list: &[Class]) -> Table {
    let mut table = Table::new(["ID", "NAME", "GRADES", "SCHOOL", "ORIGIN", "STATUS"]);
    for c in list {
        table.row([
            c.id.clone(),
            c.name.clone(),
            joined(&c.grades),
            c.school_id.clone(),
            c.origin.to_string(),
            c.status.to_string(),
        ]);
    }
    table
}

pub fn members(list: &[ClassMember]) -> Table {
    let mut table = Table::new(["ROLE", "ID", "NAME", "EMAIL", "ORIGIN", "STATUS"]);
    for m in list {
        let row = match m {
            ClassMember::Teacher(t) => [
                "teacher".to_owned(),
                t.id.clone(),
                name(&t.given_name, &t.family_name),
                or_dash(t.email.as_deref()),
                t.origin.to_string(),
                t.account_state.to_string(),
            ],
            ClassMember::Student(s) => [
                "student".to_owned(),
                s.id.clone(),
                name(&s.given_name, &s.family_name),
                or_dash(s.email.as_deref()),
                s.origin.to_string(),
                s.status.to_string(),
            ],
        };
        table.row(row);
    }
    table
}

/// Search results: one row per person whatever its kind, with what identifies it.
pub fn people(list: &[Person]) -> Table {
    let mut table = Table::new([
        "KIND",
        "ID",
        "NAME",
        "SOURCE ID",
        "SIS ID",
        "EMAIL",
        "ORIGIN",
        "STATUS",
    ]);
    for p in list {
        // (kind, id, given, family, source id, sis id, email, origin, status)
        let (kind, id, given, family, source_id, sis_id, email, origin, status) = match p {
            Person::Student(s) => (
                "student",
                &s.id,
                &s.given_name,
                &s.family_name,
                &s.source_id,
                &s.sis_id,
                &s.email,
                s.origin,
                s.status.to_string(),
            ),
            Person::Guardian(g) => (
                "guardian",
                &g.id,
                &g.given_name,
                &g.family_name,
                &g.source_id,
                &g.sis_id,
                &g.email,
                g.origin,
                g.account_state.to_string(),
            ),
            Person::Staff(s) => (
                "staff",
                &s.id,
                &s.given_name,
                &s.family_name,
                &s.source_id,
                &s.sis_id,
                &s.email,
                s.origin,
                s.account_state.to_string(),
            ),
        };
        table.row([
            kind.to_owned(),
            id.clone(),
            name(given, family),
            or_dash(source_id.as_deref()),
            or_dash(sis_id.as_deref()),
            or_dash(email.as_deref()),
            origin.to_string(),
            status,
        ]);
    }
    table
}

pub fn student_detail(d: &StudentDetail) -> Vec<Table> {
    let s = &d.student;
    let mut pairs = vec![
        ("id", s.id.clone()),
        ("name", name(&s.given_name, &s.family_name)),
        ("grade", or_dash(s.grade.as_deref())),
        ("email", or_dash(s.email.as_deref())),
        ("source id", or_dash(s.source_id.as_deref())),
        ("sis id", or_dash(s.sis_id.as_deref())),
        ("origin", s.origin.to_string()),
        ("status", s.status.to_string()),
        ("schools", joined(&s.school_ids)),
        ("updated", when(s.update_time)),
    ];
    let attributes: Vec<(String, String)> = s
        .attributes
        .iter()
        .map(|(k, v)| (format!("attribute {k}"), v.clone()))
        .collect();
    pairs.extend(attributes.iter().map(|(k, v)| (k.as_str(), v.clone())));
    vec![fields(&pairs), guardians(&d.guardians), classes(&d.classes)]
}

fn account_fields(g: &Guardian) -> Vec<(&'static str, String)> {
    vec![
        ("id", g.id.clone()),
        ("name", name(&g.given_name, &g.family_name)),
        ("email", or_dash(g.email.as_deref())),
        ("sms", or_dash(g.sms_number.as_deref())),
        ("phone", or_dash(g.home_phone.as_deref())),
        ("language", or_dash(g.language.as_deref())),
        ("source id", or_dash(g.source_id.as_deref())),
        ("sis id", or_dash(g.sis_id.as_deref())),
        ("origin", g.origin.to_string()),
        ("account", g.account_state.to_string()),
        ("updated", when(g.update_time)),
    ]
}

pub fn guardian_detail(d: &GuardianDetail) -> Vec<Table> {
    vec![fields(&account_fields(&d.guardian)), students(&d.students)]
}

pub fn staff_detail(d: &StaffMemberDetail) -> Vec<Table> {
    let s = &d.staff_member;
    let pairs = [
        ("id", s.id.clone()),
        ("name", name(&s.given_name, &s.family_name)),
        ("role", s.role.to_string()),
        ("email", or_dash(s.email.as_deref())),
        ("sms", or_dash(s.sms_number.as_deref())),
        ("phone", or_dash(s.home_phone.as_deref())),
        ("language", or_dash(s.language.as_deref())),
        ("source id", or_dash(s.source_id.as_deref())),
        ("sis id", or_dash(s.sis_id.as_deref())),
        ("origin", s.origin.to_string()),
        ("account", s.account_state.to_string()),
        ("schools", joined(&s.school_ids)),
        ("updated", when(s.update_time)),
    ];
    vec![fields(&pairs), classes(&d.classes)]
}

pub fn class_detail(d: &ClassDetail) -> Vec<Table> {
    let c = &d.class;
    let pairs = [
        ("id", c.id.clone()),
        ("name", c.name.clone()),
        ("grades", joined(&c.grades)),
        ("school", format!("{} ({})", d.school.name, d.school.id)),
        ("source id", or_dash(c.source_id.as_deref())),
        ("sis id", or_dash(c.sis_id.as_deref())),
        ("origin", c.origin.to_string()),
        ("status", c.status.to_string()),
        ("updated", when(c.update_time)),
    ];
    vec![fields(&pairs)]
}

/// What a guardian reaches: the guardian, then its students, schools and classrooms.
pub fn access(a: &GuardianAccess) -> Vec<Table> {
    let mut content = classes(&a.student_content_classes);
    content.header[0] = "CONTENT CLASS ID".to_owned();
    vec![
        fields(&account_fields(&a.guardian)),
        students(&a.students),
        schools(&a.schools),
        classes(&a.classes),
        content,
    ]
}
