//! `users`: students, guardians and staff by role, their contact and attributes, and the
//! family relationships their `agentSourcedIds` name, resolved in both directions once
//! every user is read (R3.4: a link to the wrong kind of person is reported).

use super::*;

#[derive(Debug, Clone, Copy)]
enum UserRole {
    Student,
    Guardian,
    Staff(StaffRole),
}

impl UserRole {
    fn parse(role: &str) -> Option<UserRole> {
        // Compared ignoring case in place: a lowercased copy cost an allocation a user.
        let is = |words: &[&str]| words.iter().any(|word| role.eq_ignore_ascii_case(word));
        if is(&["student"]) {
            Some(UserRole::Student)
        } else if is(&["parent", "guardian", "relative"]) {
            Some(UserRole::Guardian)
        } else if is(&["teacher", "aide", "proctor"]) {
            Some(UserRole::Staff(StaffRole::Teacher))
        } else if is(&["administrator"]) {
            Some(UserRole::Staff(StaffRole::Admin))
        } else {
            None
        }
    }

    fn kind(self) -> RecordKind {
        match self {
            UserRole::Student => RecordKind::Student,
            UserRole::Guardian => RecordKind::Guardian,
            UserRole::Staff(_) => RecordKind::Staff,
        }
    }
}

/// The fields every user record carries, whatever the role.
struct Person {
    sis_id: Text,
    given_name: Text,
    family_name: Text,
    email: Text,
    at: SourceRef,
}

impl Person {
    /// `None`, with an issue, when a name is missing: the record is skipped (R3.3).
    fn read(
        rows: &impl Rows,
        kind: RecordKind,
        id: &str,
        issues: &mut Vec<Issue>,
    ) -> Option<Person> {
        let given_name = rows.required("givenName", kind, id, issues)?;
        let family_name = rows.required("familyName", kind, id, issues)?;
        Some(Person {
            sis_id: rows.get("identifier").into(),
            given_name,
            family_name,
            email: rows.get("email").into(),
            at: rows.at(),
        })
    }
}

/// A relationship as a user record lists it in `agentSourcedIds`, kept until every user is
/// known, since the other end may come later in the collection.
struct Listed {
    link: SnapLink,
    /// The listing record's id.
    row: SourceId,
    /// The id the record points at.
    agent: String,
    at: SourceRef,
}

pub(crate) fn read_users(rows: &mut impl Rows, snap: &mut Snapshot) -> Result<(), SourceError> {
    let mut seen = HashSet::default();
    let mut listed = Vec::new();
    while rows.advance()? {
        let role = UserRole::parse(rows.get("role"));
        let kind = role.map_or(RecordKind::Student, UserRole::kind);
        let Some((id, status)) = rows.identify(kind, &mut seen, &mut snap.issues) else {
            continue;
        };
        if status == Status::Deleted {
            snap.deleted.users.insert(id.into());
            continue;
        }
        let Some(role) = role else {
            let message = format!("role `{}` is not a OneRoster user role", rows.get("role"));
            snap.issues
                .push(rows.issue(kind, IssueCode::InvalidValue, &id, "role", message));
            continue;
        };
        let Some(person) = Person::read(&*rows, kind, &id, &mut snap.issues) else {
            continue;
        };
        match role {
            UserRole::Student => {
                let agents = listed_agents(&*rows, &id, true);
                if !agents.is_empty() {
                    snap.agent_rows.insert(id.to_string());
                }
                listed.extend(agents);
                rows.room_in(&mut snap.students);
                snap.students.push(student(&*rows, id, person));
            }
            UserRole::Guardian => {
                let agents = listed_agents(&*rows, &id, false);
                if !agents.is_empty() {
                    snap.agent_rows.insert(id.to_string());
                }
                listed.extend(agents);
                rows.room_in(&mut snap.guardians);
                snap.guardians.push(guardian(&*rows, id, person));
            }
            UserRole::Staff(role) => {
                rows.room_in(&mut snap.staff);
                snap.staff.push(staff(&*rows, id, person, role));
            }
        }
    }
    resolve_links(listed, &seen, rows.name(), snap);
    Ok(())
}

fn student(rows: &impl Rows, source_id: SourceId, person: Person) -> SnapStudent {
    SnapStudent {
        source_id,
        sis_id: person.sis_id,
        given_name: person.given_name,
        family_name: person.family_name,
        email: person.email,
        grade: rows
            .list("grades")
            .first()
            .map_or_else(Text::default, Text::new),
        school_source_ids: rows.list("orgSourcedIds"),
        attributes: metadata_attributes(rows),
        // Until demographics are read: the metadata columns this record has.
        attribute_keys: Some(metadata_keys(rows)),
        carried: carried(rows),
        at: person.at,
    }
}

/// What the record's columns carry (R4.8).
fn carried(rows: &impl Rows) -> Carried {
    Carried::columns(|column| rows.has(column))
}

/// The attribute keys of the record's `metadata.*` columns, values or not.
fn metadata_keys(rows: &impl Rows) -> BTreeSet<String> {
    rows.cells()
        .filter_map(|(column, _)| column.strip_prefix("metadata."))
        .map(str::to_owned)
        .collect()
}

fn guardian(rows: &impl Rows, source_id: SourceId, person: Person) -> SnapGuardian {
    SnapGuardian {
        source_id,
        sis_id: person.sis_id,
        given_name: person.given_name,
        family_name: person.family_name,
        email: person.email,
        sms_number: rows.get("sms").into(),
        home_phone: rows.get("phone").into(),
        language: language(rows),
        carried: carried(rows),
        at: person.at,
    }
}

fn staff(rows: &impl Rows, source_id: SourceId, person: Person, role: StaffRole) -> SnapStaff {
    SnapStaff {
        source_id,
        sis_id: person.sis_id,
        given_name: person.given_name,
        family_name: person.family_name,
        email: person.email,
        sms_number: rows.get("sms").into(),
        home_phone: rows.get("phone").into(),
        language: language(rows),
        role,
        school_source_ids: rows.list("orgSourcedIds"),
        carried: carried(rows),
        at: person.at,
    }
}

/// OneRoster 1.1 users have no language field; exporters that carry one use one of these.
fn language(rows: &impl Rows) -> Text {
    ["metadata.language", "preferredLanguage"]
        .into_iter()
        .map(|column| rows.get(column))
        .find(|value| !value.is_empty())
        .unwrap_or_default()
        .into()
}

/// Student attributes from `metadata.*` extension fields (R2.6), keyed without the prefix.
fn metadata_attributes(rows: &impl Rows) -> BTreeMap<String, String> {
    rows.cells()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(column, value)| {
            Some((
                column.strip_prefix("metadata.")?.to_owned(),
                value.to_owned(),
            ))
        })
        .collect()
}

/// The relationships a student's (`row_is_student`) or a guardian's record lists (R8.3).
fn listed_agents(rows: &impl Rows, row: &str, row_is_student: bool) -> Vec<Listed> {
    rows.list("agentSourcedIds")
        .into_iter()
        .map(|agent| {
            let (student_id, guardian_id) = if row_is_student {
                (row, agent.as_str())
            } else {
                (agent.as_str(), row)
            };
            Listed {
                link: SnapLink {
                    student_source_id: SourceId::new(student_id),
                    guardian_source_id: SourceId::new(guardian_id),
                },
                row: SourceId::new(row),
                at: rows.at(),
                agent,
            }
        })
        .collect()
}

/// Keeps one link per pair whose ends are a student and a guardian of this collection
/// (`users`, named so in messages), whichever side listed it (R8.3). An agent of the wrong
/// kind (a student listed as a student's guardian, itself included; a staff member listed
/// as a guardian) is reported `WRONG_KIND_REFERENCE` (R3.4). An agent that is listed but
/// deleted or skipped drops the link quietly: its own record explains itself. An agent not
/// listed at all is an unknown reference, unless the users are a delta, which may point at
/// users stored by earlier syncs: those links are left to [`Snapshot::check_references`].
fn resolve_links(
    listed: Vec<Listed>,
    in_users: &HashSet<SourceId>,
    users: &str,
    snap: &mut Snapshot,
) {
    let delta = snap.users == Coverage::Delta;
    let students: HashSet<&str> = snap.students.iter().map(|s| s.source_id.as_str()).collect();
    let guardians: HashSet<&str> = snap
        .guardians
        .iter()
        .map(|g| g.source_id.as_str())
        .collect();
    let staff: HashSet<&str> = snap.staff.iter().map(|s| s.source_id.as_str()).collect();
    // Sorted and deduplicated once all are in: a sort of a Vec takes about a quarter of
    // the time of as many inserts into a BTreeSet (0.2 s of a 100k-student export's
    // reading, on the thread the rest of the run waits for).
    let mut links = Vec::with_capacity(listed.len());
    let mut wrong = Vec::new();
    for entry in listed {
        let known = students.contains(entry.link.student_source_id.as_str())
            && guardians.contains(entry.link.guardian_source_id.as_str());
        // The rest is asked only of a link that is not simply kept: most are.
        let outside = !known && !in_users.contains(entry.agent.as_str());
        if known || (outside && delta) {
            links.push(entry.link);
            continue;
        }
        // The agent should be of the other side: a guardian for a student's row, a
        // student for a guardian's row.
        let row_is_student = entry.link.student_source_id == entry.row;
        let agent = entry.agent.as_str();
        let wrong_kind = if row_is_student {
            (students.contains(agent) || staff.contains(agent)).then_some("a guardian")
        } else {
            (guardians.contains(agent) || staff.contains(agent)).then_some("a student")
        };
        if let Some(expected) = wrong_kind {
            let what = if agent == entry.row {
                "itself".to_owned()
            } else if staff.contains(agent) {
                format!("`{agent}`, a staff member,")
            } else {
                format!("`{agent}`, of the same kind,")
            };
            wrong.push(Issue::invalid(
                RecordKind::FamilyRelationship,
                IssueCode::WrongKindReference,
                &entry.at,
                &entry.row,
                "agentSourcedIds",
                format!("lists {what} where {expected} belongs; no family relationship is made"),
            ));
        } else if outside {
            snap.issues.push(Issue::invalid(
                RecordKind::FamilyRelationship,
                IssueCode::UnknownReference,
                &entry.at,
                &entry.row,
                "agentSourcedIds",
                format!("agent `{}` is not in {users}", entry.agent),
            ));
        }
    }
    snap.issues.extend(wrong);
    links.sort_unstable();
    links.dedup();
    snap.links = links;
}
