//! The rules, one scenario each, on the pure planner: no database, no clock.

use super::*;
use crate::domain::{AbandonAction, FamilyPolicy, IssueCode, Origin, StaffRole};
use crate::snapshot::*;
use chrono::NaiveDate;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 28)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

fn ctx() -> RunContext {
    RunContext {
        district_id: 1,
        run_id: 99,
        now: now(),
    }
}

fn policy() -> Policy {
    Policy {
        update_active_users: false,
        family_policy: FamilyPolicy::Soft,
        threshold_percent: 100,
        school_threshold_percent: 100,
        phone_region: "US".into(),
        override_threshold: false,
    }
}

fn at() -> SourceRef {
    SourceRef::csv(CsvFile::Users, 2)
}

fn snap_student(sid: &str) -> SnapStudent {
    SnapStudent {
        source_id: sid.into(),
        sis_id: Default::default(),
        given_name: "S".into(),
        family_name: sid.into(),
        email: Default::default(),
        grade: "04".into(),
        school_source_ids: vec!["sch".into()],
        attributes: Default::default(),
        attribute_keys: None,
        carried: Default::default(),
        at: at(),
    }
}

fn snap_guardian(sid: &str, email: &str, sms: &str) -> SnapGuardian {
    SnapGuardian {
        source_id: sid.into(),
        sis_id: Default::default(),
        given_name: "G".into(),
        family_name: sid.into(),
        email: email.into(),
        sms_number: sms.into(),
        home_phone: Default::default(),
        language: Default::default(),
        carried: Default::default(),
        at: at(),
    }
}

fn snap_staff(sid: &str, role: StaffRole) -> SnapStaff {
    SnapStaff {
        source_id: sid.into(),
        sis_id: Default::default(),
        given_name: "T".into(),
        family_name: sid.into(),
        email: format!("{sid}@school.org").into(),
        sms_number: Default::default(),
        home_phone: Default::default(),
        language: Default::default(),
        role,
        school_source_ids: vec!["sch".into()],
        carried: Default::default(),
        at: at(),
    }
}

fn snapshot() -> Snapshot {
    Snapshot {
        schools: vec![SnapSchool {
            source_id: "sch".into(),
            sis_id: Default::default(),
            name: "School".into(),
            at: at(),
        }],
        attributes_supported: true,
        ..Default::default()
    }
}

fn link(student: &str, guardian: &str) -> SnapLink {
    SnapLink {
        student_source_id: student.into(),
        guardian_source_id: guardian.into(),
    }
}

/// The state a first sync of `snap` leaves behind (its plan, applied in memory).
fn synced(snap: &Snapshot) -> State {
    let none = State::default();
    applied(&none, &plan(&none, snap, &policy(), &ctx()))
}

/// `state` as applying `p` leaves it: the apply's statements, in memory.
fn applied(state: &State, p: &Plan) -> State {
    fn upsert<T: Clone>(rows: &mut Vec<T>, plan: &Rows<T>, id: impl Fn(&T) -> i64) {
        for row in plan.new.iter().chain(&plan.changed) {
            match rows.iter_mut().find(|r| id(r) == id(row)) {
                Some(stored) => *stored = row.clone(),
                None => rows.push(row.clone()),
            }
        }
    }
    let mut s = state.clone();
    upsert(&mut s.schools, &p.schools, |r| r.id);
    upsert(&mut s.students, &p.students, |r| r.id);
    upsert(&mut s.guardians, &p.guardians, |r| r.id);
    upsert(&mut s.staff, &p.staff, |r| r.id);
    upsert(&mut s.classes, &p.classes, |r| r.id);
    s.school_students.retain(|m| {
        !p.remove_school_students
            .contains(&(m.school_id, m.student_id))
    });
    s.school_staff
        .retain(|m| !p.remove_school_staff.contains(&(m.school_id, m.staff_id)));
    s.class_students.retain(|m| {
        !p.remove_class_students
            .contains(&(m.class_id, m.student_id))
    });
    s.class_teachers
        .retain(|m| !p.remove_class_teachers.contains(&(m.class_id, m.staff_id)));
    s.links
        .retain(|l| !p.remove_links.contains(&(l.student_id, l.guardian_id)));
    s.school_students
        .extend(p.add_school_students.iter().cloned());
    s.school_staff.extend(p.add_school_staff.iter().cloned());
    s.class_students
        .extend(p.add_class_students.iter().cloned());
    s.class_teachers
        .extend(p.add_class_teachers.iter().cloned());
    s.links.extend(p.add_links.iter().cloned());
    s.open_abandonments.retain(|a| !p.restored.contains(&a.id));
    s.open_abandonments.extend(p.abandoned.iter().cloned());
    s
}

fn family() -> Snapshot {
    let mut s = snapshot();
    s.students = vec![snap_student("kid"), snap_student("other")];
    s.guardians = vec![
        snap_guardian("mum", "mum@example.org", ""),
        snap_guardian("dad", "dad@example.org", ""),
    ];
    s.links = vec![link("kid", "mum"), link("kid", "dad"), link("other", "mum")];
    s.staff = vec![snap_staff("teach", StaffRole::Teacher)];
    s
}

#[test]
fn r7_4_planning_the_same_source_twice_changes_nothing() {
    let snap = family();
    let state = synced(&snap);
    let again = plan(&state, &snap, &policy(), &ctx());
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(again.counts[&RecordKind::Student].unchanged, 2);
}

/// `again`, the plan of the same source once `first` is applied, plans nothing and
/// counts and reports what `first` said it would: what a run that settles the district
/// on its source reports from then on (R7.4).
fn assert_said_again(what: &str, first: &Plan, again: &Plan) {
    assert!(again.is_empty(), "{what}: {again:?}");
    assert_eq!(again.counts, first.counts_again, "{what}");
    let recurring = |p: &Plan| -> Vec<(IssueCode, String, String)> {
        p.issues
            .iter()
            .filter(|i| i.code.recurs())
            .map(|i| (i.code, i.source_id.clone(), i.message.clone()))
            .collect()
    };
    assert_eq!(recurring(again), recurring(first), "{what}");
}

// R7.4: whatever a run changes (a first sync, a guardian disconnected, a family gone and
// back under either policy, a move to another school, a school year's end), planning the
// same source once its plan is applied plans nothing, and counts and reports what the
// plan said it would: what a run that settles the district reports from then on.
#[test]
fn r7_4_every_kind_of_change_counts_what_planning_it_again_would() {
    let family = family_in_class();
    let mut no_dad = family.clone();
    no_dad.links.retain(|l| l.guardian_source_id != "dad");
    let mut no_kid = family.clone();
    no_kid.students.retain(|s| s.source_id != "kid");
    no_kid.links.retain(|l| l.student_source_id != "kid");
    no_kid.student_enrollments.clear();
    let mut moved = family.clone();
    moved.schools.push(SnapSchool {
        source_id: "sch2".into(),
        sis_id: Default::default(),
        name: "Other school".into(),
        at: at(),
    });
    moved.students[0].school_source_ids = vec!["sch2".into()];
    moved.staff[0].school_source_ids = vec!["sch".into(), "sch2".into()];
    let extreme = Policy {
        family_policy: FamilyPolicy::Extreme,
        ..policy()
    };
    let years = [
        school_year("old", 3, day(2026, 6, 15)),
        school_year("new", 3, day(2027, 6, 15)),
    ];
    // A delta that marks a student deleted and gives a guardian a number (R8.1).
    let mut delta = snapshot();
    delta.users = Coverage::Delta;
    delta.deleted.users.insert("other".into());
    delta.guardians = vec![snap_guardian("mum", "mum@example.org", "603 555 0142")];
    let runs: [(&str, &Policy, Vec<&Snapshot>); 5] = [
        ("delta", &policy(), vec![&family, &delta]),
        (
            "soft",
            &policy(),
            vec![&family, &no_dad, &family, &no_kid, &family],
        ),
        ("extreme", &extreme, vec![&family, &no_kid, &family]),
        ("move", &policy(), vec![&family, &moved, &family]),
        ("new year", &strict(), years.iter().collect()),
    ];
    for (name, policy, sources) in runs {
        let mut state = State::default();
        for (n, source) in sources.into_iter().enumerate() {
            let p = plan(&state, source, policy, &ctx());
            assert!(!p.is_empty(), "{name}, run {n}: changes something");
            assert_eq!(p.safety_block, None, "{name}, run {n}");
            state = applied(&state, &p);
            let again = plan(&state, source, policy, &ctx());
            assert_said_again(&format!("{name}, run {n}"), &p, &again);
        }
    }
}

// R7.4: a first sync that creates, skips and leaves out says what a run of the same source
// would count and report once it is applied: created records counted unchanged, the same
// guardians skipped, the same shared number reported.
#[test]
fn r7_4_a_first_sync_counts_what_planning_it_again_would() {
    let mut snap = family();
    snap.guardians
        .push(snap_guardian("a", "a@example.org", "603 555 0142"));
    snap.guardians
        .push(snap_guardian("b", "", "(603) 555-0142"));
    snap.links.push(link("other", "a"));
    let first = plan(&State::default(), &snap, &policy(), &ctx());
    assert_eq!(first.counts[&RecordKind::Guardian].created, 3);
    let again = plan(&synced(&snap), &snap, &policy(), &ctx());
    assert_said_again("a first sync", &first, &again);
    let guardians = first.counts_again[&RecordKind::Guardian];
    assert_eq!((guardians.unchanged, guardians.skipped), (3, 1));
    assert!(
        again
            .issues
            .iter()
            .any(|i| i.code == IssueCode::DuplicatePhone && i.source_id == "a")
    );
}

#[test]
fn r3_1_a_shared_phone_is_left_out_and_a_guardian_with_nothing_else_is_skipped() {
    let mut snap = snapshot();
    snap.students = vec![snap_student("kid")];
    snap.guardians = vec![
        snap_guardian("a", "a@example.org", "603 555 0142"),
        snap_guardian("b", "", "(603) 555-0142"),
        snap_guardian("c", "", ""),
    ];
    let p = plan(&State::default(), &snap, &policy(), &ctx());
    assert_eq!(p.guardians.len(), 1);
    assert_eq!(
        p.guardians.iter().next().unwrap().sms_number,
        "",
        "shared number left out"
    );
    assert_eq!(p.guardians.iter().next().unwrap().email, "a@example.org");
    let codes: Vec<(&str, &str, Severity)> = p
        .issues
        .iter()
        .map(|i| (i.source_id.as_str(), i.code.as_str(), i.severity))
        .collect();
    assert!(
        codes.contains(&("a", "DUPLICATE_PHONE", Severity::Warning)),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("b", "DUPLICATE_PHONE", Severity::Error)),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("c", "NO_CONTACT", Severity::Error)),
        "{codes:?}"
    );
    assert_eq!(p.counts[&RecordKind::Guardian].skipped, 2);
}

/// A listing long enough to be checked in two halves on two threads: every guardian keeps
/// its own number, and a number shared across the halves is still found shared.
#[test]
fn r3_1_a_long_listing_keeps_each_number_with_its_guardian_and_finds_one_shared() {
    let mut snap = snapshot();
    let number = |i: usize| format!("(603) 555-{:04}", i % 10_000);
    snap.guardians = (0..=10_000)
        .map(|i| snap_guardian(&format!("g{i}"), "", &number(i)))
        .collect();
    let p = plan(&State::default(), &snap, &policy(), &ctx());
    let created: Vec<(&str, &str)> = p
        .guardians
        .new
        .iter()
        .map(|g| (g.family_name.as_str(), g.sms_number.as_str()))
        .collect();
    assert_eq!(created.len(), 9_999, "g0 and g10000 share a number");
    for (i, (name, sms)) in (1..10_000).zip(&created) {
        assert_eq!(
            (*name, *sms),
            (format!("g{i}").as_str(), format!("+1603555{i:04}").as_str())
        );
    }
    let shared: Vec<&str> = p
        .issues
        .iter()
        .filter(|i| i.code == IssueCode::DuplicatePhone)
        .map(|i| i.source_id.as_str())
        .collect();
    assert_eq!(shared, ["g0", "g10000"]);
}

#[test]
fn r3_1_a_stored_staff_email_makes_a_guardian_email_shared() {
    let mut snap = family();
    snap.guardians
        .push(snap_guardian("alias", "TEACH@school.org ", ""));
    snap.links.push(link("kid", "alias"));
    let p = plan(&synced(&family()), &snap, &policy(), &ctx());
    assert!(
        p.issues
            .iter()
            .any(|i| i.source_id == "alias" && i.code == IssueCode::DuplicateEmail)
    );
    assert!(p.add_links.is_empty(), "a skipped guardian gets no link");
}

#[test]
fn r1_4_a_manual_guardian_with_a_unique_email_is_associated() {
    let mut state = State::default();
    let manual = Guardian {
        id: 7,
        district_id: 1,
        source_id: None,
        sis_id: Default::default(),
        given_name: "Mum".into(),
        family_name: "Manual".into(),
        email: "Mum@Example.org".into(),
        sms_number: Default::default(),
        home_phone: Default::default(),
        language: "fr".into(),
        origin: Origin::Manual,
        activated_at: None,
        created_at: now(),
        updated_at: now(),
    };
    state.guardians.push(manual.clone());
    let p = plan(&state, &family(), &policy(), &ctx());
    let mum = p
        .guardians
        .iter()
        .find(|g| g.source_id.as_deref() == Some("mum"))
        .unwrap();
    assert_eq!(mum.id, 7);
    assert_eq!(mum.origin, Origin::Sis);
    assert_eq!(mum.language, "fr", "kept: language is not a synced field");

    // Two manual guardians with that email: not unique, so no association (R1.4).
    state.guardians.push(Guardian { id: 8, ..manual });
    let p = plan(&state, &family(), &policy(), &ctx());
    assert!(p.guardians.iter().all(|g| g.id != 7 && g.id != 8));
}

#[test]
fn r4_3_the_role_is_never_updated_and_r4_6_active_contact_stays_when_off() {
    let snap = family();
    let mut state = synced(&snap);
    state
        .guardians
        .iter_mut()
        .for_each(|g| g.activated_at = Some(now()));
    let mut changed = snap.clone();
    changed.staff[0].role = StaffRole::Admin;
    changed.guardians[0].email = "new@example.org".into();
    changed.guardians[0].given_name = "Renamed".into();
    let p = plan(&state, &changed, &policy(), &ctx());
    assert!(p.staff.is_empty(), "role change alone is no update");
    let mum = &p.guardians.iter().next().unwrap();
    assert_eq!(
        (mum.given_name.as_str(), mum.email.as_str()),
        ("Renamed", "mum@example.org")
    );

    let on = Policy {
        update_active_users: true,
        ..policy()
    };
    let p = plan(&state, &changed, &on, &ctx());
    assert_eq!(p.guardians.iter().next().unwrap().email, "new@example.org");
}

#[test]
fn r5_1_a_guardian_no_longer_listed_is_disconnected_only_while_the_student_stays() {
    let snap = family();
    let state = synced(&snap);
    let mut next = snap.clone();
    next.links.retain(|l| l.guardian_source_id != "dad");
    let p = plan(&state, &next, &policy(), &ctx());
    assert_eq!(p.remove_links.len(), 1);
    assert_eq!(p.abandoned[0].action, AbandonAction::Disconnected);

    // The student left too: an abandoned family keeps its links (R6).
    let mut gone = snap.clone();
    gone.students.retain(|s| s.source_id != "kid");
    gone.links.retain(|l| l.student_source_id != "kid");
    gone.guardians.retain(|g| g.source_id != "dad");
    let p = plan(&state, &gone, &policy(), &ctx());
    assert!(p.remove_links.is_empty());
    assert_eq!(
        p.students
            .iter()
            .filter(|s| s.archived_at.is_some())
            .count(),
        1,
        "R6.1 SOFT archives"
    );
}

/// The family, with the kid in a class.
fn family_in_class() -> Snapshot {
    let mut snap = family();
    snap.classes = vec![SnapClass {
        source_id: "c".into(),
        sis_id: Default::default(),
        name: "C".into(),
        grades: vec![],
        school_source_id: "sch".into(),
        term_end: TermEnd::Unknown,
        at: at(),
    }];
    snap.student_enrollments = vec![SnapEnrollment {
        source_id: "e".into(),
        class_source_id: "c".into(),
        user_source_id: "kid".into(),
        at: at(),
    }];
    snap
}

#[test]
fn r6_2_extreme_removes_the_student_from_school_and_classes() {
    let snap = family_in_class();
    let state = synced(&snap);
    let mut gone = snap.clone();
    gone.students.retain(|s| s.source_id != "kid");
    gone.student_enrollments.clear();
    let extreme = Policy {
        family_policy: FamilyPolicy::Extreme,
        ..policy()
    };
    let p = plan(&state, &gone, &extreme, &ctx());
    assert_eq!(p.remove_school_students.len(), 1);
    assert_eq!(p.remove_class_students.len(), 1);
    assert!(
        p.students.iter().all(|s| s.archived_at.is_none()),
        "not archived under EXTREME"
    );
    let soft = plan(&state, &gone, &policy(), &ctx());
    assert!(
        soft.remove_class_students.is_empty(),
        "SOFT keeps the enrollments"
    );
}

#[test]
fn r7_2_more_than_the_threshold_blocks_unless_overridden() {
    let snap = family();
    let state = synced(&snap);
    let mut next = snap.clone();
    next.students.truncate(1);
    let strict = Policy {
        threshold_percent: 20,
        ..policy()
    };
    let block = plan(&state, &next, &strict, &ctx())
        .safety_block
        .expect("blocked");
    assert_eq!(
        (block.record_kind, block.abandon_count, block.stored_count),
        (RecordKind::Student, 1, 2)
    );
    let overridden = Policy {
        override_threshold: true,
        ..strict
    };
    assert!(
        plan(&state, &next, &overridden, &ctx())
            .safety_block
            .is_none()
    );
}

#[test]
fn r8_1_a_delta_source_abandons_only_what_it_marks_deleted() {
    let snap = family();
    let state = synced(&snap);
    let mut delta = snapshot();
    delta.users = Coverage::Delta;
    delta.deleted.users.insert("other".into());
    let p = plan(&state, &delta, &policy(), &ctx());
    let archived: Vec<&str> = p
        .students
        .iter()
        .filter(|s| s.archived_at.is_some())
        .filter_map(|s| s.source_id.as_deref())
        .collect();
    assert_eq!(archived, ["other"]);
    assert!(p.remove_links.is_empty());
}

#[test]
fn r5_7_a_returning_student_is_restored_and_its_abandonment_closed() {
    let snap = family();
    let state = synced(&snap);
    let mut gone = snap.clone();
    gone.students.retain(|s| s.source_id != "other");
    gone.links.retain(|l| l.student_source_id != "other");
    let p = plan(&state, &gone, &policy(), &ctx());
    let back = plan(&applied(&state, &p), &snap, &policy(), &ctx());
    assert_eq!(back.counts[&RecordKind::Student].restored, 1);
    assert_eq!(back.restored.len(), 1);
    assert!(back.students.iter().all(|s| s.archived_at.is_none()));
}

/// The family links are planned beside the memberships and enrollments (on a thread of
/// their own), so one run that brings back a disconnected guardian and a dropped class
/// enrollment closes both abandonments, and each kind counts what it did, the links
/// beside the invalid link row the source reported.
#[test]
fn r5_7_a_link_and_an_enrollment_come_back_in_one_run_each_counted() {
    let snap = family_in_class();
    let state = synced(&snap);
    let mut gone = snap.clone();
    gone.links.retain(|l| l.guardian_source_id != "dad");
    gone.student_enrollments.clear();
    let p = plan(&state, &gone, &policy(), &ctx());
    assert_eq!(
        (p.remove_links.len(), p.remove_class_students.len()),
        (1, 1)
    );
    let state = applied(&state, &p);
    assert_eq!(state.open_abandonments.len(), 2);

    let mut back = snap.clone();
    back.issues.push(Issue::invalid(
        RecordKind::FamilyRelationship,
        IssueCode::UnknownReference,
        &at(),
        "kid",
        "agentSourcedIds",
        "a link row naming nobody",
    ));
    let p = plan(&state, &back, &policy(), &ctx());
    let links = p.counts[&RecordKind::FamilyRelationship];
    assert_eq!(
        (
            links.restored,
            links.unchanged,
            links.invalid,
            links.created
        ),
        (1, 2, 1, 0)
    );
    assert_eq!(p.counts[&RecordKind::StudentEnrollment].restored, 1);
    assert_eq!(p.restored.len(), 2);
    assert_eq!((p.add_links.len(), p.add_class_students.len()), (1, 1));
    assert!(applied(&state, &p).open_abandonments.is_empty());
}

#[test]
fn r3_3_an_unreadable_row_abandons_nothing() {
    let mut snap = family();
    snap.classes = vec![SnapClass {
        source_id: "c".into(),
        sis_id: Default::default(),
        name: "C".into(),
        grades: vec![],
        school_source_id: "sch".into(),
        term_end: TermEnd::Unknown,
        at: at(),
    }];
    snap.student_enrollments = vec![SnapEnrollment {
        source_id: "e".into(),
        class_source_id: "c".into(),
        user_source_id: "kid".into(),
        at: at(),
    }];
    snap.teacher_enrollments = vec![SnapEnrollment {
        source_id: "t".into(),
        class_source_id: "c".into(),
        user_source_id: "teach".into(),
        at: at(),
    }];
    let state = synced(&snap);
    // This time the rows of the student, the teacher, the dad and the class are unreadable.
    let mut bad = snap.clone();
    bad.students.retain(|s| s.source_id != "kid");
    bad.staff.clear();
    bad.guardians.retain(|g| g.source_id != "dad");
    bad.classes.clear();
    bad.links.retain(|l| l.student_source_id != "kid");
    bad.student_enrollments.clear();
    bad.teacher_enrollments.clear();
    for (kind, sid) in [
        (RecordKind::Student, "kid"),
        (RecordKind::Staff, "teach"),
        (RecordKind::Guardian, "dad"),
        (RecordKind::Class, "c"),
    ] {
        bad.issues.push(Issue::invalid(
            kind,
            IssueCode::MissingField,
            &at(),
            sid,
            "familyName",
            "empty",
        ));
    }
    let p = plan(
        &state,
        &bad,
        &Policy {
            family_policy: FamilyPolicy::Extreme,
            ..policy()
        },
        &ctx(),
    );
    assert!(p.abandoned.is_empty(), "{:?}", p.abandoned);
    assert!(p.remove_class_students.is_empty() && p.remove_class_teachers.is_empty());
    assert!(
        p.remove_links.is_empty()
            && p.remove_school_students.is_empty()
            && p.remove_school_staff.is_empty()
    );
    assert!(p.classes.is_empty() && p.students.is_empty());
}

#[test]
fn r8_1_a_delta_enrollment_of_people_stored_earlier_is_added() {
    let mut snap = family();
    snap.classes = vec![SnapClass {
        source_id: "c".into(),
        sis_id: Default::default(),
        name: "C".into(),
        grades: vec![],
        school_source_id: "sch".into(),
        term_end: TermEnd::Unknown,
        at: at(),
    }];
    let state = synced(&snap);
    let mut delta = snapshot();
    delta.schools.clear();
    delta.orgs = Coverage::Absent;
    delta.users = Coverage::Delta;
    delta.class_coverage = Coverage::Delta;
    delta.enrollments = Coverage::Delta;
    delta.student_enrollments = vec![SnapEnrollment {
        source_id: "e".into(),
        class_source_id: "c".into(),
        user_source_id: "kid".into(),
        at: at(),
    }];
    let p = plan(&state, &delta, &policy(), &ctx());
    assert_eq!(p.add_class_students.len(), 1, "{:?}", p.counts);
    assert!(p.abandoned.is_empty());
}

#[test]
fn r4_6_a_name_change_leaves_the_contact_columns_to_the_user() {
    let snap = family();
    let mut state = synced(&snap);
    state
        .guardians
        .iter_mut()
        .for_each(|g| g.activated_at = Some(now()));
    let mut renamed = snap.clone();
    renamed.guardians[0].given_name = "Mum".into();
    renamed.guardians[1].email = "dad.new@example.org".into();
    let on = Policy {
        update_active_users: true,
        ..policy()
    };
    let p = plan(&state, &renamed, &on, &ctx());
    let id_of = |sid: &str| {
        p.guardians
            .iter()
            .find(|g| g.source_id.as_deref() == Some(sid))
            .unwrap()
            .id
    };
    assert!(
        p.keep_contact.contains(&id_of("mum")),
        "only the name changed"
    );
    assert!(!p.keep_contact.contains(&id_of("dad")), "the email changed");
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn snap_class(sid: &str, term_end: TermEnd) -> SnapClass {
    SnapClass {
        source_id: sid.into(),
        sis_id: sid.into(),
        name: format!("Class {sid}").into(),
        grades: vec![],
        school_source_id: "sch".into(),
        term_end,
        at: SourceRef::csv(CsvFile::Classes, 2),
    }
}

fn enrollment(class: &str, user: &str) -> SnapEnrollment {
    SnapEnrollment {
        source_id: format!("e-{class}-{user}").into(),
        class_source_id: class.into(),
        user_source_id: user.into(),
        at: SourceRef::csv(CsvFile::Enrollments, 2),
    }
}

/// The family, in `classes` ending on `end`, each with both students and the teacher.
fn school_year(prefix: &str, classes: usize, end: NaiveDate) -> Snapshot {
    let mut s = family();
    for n in 0..classes {
        let sid = format!("{prefix}-{n}");
        s.classes.push(snap_class(&sid, TermEnd::On(end)));
        s.student_enrollments.push(enrollment(&sid, "kid"));
        s.student_enrollments.push(enrollment(&sid, "other"));
        s.teacher_enrollments.push(enrollment(&sid, "teach"));
    }
    s
}

fn strict() -> Policy {
    Policy {
        threshold_percent: 20,
        school_threshold_percent: 30,
        ..policy()
    }
}

// R5.10: a new school year. Last year's 10 classes, whose term ended (on the stored end
// date, before the run's day), are all gone; this year's 10 are new. The old ones are
// archived as ended, keeping their members (R5.3), with no abandonment recorded, and the
// run is not blocked: R7.2 counts neither them nor their enrollments. The students, still
// in the source, stay as they are.
#[test]
fn r5_10_a_new_school_year_whose_old_terms_ended_is_not_blocked() {
    let last_year = school_year("old", 10, day(2026, 6, 15));
    let state = synced(&last_year);
    assert!(
        state
            .classes
            .iter()
            .all(|c| c.term_end_date == Some(day(2026, 6, 15)))
    );
    let this_year = school_year("new", 10, day(2027, 6, 15));
    let p = plan(&state, &this_year, &strict(), &ctx());
    assert_eq!(p.safety_block, None);
    assert!(p.abandoned.is_empty(), "{:?}", p.abandoned);
    let archived: Vec<&str> = p
        .classes
        .iter()
        .filter(|c| c.archived_at.is_some())
        .filter_map(|c| c.source_id.as_deref())
        .collect();
    assert_eq!(archived.len(), 10);
    assert!(archived.iter().all(|sid| sid.starts_with("old-")));
    assert_eq!(p.ended_classes.len(), 10);
    let counts = &p.counts[&RecordKind::Class];
    assert_eq!(
        (counts.created, counts.updated, counts.abandoned),
        (10, 10, 0)
    );
    let ended: Vec<&Issue> = p
        .issues
        .iter()
        .filter(|i| i.code == IssueCode::ClassTermEnded)
        .collect();
    assert_eq!(ended.len(), 10);
    assert!(ended.iter().all(|i| i.severity == Severity::Info
        && i.record_kind == RecordKind::Class
        && i.source_id.starts_with("old-")
        && i.message.contains("2026-06-15")));
    // R5.3: the ended classes keep their members; nobody is archived or removed.
    assert!(p.remove_class_students.is_empty() && p.remove_class_teachers.is_empty());
    assert!(p.students.iter().all(|s| s.archived_at.is_none()));
    assert!(p.remove_school_students.is_empty());
    // Applied, the next run of the same source changes nothing (R7.4).
    let again = plan(&applied(&state, &p), &this_year, &strict(), &ctx());
    assert!(again.is_empty(), "{again:?}");
    // The ended classes are counted and reported by this run only.
    assert_said_again("a new school year", &p, &again);
    assert_eq!(p.counts_again[&RecordKind::Class].unchanged, 10);
}

// R5.10, R7.2: classes gone while their term runs on (a truncated export) are abandoned
// and block as before; so are those whose term ends today, or that have no known term.
#[test]
fn r5_10_classes_gone_before_their_term_ended_still_block() {
    for end in [
        Some(day(2027, 6, 15)),
        Some(now().date()),
        None, // no term known: as before R5.10
    ] {
        let term = end.map_or(TermEnd::NoTerm, TermEnd::On);
        let mut full = family();
        full.classes = (0..10)
            .map(|n| snap_class(&format!("c-{n}"), term))
            .collect();
        let state = synced(&full);
        let mut truncated = full.clone();
        truncated.classes.truncate(5);
        let p = plan(&state, &truncated, &strict(), &ctx());
        let block = p.safety_block.expect("blocked");
        assert_eq!(
            (block.record_kind, block.abandon_count, block.stored_count),
            (RecordKind::Class, 5, 10),
            "{end:?}"
        );
        assert!(p.ended_classes.is_empty());
        assert!(p.issues.iter().all(|i| i.code != IssueCode::ClassTermEnded));
        assert_eq!(
            p.abandoned
                .iter()
                .filter(|a| a.action == AbandonAction::Archived)
                .count(),
            5
        );
    }
}

// R5.10: ended classes count on neither side of R7.2's share, and neither do their
// enrollments, even those a teacher gone from the source leaves (R5.2). What else is
// abandoned still counts against what else is stored.
#[test]
fn r5_10_enrollments_of_ended_classes_are_not_counted() {
    let mut snap = family();
    for sid in ["t2", "t3", "t4", "t5"] {
        snap.staff.push(snap_staff(sid, StaffRole::Teacher));
    }
    snap.classes = vec![
        snap_class("old", TermEnd::On(day(2026, 6, 15))),
        snap_class("cur", TermEnd::On(day(2027, 6, 15))),
    ];
    snap.teacher_enrollments = vec![enrollment("old", "teach"), enrollment("cur", "t2")];
    snap.student_enrollments = vec![enrollment("old", "kid"), enrollment("cur", "other")];
    let state = synced(&snap);
    let mut next = snap.clone();
    next.classes.retain(|c| c.source_id == "cur");
    next.staff.retain(|s| s.source_id != "teach");
    next.teacher_enrollments
        .retain(|e| e.class_source_id == "cur");
    next.student_enrollments
        .retain(|e| e.class_source_id == "cur");
    let p = plan(&state, &next, &strict(), &ctx());
    // The teacher leaves the ended class (R5.2), recorded, but not counted: 1 staff
    // membership of 5 is 20%, not over the threshold.
    assert_eq!(p.remove_class_teachers.len(), 1);
    assert!(
        p.abandoned
            .iter()
            .any(|a| a.record_kind == RecordKind::TeacherEnrollment)
    );
    assert_eq!(p.safety_block, None, "{:?}", p.abandoned);

    // The continuing class gone too: 1 class abandoned of the 1 that could be.
    let mut worse = next.clone();
    worse.classes.clear();
    worse.student_enrollments.clear();
    worse.teacher_enrollments.clear();
    let block = plan(&state, &worse, &strict(), &ctx())
        .safety_block
        .expect("blocked");
    assert_eq!(block.stored_count, 1, "{block:?}");
}

// R5.10, R4.4: the term end is the source's, updated by each sync as the source gives it;
// a source that says nothing of terms (no sessions, or one that could not be read) leaves
// the stored end; a source whose sessions name none for the class clears it.
#[test]
fn r5_10_the_term_end_is_stored_as_the_source_last_gave_it() {
    let mut snap = family();
    snap.classes = vec![snap_class("c", TermEnd::On(day(2027, 1, 20)))];
    let state = synced(&snap);
    assert_eq!(state.classes[0].term_end_date, Some(day(2027, 1, 20)));

    snap.classes[0].term_end = TermEnd::On(day(2027, 6, 15));
    let p = plan(&state, &snap, &policy(), &ctx());
    let row = p.classes.iter().next().expect("updated");
    assert_eq!(row.term_end_date, Some(day(2027, 6, 15)));
    assert_eq!(p.counts[&RecordKind::Class].updated, 1);

    snap.classes[0].term_end = TermEnd::Unknown;
    assert!(plan(&state, &snap, &policy(), &ctx()).is_empty());

    snap.classes[0].term_end = TermEnd::NoTerm;
    let p = plan(&state, &snap, &policy(), &ctx());
    assert_eq!(p.classes.iter().next().unwrap().term_end_date, None);
}

// R5.10, R5.7: an ended class that comes back is restored like any archived class.
#[test]
fn r5_10_an_ended_class_that_comes_back_is_restored() {
    let mut snap = family();
    snap.classes = vec![snap_class("c", TermEnd::On(day(2026, 6, 15)))];
    let mut state = synced(&snap);
    let gone = family();
    let p = plan(&state, &gone, &policy(), &ctx());
    state.classes = p.classes.iter().cloned().collect();
    assert!(state.classes[0].archived_at.is_some());
    let back = plan(&state, &snap, &policy(), &ctx());
    assert_eq!(back.counts[&RecordKind::Class].restored, 1);
    assert!(back.classes.iter().all(|c| c.archived_at.is_none()));
    assert!(back.restored.is_empty(), "no abandonment was opened");
}

/// R9.1: the changes a person reviews, and the digest an approval compares.
mod review {
    use super::*;
    use crate::domain::ChangeAction;
    use crate::store::fields::FieldChange;
    use crate::sync::plan::changes::review;

    fn two_schools() -> Snapshot {
        let mut s = family();
        s.schools.push(SnapSchool {
            source_id: "sch2".into(),
            sis_id: Default::default(),
            name: "Other school".into(),
            at: at(),
        });
        s
    }

    #[test]
    fn r9_1_a_move_is_one_change_and_a_new_person_carries_its_school() {
        let snap = two_schools();
        let state = synced(&snap);
        let mut moved = snap.clone();
        moved.students[0].school_source_ids = vec!["sch2".into()];
        moved.students.push(snap_student("new"));
        let p = plan(&state, &moved, &policy(), &ctx());
        let (changes, _) = review(&p, &state);
        let kid = changes
            .iter()
            .find(|c| c.source_id == "kid" && c.kind == RecordKind::Student)
            .expect("the kid's change");
        assert_eq!(kid.action, ChangeAction::Move);
        assert_eq!(
            kid.fields,
            [FieldChange("school".into(), "sch".into(), "sch2".into())]
        );
        assert!(kid.record_id.is_some());
        let new = changes
            .iter()
            .find(|c| c.source_id == "new" && c.kind == RecordKind::Student)
            .expect("the new student's change");
        assert_eq!(new.action, ChangeAction::Create);
        assert_eq!(new.record_id, None, "a new record has no lasting id");
        assert!(
            new.fields
                .contains(&FieldChange("school".into(), String::new(), "sch".into())),
            "{new:?}"
        );
    }

    #[test]
    fn r9_1_the_digest_is_the_same_for_the_same_plan_and_changes_with_a_touched_row() {
        let snap = family();
        let state = synced(&snap);
        let mut next = snap.clone();
        next.guardians[0].family_name = "renamed".into();
        next.students.push(snap_student("new"));
        // Each planning draws new ids for new records: the digest does not depend on them.
        let (first, a) = review(&plan(&state, &next, &policy(), &ctx()), &state);
        let (second, b) = review(&plan(&state, &next, &policy(), &ctx()), &state);
        let shown = |changes: &[crate::sync::plan::changes::Change]| {
            changes
                .iter()
                .map(|c| {
                    (
                        c.kind,
                        c.source_id.clone(),
                        c.action,
                        c.record_id,
                        c.fields.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(&first), shown(&second));
        assert_eq!(a, b);

        // An edit of a record the plan does not touch: the same digest.
        let mut elsewhere = state.clone();
        elsewhere.guardians[1].language = "fr".into();
        let (_, c) = review(&plan(&elsewhere, &next, &policy(), &ctx()), &elsewhere);
        assert_eq!(a, c, "an unrelated edit keeps the plan");

        // An edit of the guardian the plan renames: another digest, though the plan's
        // changes read the same.
        let mut touched = state.clone();
        let mum = touched
            .guardians
            .iter_mut()
            .find(|g| g.source_id.as_deref() == Some("mum"))
            .unwrap();
        mum.updated_at += chrono::TimeDelta::seconds(1);
        let (_, d) = review(&plan(&touched, &next, &policy(), &ctx()), &touched);
        assert_ne!(a, d, "an edit of a touched record makes the plan stale");
    }
}

/// R9.3: a first sync journals nothing (every record is new, its creation is the run at
/// its `created_at`); a later one journals its changes to stored records.
#[test]
fn r9_3_a_first_sync_journals_nothing_and_a_later_one_its_updates() {
    let snap = family();
    let first = plan(&State::default(), &snap, &policy(), &ctx());
    assert!(!first.is_empty());
    assert!(changes::of_stored(&first, &State::default()).is_empty());
    let state = synced(&snap);
    let mut renamed = family();
    renamed.students[0].given_name = "Renamed".into();
    let next = plan(&state, &renamed, &policy(), &ctx());
    let journal = changes::of_stored(&next, &state);
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0].kind, RecordKind::Student);
}

/// The apply writes memberships and links as the plan lists them, and the database
/// stores them fastest in key order (`Plan::in_key_order`): whatever order the source
/// lists them in, the plan lists them by key.
#[test]
fn r7_1_memberships_and_links_are_planned_in_key_order() {
    let mut snap = snapshot();
    let kids: Vec<String> = (0..40).rev().map(|i| format!("kid{i}")).collect();
    snap.students = kids.iter().map(|k| snap_student(k)).collect();
    snap.guardians = (0..40)
        .map(|i| snap_guardian(&format!("g{i}"), &format!("g{i}@example.org"), ""))
        .collect();
    snap.links = kids
        .iter()
        .enumerate()
        .flat_map(|(i, k)| [link(k, &format!("g{i}")), link(k, &format!("g{}", 39 - i))])
        .collect();
    let p = plan(&State::default(), &snap, &policy(), &ctx());
    let links: Vec<(i64, i64)> = p.add_links.iter().map(Membership::key).collect();
    assert_eq!(links.len(), 80, "{:?}", p.counts);
    assert!(links.is_sorted(), "{links:?}");
    let schools: Vec<(i64, i64)> = p.add_school_students.iter().map(Membership::key).collect();
    assert_eq!(schools.len(), 40);
    assert!(schools.is_sorted(), "{schools:?}");
}
