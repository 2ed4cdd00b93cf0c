//! The roster as a OneRoster 1.1 provider's JSON collections.

use super::*;

/// The roster in OneRoster 1.1 JSON, as [`Roster::write`] writes it in CSV.
pub(super) fn collections(roster: &Roster) -> Collections {
    let schools: Vec<Value> = roster
        .schools
        .iter()
        .map(|(id, _)| reference("org", "orgs", id))
        .collect();
    let mut orgs = vec![json!({
        "sourcedId": "dist-1",
        "status": "active",
        "dateLastModified": MODIFIED,
        "name": "The District",
        "type": "district",
        "identifier": "D1",
        "parent": null,
        "children": schools,
    })];
    orgs.extend(roster.schools.iter().map(|(id, name)| {
        json!({
            "sourcedId": id,
            "status": "active",
            "dateLastModified": MODIFIED,
            "name": name,
            "type": "school",
            "identifier": id,
            "parent": reference("org", "orgs", "dist-1"),
            "children": [],
        })
    }));
    Collections {
        orgs,
        users: roster.users.iter().map(user).collect(),
        classes: roster
            .classes
            .iter()
            .map(|c| class(c, &roster.terms_of(&c.0)))
            .collect(),
        sessions: (!roster.sessions.is_empty())
            .then(|| roster.sessions.iter().map(session).collect()),
        enrollments: roster
            .enrollments
            .iter()
            .map(|enrollment| self::enrollment(roster, enrollment))
            .collect(),
    }
}

/// A GUIDRef: how OneRoster JSON points at another record.
fn reference(kind: &str, collection: &str, id: &str) -> Value {
    json!({
        "href": format!("{BASE_PATH}/{collection}/{id}"),
        "sourcedId": id,
        "type": kind,
    })
}

fn user(u: &User) -> Value {
    let status = if u.status.is_empty() {
        "active"
    } else {
        u.status.as_str()
    };
    let orgs: Vec<Value> = u
        .orgs
        .iter()
        .filter(|org| !org.is_empty())
        .map(|org| reference("org", "orgs", org))
        .collect();
    let agents: Vec<Value> = u
        .agents
        .iter()
        .map(|agent| reference("user", "users", agent))
        .collect();
    let grades: Vec<&str> = u.grade.split(',').filter(|g| !g.is_empty()).collect();
    json!({
        "sourcedId": u.id,
        "status": status,
        "dateLastModified": MODIFIED,
        "username": u.id,
        "userIds": [{"type": "SIS", "identifier": u.identifier}],
        "enabledUser": "true",
        "givenName": u.given,
        "familyName": u.family,
        "middleName": "",
        "role": u.role,
        "identifier": u.identifier,
        "email": u.email,
        "sms": u.sms,
        "phone": u.phone,
        "agents": agents,
        "orgs": orgs,
        "grades": grades,
        "password": "",
    })
}

/// An academic session, as `/academicSessions` lists it.
fn session((id, title, start, end): &(String, String, String, String)) -> Value {
    json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": MODIFIED,
        "title": title,
        "type": "schoolYear",
        "startDate": start,
        "endDate": end,
        "parent": null,
        "children": [],
        "schoolYear": "",
    })
}

fn class(
    (id, title, school, grades): &(String, String, String, String),
    terms: &[String],
) -> Value {
    let terms: Vec<Value> = terms
        .iter()
        .map(|term| reference("academicSession", "terms", term))
        .collect();
    let grades: Vec<&str> = grades
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect();
    json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": MODIFIED,
        "title": title,
        "classCode": id,
        "classType": "scheduled",
        "location": "",
        "grades": grades,
        "subjects": [],
        "course": reference("course", "courses", "crs-1"),
        "school": reference("org", "orgs", school),
        "terms": terms,
        "subjectCodes": [],
        "periods": [],
    })
}

fn enrollment(
    roster: &Roster,
    (id, class, user, role): &(String, String, String, String),
) -> Value {
    let school = roster
        .classes
        .iter()
        .find(|c| &c.0 == class)
        .map(|c| c.2.as_str())
        .unwrap_or_default();
    json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": MODIFIED,
        "user": reference("user", "users", user),
        "class": reference("class", "classes", class),
        "school": reference("org", "orgs", school),
        "role": role,
        "primary": "false",
        "beginDate": "",
        "endDate": "",
    })
}
