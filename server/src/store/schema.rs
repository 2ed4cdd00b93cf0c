//! The one Diesel schema for both backends (MySQL and SQLite): the column types used here
//! (`BigInt`, `Integer`, `Text`, `Bool`, `Timestamp`, `Date`, `Binary`, `Nullable`) map on both.

diesel::table! {
    districts (id) {
        id -> BigInt,
        display_name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sync_settings (district_id) {
        district_id -> BigInt,
        source -> Text,
        source_secret -> Nullable<Text>,
        update_active_users -> Bool,
        abandoned_family_policy -> Text,
        abandon_threshold_percent -> Integer,
        default_phone_region -> Text,
        schedule_kind -> Text,
        schedule_interval_minutes -> Integer,
        schedule_daily_time -> Text,
        schedule_time_zone -> Text,
        next_scheduled_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        source_secret_sealed -> Nullable<Text>,
        school_abandon_threshold_percent -> Integer,
        require_approval -> Bool,
        plan_ttl_seconds -> BigInt,
        schedule_paused -> Bool,
    }
}

diesel::table! {
    schools (id) {
        id -> BigInt,
        district_id -> BigInt,
        source_id -> Nullable<Text>,
        sis_id -> Text,
        name -> Text,
        origin -> Text,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    students (id) {
        id -> BigInt,
        district_id -> BigInt,
        source_id -> Nullable<Text>,
        sis_id -> Text,
        given_name -> Text,
        family_name -> Text,
        email -> Text,
        grade -> Text,
        attributes -> Text,
        origin -> Text,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        given_name_lower -> Text,
        family_name_lower -> Text,
        email_lower -> Text,
    }
}

diesel::table! {
    guardians (id) {
        id -> BigInt,
        district_id -> BigInt,
        source_id -> Nullable<Text>,
        sis_id -> Text,
        given_name -> Text,
        family_name -> Text,
        email -> Text,
        sms_number -> Text,
        home_phone -> Text,
        language -> Text,
        origin -> Text,
        activated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        given_name_lower -> Text,
        family_name_lower -> Text,
        email_lower -> Text,
    }
}

diesel::table! {
    staff (id) {
        id -> BigInt,
        district_id -> BigInt,
        source_id -> Nullable<Text>,
        sis_id -> Text,
        given_name -> Text,
        family_name -> Text,
        email -> Text,
        sms_number -> Text,
        home_phone -> Text,
        language -> Text,
        role -> Text,
        origin -> Text,
        activated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        given_name_lower -> Text,
        family_name_lower -> Text,
        email_lower -> Text,
    }
}

diesel::table! {
    classes (id) {
        id -> BigInt,
        district_id -> BigInt,
        school_id -> BigInt,
        source_id -> Nullable<Text>,
        sis_id -> Text,
        name -> Text,
        grades -> Text,
        origin -> Text,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        term_end_date -> Nullable<Date>,
    }
}

diesel::table! {
    school_students (school_id, student_id) {
        school_id -> BigInt,
        student_id -> BigInt,
        district_id -> BigInt,
        origin -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    school_staff (school_id, staff_id) {
        school_id -> BigInt,
        staff_id -> BigInt,
        district_id -> BigInt,
        origin -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    class_students (class_id, student_id) {
        class_id -> BigInt,
        student_id -> BigInt,
        district_id -> BigInt,
        source_id -> Nullable<Text>,
        origin -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    class_teachers (class_id, staff_id) {
        class_id -> BigInt,
        staff_id -> BigInt,
        district_id -> BigInt,
        source_id -> Nullable<Text>,
        origin -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    family_links (student_id, guardian_id) {
        student_id -> BigInt,
        guardian_id -> BigInt,
        district_id -> BigInt,
        origin -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sync_runs (id) {
        id -> BigInt,
        district_id -> BigInt,
        active_district_id -> Nullable<BigInt>,
        state -> Text,
        phase -> Text,
        trigger_kind -> Text,
        dry_run -> Bool,
        override_threshold -> Bool,
        request_id -> Nullable<Text>,
        source -> Text,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        heartbeat_at -> Nullable<Timestamp>,
        cancel_requested -> Bool,
        progress_done -> BigInt,
        progress_total -> BigInt,
        counts -> Text,
        issue_count -> BigInt,
        error_message -> Text,
        safety_block -> Text,
        lease_owner -> Nullable<Text>,
        lease_token -> BigInt,
        lease_expires_at -> Nullable<Timestamp>,
        attempts -> Integer,
        approved -> Bool,
        plan_expires_at -> Nullable<Timestamp>,
        plan_digest -> Text,
        reverts_run_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    run_snapshots (run_id, part) {
        run_id -> BigInt,
        part -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    run_undo (run_id, part) {
        run_id -> BigInt,
        part -> Integer,
        district_id -> BigInt,
        data -> Binary,
    }
}

diesel::table! {
    planned_changes (run_id, seq) {
        run_id -> BigInt,
        seq -> BigInt,
        record_kind -> Text,
        action -> Text,
        record_id -> Nullable<BigInt>,
        source_id -> Text,
        display_name -> Text,
        school_id -> Nullable<BigInt>,
        fields -> Text,
    }
}

diesel::table! {
    id_nodes (node) {
        node -> Integer,
        owner -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sync_issues (id) {
        id -> BigInt,
        run_id -> BigInt,
        severity -> Text,
        record_kind -> Text,
        code -> Text,
        message -> Text,
        source_file -> Text,
        source_line -> BigInt,
        source_resource -> Text,
        source_id -> Text,
        field -> Text,
    }
}

diesel::table! {
    abandoned_records (id) {
        id -> BigInt,
        district_id -> BigInt,
        run_id -> BigInt,
        record_kind -> Text,
        record_id -> BigInt,
        related_id -> Nullable<BigInt>,
        source_id -> Text,
        display_name -> Text,
        school_id -> Nullable<BigInt>,
        action -> Text,
        abandoned_at -> Timestamp,
        restored_at -> Nullable<Timestamp>,
        restore_run_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    uploads (id) {
        id -> BigInt,
        district_id -> BigInt,
        size_bytes -> BigInt,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        display_name -> Text,
        role -> Text,
        all_districts -> Bool,
        secret_hash -> Text,
        rate_limit_per_second -> Integer,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_key_districts (key_id, district_id) {
        key_id -> BigInt,
        district_id -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        key_id -> Nullable<BigInt>,
        actor -> Text,
        method -> Text,
        district_id -> Nullable<BigInt>,
        target_id -> Nullable<BigInt>,
        changed_fields -> Text,
    }
}

diesel::table! {
    suppressions (id) {
        id -> BigInt,
        district_id -> BigInt,
        record_kind -> Text,
        source_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    record_history (id) {
        id -> BigInt,
        district_id -> BigInt,
        record_kind -> Text,
        record_id -> BigInt,
        related_id -> Nullable<BigInt>,
        run_id -> Nullable<BigInt>,
        key_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        fields -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    settled_sources (district_id) {
        district_id -> BigInt,
        run_id -> BigInt,
        digest -> Text,
        counts -> Text,
        issue_count -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    districts,
    sync_settings,
    schools,
    students,
    guardians,
    staff,
    classes,
    school_students,
    school_staff,
    class_students,
    class_teachers,
    family_links,
    sync_runs,
    sync_issues,
    abandoned_records,
    uploads,
    id_nodes,
    api_keys,
    api_key_districts,
    audit_events,
    suppressions,
    run_snapshots,
    run_undo,
    planned_changes,
    record_history,
    settled_sources,
);
