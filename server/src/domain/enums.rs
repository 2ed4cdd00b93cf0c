//! The domain's enums, stored as short lowercase words so the database reads plainly.

/// Declares a string-backed enum: `as_str` for storage, `parse` to read it back.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads a stored value; an unknown one is a corrupt row, reported as such.
            pub fn parse(text: &str) -> $crate::domain::Result<Self> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::domain::Error::Internal(format!(
                        "unknown {} `{other}` in store", stringify!($name)
                    ))),
                }
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
                Self::parse(&text).map_err(serde::de::Error::custom)
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
    Trigger { Manual = "manual", Scheduled = "scheduled" }
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

/// Which records of a list to show, by archive state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Active,
    Archived,
    All,
}

impl RunState {
    /// Whether the run has ended and will not change again.
    pub fn is_final(self) -> bool {
        !matches!(self, RunState::Queued | RunState::Running)
    }
}
