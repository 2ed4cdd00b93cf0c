//! S2.2 on both backends: what is older than its retention goes, the rest stays.

use super::*;
use crate::domain::{ChangeAction, RecordKind, Severity, Source, Trigger, new_id, now};
use crate::store::models::{AuditRow, District, IssueRow, PlannedChangeRow, UploadRow};
use crate::store::queries::{audit, districts, plans, reports};
use crate::store::schema::sync_issues;
use crate::store::testing::TestStore;
use diesel_async::RunQueryDsl;

const DAY: Duration = Duration::from_secs(86_400);

fn days_ago(days: i64) -> NaiveDateTime {
    now() - TimeDelta::days(days)
}

/// A run of `district` that ended `days` ago with one issue.
async fn ended_run_with_issue(store: &Store, district: i64, days: i64) -> i64 {
    let mut conn = store.conn().await.unwrap();
    let id = new_id();
    runs::insert(
        &mut conn,
        &runs::NewRun {
            id,
            district_id: district,
            trigger: Trigger::Manual,
            dry_run: true,
            override_threshold: false,
            request_id: None,
            source: Source::OneRosterCsvPath { path: "x".into() },
            created_at: days_ago(days),
            reverts_run_id: None,
        },
    )
    .await
    .unwrap();
    let ended = format!(
        "UPDATE sync_runs SET state = 'succeeded', active_district_id = NULL, finished_at = '{}' \
         WHERE id = {id}",
        days_ago(days).format("%Y-%m-%d %H:%M:%S%.6f")
    );
    with_conn!(&mut conn, c => diesel::sql_query(&ended).execute(c).await).unwrap();
    let issue = IssueRow {
        id: new_id(),
        run_id: id,
        severity: Severity::Warning,
        record_kind: RecordKind::Student,
        code: "INVALID_GRADE".into(),
        message: "m".into(),
        source_file: "users.csv".into(),
        source_line: 2,
        source_resource: String::new(),
        source_id: "s1".into(),
        field: "grades".into(),
    };
    with_conn!(&mut conn, c => diesel::insert_into(sync_issues::table)
        .values(&issue)
        .execute(c)
        .await)
    .unwrap();
    let change = PlannedChangeRow {
        run_id: id,
        seq: 0,
        record_kind: RecordKind::Student,
        action: ChangeAction::Create,
        record_id: None,
        source_id: "s1".into(),
        display_name: "S".into(),
        school_id: None,
        fields: "[]".into(),
    };
    plans::save_changes(&mut conn, &[change]).await.unwrap();
    id
}

async fn issues_of(store: &Store, run: i64) -> usize {
    let page = crate::domain::PageRequest::parse(100, "", "issues").unwrap();
    reports::list_issues(&mut store.conn().await.unwrap(), run, None, None, &page)
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn s2_2_old_reports_audit_events_and_unused_uploads_are_deleted() {
    let test = TestStore::new().await;
    let store = &test.store;
    let dir = std::env::temp_dir().join(format!("retention_{}", new_id()));
    let paths = SourcePaths {
        import_dir: dir.clone(),
        data_dir: dir.clone(),
    };
    std::fs::create_dir_all(dir.join("uploads")).unwrap();
    let district = new_id();
    let mut conn = store.conn().await.unwrap();
    districts::insert(
        &mut conn,
        &District {
            id: district,
            display_name: "D".into(),
            created_at: now(),
            updated_at: now(),
        },
    )
    .await
    .unwrap();
    let old_run = ended_run_with_issue(store, district, 400).await;
    let new_run = ended_run_with_issue(store, district, 10).await;
    for (days, method) in [(400, "/old"), (10, "/new")] {
        let row = AuditRow {
            id: new_id(),
            at: days_ago(days),
            key_id: None,
            actor: String::new(),
            method: method.into(),
            district_id: Some(district),
            target_id: None,
            changed_fields: String::new(),
        };
        audit::insert(&mut conn, &row).await.unwrap();
    }
    // Uploads: one unused for 8 days, one made 8 days ago but read yesterday, one new.
    let upload = |days_made: i64, used: Option<i64>| {
        let row = UploadRow {
            id: new_id(),
            district_id: district,
            size_bytes: 3,
            created_at: days_ago(days_made),
            last_used_at: used.map(days_ago),
        };
        std::fs::write(paths.upload_path(row.id), b"zip").unwrap();
        row
    };
    let (stale, read, fresh) = (upload(8, None), upload(8, Some(1)), upload(0, None));
    for row in [&stale, &read, &fresh] {
        uploads::insert(&mut conn, row).await.unwrap();
    }
    drop(conn);

    let retention = Retention {
        reports: 365 * DAY,
        uploads: 7 * DAY,
    };
    let swept = sweep(store, &paths, retention, now()).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            issues: 1,
            planned_changes: 1,
            audit_events: 1,
            uploads: 1
        }
    );
    assert_eq!(issues_of(store, old_run).await, 0, "the old report is gone");
    assert_eq!(issues_of(store, new_run).await, 1, "a recent report stays");
    let mut conn = store.conn().await.unwrap();
    let filter = audit::AuditFilter::default();
    let page = crate::domain::PageRequest::parse(10, "", "audit").unwrap();
    let methods: Vec<String> = audit::list(&mut conn, &filter, &page)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.method)
        .collect();
    assert_eq!(methods, ["/new"]);
    assert!(uploads::get(&mut conn, stale.id).await.unwrap().is_none());
    assert!(!paths.upload_path(stale.id).exists(), "its file too");
    for kept in [&read, &fresh] {
        assert!(uploads::get(&mut conn, kept.id).await.unwrap().is_some());
        assert!(paths.upload_path(kept.id).exists());
    }
    // A second sweep finds nothing more.
    drop(conn);
    assert_eq!(
        sweep(store, &paths, retention, now()).await.unwrap(),
        Swept::default()
    );
    let _ = std::fs::remove_dir_all(dir);
}
