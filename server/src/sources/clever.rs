//! Clever API v3.0 (R8.5): a district's districts, schools, users and sections, read over
//! HTTP with the district bearer token, into a [`Snapshot`].
//!
//! Clever keeps every person in one `users` collection: a user carries one object per role
//! it holds (`student`, `teacher`, `staff`, `district_admin`, `contact`). A contact's
//! `student_relationships` are its family relationships; a section lists its students and
//! teachers itself, since Clever has no enrollment resource. Collections are paged by
//! following each response's `next` link.
//!
//! Only what makes the source unreadable fails the run: a refused or failing request (the
//! fetcher names the endpoint and status, never the token), a body that is no Clever
//! collection. A bad record is skipped with an issue naming the page it was on and its id
//! (R3.3). Clever carries no student attributes our way, which the planner reports once per
//! run (R2.6); everything Clever lists is the whole district, so every kind is `Bulk`.

use super::SourceError;
use super::http::{Auth, Fetcher, JsonPage};
use super::oneroster::{DUPLICATE_ID, INVALID_VALUE, MISSING_FIELD, UNKNOWN_REFERENCE};
use crate::domain::{RecordKind, StaffRole};
use crate::sync::snapshot::{
    Coverage, Issue, SnapClass, SnapEnrollment, SnapGuardian, SnapLink, SnapSchool, SnapStaff,
    SnapStudent, Snapshot, SourceRef,
};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;
use url::Url;

/// Records asked for per page: the most Clever serves in one response, so a district takes
/// as few requests as it can (Clever's own default page is 100 records).
pub const DEFAULT_LIMIT: usize = 10_000;

/// Reads the whole district behind `token` from the Clever API at `base_url` (for example
/// `https://api.clever.com`). Records are added to `fetcher.records` as pages arrive.
pub async fn read(base_url: &str, token: &str, fetcher: &Fetcher) -> Result<Snapshot, SourceError> {
    let api = Api::new(base_url, token, fetcher)?;
    let mut snap = Snapshot {
        orgs: Coverage::Bulk,
        users: Coverage::Bulk,
        class_coverage: Coverage::Bulk,
        enrollments: Coverage::Bulk,
        attributes_supported: false,
        ..Snapshot::default()
    };
    read_collection(
        &api,
        "districts",
        &mut snap,
        |district: District, _, snap| {
            snap.other_orgs.insert(district.id, "district".to_owned());
        },
    )
    .await?;
    read_collection(&api, "schools", &mut snap, add_school).await?;
    let mut listed = Vec::new();
    let users = read_collection(&api, "users", &mut snap, |user: User, at, snap| {
        add_user(user, at, snap, &mut listed)
    })
    .await?;
    resolve_links(listed, &users, &mut snap);
    read_collection(&api, "sections", &mut snap, add_section).await?;
    Ok(snap)
}

/// The Clever API of one district: where it is and how requests are authorized.
struct Api<'a> {
    base: Url,
    auth: Auth,
    fetcher: &'a Fetcher,
}

impl<'a> Api<'a> {
    fn new(base_url: &str, token: &str, fetcher: &'a Fetcher) -> Result<Self, SourceError> {
        let base = Url::parse(base_url).map_err(|err| {
            SourceError::Invalid(format!(
                "the Clever base URL `{base_url}` is not a URL ({err})"
            ))
        })?;
        Ok(Api {
            base,
            auth: Auth::Bearer(token.to_owned()),
            fetcher,
        })
    }

    /// The first page of `collection`, e.g. `{base}/v3.0/users?limit=10000`.
    fn first(&self, collection: &str) -> Result<Url, SourceError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| {
                SourceError::Invalid(format!(
                    "the Clever base URL `{}` cannot take a path",
                    self.base
                ))
            })?
            .pop_if_empty()
            .extend(["v3.0", collection]);
        url.set_query(None);
        Ok(with_limit(url))
    }

    /// GETs one page, its query (limit, paging cursor) already in `url`.
    async fn get(&self, url: &Url) -> Result<JsonPage, SourceError> {
        self.fetcher.get_json(url.as_str(), &[], &self.auth).await
    }
}

/// Asks for [`DEFAULT_LIMIT`] records per page unless the URL already says how many: a
/// `next` link may leave the limit out, and Clever would then fall back to its default.
fn with_limit(mut url: Url) -> Url {
    if !url.query_pairs().any(|(key, _)| key == "limit") {
        url.query_pairs_mut()
            .append_pair("limit", &DEFAULT_LIMIT.to_string());
    }
    url
}

/// The URL a `next` link (`/v3.0/users?starting_after=...`, relative to the API's host)
/// leads to. A link to another host is refused rather than followed, since following it
/// would hand the district token to that host.
fn follow(base: &Url, uri: &str, from: &str) -> Result<Url, SourceError> {
    let url = base.join(uri).map_err(|err| {
        SourceError::Invalid(format!(
            "Clever {from}: the next link `{uri}` is not a URL ({err})"
        ))
    })?;
    if url.origin() != base.origin() {
        return Err(SourceError::Invalid(format!(
            "Clever {from}: the next link leads to another host ({}) and is not followed",
            url.origin().ascii_serialization()
        )));
    }
    Ok(with_limit(url))
}

/// Where a record of an API page was read, for issues.
fn api_ref(resource: &str) -> SourceRef {
    SourceRef {
        file: String::new(),
        line: 0,
        resource: resource.to_owned(),
    }
}

/// A Clever record as one collection lists it.
trait Record: DeserializeOwned {
    /// What an issue about a record that cannot be read is filed under.
    const KIND: RecordKind;

    fn id(&self) -> &str;

    /// What an issue about this record is filed under.
    fn kind(&self) -> RecordKind {
        Self::KIND
    }
}

/// Reads every page of `collection`, handing each readable record to `add`, and returns
/// the ids it listed. Paging stops when a page has no `next` link, or lists nothing (Clever
/// may link to an empty last page).
async fn read_collection<T: Record>(
    api: &Api<'_>,
    collection: &str,
    snap: &mut Snapshot,
    mut add: impl FnMut(T, &SourceRef, &mut Snapshot),
) -> Result<HashSet<String>, SourceError> {
    let mut seen = HashSet::new();
    let mut requested = HashSet::new();
    let mut next = Some(api.first(collection)?);
    while let Some(url) = next.take() {
        requested.insert(url.to_string());
        let page = api.get(&url).await?;
        let (records, link) = split(page.body, &page.url)?;
        api.fetcher
            .records
            .fetch_add(records.len() as u64, Ordering::Relaxed);
        if !records.is_empty()
            && let Some(uri) = link
        {
            next = Some(next_page(&api.base, &uri, &page.url, &mut requested)?);
        }
        let at = api_ref(&page.url);
        for value in records {
            if let Some(record) = decode::<T>(value, &at, &mut seen, &mut snap.issues) {
                add(record, &at, snap);
            }
        }
    }
    Ok(seen)
}

/// The page a `next` link leads to; one already read means the links go round in a
/// circle, which would never end.
fn next_page(
    base: &Url,
    uri: &str,
    from: &str,
    requested: &mut HashSet<String>,
) -> Result<Url, SourceError> {
    let url = follow(base, uri, from)?;
    if !requested.insert(url.to_string()) {
        return Err(SourceError::Invalid(format!(
            "Clever {from}: the next link `{uri}` leads back to a page already read"
        )));
    }
    Ok(url)
}

/// A Clever collection response, `{"data": [{"data": {...}, "uri": ...}], "links": [...]}`,
/// as its records and its `next` link.
fn split(body: Value, resource: &str) -> Result<(Vec<Value>, Option<String>), SourceError> {
    let not_a_collection = || {
        SourceError::Invalid(format!(
            "Clever {resource}: the response is not a Clever collection (no `data` list)"
        ))
    };
    let Value::Object(mut envelope) = body else {
        return Err(not_a_collection());
    };
    let Some(Value::Array(items)) = envelope.remove("data") else {
        return Err(not_a_collection());
    };
    let next = match envelope.remove("links") {
        Some(Value::Array(links)) => next_link(&links),
        _ => None,
    };
    let records = items
        .into_iter()
        .map(|mut item| item.get_mut("data").map(Value::take).unwrap_or_default())
        .collect();
    Ok((records, next))
}

fn next_link(links: &[Value]) -> Option<String> {
    links
        .iter()
        .find(|link| link.get("rel").and_then(Value::as_str) == Some("next"))
        .and_then(|link| link.get("uri"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Clever marks most fields nullable and does not promise trimmed text: a `null` field
/// reads as an absent one, and text loses surrounding spaces, as CSV cells do.
fn normalize(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, field| !field.is_null());
            fields.values_mut().for_each(normalize);
        }
        Value::Array(items) => {
            items.retain(|item| !item.is_null());
            items.iter_mut().for_each(normalize);
        }
        Value::String(text) if text.trim().len() != text.len() => {
            *text = text.trim().to_owned();
        }
        _ => {}
    }
}

/// The checks every record goes through (R3.3): readable as a Clever record, with an id,
/// listed once. `None`, with an issue, when the record is skipped.
fn decode<T: Record>(
    mut value: Value,
    at: &SourceRef,
    seen: &mut HashSet<String>,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    normalize(&mut value);
    let listed_id = value
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let record = match serde_json::from_value::<T>(value) {
        Ok(record) => record,
        Err(err) => {
            let message = format!("the record cannot be read: {err}");
            issues.push(Issue::invalid(
                T::KIND,
                INVALID_VALUE,
                at,
                &listed_id,
                "",
                message,
            ));
            return None;
        }
    };
    let id = record.id();
    if id.is_empty() {
        issues.push(Issue::invalid(
            record.kind(),
            MISSING_FIELD,
            at,
            "",
            "id",
            "id is empty",
        ));
        return None;
    }
    if !seen.insert(id.to_owned()) {
        let message = format!("id `{id}` is listed more than once");
        issues.push(Issue::invalid(
            record.kind(),
            DUPLICATE_ID,
            at,
            id,
            "id",
            message,
        ));
        return None;
    }
    Some(record)
}

/// A district: not synced itself, but an org people may name without being in error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct District {
    id: String,
}

impl Record for District {
    const KIND: RecordKind = RecordKind::School;

    fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct School {
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

fn add_school(school: School, at: &SourceRef, snap: &mut Snapshot) {
    if school.name.is_empty() {
        let kind = RecordKind::School;
        let issue = Issue::invalid(kind, MISSING_FIELD, at, &school.id, "name", "name is empty");
        snap.issues.push(issue);
        return;
    }
    snap.schools.push(SnapSchool {
        source_id: school.id,
        sis_id: school.sis_id,
        name: school.name,
        at: at.clone(),
    });
}

/// A Clever user: a person, with one object per role held.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct User {
    id: String,
    email: String,
    name: Name,
    roles: Roles,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Name {
    first: String,
    last: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Roles {
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
struct StudentInfo {
    sis_id: String,
    /// The primary school; `schools` lists all of them.
    school: String,
    schools: Vec<String>,
    grade: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TeacherInfo {
    sis_id: String,
    school: String,
    schools: Vec<String>,
}

/// Clever's `staff` role (called school admins in older API versions).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StaffInfo {
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
struct ContactInfo {
    sis_id: String,
    phone: String,
    /// `Cell`, `Home`, `Work`, `Other` or empty.
    phone_type: String,
    student_relationships: Vec<StudentRelationship>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StudentRelationship {
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
struct Listed {
    link: SnapLink,
    at: SourceRef,
}

/// One record per kind of role the user holds: a student, a guardian (contact) and one
/// staff member for its teacher, staff and district admin roles together, since staff are
/// keyed by user id and a teacher who is also a school admin is one person (R2.3).
fn add_user(user: User, at: &SourceRef, snap: &mut Snapshot, listed: &mut Vec<Listed>) {
    let roles = &user.roles;
    if roles.student.is_none() && roles.contact.is_none() && !roles.is_staff() {
        let message =
            "the user has none of the roles student, teacher, staff, district_admin and contact";
        let issue = Issue::invalid(user.kind(), INVALID_VALUE, at, &user.id, "roles", message);
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
fn names(
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
                MISSING_FIELD,
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
fn memberships(schools: &[String], school: &str) -> Vec<String> {
    if !schools.is_empty() {
        schools.to_vec()
    } else if school.is_empty() {
        Vec::new()
    } else {
        vec![school.to_owned()]
    }
}

fn student(
    user: &User,
    role: &StudentInfo,
    (given_name, family_name): (String, String),
    at: &SourceRef,
) -> SnapStudent {
    SnapStudent {
        source_id: user.id.clone(),
        sis_id: role.sis_id.clone(),
        given_name,
        family_name,
        email: user.email.clone(),
        grade: grade(&role.grade),
        school_source_ids: memberships(&role.schools, &role.school),
        // Clever does not carry them our way (R2.6).
        attributes: BTreeMap::new(),
        at: at.clone(),
    }
}

/// The staff member of a user's teacher, staff and district admin roles. It is an admin
/// when it is a district admin or staff with admin rights, else a teacher (R2.3); it
/// belongs to the schools of its teacher and staff roles (a district admin's role names
/// none). Clever has no phone numbers or language for staff.
fn staff(
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
        source_id: user.id.clone(),
        sis_id,
        given_name,
        family_name,
        email: user.email.clone(),
        sms_number: String::new(),
        home_phone: String::new(),
        language: String::new(),
        role: if admin {
            StaffRole::Admin
        } else {
            StaffRole::Teacher
        },
        school_source_ids: schools,
        at: at.clone(),
    }
}

fn guardian(
    user: &User,
    role: &ContactInfo,
    (given_name, family_name): (String, String),
    at: &SourceRef,
) -> SnapGuardian {
    let (sms_number, home_phone) = phones(role);
    SnapGuardian {
        source_id: user.id.clone(),
        sis_id: role.sis_id.clone(),
        given_name,
        family_name,
        email: user.email.clone(),
        sms_number,
        home_phone,
        // Clever contacts carry no language.
        language: String::new(),
        at: at.clone(),
    }
}

/// A contact's one phone as (SMS number, home phone). A cell phone is the SMS number; so is
/// one of unknown or `Other` type, which the planner keeps only if the phone library finds
/// it SMS-capable (R3.1). A home phone is the home phone; a work phone is neither.
fn phones(role: &ContactInfo) -> (String, String) {
    let phone = role.phone.clone();
    match role.phone_type.to_ascii_lowercase().as_str() {
        "home" => (String::new(), phone),
        "work" => (String::new(), String::new()),
        _ => (phone, String::new()),
    }
}

/// The contact's `student_relationships` (R8.5), resolved once every user is read.
fn list_relationships(
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
                MISSING_FIELD,
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
                student_source_id: relationship.student.clone(),
                guardian_source_id: user.id.clone(),
            },
            at: at.clone(),
        });
    }
}

/// Keeps the relationships whose student is a user of the district; one naming a user
/// Clever does not list is reported (R3.3). A relationship with a user that is no student
/// record goes later, silently, with the reference check.
fn resolve_links(listed: Vec<Listed>, users: &HashSet<String>, snap: &mut Snapshot) {
    for Listed { link, at } in listed {
        if users.contains(&link.student_source_id) {
            snap.links.push(link);
            continue;
        }
        let message = format!(
            "student `{}` is not among the district's users",
            link.student_source_id
        );
        snap.issues.push(Issue::invalid(
            RecordKind::FamilyRelationship,
            UNKNOWN_REFERENCE,
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
struct Section {
    id: String,
    name: String,
    sis_id: String,
    school: String,
    grade: String,
    students: Vec<String>,
    teachers: Vec<String>,
    /// The primary teacher, normally also in `teachers`.
    teacher: String,
}

impl Record for Section {
    const KIND: RecordKind = RecordKind::Class;

    fn id(&self) -> &str {
        &self.id
    }
}

/// The class and its enrollments (R2.4, R2.5). Clever has no enrollment ids, so the
/// enrollments have none; the references are checked later, with the store.
fn add_section(section: Section, at: &SourceRef, snap: &mut Snapshot) {
    for (field, value) in [("name", &section.name), ("school", &section.school)] {
        if value.is_empty() {
            let message = format!("{field} is empty");
            let issue = Issue::invalid(
                RecordKind::Class,
                MISSING_FIELD,
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
        source_id: String::new(),
        class_source_id: section.id.clone(),
        user_source_id: user.clone(),
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
    snap.classes.push(SnapClass {
        source_id: section.id,
        sis_id: section.sis_id,
        name: section.name,
        grades,
        school_source_id: section.school,
        at: at.clone(),
    });
}

/// The non-empty ids, each once, in order.
fn unique<'a>(ids: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut seen = HashSet::new();
    ids.filter(|id| !id.is_empty() && seen.insert(*id))
        .collect()
}

/// A Clever grade in our vocabulary, OneRoster's (CEDS) codes as CSV and REST sources write
/// them, so a district reads the same from any source: `Kindergarten` is `KG`, `4` is
/// `04`. A word Clever does not define is kept as written.
fn grade(clever: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RESOURCE: &str = "/v3.0/users?limit=10000";

    fn at() -> SourceRef {
        api_ref(RESOURCE)
    }

    /// Reads `records` as one users page into a fresh snapshot, links resolved.
    fn users(records: Vec<Value>) -> Snapshot {
        let mut snap = Snapshot::default();
        let (mut seen, mut listed) = (HashSet::new(), Vec::new());
        for value in records {
            if let Some(user) = decode::<User>(value, &at(), &mut seen, &mut snap.issues) {
                add_user(user, &at(), &mut snap, &mut listed);
            }
        }
        resolve_links(listed, &seen, &mut snap);
        snap
    }

    fn codes(snap: &Snapshot) -> Vec<(&str, &str, &str)> {
        snap.issues
            .iter()
            .map(|i| (i.code.as_str(), i.source_id.as_str(), i.field.as_str()))
            .collect()
    }

    #[test]
    fn grades_map_from_clevers_vocabulary_to_ours() {
        for (clever, ours) in [
            ("Kindergarten", "KG"),
            ("1", "01"),
            ("4", "04"),
            ("12", "12"),
            ("13", "13"),
            ("PreKindergarten", "PK"),
            ("TransitionalKindergarten", "TK"),
            ("InfantToddler", "IT"),
            ("Preschool", "PR"),
            ("Ungraded", "UG"),
            ("PostGraduate", "PS"),
            ("Other", "Other"),
            ("", ""),
            ("0", "0"),
            ("Freshman", "Freshman"),
        ] {
            assert_eq!(grade(clever), ours, "{clever}");
        }
    }

    #[test]
    fn a_student_becomes_a_student_without_attributes() {
        let snap = users(vec![json!({
            "id": "u-1",
            "email": " bart@example.org ",
            "name": {"first": "Bart", "last": "Simpson", "middle": null},
            "roles": {"student": {
                "sis_id": "S-1", "school": "sch-1", "schools": ["sch-1", "sch-2"],
                "grade": "4", "gender": "M", "dob": "2016-04-01",
            }},
        })]);
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
        let bart = &snap.students[0];
        assert_eq!(
            (
                bart.source_id.as_str(),
                bart.sis_id.as_str(),
                bart.given_name.as_str()
            ),
            ("u-1", "S-1", "Bart")
        );
        assert_eq!(
            (bart.email.as_str(), bart.grade.as_str()),
            ("bart@example.org", "04")
        );
        assert_eq!(bart.school_source_ids, ["sch-1", "sch-2"]);
        assert!(bart.attributes.is_empty());
        assert_eq!(bart.at.resource, RESOURCE);
        assert_eq!((bart.at.file.as_str(), bart.at.line), ("", 0));
    }

    #[test]
    fn a_student_without_schools_belongs_to_its_school() {
        let snap = users(vec![json!({
            "id": "u-1", "name": {"first": "A", "last": "B"},
            "roles": {"student": {"school": "sch-1", "schools": null, "grade": null}},
        })]);
        assert_eq!(snap.students[0].school_source_ids, ["sch-1"]);
        assert_eq!(snap.students[0].grade, "");
    }

    #[test]
    fn a_contact_becomes_a_guardian_with_its_relationships() {
        let snap = users(vec![
            json!({"id": "s-1", "name": {"first": "Bart", "last": "S"}, "roles": {"student": {}}}),
            json!({"id": "s-2", "name": {"first": "Lisa", "last": "S"}, "roles": {"student": {}}}),
            json!({
                "id": "c-1", "email": "marge@example.org",
                "name": {"first": "Marge", "last": "Simpson"},
                "roles": {"contact": {
                    "sis_id": "C-1", "phone": "(603) 555-0101", "phone_type": "Cell",
                    "student_relationships": [
                        {"student": "s-1", "relationship": "Parent", "type": "Parent/Guardian"},
                        {"student": "s-2"},
                        {"student": "s-404"},
                    ],
                }},
            }),
        ]);
        let marge = &snap.guardians[0];
        assert_eq!(
            (
                marge.source_id.as_str(),
                marge.sis_id.as_str(),
                marge.email.as_str()
            ),
            ("c-1", "C-1", "marge@example.org")
        );
        assert_eq!(
            (marge.sms_number.as_str(), marge.home_phone.as_str()),
            ("(603) 555-0101", "")
        );
        assert_eq!(marge.language, "");
        let pairs: Vec<_> = snap
            .links
            .iter()
            .map(|l| (l.student_source_id.as_str(), l.guardian_source_id.as_str()))
            .collect();
        assert_eq!(pairs, [("s-1", "c-1"), ("s-2", "c-1")]);
        assert_eq!(
            codes(&snap),
            [(UNKNOWN_REFERENCE, "c-1", "student_relationships.student")]
        );
    }

    #[test]
    fn a_contacts_phone_goes_where_its_type_says() {
        let phone_of = |phone_type: Value| {
            let role: ContactInfo = serde_json::from_value(json!({
                "phone": "555-0101", "phone_type": phone_type,
            }))
            .expect("a contact");
            phones(&role)
        };
        let sms = ("555-0101".to_owned(), String::new());
        let home = (String::new(), "555-0101".to_owned());
        assert_eq!(phone_of(json!("Cell")), sms);
        assert_eq!(phone_of(json!("")), sms);
        assert_eq!(phone_of(json!("Other")), sms);
        assert_eq!(phone_of(json!("Home")), home);
        assert_eq!(phone_of(json!("Work")), (String::new(), String::new()));
    }

    #[test]
    fn staff_roles_make_one_staff_member_admin_only_with_admin_rights() {
        let snap = users(vec![
            json!({
                "id": "t-1", "email": "edna@example.org", "name": {"first": "Edna", "last": "K"},
                "roles": {"teacher": {"sis_id": "T-1", "school": "sch-1", "schools": ["sch-1"]}},
            }),
            json!({
                "id": "t-2", "name": {"first": "Seymour", "last": "Skinner"},
                "roles": {
                    "teacher": {"sis_id": "T-2", "schools": ["sch-1"]},
                    "staff": {"staff_id": "ST-2", "schools": ["sch-1", "sch-2"], "roles": ["School Tech Lead"]},
                },
            }),
            json!({
                "id": "st-3", "name": {"first": "Willie", "last": "G"},
                "roles": {"staff": {"staff_id": "ST-3", "schools": ["sch-1"], "roles": []}},
            }),
            json!({
                "id": "da-4", "name": {"first": "Gary", "last": "Chalmers"},
                "roles": {"district_admin": {"title": "Superintendent"}},
            }),
        ]);
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
        let view: Vec<_> = snap
            .staff
            .iter()
            .map(|s| {
                (
                    s.source_id.as_str(),
                    s.sis_id.as_str(),
                    s.role,
                    s.school_source_ids.clone(),
                )
            })
            .collect();
        assert_eq!(
            view,
            [
                ("t-1", "T-1", StaffRole::Teacher, vec!["sch-1".to_owned()]),
                (
                    "t-2",
                    "T-2",
                    StaffRole::Admin,
                    vec!["sch-1".to_owned(), "sch-2".to_owned()]
                ),
                ("st-3", "ST-3", StaffRole::Teacher, vec!["sch-1".to_owned()]),
                ("da-4", "", StaffRole::Admin, vec![]),
            ]
        );
        assert_eq!(snap.staff[0].email, "edna@example.org");
    }

    #[test]
    fn a_user_with_several_roles_yields_one_record_per_kind() {
        let snap = users(vec![json!({
            "id": "u-1", "name": {"first": "Ned", "last": "Flanders"},
            "roles": {
                "teacher": {"schools": ["sch-1"]},
                "contact": {"phone": "555-0101", "phone_type": "Home"},
            },
        })]);
        assert_eq!(
            (snap.staff.len(), snap.guardians.len(), snap.students.len()),
            (1, 1, 0)
        );
        assert_eq!(snap.guardians[0].home_phone, "555-0101");
    }

    #[test]
    fn bad_users_are_skipped_with_an_issue() {
        let snap = users(vec![
            json!({"id": "u-1", "name": {"first": "No", "last": ""}, "roles": {"student": {}}}),
            json!({"name": {"first": "No", "last": "Id"}, "roles": {"teacher": {}}}),
            json!({"id": "u-2", "name": {"first": "A", "last": "B"}, "roles": {"student": {}}}),
            json!({"id": "u-2", "name": {"first": "A", "last": "B"}, "roles": {"student": {}}}),
            json!({"id": "u-3", "name": {"first": 7, "last": "B"}, "roles": {"student": {}}}),
            json!({"id": "u-4", "name": {"first": "A", "last": "B"}, "roles": {}}),
        ]);
        assert_eq!(
            codes(&snap),
            [
                (MISSING_FIELD, "u-1", "name.last"),
                (MISSING_FIELD, "", "id"),
                (DUPLICATE_ID, "u-2", "id"),
                (INVALID_VALUE, "u-3", ""),
                (INVALID_VALUE, "u-4", "roles"),
            ]
        );
        assert_eq!(snap.issues[0].record_kind, RecordKind::Student);
        assert_eq!(snap.issues[1].record_kind, RecordKind::Staff);
        assert_eq!(snap.issues[0].at.resource, RESOURCE);
        assert_eq!(snap.students.len(), 1);
    }

    #[test]
    fn a_section_becomes_a_class_with_its_enrollments() {
        let mut snap = Snapshot::default();
        let section: Section = serde_json::from_value(json!({
            "id": "sec-1", "name": "Grade 4 A", "sis_id": "S4A", "school": "sch-1",
            "grade": "Kindergarten", "students": ["s-1", "s-2", "s-1"],
            "teachers": ["t-1", "t-2"], "teacher": "t-1",
        }))
        .expect("a section");
        add_section(section, &at(), &mut snap);
        let class = &snap.classes[0];
        assert_eq!(
            (
                class.source_id.as_str(),
                class.sis_id.as_str(),
                class.name.as_str()
            ),
            ("sec-1", "S4A", "Grade 4 A")
        );
        assert_eq!(
            (class.grades.clone(), class.school_source_id.as_str()),
            (vec!["KG".to_owned()], "sch-1")
        );
        fn members(list: &[SnapEnrollment]) -> Vec<String> {
            list.iter()
                .map(|e| format!("{}:{}:{}", e.source_id, e.class_source_id, e.user_source_id))
                .collect()
        }
        assert_eq!(
            members(&snap.student_enrollments),
            [":sec-1:s-1", ":sec-1:s-2"]
        );
        assert_eq!(
            members(&snap.teacher_enrollments),
            [":sec-1:t-1", ":sec-1:t-2"]
        );
    }

    #[test]
    fn a_primary_teacher_missing_from_teachers_is_enrolled() {
        let mut snap = Snapshot::default();
        let section: Section = serde_json::from_value(json!({
            "id": "sec-1", "name": "Music", "school": "sch-2", "teacher": "t-9",
        }))
        .expect("a section");
        add_section(section, &at(), &mut snap);
        assert_eq!(snap.teacher_enrollments[0].user_source_id, "t-9");
        assert!(snap.classes[0].grades.is_empty());
    }

    #[test]
    fn a_section_without_a_school_is_skipped() {
        let mut snap = Snapshot::default();
        let section: Section = serde_json::from_value(json!({
            "id": "sec-1", "name": "Music", "students": ["s-1"],
        }))
        .expect("a section");
        add_section(section, &at(), &mut snap);
        assert!(snap.classes.is_empty() && snap.student_enrollments.is_empty());
        assert_eq!(codes(&snap), [(MISSING_FIELD, "sec-1", "school")]);
    }

    #[test]
    fn a_page_splits_into_records_and_its_next_link() {
        let body = json!({
            "data": [{"data": {"id": "a"}, "uri": "/v3.0/users/a"}, {"uri": "/v3.0/users/b"}],
            "links": [
                {"rel": "self", "uri": "/v3.0/users?limit=2"},
                {"rel": "next", "uri": "/v3.0/users?limit=2&starting_after=a"},
            ],
        });
        let Ok((records, next)) = split(body, RESOURCE) else {
            panic!("a Clever collection");
        };
        assert_eq!(records, [json!({"id": "a"}), Value::Null]);
        assert_eq!(
            next.as_deref(),
            Some("/v3.0/users?limit=2&starting_after=a")
        );

        let Ok((_, last)) = split(json!({"data": [], "links": []}), RESOURCE) else {
            panic!("a Clever collection");
        };
        assert_eq!(last, None);
        for not_one in [json!([]), json!({"data": {}}), json!({"links": []})] {
            let Err(SourceError::Invalid(message)) = split(not_one, RESOURCE) else {
                panic!("not a Clever collection");
            };
            assert!(message.contains(RESOURCE), "{message}");
        }
    }

    #[test]
    fn next_links_are_followed_on_the_apis_host_only() {
        let base = Url::parse("http://127.0.0.1:8080").expect("a URL");
        let follow_ok = |uri: &str| {
            follow(&base, uri, RESOURCE)
                .map(|u| u.to_string())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(
            follow_ok("/v3.0/users?starting_after=abc"),
            "http://127.0.0.1:8080/v3.0/users?starting_after=abc&limit=10000"
        );
        assert_eq!(
            follow_ok("/v3.0/users?limit=5&starting_after=abc"),
            "http://127.0.0.1:8080/v3.0/users?limit=5&starting_after=abc"
        );
        let Err(SourceError::Invalid(message)) =
            follow(&base, "https://elsewhere.example/v3.0/users", RESOURCE)
        else {
            panic!("another host is refused");
        };
        assert!(message.contains("elsewhere.example"), "{message}");
    }

    #[test]
    fn a_next_link_back_to_a_page_already_read_is_an_error() {
        let base = Url::parse("https://api.clever.com").expect("a URL");
        let mut requested = HashSet::new();
        let uri = "/v3.0/users?limit=5&starting_after=a";
        assert!(next_page(&base, uri, RESOURCE, &mut requested).is_ok());
        assert!(next_page(&base, uri, RESOURCE, &mut requested).is_err());
    }

    #[test]
    fn a_null_field_reads_as_absent_and_text_is_trimmed() {
        let mut value = json!({"a": null, "b": " x ", "c": [null, {"d": null}], "e": 1});
        normalize(&mut value);
        assert_eq!(value, json!({"b": "x", "c": [{}], "e": 1}));
    }
}
