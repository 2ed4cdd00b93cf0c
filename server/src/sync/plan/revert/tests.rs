//! The reverse plan (R9.2), one case each, on logs and states built by hand.

use super::*;
use crate::domain::{FamilyPolicy, Origin};
use crate::sync::plan::undo::micros;
use chrono::NaiveDate;
use std::borrow::Cow;

fn t(hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 28)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
}

fn ctx() -> RunContext {
    RunContext {
        district_id: 1,
        run_id: 7,
        now: t(20),
    }
}

fn policy(threshold: i32) -> Policy {
    Policy {
        update_active_users: false,
        family_policy: FamilyPolicy::Soft,
        threshold_percent: threshold,
        school_threshold_percent: 100,
        phone_region: "US".into(),
        override_threshold: false,
    }
}

fn student(id: i64, name: &str, at: NaiveDateTime) -> Student {
    Student {
        id,
        district_id: 1,
        source_id: Some(format!("s{id}").into()),
        sis_id: Default::default(),
        given_name: name.into(),
        family_name: "F".into(),
        email: Default::default(),
        grade: "04".into(),
        attributes: "{}".into(),
        origin: Origin::Sis,
        archived_at: None,
        created_at: t(1),
        updated_at: at,
    }
}

fn guardian(id: i64, at: NaiveDateTime) -> Guardian {
    Guardian {
        id,
        district_id: 1,
        source_id: Some(format!("g{id}").into()),
        sis_id: Default::default(),
        given_name: "G".into(),
        family_name: "F".into(),
        email: format!("g{id}@example.org").into(),
        sms_number: Default::default(),
        home_phone: Default::default(),
        language: Default::default(),
        origin: Origin::Sis,
        activated_at: None,
        created_at: at,
        updated_at: at,
    }
}

fn link(student_id: i64, guardian_id: i64, origin: Origin) -> FamilyLink {
    FamilyLink {
        student_id,
        guardian_id,
        district_id: 1,
        origin,
        created_at: t(10),
    }
}

fn kept(plan: &Plan) -> Vec<&str> {
    plan.issues
        .iter()
        .filter(|i| i.code == IssueCode::NotReverted)
        .map(|i| i.source_id.as_str())
        .collect()
}

// R9.2: a row the run updated and nobody touched since is exactly as before, its
// `updated_at` too.
#[test]
fn r9_2_an_updated_row_untouched_since_is_exactly_as_before() {
    let before = student(1, "Bart", t(2));
    let after = student(1, "Bartholomew", t(10));
    let undo = Undo {
        students: Written {
            changed: vec![(Cow::Owned(before.clone()), Cow::Owned(after.clone()))],
            ..Written::default()
        },
        ..Undo::default()
    };
    let state = State {
        students: vec![after],
        ..State::default()
    };
    let plan = revert(&undo, &state, &policy(100), &ctx());
    assert_eq!(plan.students.changed, vec![before]);
    assert_eq!(plan.counts[&RecordKind::Student].updated, 1);
    assert!(kept(&plan).is_empty());
}

// R9.2: a field edited since stays as edited; the run's other changes are undone, and
// the report names the record.
#[test]
fn r9_2_a_field_edited_since_stays_and_the_rest_is_reverted() {
    let before = student(1, "Bart", t(2));
    let after = Student {
        family_name: "Simpson".into(),
        ..student(1, "Bartholomew", t(10))
    };
    let edited = Student {
        given_name: "Barty".into(),
        updated_at: t(11),
        ..after.clone()
    };
    let undo = Undo {
        students: Written {
            changed: vec![(Cow::Owned(before.clone()), Cow::Owned(after))],
            ..Written::default()
        },
        ..Undo::default()
    };
    let state = State {
        students: vec![edited],
        ..State::default()
    };
    let plan = revert(&undo, &state, &policy(100), &ctx());
    let row = &plan.students.changed[0];
    assert_eq!(row.given_name, "Barty", "the edit stays");
    assert_eq!(row.family_name, "F", "the run's other change is undone");
    assert_eq!(row.updated_at, ctx().now);
    assert_eq!(kept(&plan), ["s1"]);
}

// R9.2: a record the run created goes when nothing is attached to it any more (the
// run's own link is removed first); one given a manual link since stays: a student
// archived, an account kept, both reported.
#[test]
fn r9_2_created_records_are_deleted_unless_something_was_attached_since() {
    let at = t(10);
    let (ralph, lisa) = (
        Student {
            created_at: at,
            ..student(1, "Ralph", at)
        },
        Student {
            created_at: at,
            ..student(2, "Lisa", at)
        },
    );
    let (clancy, marge) = (guardian(11, at), guardian(12, at));
    let undo = Undo {
        students: Written {
            created: vec![(1, micros(at)), (2, micros(at))],
            ..Written::default()
        },
        guardians: Written {
            created: vec![(11, micros(at)), (12, micros(at))],
            ..Written::default()
        },
        links: Linked {
            added: vec![(1, 11, micros(t(10)))],
            ..Linked::default()
        },
        ..Undo::default()
    };
    let state = State {
        students: vec![ralph, lisa],
        guardians: vec![clancy, marge],
        links: vec![link(1, 11, Origin::Sis), link(2, 12, Origin::Manual)],
        ..State::default()
    };
    let plan = revert(&undo, &state, &policy(100), &ctx());
    assert_eq!(plan.remove_links, vec![(1, 11)]);
    assert_eq!(plan.deleted.students, vec![1]);
    assert_eq!(plan.deleted.guardians, vec![11]);
    let archived = &plan.students.changed;
    assert_eq!(archived.len(), 1);
    assert_eq!(
        (archived[0].id, archived[0].archived_at),
        (2, Some(ctx().now))
    );
    assert!(plan.guardians.is_empty(), "Marge is kept as she is");
    let mut reported = kept(&plan);
    reported.sort();
    assert_eq!(reported, ["g12", "s2"]);
}

// R9.2: an activated account the run created is kept and reported.
#[test]
fn r9_2_a_created_account_activated_since_is_kept() {
    let created = guardian(11, t(10));
    let activated = Guardian {
        activated_at: Some(t(12)),
        updated_at: t(12),
        ..created.clone()
    };
    let undo = Undo {
        guardians: Written {
            created: vec![(11, micros(t(10)))],
            ..Written::default()
        },
        ..Undo::default()
    };
    let state = State {
        guardians: vec![activated],
        ..State::default()
    };
    let plan = revert(&undo, &state, &policy(100), &ctx());
    assert!(plan.deleted.is_empty());
    assert_eq!(kept(&plan), ["g11"]);
}

// R9.2: memberships the run removed come back as they were (their `created_at` too),
// unless made again since; those it added and that changed since stay.
#[test]
fn r9_2_removed_memberships_come_back_as_they_were() {
    let gone = link(1, 11, Origin::Sis);
    let made_again = link(2, 11, Origin::Sis);
    let added_then_replaced = link(3, 11, Origin::Sis);
    let added = (3, 11, micros(added_then_replaced.created_at));
    let undo = Undo {
        links: Linked {
            removed: vec![Cow::Owned(gone.clone()), Cow::Owned(made_again.clone())],
            added: vec![added],
        },
        ..Undo::default()
    };
    let state = State {
        links: vec![
            FamilyLink {
                created_at: t(15),
                ..made_again
            },
            FamilyLink {
                created_at: t(16),
                ..link(3, 11, Origin::Manual)
            },
        ],
        ..State::default()
    };
    let plan = revert(&undo, &state, &policy(100), &ctx());
    assert_eq!(plan.add_links, vec![gone]);
    assert!(plan.remove_links.is_empty());
}

// R9.2 with R7.2: a revert that would take away more than the threshold is blocked
// like any run; its abandonments opened by the reverted run are closed, not recorded.
#[test]
fn r9_2_a_revert_taking_away_too_much_is_blocked() {
    let restored: Vec<Student> = (1..=3).map(|i| student(i, "S", t(10))).collect();
    let undo = Undo {
        students: Written {
            changed: restored
                .iter()
                .map(|s| {
                    let before = Student {
                        archived_at: Some(t(3)),
                        ..s.clone()
                    };
                    (Cow::Owned(before), Cow::Owned(s.clone()))
                })
                .collect(),
            ..Written::default()
        },
        ..Undo::default()
    };
    let state = State {
        students: restored,
        ..State::default()
    };
    let plan = revert(&undo, &state, &policy(20), &ctx());
    let block = plan.safety_block.expect("blocked");
    assert_eq!(
        (block.record_kind, block.abandon_count),
        (RecordKind::Student, 3)
    );
    assert!(plan.abandoned.is_empty());
}

// R9.2 with R4.6: an account activated since the run keeps the contact it has now (it is
// the user's); the run's other changes are undone, and the report says so.
#[test]
fn r9_2_an_account_activated_since_keeps_its_contact() {
    let before = guardian(11, t(2));
    let after = Guardian {
        family_name: "Bouvier".into(),
        email: "new@example.org".into(),
        updated_at: t(10),
        ..before.clone()
    };
    let activated = Guardian {
        activated_at: Some(t(12)),
        ..after.clone()
    };
    let undo = Undo {
        guardians: Written {
            changed: vec![(Cow::Owned(before), Cow::Owned(after))],
            ..Written::default()
        },
        ..Undo::default()
    };
    let state = State {
        guardians: vec![activated],
        ..State::default()
    };
    let plan = revert(&undo, &state, &policy(100), &ctx());
    let row = &plan.guardians.changed[0];
    assert_eq!(row.family_name, "F", "the name goes back");
    assert_eq!(row.email, "new@example.org", "her contact is hers");
    assert_eq!(kept(&plan), ["g11"]);
}
