//! Guardians (R2.2, R3, R4.2) and staff (R2.3, R4.3): both hold accounts, so their
//! credentials are checked together (R3.1), both follow the invitee / active contact rules
//! (R4.5, R4.6), and both are planned by one function over the two kinds.

use super::contact::{self, Candidate, Contact, PhoneReader, Written};
use super::credentials::{Holder, Registry};
use super::matching::match_stored;
use super::resolve::Resolved;
use super::{Plan, Policy, RunContext};
use crate::domain::{Origin, RecordKind, new_id};
use crate::snapshot::{SnapGuardian, SnapStaff, Snapshot, SourceRef};
use crate::store::models::{Guardian, Staff};
use crate::store::{Rows, State};
use chrono::NaiveDateTime;
use foldhash::HashSet;

/// A source account holder's fields.
trait Source {
    fn source_id(&self) -> &str;
    fn at(&self) -> &SourceRef;
    fn written(&self) -> Written<'_>;
}

/// An account row a sync writes.
trait Account: Clone + PartialEq + Sized + Sync {
    type From: Source + Sync;
    const KIND: RecordKind;
    /// Whether a holder without any unique credential is skipped (guardians, R3.1).
    const NEEDS_CREDENTIAL: bool;
    fn id(&self) -> i64;
    fn contact(&self) -> Contact;
    fn activated(&self) -> bool;
    /// A new row for `src`; only creating sets the language and, for staff, the role.
    fn created(src: &Self::From, ctx: &RunContext) -> Self;
    /// The row with the fields the source owns taken from `src` and `contact`.
    fn synced(self, src: &Self::From, contact: Contact) -> Self;
    /// The row stamped as changed at `now`.
    fn touched(self, now: NaiveDateTime) -> Self;
    fn rows(plan: &mut Plan) -> &mut Rows<Self>;
}

macro_rules! account {
    ($row:ident, $src:ident, $kind:expr, $needs:expr, $rows:ident, |$s:ident| { $($extra:tt)* }) => {
        impl Source for $src {
            fn source_id(&self) -> &str {
                &self.source_id
            }
            fn at(&self) -> &SourceRef {
                &self.at
            }
            fn written(&self) -> Written<'_> {
                let c = self.carried;
                Written {
                    email: c.email.then_some(self.email.as_str()),
                    sms: c.sms.then_some(self.sms_number.as_str()),
                    home: c.phone.then_some(self.home_phone.as_str()),
                }
            }
        }

        impl Account for $row {
            type From = $src;
            const KIND: RecordKind = $kind;
            const NEEDS_CREDENTIAL: bool = $needs;
            fn id(&self) -> i64 {
                self.id
            }
            fn contact(&self) -> Contact {
                Contact {
                    email: self.email.clone(),
                    sms_number: self.sms_number.clone(),
                    home_phone: self.home_phone.clone(),
                }
            }
            fn activated(&self) -> bool {
                self.activated_at.is_some()
            }
            fn created($s: &$src, ctx: &RunContext) -> Self {
                $row {
                    id: new_id(),
                    district_id: ctx.district_id,
                    source_id: None,
                    sis_id: String::new(),
                    given_name: String::new(),
                    family_name: String::new(),
                    email: String::new(),
                    sms_number: String::new(),
                    home_phone: String::new(),
                    language: $s.language.clone(),
                    origin: Origin::Sis,
                    activated_at: None,
                    created_at: ctx.now,
                    updated_at: ctx.now,
                    $($extra)*
                }
            }
            fn touched(self, now: NaiveDateTime) -> Self {
                $row {
                    updated_at: now,
                    ..self
                }
            }
            fn synced(self, src: &$src, contact: Contact) -> Self {
                $row {
                    source_id: Some(src.source_id.clone()),
                    sis_id: src.sis_id.clone(),
                    given_name: src.given_name.clone(),
                    family_name: src.family_name.clone(),
                    email: contact.email,
                    sms_number: contact.sms_number,
                    home_phone: contact.home_phone,
                    origin: Origin::Sis,
                    ..self
                }
            }
            fn rows(plan: &mut Plan) -> &mut Rows<Self> {
                &mut plan.$rows
            }
        }
    };
}

account!(
    Guardian,
    SnapGuardian,
    RecordKind::Guardian,
    true,
    guardians,
    |_s| {}
);
// The role is set on create only (R4.3): a stored row keeps its own.
account!(Staff, SnapStaff, RecordKind::Staff, false, staff, |s| { role: s.role, });

/// Guardians and staff: matched, checked together, then planned.
pub(super) fn plan(
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
    let guardians = candidates(&snap.guardians, &guardian_rows, &phones, policy);
    let staff = candidates(&snap.staff, &staff_rows, &phones, policy);
    let registry = registry(state, &guardians, &staff);
    for ((src, row), cand) in snap.guardians.iter().zip(&guardian_rows).zip(&guardians) {
        if let Some(id) = plan_account(src, *row, cand, &registry, ctx, plan) {
            resolved.guardians.insert(src.source_id.clone(), id);
        }
    }
    for ((src, row), cand) in snap.staff.iter().zip(&staff_rows).zip(&staff) {
        if let Some(id) = plan_account(src, *row, cand, &registry, ctx, plan) {
            resolved.staff.insert(src.source_id.clone(), id);
        }
    }
}

/// Each listed holder checked against its stored row. Phone parsing dominates a first
/// sync's planning, yet it stays on one thread: the phone library serializes its regex
/// cache behind one lock, and two threads parsing took 1.4 times as long as one.
fn candidates<'a, A: Account>(
    listed: &'a [A::From],
    rows: &[Option<&A>],
    phones: &PhoneReader,
    policy: &Policy,
) -> Vec<Candidate<'a>> {
    listed
        .iter()
        .zip(rows)
        .map(|(src, row)| {
            Candidate::new(
                A::KIND,
                (src.source_id(), src.at()),
                src.written(),
                row.map(|r| (r.id(), r.contact(), r.activated())),
                phones,
                policy.update_active_users,
            )
        })
        .collect()
}

/// Every account holder's effective credentials, in the source or stored (R3.1).
fn registry<'a>(
    state: &'a State,
    guardians: &[Candidate<'a>],
    staff: &[Candidate<'a>],
) -> Registry<'a> {
    let mut registry = Registry::default();
    for c in guardians.iter().chain(staff) {
        c.register(&mut registry, c.holder());
    }
    let matched: HashSet<i64> = guardians
        .iter()
        .chain(staff)
        .filter_map(|c| c.stored_id)
        .collect();
    let unlisted = state
        .guardians
        .iter()
        .map(|g| (g.id, g.source_id.as_deref(), &g.email, &g.sms_number))
        .chain(
            state
                .staff
                .iter()
                .map(|s| (s.id, s.source_id.as_deref(), &s.email, &s.sms_number)),
        )
        .filter(|(id, ..)| !matched.contains(id));
    for (id, source_id, email, sms) in unlisted {
        let holder = source_id.map_or(Holder::Stored(id), Holder::Person);
        registry.add_email(email, holder);
        registry.add_phone(sms, holder);
    }
    registry
}

/// One guardian or staff member: created, updated or unchanged; None for a guardian
/// skipped for want of a unique credential.
fn plan_account<A: Account>(
    src: &A::From,
    row: Option<&A>,
    cand: &Candidate,
    registry: &Registry,
    ctx: &RunContext,
    plan: &mut Plan,
) -> Option<i64> {
    let contact = match contact::resolve(cand, registry, A::NEEDS_CREDENTIAL, plan) {
        Some(contact) => contact,
        None if A::NEEDS_CREDENTIAL => return None,
        None => Contact::default(),
    };
    let base = row.cloned().unwrap_or_else(|| A::created(src, ctx));
    let next = base.synced(src, contact);
    let id = next.id();
    let count = plan.count(A::KIND);
    match row {
        Some(old) if *old == next => count.unchanged += 1,
        Some(old) => {
            count.updated += 1;
            if old.contact() == next.contact() {
                plan.keep_contact.insert(id);
            }
            A::rows(plan).changed.push(next.touched(ctx.now));
        }
        None => {
            count.created += 1;
            A::rows(plan).new.push(next);
        }
    }
    Some(id)
}
