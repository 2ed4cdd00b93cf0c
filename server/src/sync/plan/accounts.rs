//! Guardians (R2.2, R3, R4.2) and staff (R2.3, R4.3): both hold accounts, so their
//! credentials are checked together (R3.1), both follow the invitee / active contact rules
//! (R4.5, R4.6), and both are planned by one function over the two kinds.

use super::contact::{self, Candidate, Contact, Listing, PhoneReader, StoredContact, Written};
use super::credentials::{Holder, Registry};
use super::matching::match_stored;
use super::{Plan, Policy, RunContext};
use crate::domain::{Origin, RecordKind, SourceId, Text, new_id};
use crate::snapshot::{SnapGuardian, SnapStaff, Snapshot, SourceRef};
use crate::store::models::{Guardian, Staff};
use crate::store::{Rows, State};
use chrono::NaiveDateTime;
use foldhash::{HashMap, HashSet};

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
    fn contact(&self) -> StoredContact<'_>;
    fn activated(&self) -> bool;
    /// A new row for `src`; only creating sets the language and, for staff, the role.
    fn created(src: &Self::From, ctx: &RunContext) -> Self;
    /// The row with the fields the source owns taken from `src` and `contact`.
    fn synced(self, src: &Self::From, contact: Contact) -> Self;
    /// Whether [`Account::synced`] would leave the row as it is: most rows of a resync,
    /// told apart without cloning the row and its strings.
    fn is_synced(&self, src: &Self::From, contact: &Contact) -> bool;
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
            fn contact(&self) -> StoredContact<'_> {
                StoredContact {
                    email: &self.email,
                    sms_number: &self.sms_number,
                    home_phone: &self.home_phone,
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
                    sis_id: Text::default(),
                    given_name: Text::default(),
                    family_name: Text::default(),
                    email: Text::default(),
                    sms_number: Text::default(),
                    home_phone: Text::default(),
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
                    email: contact.email.into(),
                    sms_number: contact.sms_number.into(),
                    home_phone: contact.home_phone.into(),
                    origin: Origin::Sis,
                    ..self
                }
            }
            fn is_synced(&self, src: &$src, contact: &Contact) -> bool {
                self.source_id.as_deref() == Some(src.source_id.as_str())
                    && self.sis_id == src.sis_id
                    && self.given_name == src.given_name
                    && self.family_name == src.family_name
                    && self.email == contact.email
                    && self.sms_number == contact.sms_number
                    && self.home_phone == contact.home_phone
                    && self.origin == Origin::Sis
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

/// Which product record each listed guardian and staff member stands for (`Resolved`).
#[derive(Debug, Default)]
pub(super) struct Holders {
    pub guardians: HashMap<SourceId, i64>,
    pub staff: HashMap<SourceId, i64>,
}

/// Guardians and staff: matched, checked together, then planned. Reads nothing another
/// step plans, so it plans on a plan of its own beside the students step
/// (`super::plan_with`).
pub(super) fn plan(
    state: &State,
    snap: &Snapshot,
    policy: &Policy,
    ctx: &RunContext,
    plan: &mut Plan,
) -> Holders {
    let (_, guardian_rows) = match_stored(&state.guardians, &snap.guardians);
    let (_, staff_rows) = match_stored(&state.staff, &snap.staff);
    let phones = PhoneReader::new(&policy.phone_region);
    let guardians = candidates(&snap.guardians, &guardian_rows, &phones, policy);
    let staff = candidates(&snap.staff, &staff_rows, &phones, policy);
    let registry = registry(
        state,
        listings(&snap.guardians, &guardian_rows).zip(&guardians),
        listings(&snap.staff, &staff_rows).zip(&staff),
    );
    let mut holders = Holders::default();
    holders.guardians.reserve(snap.guardians.len());
    for ((src, row), cand) in snap.guardians.iter().zip(&guardian_rows).zip(&guardians) {
        if let Some(id) = plan_account(src, *row, cand, &registry, ctx, plan) {
            holders.guardians.insert(src.source_id.clone(), id);
        }
    }
    holders.staff.reserve(snap.staff.len());
    for ((src, row), cand) in snap.staff.iter().zip(&staff_rows).zip(&staff) {
        if let Some(id) = plan_account(src, *row, cand, &registry, ctx, plan) {
            holders.staff.insert(src.source_id.clone(), id);
        }
    }
    holders
}

/// A listed holder with its stored row, as the contact rules see it.
fn listing<'a, A: Account>(src: &'a A::From, row: Option<&'a A>) -> Listing<'a> {
    Listing {
        kind: A::KIND,
        source_id: src.source_id(),
        at: src.at(),
        stored: row.map(|r| (r.id(), r.contact())),
    }
}

/// Each listed holder with its stored row.
fn listings<'a, A: Account>(
    listed: &'a [A::From],
    rows: &'a [Option<&'a A>],
) -> impl ExactSizeIterator<Item = Listing<'a>> + Clone {
    listed.iter().zip(rows).map(|(src, row)| listing(src, *row))
}

/// Each listed holder's credentials checked against its stored row. Phone parsing
/// dominates a first sync's planning: a long listing is checked in two halves, one on a
/// thread of its own, while the rest of the run waits for the plan.
fn candidates<A: Account>(
    listed: &[A::From],
    rows: &[Option<&A>],
    phones: &PhoneReader,
    policy: &Policy,
) -> Vec<Candidate> {
    let check = |listed: &[A::From], rows: &[Option<&A>]| -> Vec<Candidate> {
        listed
            .iter()
            .zip(rows)
            .map(|(src, row)| {
                Candidate::new(
                    &listing(src, *row),
                    src.written(),
                    row.is_some_and(|r| r.activated()),
                    phones,
                    policy.update_active_users,
                )
            })
            .collect()
    };
    if listed.len() < SPLIT_FROM {
        return check(listed, rows);
    }
    let half = listed.len() / 2;
    let ((listed, listed_rest), (rows, rows_rest)) = (listed.split_at(half), rows.split_at(half));
    std::thread::scope(|scope| {
        let other = scope.spawn(|| check(listed_rest, rows_rest));
        let mut all = check(listed, rows);
        all.extend(other.join().expect("checking credentials does not panic"));
        all
    })
}

/// How many holders make checking their credentials on two threads worth a thread.
const SPLIT_FROM: usize = 4096;

/// Every account holder's effective credentials, in the source or stored (R3.1).
fn registry<'a>(
    state: &'a State,
    guardians: impl ExactSizeIterator<Item = (Listing<'a>, &'a Candidate)> + Clone,
    staff: impl ExactSizeIterator<Item = (Listing<'a>, &'a Candidate)> + Clone,
) -> Registry<'a> {
    let matched: HashSet<i64> = guardians
        .clone()
        .chain(staff.clone())
        .filter_map(|(l, _)| l.stored.map(|(id, _)| id))
        .collect();
    let unlisted: Vec<_> = state
        .guardians
        .iter()
        .map(|g| (g.id, g.source_id.as_deref(), &g.email, &g.sms_number))
        .chain(
            state
                .staff
                .iter()
                .map(|s| (s.id, s.source_id.as_deref(), &s.email, &s.sms_number)),
        )
        .filter(|(id, ..)| !matched.contains(id))
        .collect();
    drop(matched);
    let holders = guardians.len() + staff.len() + unlisted.len();
    let mut registry = Registry::with_capacity(holders);
    for (listing, c) in guardians.chain(staff) {
        c.register(&listing, &mut registry);
    }
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
    let who = listing(src, row);
    let contact = match contact::resolve(&who, cand, registry, A::NEEDS_CREDENTIAL, plan) {
        Some(contact) => contact,
        None if A::NEEDS_CREDENTIAL => return None,
        None => Contact::default(),
    };
    let count = plan.count(A::KIND);
    let Some(old) = row else {
        count.created += 1;
        let next = A::created(src, ctx).synced(src, contact);
        let id = next.id();
        A::rows(plan).new.push(next);
        return Some(id);
    };
    if old.is_synced(src, &contact) {
        count.unchanged += 1;
        return Some(old.id());
    }
    count.updated += 1;
    let next = old.clone().synced(src, contact);
    if old.contact() == next.contact() {
        plan.keep_contact.insert(old.id());
    }
    A::rows(plan).changed.push(next.touched(ctx.now));
    Some(old.id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Carried;

    /// `is_synced` must agree with syncing the row and comparing it whole, field by field
    /// the source owns: a field it missed would leave a changed record unchanged.
    #[test]
    fn is_synced_agrees_with_a_synced_row() {
        let ctx = RunContext {
            district_id: 1,
            run_id: 2,
            now: crate::domain::now(),
        };
        let src = SnapGuardian {
            source_id: "g-1".into(),
            sis_id: "S1".into(),
            given_name: "Ann".into(),
            family_name: "Lee".into(),
            email: Default::default(),
            sms_number: Default::default(),
            home_phone: Default::default(),
            language: "en".into(),
            carried: Carried::default(),
            at: SourceRef::default(),
        };
        let contact = Contact {
            email: "ann@example.org".into(),
            sms_number: "+16035550123".into(),
            home_phone: "+16035550124".into(),
        };
        let row = Guardian::created(&src, &ctx).synced(&src, contact.clone());
        let agrees = |row: &Guardian, src: &SnapGuardian, contact: &Contact| {
            let whole = row.clone().synced(src, contact.clone()) == *row;
            assert_eq!(
                row.is_synced(src, contact),
                whole,
                "{row:?} / {src:?} / {contact:?}"
            );
            whole
        };
        assert!(agrees(&row, &src, &contact));
        let sources: [fn(&mut SnapGuardian); 4] = [
            |s| s.source_id = "g-2".into(),
            |s| s.sis_id = "S2".into(),
            |s| s.given_name = "Anne".into(),
            |s| s.family_name = "Li".into(),
        ];
        for change in sources {
            let mut other = src.clone();
            change(&mut other);
            assert!(!agrees(&row, &other, &contact));
        }
        let contacts: [fn(&mut Contact); 3] = [
            |c| c.email = "a@example.org".into(),
            |c| c.sms_number = String::new(),
            |c| c.home_phone = "+16035550125".into(),
        ];
        for change in contacts {
            let mut other = contact.clone();
            change(&mut other);
            assert!(!agrees(&row, &src, &other));
        }
        let manual = Guardian {
            origin: Origin::Manual,
            ..row.clone()
        };
        assert!(!agrees(&manual, &src, &contact));
        // Not the source's: the language is set on create only (R4.2).
        let french = Guardian {
            language: "fr".into(),
            ..row
        };
        assert!(agrees(&french, &src, &contact));
    }
}
