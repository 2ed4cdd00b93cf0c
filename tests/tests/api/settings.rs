//! Sync settings: defaults, field-mask updates, validation, write-only secrets.

use roster_client::pb;
use roster_client::prost_types::FieldMask;
use roster_client::tonic::Code;
use roster_e2e::{TestServer, assert_invalid};

fn update(settings: pb::SyncSettings, paths: &[&str]) -> pb::UpdateSyncSettingsRequest {
    pb::UpdateSyncSettingsRequest {
        settings: Some(settings),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
    }
}

fn clever(district_id: &str, base_url: &str, token: &str) -> pb::SyncSettings {
    pb::SyncSettings {
        district_id: district_id.into(),
        source: Some(pb::SyncSource {
            kind: Some(pb::sync_source::Kind::Clever(pb::Clever {
                base_url: base_url.into(),
                district_token: token.into(),
                district_token_set: false,
            })),
        }),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_district_has_the_documented_defaults() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let settings = server
        .sync()
        .get_sync_settings(pb::GetSyncSettingsRequest {
            district_id: district.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert_eq!(settings.district_id, district);
    assert!(settings.source.is_none());
    assert!(!settings.update_active_users);
    assert_eq!(
        settings.abandoned_family_policy,
        pb::AbandonedFamilyPolicy::Soft as i32
    );
    assert_eq!(settings.abandon_threshold_percent, 20);
    assert_eq!(
        settings.school_abandon_threshold_percent, 30,
        "R7.5 default"
    );
    assert_eq!(settings.default_phone_region, "US");
    assert_eq!(
        settings.schedule.unwrap().kind,
        pb::ScheduleKind::Off as i32
    );

    let err = server
        .sync()
        .get_sync_settings(pb::GetSyncSettingsRequest {
            district_id: "4242".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_fields_in_the_mask_change() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut sync = server.sync();
    let changed = sync
        .update_sync_settings(update(
            pb::SyncSettings {
                district_id: district.clone(),
                abandoned_family_policy: pb::AbandonedFamilyPolicy::Extreme as i32,
                abandon_threshold_percent: 35,
                default_phone_region: "ca".into(),
                update_active_users: true,
                schedule: Some(pb::SyncSchedule {
                    kind: pb::ScheduleKind::Daily as i32,
                    interval_minutes: 0,
                    daily_time: "06:30".into(),
                    time_zone: "America/New_York".into(),
                }),
                ..Default::default()
            },
            &[
                "abandoned_family_policy",
                "abandon_threshold_percent",
                "default_phone_region",
                "schedule",
            ],
        ))
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert_eq!(
        changed.abandoned_family_policy,
        pb::AbandonedFamilyPolicy::Extreme as i32
    );
    assert_eq!(changed.abandon_threshold_percent, 35);
    assert_eq!(changed.default_phone_region, "CA");
    assert!(!changed.update_active_users, "not in the mask");
    let schedule = changed.schedule.clone().unwrap();
    assert_eq!(schedule.kind, pb::ScheduleKind::Daily as i32);
    assert_eq!(schedule.time_zone, "America/New_York");

    let read = sync
        .get_sync_settings(pb::GetSyncSettingsRequest {
            district_id: district,
        })
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert_eq!(read, changed);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut sync = server.sync();
    let base = || pb::SyncSettings {
        district_id: district.clone(),
        ..Default::default()
    };
    let cases: Vec<(pb::SyncSettings, &[&str], &str)> = vec![
        (
            pb::SyncSettings {
                abandon_threshold_percent: 101,
                ..base()
            },
            &["abandon_threshold_percent"],
            "settings.abandon_threshold_percent",
        ),
        (
            pb::SyncSettings {
                school_abandon_threshold_percent: -1,
                ..base()
            },
            &["school_abandon_threshold_percent"],
            "settings.school_abandon_threshold_percent",
        ),
        (
            pb::SyncSettings {
                default_phone_region: "XX".into(),
                ..base()
            },
            &["default_phone_region"],
            "settings.default_phone_region",
        ),
        (
            base(),
            &["abandoned_family_policy"],
            "settings.abandoned_family_policy",
        ),
        (
            pb::SyncSettings {
                schedule: Some(pb::SyncSchedule {
                    kind: pb::ScheduleKind::Daily as i32,
                    daily_time: "25:00".into(),
                    time_zone: "UTC".into(),
                    interval_minutes: 0,
                }),
                ..base()
            },
            &["schedule"],
            "settings.schedule.daily_time",
        ),
        (
            pb::SyncSettings {
                schedule: Some(pb::SyncSchedule {
                    kind: pb::ScheduleKind::Daily as i32,
                    daily_time: "06:00".into(),
                    time_zone: "Mars/Base".into(),
                    interval_minutes: 0,
                }),
                ..base()
            },
            &["schedule"],
            "settings.schedule.time_zone",
        ),
        (
            pb::SyncSettings {
                schedule: Some(pb::SyncSchedule {
                    kind: pb::ScheduleKind::Interval as i32,
                    interval_minutes: 1,
                    ..Default::default()
                }),
                ..base()
            },
            &["schedule"],
            "settings.schedule.interval_minutes",
        ),
        (base(), &["no_such_field"], "update_mask"),
        (base(), &[], "update_mask"),
        (
            clever(&district, "https://api.clever.com", ""),
            &["source"],
            "settings.source.clever.district_token",
        ),
        (
            clever(&district, "ftp://x", "tok"),
            &["source"],
            "settings.source.clever.base_url",
        ),
        (
            pb::SyncSettings {
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                        pb::OneRosterCsvPath {
                            path: "../etc/passwd".into(),
                        },
                    )),
                }),
                ..base()
            },
            &["source"],
            "settings.source.oneroster_csv_path.path",
        ),
    ];
    for (settings, paths, field) in cases {
        let err = sync
            .update_sync_settings(update(settings, paths))
            .await
            .unwrap_err();
        assert_invalid(&err, field);
    }
    let err = sync
        .update_sync_settings(update(
            pb::SyncSettings {
                district_id: String::new(),
                ..Default::default()
            },
            &["update_active_users"],
        ))
        .await
        .unwrap_err();
    assert_invalid(&err, "settings.district_id");
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_are_write_only_and_kept_across_updates() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut sync = server.sync();
    let saved = sync
        .update_sync_settings(update(clever(&district, "", "tok-SECRET-123"), &["source"]))
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    let Some(pb::sync_source::Kind::Clever(c)) = saved.source.unwrap().kind else {
        panic!("expected Clever");
    };
    assert_eq!(c.base_url, "https://api.clever.com", "the default host");
    assert_eq!(c.district_token, "", "never returned");
    assert!(c.district_token_set);

    // The same source sent again without its token keeps the stored token.
    let same = sync
        .update_sync_settings(update(clever(&district, "", ""), &["source"]))
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    let Some(pb::sync_source::Kind::Clever(c)) = same.source.unwrap().kind else {
        panic!("expected Clever");
    };
    assert!(c.district_token_set);
    // A new host never receives the stored token: it needs its own.
    let err = sync
        .update_sync_settings(update(
            clever(&district, "http://127.0.0.1:9/", ""),
            &["source"],
        ))
        .await
        .unwrap_err();
    assert_invalid(&err, "settings.source.clever.district_token");

    // A OneRoster REST source with new credentials needs its secret.
    let rest = |secret: &str| pb::SyncSettings {
        district_id: district.clone(),
        source: Some(pb::SyncSource {
            kind: Some(pb::sync_source::Kind::OnerosterRest(pb::OneRosterRest {
                base_url: "https://sis.example.org/ims/oneroster/v1p1".into(),
                auth: Some(pb::one_roster_rest::Auth::Oauth2(
                    pb::OAuth2ClientCredentials {
                        token_url: "https://sis.example.org/token".into(),
                        client_id: "client".into(),
                        client_secret: secret.into(),
                        scope: "roster".into(),
                        client_secret_set: false,
                    },
                )),
            })),
        }),
        ..Default::default()
    };
    let err = sync
        .update_sync_settings(update(rest(""), &["source"]))
        .await
        .unwrap_err();
    assert_invalid(&err, "settings.source.oneroster_rest.oauth2.client_secret");
    let saved = sync
        .update_sync_settings(update(rest("s3cr3t"), &["source"]))
        .await
        .unwrap()
        .into_inner();
    let text = format!("{saved:?}");
    assert!(
        !text.contains("s3cr3t") && !text.contains("tok-SECRET-123"),
        "{text}"
    );

    // Clearing the source clears its secret.
    let cleared = sync
        .update_sync_settings(update(
            pb::SyncSettings {
                district_id: district.clone(),
                ..Default::default()
            },
            &["source"],
        ))
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert!(cleared.source.is_none());
}
