//! The apply's inserts, by MySQL's bulk path where the server allows it and by statements
//! on SQLite: what is written reads back exactly, and the single transaction still holds.

use crate::domain::{
    AbandonAction, ChangeAction, Origin, RecordKind, Severity, StaffRole, new_id, now,
};
use crate::store::models::*;
use crate::store::queries::{districts, history, roster};
use crate::store::schema::{record_history, sync_issues};
use crate::store::testing::TestStore;
use crate::store::{Backend, DbConn, Rows, StoreError};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

/// Values the text format must carry through: its own separators and escape, NUL, a
/// literal `\N` (NULL in the format), text beyond the BMP, and an empty string.
const AWKWARD: [&str; 6] = [
    "tab\there",
    "line\nbreak\r\nand more",
    "back\\slash \\N \\t",
    "nul\0byte",
    "Zoë Ångström 学生 🎒",
    "",
];

fn at(micros: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 9, 1)
        .and_then(|d| d.and_hms_micro_opt(8, 30, 15, 0))
        .unwrap()
        + chrono::TimeDelta::microseconds(micros)
}

fn new<T>(rows: Vec<T>) -> Rows<T> {
    Rows {
        new: rows,
        changed: Vec::new(),
    }
}

async fn district(conn: &mut DbConn) -> i64 {
    let id = new_id();
    let row = District {
        id,
        display_name: "Bulk".into(),
        created_at: now(),
        updated_at: now(),
    };
    districts::insert(conn, &row).await.unwrap();
    id
}

fn student(district_id: i64, i: usize) -> Student {
    let text = AWKWARD[i % AWKWARD.len()];
    Student {
        id: new_id(),
        district_id,
        source_id: i.is_multiple_of(2).then(|| format!("stu-{i}").into()),
        sis_id: format!("S{i}").into(),
        given_name: text.into(),
        family_name: format!("{text}-{i}").into(),
        email: Default::default(),
        grade: "05".into(),
        attributes: format!(r#"{{"note":"{}"}}"#, text.escape_default()),
        origin: if i.is_multiple_of(3) {
            Origin::Manual
        } else {
            Origin::Sis
        },
        archived_at: i.is_multiple_of(4).then(|| at(i as i64)),
        created_at: at(7),
        updated_at: at(123_456),
    }
}

/// R7.1: every column of every kind of row the apply inserts reads back as written,
/// NULLs, timestamps to the microsecond and awkward text included, on each backend
/// (MySQL by `LOAD DATA LOCAL`, SQLite by statements).
#[tokio::test(flavor = "multi_thread")]
async fn r7_1_rows_the_apply_inserts_read_back_exactly() {
    let test = TestStore::new().await;
    let mut conn = test.store.conn().await.unwrap();
    let bulk = conn.loads_in_bulk().await.unwrap();
    assert_eq!(
        bulk,
        test.store.backend() == Backend::Mysql,
        "the bulk path"
    );
    let d = district(&mut conn).await;
    let students: Vec<Student> = (0..25).map(|i| student(d, i)).collect();
    let school = School {
        id: new_id(),
        district_id: d,
        source_id: Some("sch-1".into()),
        sis_id: "tab\tschool".into(),
        name: "Springfield \\ Elementary".into(),
        origin: Origin::Sis,
        archived_at: None,
        created_at: at(1),
        updated_at: at(2),
    };
    let guardian = Guardian {
        id: new_id(),
        district_id: d,
        source_id: None,
        sis_id: Default::default(),
        given_name: AWKWARD[4].into(),
        family_name: AWKWARD[1].into(),
        email: "marge@example.org".into(),
        sms_number: "+16035550100".into(),
        home_phone: Default::default(),
        language: "es".into(),
        origin: Origin::Manual,
        activated_at: Some(at(999_999)),
        created_at: at(3),
        updated_at: at(4),
    };
    let staff = Staff {
        id: new_id(),
        district_id: d,
        source_id: Some("tch-1".into()),
        sis_id: "T1".into(),
        given_name: AWKWARD[2].into(),
        family_name: "Krabappel".into(),
        email: "edna@example.org".into(),
        sms_number: Default::default(),
        home_phone: "+16035550199".into(),
        language: Default::default(),
        role: StaffRole::Admin,
        origin: Origin::Sis,
        activated_at: None,
        created_at: at(5),
        updated_at: at(6),
    };
    let class = Class {
        id: new_id(),
        district_id: d,
        school_id: school.id,
        source_id: Some("cls-1".into()),
        sis_id: "C1".into(),
        name: AWKWARD[3].into(),
        grades: "04,05".into(),
        origin: Origin::Sis,
        archived_at: None,
        created_at: at(8),
        updated_at: at(9),
        term_end_date: NaiveDate::from_ymd_opt(2027, 6, 18),
    };
    let school_students: Vec<SchoolStudent> = students
        .iter()
        .map(|s| SchoolStudent {
            school_id: school.id,
            student_id: s.id,
            district_id: d,
            origin: Origin::Sis,
            created_at: at(10),
        })
        .collect();
    let class_students: Vec<ClassStudent> = students
        .iter()
        .enumerate()
        .map(|(i, s)| ClassStudent {
            class_id: class.id,
            student_id: s.id,
            district_id: d,
            // Short ids are held inline, longer ones (a GUID and more) on the heap: both
            // read back the same.
            source_id: match i % 4 {
                1 => Some(format!("enr-{i}\t").into()),
                3 => Some(format!("{i}-3f2504e0-4f89-11d3-9a0c-0305e82c3301-\u{e9}").into()),
                _ => None,
            },
            origin: Origin::Sis,
            created_at: at(11),
        })
        .collect();
    let school_staff = vec![SchoolStaff {
        school_id: school.id,
        staff_id: staff.id,
        district_id: d,
        origin: Origin::Manual,
        created_at: at(12),
    }];
    let class_teachers = vec![ClassTeacher {
        class_id: class.id,
        staff_id: staff.id,
        district_id: d,
        source_id: None,
        origin: Origin::Sis,
        created_at: at(13),
    }];
    let links = vec![FamilyLink {
        student_id: students[0].id,
        guardian_id: guardian.id,
        district_id: d,
        origin: Origin::Sis,
        created_at: at(14),
    }];
    let run_id = new_id();
    let abandoned = vec![AbandonedRow {
        id: new_id(),
        district_id: d,
        run_id,
        record_kind: RecordKind::Student,
        record_id: students[1].id,
        related_id: Some(school.id),
        source_id: "stu-1".into(),
        display_name: AWKWARD[0].into(),
        school_id: None,
        action: AbandonAction::Archived,
        abandoned_at: at(15),
        restored_at: None,
        restore_run_id: None,
    }];
    let journal = vec![HistoryRow {
        id: new_id(),
        district_id: d,
        record_kind: RecordKind::Guardian,
        record_id: guardian.id,
        related_id: None,
        run_id: Some(run_id),
        key_id: None,
        actor: "sync".into(),
        action: ChangeAction::Create,
        fields: r#"[["given_name","","tab\there"]]"#.into(),
        at: at(16),
    }];
    let issues = vec![IssueRow {
        id: new_id(),
        run_id,
        severity: Severity::Warning,
        record_kind: RecordKind::Guardian,
        code: "INVALID_PHONE".into(),
        message: AWKWARD[1].into(),
        source_file: "users.csv".into(),
        source_line: 42,
        source_resource: String::new(),
        source_id: "par-1".into(),
        field: "sms".into(),
    }];

    let keep = Default::default();
    roster::write_schools(&mut conn, &new(vec![school.clone()]))
        .await
        .unwrap();
    roster::write_classes(&mut conn, &new(vec![class.clone()]))
        .await
        .unwrap();
    roster::write_students(&mut conn, &new(students.clone()))
        .await
        .unwrap();
    roster::write_guardians(&mut conn, &new(vec![guardian.clone()]), &keep)
        .await
        .unwrap();
    roster::write_staff(&mut conn, &new(vec![staff.clone()]), &keep)
        .await
        .unwrap();
    roster::add_school_students(&mut conn, &school_students)
        .await
        .unwrap();
    roster::add_school_staff(&mut conn, &school_staff)
        .await
        .unwrap();
    roster::add_class_students(&mut conn, &class_students)
        .await
        .unwrap();
    roster::add_class_teachers(&mut conn, &class_teachers)
        .await
        .unwrap();
    roster::add_links(&mut conn, &links).await.unwrap();
    roster::insert_abandoned(&mut conn, &abandoned)
        .await
        .unwrap();
    roster::insert_issues(&mut conn, &issues).await.unwrap();
    history::insert(&mut conn, &journal).await.unwrap();

    let state = roster::load_state(&test.store, d).await.unwrap();
    let sorted = |mut rows: Vec<Student>| {
        rows.sort_by_key(|s| s.id);
        rows
    };
    assert_eq!(sorted(state.students), sorted(students));
    assert_eq!(state.schools, [school]);
    assert_eq!(state.guardians, [guardian]);
    assert_eq!(state.staff, [staff]);
    assert_eq!(state.classes, [class]);
    let mut loaded = state.school_students;
    loaded.sort_by_key(|r| r.student_id);
    assert_eq!(loaded, school_students);
    let mut loaded = state.class_students;
    loaded.sort_by_key(|r| r.student_id);
    assert_eq!(loaded, class_students);
    assert_eq!(state.school_staff, school_staff);
    assert_eq!(state.class_teachers, class_teachers);
    assert_eq!(state.links, links);
    assert_eq!(state.open_abandonments, abandoned);
    let stored_issues: Vec<IssueRow> = with_conn!(&mut conn, c => sync_issues::table
        .filter(sync_issues::run_id.eq(run_id))
        .select(IssueRow::as_select())
        .load(c)
        .await)
    .unwrap();
    assert_eq!(stored_issues, issues);
    let stored_journal: Vec<HistoryRow> = with_conn!(&mut conn, c => record_history::table
        .filter(record_history::district_id.eq(d))
        .select(HistoryRow::as_select())
        .load(c)
        .await)
    .unwrap();
    assert_eq!(stored_journal, journal);
}

/// R7.1: a new record whose id is stored already fails the write, and the transaction
/// it ran in leaves nothing behind, rows loaded before it in the same batch included.
#[tokio::test(flavor = "multi_thread")]
async fn r7_1_a_new_row_that_exists_fails_the_write_and_leaves_nothing() {
    let test = TestStore::new().await;
    let mut conn = test.store.conn().await.unwrap();
    let d = district(&mut conn).await;
    let first = student(d, 1);
    let rows = new(vec![first.clone()]);
    roster::write_students(&mut conn, &rows).await.unwrap();
    let mut again = vec![student(d, 2), student(d, 3)];
    again.push(Student {
        given_name: "Not Bart".into(),
        ..first.clone()
    });
    let failed = conn
        .transaction::<(), StoreError, _>(|c| {
            let again = again.clone();
            Box::pin(async move {
                let rows = new(again);
                roster::write_students(c, &rows).await
            })
        })
        .await;
    assert!(failed.is_err(), "an existing id was inserted again");
    let state = roster::load_state(&test.store, d).await.unwrap();
    assert_eq!(state.students, [first], "the failed write left rows behind");
}

/// R1.4: adding a link that exists already (made meanwhile, by hand) keeps the stored one.
#[tokio::test(flavor = "multi_thread")]
async fn r1_4_an_added_link_that_exists_keeps_the_stored_one() {
    let test = TestStore::new().await;
    let mut conn = test.store.conn().await.unwrap();
    let d = district(&mut conn).await;
    let kid = student(d, 1);
    let rows = new(vec![kid.clone()]);
    roster::write_students(&mut conn, &rows).await.unwrap();
    let school = School {
        id: new_id(),
        district_id: d,
        source_id: None,
        sis_id: String::new(),
        name: "Springfield Elementary".into(),
        origin: Origin::Manual,
        archived_at: None,
        created_at: at(0),
        updated_at: at(0),
    };
    let rows = new(vec![school.clone()]);
    roster::write_schools(&mut conn, &rows).await.unwrap();
    let manual = SchoolStudent {
        school_id: school.id,
        student_id: kid.id,
        district_id: d,
        origin: Origin::Manual,
        created_at: at(1),
    };
    roster::add_school_students(&mut conn, std::slice::from_ref(&manual))
        .await
        .unwrap();
    let synced = SchoolStudent {
        origin: Origin::Sis,
        created_at: at(2),
        ..manual.clone()
    };
    roster::add_school_students(&mut conn, &[synced])
        .await
        .unwrap();
    let state = roster::load_state(&test.store, d).await.unwrap();
    assert_eq!(state.school_students, [manual]);
}

/// S5.1 and S5.2 on MySQL's bulk path: the database server cannot make the service send
/// it a file (the connection serves only the rows it is loading), and a value longer than
/// its column fails the load instead of being cut. SQLite has neither a file request nor
/// column lengths: there the snapshot's own length checks stand alone.
#[tokio::test(flavor = "multi_thread")]
async fn s5_bulk_loads_send_no_file_and_cut_no_value() {
    let test = TestStore::new().await;
    if test.store.backend() != Backend::Mysql {
        return;
    }
    let mut conn = test.store.conn().await.unwrap();
    let d = district(&mut conn).await;
    let path = std::env::temp_dir().join(format!("roster_bulk_{}.tsv", new_id()));
    std::fs::write(&path, format!("{}\t{d}\t\\N\tS9\tEve\n", new_id())).unwrap();
    let sql = format!(
        "LOAD DATA LOCAL INFILE '{}' INTO TABLE students (id, district_id, source_id, sis_id, given_name)",
        path.display()
    );
    let asked = with_conn!(&mut conn, c => c.batch_execute(&sql).await);
    let _ = std::fs::remove_file(&path);
    assert!(
        asked.is_err(),
        "the connection sent a file the server asked for"
    );
    assert!(
        roster::load_state(&test.store, d)
            .await
            .unwrap()
            .students
            .is_empty()
    );

    let long = Student {
        given_name: "a".repeat(300).into(),
        ..student(d, 1)
    };
    let rows = new(vec![long]);
    let cut = roster::write_students(&mut conn, &rows).await;
    assert!(cut.is_err(), "a 300-character name was cut to fit");
}

/// The text each cell writes, digit for digit, against what chrono and `Display` write:
/// the cells are hand-written for speed, and a wrong digit would be stored as given.
#[test]
fn cells_write_what_the_columns_read() {
    use crate::store::bulk::Cell;
    let text = |cell: &dyn Fn(&mut Vec<u8>)| {
        let mut out = Vec::new();
        cell(&mut out);
        String::from_utf8(out).unwrap()
    };
    for n in [0, 7, -7, 1_234_567_890_123, i64::MAX, i64::MIN] {
        assert_eq!(text(&|o| n.put(o)), n.to_string());
    }
    for micros in [0, 1, 59_999_999, 86_399_999_999, 123_456_789_012] {
        let t = at(micros);
        assert_eq!(
            text(&|o| t.put(o)),
            t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
        );
    }
    for (y, m, d) in [(2026, 1, 9), (999, 12, 31), (9999, 6, 1), (1, 1, 1)] {
        let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(text(&|o| date.put(o)), date.format("%Y-%m-%d").to_string());
    }
    assert_eq!(text(&|o| "plain".put(o)), "plain");
    assert_eq!(text(&|o| "a\tb\\c\nd\re\0".put(o)), "a\\tb\\\\c\\nd\\re\\0");
    assert_eq!(text(&|o| None::<i64>.put(o)), "\\N");
}
