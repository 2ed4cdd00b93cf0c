//! Students (R2.1, R4.1, R5.6, R6), guardians (R2.2, R3, R4.2) and staff (R2.3, R4.3),
//! with association of manual users by unique email (R1.4) and the invitee / active
//! contact rules (R4.5, R4.6). A manual record is never updated (R4.7).

use super::credentials::{Checked, Holder, Registry};
use super::places::{gone, sis_by_source};
use super::{Abandonments, Plan, Policy, Resolved, RunContext, abandon};
use crate::domain::{
    AbandonAction, FamilyPolicy, Origin, PhoneKind, RecordKind, Severity, new_id, normalize_email,
};
use crate::store::models::{Guardian, Staff, Student};
use crate::sync::snapshot::{Issue, SnapGuardian, SnapStaff, SnapStudent, Snapshot};
use crate::sync::state::State;
use chrono::NaiveDateTime;
use foldhash::{HashMap, HashMapExt, HashSet};

/// What matching a source record to a stored one needs of a stored row.
trait StoredRow {
    fn origin(&self) -> &str;
    fn source_id(&self) -> Option<&str>;
    fn email(&self) -> &str;
}

/// What matching needs of a source record.
trait ListedRecord {
    fn source_id(&self) -> &str;
    fn email(&self) -> &str;
}

macro_rules! matchable {
    ($($row:ty => $listed:ty),+) => {$(
        impl StoredRow for $row {
            fn origin(&self) -> &str {
                &self.origin
            }
            fn source_id(&self) -> Option<&str> {
                self.source_id.as_deref()
            }
            fn email(&self) -> &str {
                &self.email
            }
        }
        impl ListedRecord for $listed {
            fn source_id(&self) -> &str {
                &self.source_id
            }
            fn email(&self) -> &str {
                &self.email
            }
        }
    )+};
}

matchable!(Student => SnapStudent, Guardian => SnapGuardian, Staff => SnapStaff);

/// The stored sis rows by source id, and each listed record's stored row: the sis row
/// with its source id, else the manual row R1.4 associates with it (its email matches
/// exactly one source record and exactly one manual row of the kind), else none.
fn match_stored<'a, T: StoredRow, S: ListedRecord>(
    rows: &'a [T],
    listed: &'a [S],
) -> (HashMap<&'a str, &'a T>, Vec<Option<&'a T>>) {
    let stored = sis_by_source(rows, T::origin, T::source_id);
    let mut manual: HashMap<String, Vec<&T>> = HashMap::new();
    for row in rows
        .iter()
        .filter(|r| r.origin() == Origin::Manual.as_str())
    {
        let e = normalize_email(row.email());
        if !e.is_empty() {
            manual.entry(e).or_default().push(row);
        }
    }
    let mut unmatched: HashMap<String, Vec<&str>> = HashMap::new();
    for record in listed
        .iter()
        .filter(|r| !stored.contains_key(r.source_id()))
    {
        let e = normalize_email(record.email());
        if !e.is_empty() {
            unmatched.entry(e).or_default().push(record.source_id());
        }
    }
    let associated: HashMap<&str, &T> = unmatched
        .into_iter()
        .filter_map(
            |(e, sids)| match (sids.as_slice(), manual.get(&e).map(Vec::as_slice)) {
                ([sid], Some([row])) => Some((*sid, *row)),
                _ => None,
            },
        )
        .collect();
    let matched = listed
        .iter()
        .map(|r| {
            stored
                .get(r.source_id())
                .or(associated.get(r.source_id()))
                .copied()
        })
        .collect();
    (stored, matched)
}

fn full_name(given: &str, family: &str) -> String {
    format!("{given} {family}").trim().to_owned()
}

pub(super) fn students(
    state: &State,
    snap: &Snapshot,
    policy: &Policy,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &mut Resolved,
    abandonments: &mut Abandonments,
) {
    let (stored, matched) = match_stored(&state.students, &snap.students);
    for (src, existing) in snap.students.iter().zip(matched) {
        let attributes = match (snap.attributes_supported, existing) {
            (true, _) => serde_json::to_string(&src.attributes).unwrap_or_else(|_| "{}".into()),
            (false, Some(row)) => row.attributes.clone(),
            (false, None) => "{}".into(),
        };
        let id = match existing {
            Some(row) => {
                let next = Student {
                    source_id: Some(src.source_id.clone()),
                    sis_id: src.sis_id.clone(),
                    given_name: src.given_name.clone(),
                    family_name: src.family_name.clone(),
                    email: src.email.clone(),
                    grade: src.grade.clone(),
                    attributes,
                    origin: Origin::Sis.as_str().into(),
                    archived_at: None,
                    ..row.clone()
                };
                let restored = row.archived_at.is_some();
                let changed = next != *row;
                let count = plan.count(RecordKind::Student);
                if restored {
                    count.restored += 1;
                    abandonments.restore(plan, RecordKind::Student, row.id, None);
                } else if changed {
                    count.updated += 1;
                } else {
                    count.unchanged += 1;
                }
                if changed {
                    plan.students.push(Student {
                        updated_at: ctx.now,
                        ..next
                    });
                }
                row.id
            }
            None => {
                plan.count(RecordKind::Student).created += 1;
                let row = Student {
                    id: new_id(),
                    district_id: ctx.district_id,
                    source_id: Some(src.source_id.clone()),
                    sis_id: src.sis_id.clone(),
                    given_name: src.given_name.clone(),
                    family_name: src.family_name.clone(),
                    email: src.email.clone(),
                    grade: src.grade.clone(),
                    attributes,
                    origin: Origin::Sis.as_str().into(),
                    archived_at: None,
                    created_at: ctx.now,
                    updated_at: ctx.now,
                };
                let id = row.id;
                plan.students.push(row);
                id
            }
        };
        resolved.students.insert(src.source_id.clone(), id);
    }
    if policy.family_policy != FamilyPolicy::Soft {
        return; // EXTREME removes memberships instead: see links::school_memberships.
    }
    let first_school: HashMap<i64, i64> = state
        .school_students
        .iter()
        .map(|m| (m.student_id, m.school_id))
        .collect();
    for (sid, row) in stored {
        let present = resolved.students.contains_key(sid);
        let unreadable = resolved.unreadable.users.contains(sid);
        if row.archived_at.is_none()
            && gone(
                snap.users,
                present,
                snap.deleted.users.contains(sid),
                unreadable,
            )
        {
            // R6.1: the student is archived; enrollments and family links stay.
            abandon(
                plan,
                ctx,
                RecordKind::Student,
                row.id,
                None,
                sid,
                full_name(&row.given_name, &row.family_name),
                first_school.get(&row.id).copied(),
                AbandonAction::Archived,
            );
            plan.students.push(Student {
                archived_at: Some(ctx.now),
                updated_at: ctx.now,
                ..row.clone()
            });
        }
    }
}

/// The contact fields of a guardian or staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Contact {
    email: String,
    sms_number: String,
    home_phone: String,
}

/// A source account holder (guardian or staff), checked and matched to its stored row.
struct Candidate<'a> {
    kind: RecordKind,
    source_id: &'a str,
    at: &'a crate::sync::snapshot::SourceRef,
    email: Checked,
    sms: Checked,
    home: Checked,
    /// The stored contact when the stored row exists.
    stored: Option<Contact>,
    stored_id: Option<i64>,
    /// Whether the source may change the contact (R4.5, R4.6).
    updatable: bool,
}

impl Candidate<'_> {
    fn holder(&self, index: usize) -> Holder {
        match (self.stored_id, self.kind) {
            (Some(id), _) => Holder::Stored(id),
            (None, RecordKind::Guardian) => Holder::NewGuardian(index),
            (None, _) => Holder::NewStaff(index),
        }
    }

    fn warn(&self, plan: &mut Plan, code: &str, field: &str, message: String) {
        plan.issues.push(Issue {
            severity: Severity::Warning,
            record_kind: self.kind,
            code: code.into(),
            message,
            at: self.at.clone(),
            source_id: self.source_id.into(),
            field: field.into(),
        });
    }
}

/// Guardians and staff: both hold accounts, so their credentials are checked together.
pub(super) fn accounts(
    state: &State,
    snap: &Snapshot,
    policy: &Policy,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &mut Resolved,
) {
    let (_, guardian_rows) = match_stored(&state.guardians, &snap.guardians);
    let (_, staff_rows) = match_stored(&state.staff, &snap.staff);

    let phones = PhoneReader::new(&policy.phone_region);
    let check = |kind,
                 source_id,
                 at,
                 email: &str,
                 sms: &str,
                 home: &str,
                 stored: Option<(i64, Contact, bool)>| {
        let (stored_id, stored, active) = match stored {
            Some((id, c, active)) => (Some(id), Some(c), active),
            None => (None, None, false),
        };
        let known = |pick: fn(&Contact) -> &String| {
            stored.as_ref().map(|c| pick(c).clone()).unwrap_or_default()
        };
        Candidate {
            kind,
            source_id,
            at,
            email: Checked::email(email),
            sms: phones.read("sms", sms, &known(|c| &c.sms_number), PhoneKind::Sms),
            home: phones.read("phone", home, &known(|c| &c.home_phone), PhoneKind::Voice),
            stored,
            stored_id,
            updatable: !active || policy.update_active_users,
        }
    };
    // Phone parsing dominates planning: spread it over the cores.
    let guardians: Vec<Candidate> = parallel_map(
        snap.guardians.iter().zip(&guardian_rows).collect(),
        |(g, row)| {
            check(
                RecordKind::Guardian,
                g.source_id.as_str(),
                &g.at,
                &g.email,
                &g.sms_number,
                &g.home_phone,
                row.map(|r| {
                    (
                        r.id,
                        Contact {
                            email: r.email.clone(),
                            sms_number: r.sms_number.clone(),
                            home_phone: r.home_phone.clone(),
                        },
                        r.activated_at.is_some(),
                    )
                }),
            )
        },
    );
    let staff: Vec<Candidate> =
        parallel_map(snap.staff.iter().zip(&staff_rows).collect(), |(s, row)| {
            check(
                RecordKind::Staff,
                s.source_id.as_str(),
                &s.at,
                &s.email,
                &s.sms_number,
                &s.home_phone,
                row.map(|r| {
                    (
                        r.id,
                        Contact {
                            email: r.email.clone(),
                            sms_number: r.sms_number.clone(),
                            home_phone: r.home_phone.clone(),
                        },
                        r.activated_at.is_some(),
                    )
                }),
            )
        });

    // Every account holder's effective credentials, source and stored (R3.1).
    let mut registry = Registry::default();
    for (i, c) in guardians.iter().chain(staff.iter()).enumerate() {
        let index = if i < guardians.len() {
            i
        } else {
            i - guardians.len()
        };
        let holder = c.holder(index);
        match (&c.stored, c.updatable) {
            (Some(stored), false) => {
                registry.add_email(&stored.email, holder);
                registry.add_phone(&stored.sms_number, holder);
            }
            _ => {
                if let Some(e) = c.email.valid() {
                    registry.add_email(e, holder);
                }
                if let Some(p) = c.sms.valid() {
                    registry.add_phone(p, holder);
                }
            }
        }
    }
    let matched: HashSet<i64> = guardians
        .iter()
        .chain(staff.iter())
        .filter_map(|c| c.stored_id)
        .collect();
    for g in state.guardians.iter().filter(|g| !matched.contains(&g.id)) {
        registry.add_email(&g.email, Holder::Stored(g.id));
        registry.add_phone(&g.sms_number, Holder::Stored(g.id));
    }
    for s in state.staff.iter().filter(|s| !matched.contains(&s.id)) {
        registry.add_email(&s.email, Holder::Stored(s.id));
        registry.add_phone(&s.sms_number, Holder::Stored(s.id));
    }

    for ((src, row), cand) in snap.guardians.iter().zip(&guardian_rows).zip(&guardians) {
        if let Some(id) = plan_guardian(src, *row, cand, &registry, ctx, plan) {
            resolved.guardians.insert(src.source_id.clone(), id);
        }
    }
    for ((src, row), cand) in snap.staff.iter().zip(&staff_rows).zip(&staff) {
        let id = plan_staff(src, *row, cand, &registry, ctx, plan);
        resolved.staff.insert(src.source_id.clone(), id);
    }
}

/// The contact a candidate ends with, or None for a new guardian without any unique
/// credential (skipped, R3.1). Unusable credentials are left out with a warning; for a
/// stored record the stored value stays instead, so a shared or mistyped number in the
/// source never wipes a working one.
fn resolve_contact(
    c: &Candidate,
    registry: &Registry,
    require_unique: bool,
    plan: &mut Plan,
) -> Option<Contact> {
    if let (Some(stored), false) = (&c.stored, c.updatable) {
        return Some(stored.clone());
    }
    let keep = |pick: fn(&Contact) -> &String| {
        c.stored
            .as_ref()
            .map(|s| pick(s).clone())
            .unwrap_or_default()
    };
    let mut problems: Vec<(&str, &str, String)> = Vec::new();
    let email = match &c.email {
        Checked::Empty => Some(String::new()),
        Checked::Valid(e) if !require_unique || registry.email_is_unique(e) => Some(e.clone()),
        Checked::Valid(e) => {
            problems.push((
                "DUPLICATE_EMAIL",
                "email",
                format!("email `{e}` is held by another guardian or staff member"),
            ));
            None
        }
        Checked::Invalid(why) => {
            problems.push(("INVALID_EMAIL", "email", why.clone()));
            None
        }
    };
    let sms = match &c.sms {
        Checked::Empty => Some(String::new()),
        Checked::Valid(p) if !require_unique || registry.phone_is_unique(p) => Some(p.clone()),
        Checked::Valid(p) => {
            problems.push((
                "DUPLICATE_PHONE",
                "sms",
                format!("SMS number `{p}` is held by another guardian or staff member"),
            ));
            None
        }
        Checked::Invalid(why) => {
            problems.push(("INVALID_PHONE", "sms", why.clone()));
            None
        }
    };
    let home = match &c.home {
        Checked::Empty => Some(String::new()),
        Checked::Valid(p) => Some(p.clone()),
        Checked::Invalid(why) => {
            problems.push(("INVALID_PHONE", "phone", why.clone()));
            None
        }
    };
    let reachable = email.as_deref().is_some_and(|e| !e.is_empty())
        || sms.as_deref().is_some_and(|p| !p.is_empty());
    if c.kind == RecordKind::Guardian && c.stored.is_none() && !reachable {
        // The reason, in R3.1's terms: a shared credential first, then an invalid phone;
        // an unusable email alone leaves the guardian with no contact.
        let (code, field, reason) = ["DUPLICATE_EMAIL", "DUPLICATE_PHONE", "INVALID_PHONE"]
            .iter()
            .find_map(|want| {
                problems
                    .iter()
                    .find(|(code, field, _)| code == want && *field != "phone")
            })
            .cloned()
            .unwrap_or((
                "NO_CONTACT",
                "",
                "no email and no SMS-capable phone number".into(),
            ));
        plan.count(RecordKind::Guardian).skipped += 1;
        plan.issues.push(Issue {
            severity: Severity::Error,
            record_kind: RecordKind::Guardian,
            code: code.into(),
            message: format!("guardian not added: no unique contact credential ({reason})"),
            at: c.at.clone(),
            source_id: c.source_id.into(),
            field: field.into(),
        });
        return None;
    }
    for (code, field, message) in problems {
        c.warn(plan, code, field, format!("{message}; left out"));
    }
    Some(Contact {
        email: email.unwrap_or_else(|| keep(|s| &s.email)),
        sms_number: sms.unwrap_or_else(|| keep(|s| &s.sms_number)),
        home_phone: home.unwrap_or_else(|| keep(|s| &s.home_phone)),
    })
}

/// An account row a sync writes: `touched` stamps the time of a change.
pub(super) trait Account {
    fn id(&self) -> i64;
    fn touched(self, now: NaiveDateTime) -> Self;
    fn contact(&self) -> (&str, &str, &str);
}

impl Account for Guardian {
    fn id(&self) -> i64 {
        self.id
    }
    fn touched(self, now: NaiveDateTime) -> Self {
        Guardian {
            updated_at: now,
            ..self
        }
    }
    fn contact(&self) -> (&str, &str, &str) {
        (&self.email, &self.sms_number, &self.home_phone)
    }
}

impl Account for Staff {
    fn id(&self) -> i64 {
        self.id
    }
    fn touched(self, now: NaiveDateTime) -> Self {
        Staff {
            updated_at: now,
            ..self
        }
    }
    fn contact(&self) -> (&str, &str, &str) {
        (&self.email, &self.sms_number, &self.home_phone)
    }
}

/// Keeps `next` in the plan when it is new or differs from `stored`, and counts which.
fn keep<T: PartialEq + Account>(
    plan: &mut Plan,
    kind: RecordKind,
    rows: fn(&mut Plan) -> &mut Vec<T>,
    stored: Option<&T>,
    next: T,
    now: NaiveDateTime,
) {
    let count = plan.count(kind);
    match stored {
        Some(old) if *old == next => count.unchanged += 1,
        Some(old) => {
            count.updated += 1;
            if old.contact() == next.contact() {
                plan.keep_contact.insert(next.id());
            }
            rows(plan).push(next.touched(now));
        }
        None => {
            count.created += 1;
            rows(plan).push(next);
        }
    }
}

fn plan_guardian(
    src: &SnapGuardian,
    row: Option<&Guardian>,
    cand: &Candidate,
    registry: &Registry,
    ctx: &RunContext,
    plan: &mut Plan,
) -> Option<i64> {
    let contact = resolve_contact(cand, registry, true, plan)?;
    let base = row.cloned().unwrap_or_else(|| Guardian {
        id: new_id(),
        district_id: ctx.district_id,
        source_id: None,
        sis_id: String::new(),
        given_name: String::new(),
        family_name: String::new(),
        email: String::new(),
        sms_number: String::new(),
        home_phone: String::new(),
        language: src.language.clone(),
        origin: String::new(),
        activated_at: None,
        created_at: ctx.now,
        updated_at: ctx.now,
    });
    let next = Guardian {
        source_id: Some(src.source_id.clone()),
        sis_id: src.sis_id.clone(),
        given_name: src.given_name.clone(),
        family_name: src.family_name.clone(),
        email: contact.email,
        sms_number: contact.sms_number,
        home_phone: contact.home_phone,
        origin: Origin::Sis.as_str().into(),
        ..base
    };
    let id = next.id;
    keep(
        plan,
        RecordKind::Guardian,
        |p| &mut p.guardians,
        row,
        next,
        ctx.now,
    );
    Some(id)
}

fn plan_staff(
    src: &SnapStaff,
    row: Option<&Staff>,
    cand: &Candidate,
    registry: &Registry,
    ctx: &RunContext,
    plan: &mut Plan,
) -> i64 {
    let contact = resolve_contact(cand, registry, false, plan).unwrap_or(Contact {
        email: String::new(),
        sms_number: String::new(),
        home_phone: String::new(),
    });
    // The role is set on create only (R4.3): a stored row keeps its own.
    let base = row.cloned().unwrap_or_else(|| Staff {
        id: new_id(),
        district_id: ctx.district_id,
        source_id: None,
        sis_id: String::new(),
        given_name: String::new(),
        family_name: String::new(),
        email: String::new(),
        sms_number: String::new(),
        home_phone: String::new(),
        language: src.language.clone(),
        role: src.role.as_str().into(),
        origin: String::new(),
        activated_at: None,
        created_at: ctx.now,
        updated_at: ctx.now,
    });
    let next = Staff {
        source_id: Some(src.source_id.clone()),
        sis_id: src.sis_id.clone(),
        given_name: src.given_name.clone(),
        family_name: src.family_name.clone(),
        email: contact.email,
        sms_number: contact.sms_number,
        home_phone: contact.home_phone,
        origin: Origin::Sis.as_str().into(),
        ..base
    };
    let id = next.id;
    keep(
        plan,
        RecordKind::Staff,
        |p| &mut p.staff,
        row,
        next,
        ctx.now,
    );
    id
}

/// Maps `items` with `f` on all cores, keeping the order.
fn parallel_map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 2_000 {
        return items.into_iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(chunk).collect());
    }
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || c.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Reads source phone numbers for the district's region. A number that is digit for
/// digit the one already stored (stored numbers were validated when written) is taken
/// as it is: re-syncing an unchanged district parses no phone number at all.
struct PhoneReader<'a> {
    region: &'a str,
    country_code: Option<u16>,
}

impl<'a> PhoneReader<'a> {
    fn new(region: &'a str) -> Self {
        PhoneReader {
            region,
            country_code: phonenumber::metadata::DATABASE
                .by_id(region)
                .map(|m| m.country_code()),
        }
    }

    fn read(&self, field: &str, raw: &str, stored: &str, kind: PhoneKind) -> Checked {
        if !stored.is_empty() && self.same_number(raw, stored) {
            return Checked::Valid(stored.to_owned());
        }
        Checked::phone(field, raw, self.region, kind)
    }

    /// Whether `raw` writes the E.164 number `stored`, as a national number of the
    /// region or with its country code.
    fn same_number(&self, raw: &str, stored: &str) -> bool {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let Some(stored_digits) = stored.strip_prefix('+') else {
            return false;
        };
        if raw.trim_start().starts_with('+') {
            return digits == stored_digits;
        }
        match self.country_code {
            Some(cc) => {
                let national = stored_digits.strip_prefix(&cc.to_string());
                national == Some(digits.as_str()) || (digits.len() > 6 && digits == stored_digits)
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_number_written_another_way_is_recognized_without_parsing() {
        let us = PhoneReader::new("US");
        assert!(us.same_number("(603) 555-0142", "+16035550142"));
        assert!(us.same_number("1-603-555-0142", "+16035550142"));
        assert!(us.same_number("+1 603 555 0142", "+16035550142"));
        assert!(!us.same_number("(603) 555-0143", "+16035550142"));
        assert!(!us.same_number("+44 603 555 0142", "+16035550142"));
        assert_eq!(
            us.read("sms", "603.555.0142", "+16035550142", PhoneKind::Sms),
            Checked::Valid("+16035550142".into())
        );
    }
}
