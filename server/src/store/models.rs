//! Rows as stored. Timestamps are UTC `NaiveDateTime` (the type both backends map).

use super::schema::*;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = districts, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct District {
    pub id: i64,
    pub display_name: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sync_settings, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct SettingsRow {
    pub district_id: i64,
    pub source: String,
    pub source_secret: Option<String>,
    pub update_active_users: bool,
    pub abandoned_family_policy: String,
    pub abandon_threshold_percent: i32,
    pub default_phone_region: String,
    pub schedule_kind: String,
    pub schedule_interval_minutes: i32,
    pub schedule_daily_time: String,
    pub schedule_time_zone: String,
    pub next_scheduled_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = schools, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct School {
    pub id: i64,
    pub district_id: i64,
    pub source_id: Option<String>,
    pub sis_id: String,
    pub name: String,
    pub origin: String,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = students, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Student {
    pub id: i64,
    pub district_id: i64,
    pub source_id: Option<String>,
    pub sis_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub grade: String,
    /// JSON object of attribute name to value (R2.6).
    pub attributes: String,
    pub origin: String,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = guardians, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Guardian {
    pub id: i64,
    pub district_id: i64,
    pub source_id: Option<String>,
    pub sis_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub sms_number: String,
    pub home_phone: String,
    pub language: String,
    pub origin: String,
    pub activated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Staff {
    pub id: i64,
    pub district_id: i64,
    pub source_id: Option<String>,
    pub sis_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub sms_number: String,
    pub home_phone: String,
    pub language: String,
    pub role: String,
    pub origin: String,
    pub activated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = classes, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Class {
    pub id: i64,
    pub district_id: i64,
    pub school_id: i64,
    pub source_id: Option<String>,
    pub sis_id: String,
    pub name: String,
    /// Grades joined by commas.
    pub grades: String,
    pub origin: String,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = school_students, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SchoolStudent {
    pub school_id: i64,
    pub student_id: i64,
    pub district_id: i64,
    pub origin: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = school_staff, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SchoolStaff {
    pub school_id: i64,
    pub staff_id: i64,
    pub district_id: i64,
    pub origin: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = class_students, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct ClassStudent {
    pub class_id: i64,
    pub student_id: i64,
    pub district_id: i64,
    pub source_id: Option<String>,
    pub origin: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = class_teachers, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct ClassTeacher {
    pub class_id: i64,
    pub staff_id: i64,
    pub district_id: i64,
    pub source_id: Option<String>,
    pub origin: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = family_links, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct FamilyLink {
    pub student_id: i64,
    pub guardian_id: i64,
    pub district_id: i64,
    pub origin: String,
    pub created_at: NaiveDateTime,
}
