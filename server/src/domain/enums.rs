//! The domain's enums. Each is stored as a short lowercase word, so the database reads
//! plainly, and each is a real type in rows: Diesel reads and writes it directly, and a
//! stored word the code does not know fails the query that read it (never a silent
//! default).

/// Declares a stored enum: `as_str` for storage and logs, `parse` to read it back, and
/// Diesel's `Text` mapping on both backends.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The variant stored as `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| {
                    format!("unknown {} `{text}` in the store", stringify!($name)).into()
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown {} `{text}`", stringify!($name)))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum!(
    /// Where a record came from (R1.3).
    Origin { Sis = "sis", Manual = "manual" }
);

stored_enum!(
    /// A staff member's role (R2.3).
    StaffRole { Admin = "admin", Teacher = "teacher" }
);

stored_enum!(
    /// Kinds of roster record: run counts, issues, abandoned records.
    RecordKind {
        School = "school",
        Student = "student",
        Guardian = "guardian",
        Staff = "staff",
        Class = "class",
        StudentEnrollment = "student_enrollment",
        TeacherEnrollment = "teacher_enrollment",
        FamilyRelationship = "family_relationship",
    }
);

stored_enum!(
    /// Abandoned family policy (R6).
    FamilyPolicy { Soft = "soft", Extreme = "extreme" }
);

stored_enum!(
    /// When runs start by themselves.
    ScheduleKind { Off = "off", Interval = "interval", Daily = "daily" }
);

stored_enum!(
    /// State of a sync run.
    RunState {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Blocked = "blocked",
        Cancelled = "cancelled",
        /// Planned; waits for ApproveSync or RejectSync (R9.1), holding the district.
        AwaitingApproval = "awaiting_approval",
    }
);

stored_enum!(
    /// Phase of a running run; `None` before it starts and after it ends.
    RunPhase {
        None = "",
        Fetching = "fetching",
        Validating = "validating",
        Planning = "planning",
        Applying = "applying",
    }
);

stored_enum!(
    /// What started a run.
    Trigger { Manual = "manual", Scheduled = "scheduled", Revert = "revert" }
);

stored_enum!(
    /// How bad a run issue is.
    Severity { Info = "info", Warning = "warning", Error = "error" }
);

stored_enum!(
    /// What a sync did to an abandoned record.
    AbandonAction {
        Disconnected = "disconnected",
        RemovedFromSchool = "removed_from_school",
        Archived = "archived",
        RemovedFromClass = "removed_from_class",
    }
);

stored_enum!(
    /// What a planned change does to its record (R9.1).
    ChangeAction {
        Create = "create",
        Update = "update",
        Abandon = "abandon",
        Restore = "restore",
        Move = "move",
    }
);

stored_enum!(
    /// What an API key may do (S1.1).
    ApiKeyRole { Admin = "admin", Operator = "operator", Reader = "reader" }
);

stored_enum!(
    /// Why a run reports a row, a value or a record (R3). The words are the stable codes
    /// callers switch on; `docs/rules.md` explains each.
    IssueCode {
        MissingField = "MISSING_FIELD",
        DuplicateId = "DUPLICATE_ID",
        InvalidValue = "INVALID_VALUE",
        UnknownReference = "UNKNOWN_REFERENCE",
        WrongKindReference = "WRONG_KIND_REFERENCE",
        NotASchool = "NOT_A_SCHOOL",
        UnknownSchool = "UNKNOWN_SCHOOL",
        NoContact = "NO_CONTACT",
        DuplicateEmail = "DUPLICATE_EMAIL",
        DuplicatePhone = "DUPLICATE_PHONE",
        InvalidPhone = "INVALID_PHONE",
        InvalidEmail = "INVALID_EMAIL",
        InvalidGrade = "INVALID_GRADE",
        InvalidEncoding = "INVALID_ENCODING",
        ValueTooLong = "VALUE_TOO_LONG",
        AttributesNotSynced = "ATTRIBUTES_NOT_SYNCED",
        PartialSource = "PARTIAL_SOURCE",
        InvalidDate = "INVALID_DATE",
        ClassTermEnded = "CLASS_TERM_ENDED",
        NotReverted = "NOT_REVERTED",
    }
);

impl IssueCode {
    /// Whether a run of the same source would report the issue again once this run's
    /// plan is applied: all do but those that describe a change the plan makes (a class
    /// archived as ended, R5.10), so a run that settles the district (R7.4) carries
    /// all others.
    pub fn recurs(self) -> bool {
        self != IssueCode::ClassTermEnded
    }
}

/// Which records of a list to show, by archive state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Active,
    Archived,
    All,
}

impl RunState {
    /// Whether the run moves on by itself: a final run, or one awaiting a person's
    /// approval, does not (a watcher stops there).
    pub fn moves_on(self) -> bool {
        matches!(self, RunState::Queued | RunState::Running)
    }

    /// Whether ApproveSync can apply the run's stored plan.
    pub fn is_approvable(self) -> bool {
        matches!(self, RunState::AwaitingApproval | RunState::Blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_round_trip() {
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(RunPhase::parse(""), Some(RunPhase::None));
        assert_eq!(Origin::parse("SIS"), None, "stored words are exact");
    }
}
