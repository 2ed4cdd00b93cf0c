//! The API's enums as Rust enums, with conversions from and to the generated ones.
//!
//! The `..._UNSPECIFIED` zero values are not variants: where the API leaves a value unset
//! the field is an `Option`, and an unspecified or unknown value where one is required is
//! an [`Error::Protocol`](crate::Error::Protocol).

use std::fmt;

/// A name that is not one of an enum's values (from `FromStr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub(crate) String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Declares a domain enum mirroring a generated one, with its conversions.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident => $pb:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order of the proto enum.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's name in JSON output and tables, e.g. `"SUCCEEDED"`.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ParseError;

            /// Reads a name case-insensitively, with `-` or `_` between words.
            fn from_str(text: &str) -> Result<Self, $crate::ParseError> {
                let wanted = text.trim().replace('-', "_").to_ascii_uppercase();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == wanted)
                    .ok_or_else(|| {
                        let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        $crate::ParseError(format!(
                            "`{text}` is not a {}; expected one of {}",
                            stringify!($name),
                            names.join(", ")
                        ))
                    })
            }
        }

        impl From<$name> for $crate::pb::$pb {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $crate::pb::$pb::$variant, )+
                }
            }
        }

        impl From<$name> for i32 {
            fn from(value: $name) -> Self {
                $crate::pb::$pb::from(value) as i32
            }
        }

        impl TryFrom<$crate::pb::$pb> for $name {
            type Error = $crate::Error;

            fn try_from(value: $crate::pb::$pb) -> Result<Self, $crate::Error> {
                match value {
                    $( $crate::pb::$pb::$variant => Ok($name::$variant), )+
                    $crate::pb::$pb::Unspecified => Err($crate::Error::Protocol(
                        concat!(stringify!($pb), " is unspecified").to_owned(),
                    )),
                }
            }
        }

        impl TryFrom<i32> for $name {
            type Error = $crate::Error;

            fn try_from(value: i32) -> Result<Self, $crate::Error> {
                $crate::pb::$pb::try_from(value)
                    .map_err(|_| {
                        $crate::Error::Protocol(format!(
                            "unknown {} value {value}",
                            stringify!($pb)
                        ))
                    })?
                    .try_into()
            }
        }
    };
}

/// For the enums declared next to their records (`types/access.rs`).
pub(crate) use wire_enum;

wire_enum! {
    /// Where a record came from (sync rule R1.3).
    Origin => Origin {
        /// Created by a roster sync, or a manual record associated with a source record.
        Sis = "SIS",
        /// Created directly in the product; a sync never updates it.
        Manual = "MANUAL",
    }
}

wire_enum! {
    /// Whether a student, class or school is live or archived.
    RecordStatus => RecordStatus {
        /// Live.
        Active = "ACTIVE",
        /// Archived by a sync (abandoned classroom, abandoned family under `SOFT`).
        Archived = "ARCHIVED",
    }
}

wire_enum! {
    /// Which records a list that can hold archived ones returns.
    #[derive(Default)]
    StatusFilter => StatusFilter {
        /// Only active records (the default).
        #[default]
        Active = "ACTIVE",
        /// Only archived records.
        Archived = "ARCHIVED",
        /// Active and archived records.
        All = "ALL",
    }
}

wire_enum! {
    /// Whether a guardian or staff member has activated their account.
    AccountState => AccountState {
        /// Has not logged in yet: contact details always follow the source.
        Invitee = "INVITEE",
        /// Has logged in: contact details follow the source only with Update Active Users on.
        Active = "ACTIVE",
    }
}

wire_enum! {
    /// A staff member's role.
    StaffRole => StaffRole {
        /// An administrator.
        Admin = "ADMIN",
        /// A teacher, aide, proctor or other staff.
        Teacher = "TEACHER",
    }
}

wire_enum! {
    /// A kind of roster record, used by run counts, issues and abandoned records.
    RecordKind => RecordKind {
        /// A school.
        School = "SCHOOL",
        /// A student.
        Student = "STUDENT",
        /// A guardian.
        Guardian = "GUARDIAN",
        /// A teacher or administrator.
        Staff = "STAFF",
        /// A class (section).
        Class = "CLASS",
        /// A student's membership of a class.
        StudentEnrollment = "STUDENT_ENROLLMENT",
        /// A teacher's membership of a class.
        TeacherEnrollment = "TEACHER_ENROLLMENT",
        /// A guardian's link to a student.
        FamilyRelationship = "FAMILY_RELATIONSHIP",
    }
}

wire_enum! {
    /// The state of a sync run.
    SyncState => SyncState {
        /// Waiting for a worker.
        Queued = "QUEUED",
        /// Fetching, validating, planning or applying (see the run's phase).
        Running = "RUNNING",
        /// Finished; the plan was applied (or, for a dry run, computed).
        Succeeded = "SUCCEEDED",
        /// Stopped by an error; nothing was written.
        Failed = "FAILED",
        /// Would abandon more than the district's threshold; nothing was written.
        /// `approve_sync` can still apply its plan, until the plan expires.
        Blocked = "BLOCKED",
        /// Cancelled (by `cancel_sync` or `reject_sync`), or its plan expired unapproved.
        Cancelled = "CANCELLED",
        /// Planned and waiting for `approve_sync` or `reject_sync` (the district's
        /// `require_approval`); nothing was written.
        AwaitingApproval = "AWAITING_APPROVAL",
    }
}

impl SyncState {
    /// Whether the run has ended (`SUCCEEDED`, `FAILED`, `BLOCKED` or `CANCELLED`).
    ///
    /// `AwaitingApproval` is not final: approving the plan queues the run again.
    ///
    /// ```
    /// use roster_client::SyncState;
    /// assert!(SyncState::Blocked.is_final());
    /// assert!(!SyncState::Running.is_final());
    /// assert!(!SyncState::AwaitingApproval.is_final());
    /// ```
    pub fn is_final(&self) -> bool {
        !self.moves_on() && *self != SyncState::AwaitingApproval
    }

    /// Whether the run moves on by itself (`QUEUED` or `RUNNING`), so that waiting for it
    /// makes sense. A final run does not, and neither does one `AwaitingApproval`: it
    /// stays there until someone approves or rejects its plan, which is where
    /// [`SyncHandle::wait`](crate::SyncHandle::wait) stops.
    ///
    /// ```
    /// use roster_client::SyncState;
    /// assert!(SyncState::Queued.moves_on());
    /// assert!(!SyncState::AwaitingApproval.moves_on());
    /// assert!(!SyncState::Succeeded.moves_on());
    /// ```
    pub fn moves_on(&self) -> bool {
        matches!(self, SyncState::Queued | SyncState::Running)
    }
}

wire_enum! {
    /// The phase of a running sync run.
    SyncPhase => SyncPhase {
        /// Reading the source.
        Fetching = "FETCHING",
        /// Checking the rows.
        Validating = "VALIDATING",
        /// Working out what changes.
        Planning = "PLANNING",
        /// Writing the changes.
        Applying = "APPLYING",
    }
}

wire_enum! {
    /// What started a sync run.
    SyncTrigger => SyncTrigger {
        /// A `StartSync` call.
        Manual = "MANUAL",
        /// The district's schedule.
        Scheduled = "SCHEDULED",
        /// A `revert_sync` call: the run reverses another (R9.2), named by its
        /// `reverted_run_id`.
        Revert = "REVERT",
    }
}

wire_enum! {
    /// What happens to a family whose student and guardians left the source.
    AbandonedFamilyPolicy => AbandonedFamilyPolicy {
        /// The student is archived; the family keeps its classrooms (the default).
        Soft = "SOFT",
        /// The family is removed from the school and all its classrooms.
        Extreme = "EXTREME",
    }
}

wire_enum! {
    /// How bad a run issue is.
    IssueSeverity => IssueSeverity {
        /// Worth knowing; nothing was lost.
        Info = "INFO",
        /// The record was synced, but part of it was left out.
        Warning = "WARNING",
        /// The record was skipped.
        Error = "ERROR",
    }
}

wire_enum! {
    /// What a sync did to an abandoned record.
    AbandonAction => AbandonAction {
        /// A guardian was disconnected from a student.
        Disconnected = "DISCONNECTED",
        /// A staff member or student was removed from a school.
        RemovedFromSchool = "REMOVED_FROM_SCHOOL",
        /// A classroom or student was archived.
        Archived = "ARCHIVED",
        /// A teacher or student was removed from a class.
        RemovedFromClass = "REMOVED_FROM_CLASS",
    }
}

wire_enum! {
    /// What a planned change does to its record (see
    /// [`PlannedChange`](crate::PlannedChange)).
    PlannedChangeAction => PlannedChangeAction {
        /// A new record or membership.
        Create = "CREATE",
        /// Fields of a stored record change; for a person, a school joined.
        Update = "UPDATE",
        /// The record is archived, removed from a school or class, or disconnected.
        Abandon = "ABANDON",
        /// An archived record comes back.
        Restore = "RESTORE",
        /// A person leaves one school of the district for another.
        Move = "MOVE",
    }
}

wire_enum! {
    /// When runs start by themselves (see [`Schedule`](crate::Schedule)).
    ScheduleKind => ScheduleKind {
        /// No automatic runs.
        Off = "OFF",
        /// Every few minutes.
        Interval = "INTERVAL",
        /// Daily at a time of day in a time zone.
        Daily = "DAILY",
    }
}

wire_enum! {
    /// The role of a class member.
    ClassMemberRole => ClassMemberRole {
        /// A teacher of the class.
        Teacher = "TEACHER",
        /// A student of the class.
        Student = "STUDENT",
    }
}

wire_enum! {
    /// The kind of person receiving an announcement.
    RecipientKind => RecipientKind {
        /// A staff member.
        Staff = "STAFF",
        /// A guardian.
        Guardian = "GUARDIAN",
    }
}

/// Reads an enum field that may be unset: `0` (unspecified) is `None`.
pub(crate) fn optional<E>(value: i32) -> Result<Option<E>, crate::Error>
where
    E: TryFrom<i32, Error = crate::Error>,
{
    if value == 0 {
        Ok(None)
    } else {
        E::try_from(value).map(Some)
    }
}

/// The wire value of an optional enum filter: `None` is `0` (unspecified, "all").
pub(crate) fn wire<E: Into<i32>>(value: Option<E>) -> i32 {
    value.map(Into::into).unwrap_or(0)
}
