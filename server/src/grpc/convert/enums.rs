//! Domain enums and their wire twins, declared once each by [`wire_enum!`]: one macro for
//! both directions, so a variant added on one side and not the other fails to compile.

use crate::domain::{
    AbandonAction, ApiKeyRole, AttentionReason, ChangeAction, Error, FamilyPolicy, Origin,
    RecordKind, Result, RunPhase, RunState, ScheduleKind, Severity, StaffRole, StatusFilter,
    Trigger,
};
use roster_proto::v1 as pb;

/// A domain enum with a wire enum.
pub trait Wire: Sized + Copy {
    type Pb: Copy + TryFrom<i32> + Into<i32>;

    fn to_pb(self) -> Self::Pb;

    /// The domain value of a wire value; None for UNSPECIFIED.
    fn from_pb(value: Self::Pb) -> Option<Self>;

    /// The wire number of the value.
    fn to_i32(self) -> i32 {
        self.to_pb().into()
    }

    /// Reads a wire number: UNSPECIFIED is None, a number the API does not define is an
    /// INVALID_ARGUMENT naming `field`.
    fn read(field: &str, value: i32) -> Result<Option<Self>> {
        let wire = Self::Pb::try_from(value)
            .map_err(|_| Error::invalid(field, format!("unknown value {value}")))?;
        Ok(Self::from_pb(wire))
    }

    /// Reads a wire number that must be set.
    fn require(field: &str, value: i32) -> Result<Self> {
        Self::read(field, value)?.ok_or_else(|| Error::invalid(field, "is required"))
    }
}

/// Declares the two-way mapping of a domain enum and its wire enum.
macro_rules! wire_enum {
    ($domain:ident <=> $wire:ident { $($d:ident => $w:ident),+ $(,)? }) => {
        impl Wire for $domain {
            type Pb = pb::$wire;

            fn to_pb(self) -> pb::$wire {
                match self {
                    $($domain::$d => pb::$wire::$w,)+
                }
            }

            fn from_pb(value: pb::$wire) -> Option<Self> {
                match value {
                    $(pb::$wire::$w => Some($domain::$d),)+
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }
    };
}

wire_enum!(Origin <=> Origin { Sis => Sis, Manual => Manual });
wire_enum!(StaffRole <=> StaffRole { Admin => Admin, Teacher => Teacher });
wire_enum!(RecordKind <=> RecordKind {
    School => School,
    Student => Student,
    Guardian => Guardian,
    Staff => Staff,
    Class => Class,
    StudentEnrollment => StudentEnrollment,
    TeacherEnrollment => TeacherEnrollment,
    FamilyRelationship => FamilyRelationship,
});
wire_enum!(FamilyPolicy <=> AbandonedFamilyPolicy { Soft => Soft, Extreme => Extreme });
wire_enum!(ScheduleKind <=> ScheduleKind { Off => Off, Interval => Interval, Daily => Daily });
wire_enum!(RunState <=> SyncState {
    Queued => Queued,
    Running => Running,
    Succeeded => Succeeded,
    Failed => Failed,
    Blocked => Blocked,
    Cancelled => Cancelled,
    AwaitingApproval => AwaitingApproval,
});
wire_enum!(ChangeAction <=> PlannedChangeAction {
    Create => Create,
    Update => Update,
    Abandon => Abandon,
    Restore => Restore,
    Move => Move,
});
wire_enum!(RunPhase <=> SyncPhase {
    None => Unspecified,
    Fetching => Fetching,
    Validating => Validating,
    Planning => Planning,
    Applying => Applying,
});
wire_enum!(Trigger <=> SyncTrigger { Manual => Manual, Scheduled => Scheduled, Revert => Revert });
wire_enum!(Severity <=> IssueSeverity { Info => Info, Warning => Warning, Error => Error });
wire_enum!(AbandonAction <=> AbandonAction {
    Disconnected => Disconnected,
    RemovedFromSchool => RemovedFromSchool,
    Archived => Archived,
    RemovedFromClass => RemovedFromClass,
});
wire_enum!(ApiKeyRole <=> ApiKeyRole { Admin => Admin, Operator => Operator, Reader => Reader });
wire_enum!(StatusFilter <=> StatusFilter { Active => Active, Archived => Archived, All => All });
wire_enum!(AttentionReason <=> AttentionReason {
    LastRunFailed => LastRunFailed,
    LastRunBlocked => LastRunBlocked,
    NoRecentSuccess => NoRecentSuccess,
    AwaitingApproval => AwaitingApproval,
    SchedulePaused => SchedulePaused,
});

/// A status filter: UNSPECIFIED means ACTIVE.
pub fn status_filter(value: i32) -> Result<StatusFilter> {
    Ok(StatusFilter::read("status_filter", value)?.unwrap_or_default())
}
