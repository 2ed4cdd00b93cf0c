//! `roster-client`: the typed Rust client of the roster-sync gRPC API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), roster_client::Error> {
//! let client = roster_client::RosterClient::connect("http://127.0.0.1:50051").await?;
//! let district = client.create_district("Springfield Public Schools").await?;
//! println!("created district {} ({})", district.id, district.display_name);
//! # Ok(()) }
//! ```
//!
//! [`RosterClient`] has one typed method per RPC of `roster.v1.DirectoryService`,
//! `roster.v1.SyncService` and `roster.v1.AccessService`. They take and return the domain
//! types of this crate (Rust enums, `Option` for unset fields, [`std::time::SystemTime`]
//! timestamps) and fail with one [`Error`] enum mapped from the gRPC status and its
//! `google.rpc` details.
//!
//! - Lists are [`futures::Stream`]s that fetch pages lazily ([`ItemStream`]), and each has
//!   a `*_page` method for one page at a time.
//! - [`RosterClient::start_sync`] returns a [`SyncHandle`] to [`wait`](SyncHandle::wait)
//!   for the run's end or [`watch`](SyncHandle::watch) its progress.
//! - A district with `require_approval` has its runs stop after planning, in state
//!   [`SyncState::AwaitingApproval`] (where [`SyncHandle::wait`] returns too): the plan is
//!   read with [`list_planned_changes`](RosterClient::list_planned_changes), applied with
//!   [`approve_sync`](RosterClient::approve_sync) or discarded with
//!   [`reject_sync`](RosterClient::reject_sync).
//! - The latest run that changed a district is undone by
//!   [`revert_sync`](RosterClient::revert_sync), a run of its own (another
//!   [`SyncHandle`]) that also pauses the district's schedule until
//!   [`resume_schedule`](RosterClient::resume_schedule).
//! - What runs and edits changed on a record, and who made each change (a run, or a key
//!   and the end user it acted for), is read newest first with
//!   [`list_record_history`](RosterClient::list_record_history).
//! - API keys are created, listed and revoked with
//!   [`create_api_key`](RosterClient::create_api_key) (which returns the key's [`Secret`]
//!   once), [`list_api_keys`](RosterClient::list_api_keys) and
//!   [`revoke_api_key`](RosterClient::revoke_api_key); changes are read back with
//!   [`list_audit_events`](RosterClient::list_audit_events).
//! - People and districts are erased with [`erase_person`](RosterClient::erase_person)
//!   (leaving a [`Suppression`] that [`lift_suppression`](RosterClient::lift_suppression)
//!   lifts) and [`erase_district`](RosterClient::erase_district).
//! - People are found with [`search_people`](RosterClient::search_people) (by source id,
//!   SIS ID, email, phone or name prefix) and edited with
//!   [`update_student`](RosterClient::update_student) and its siblings; manual records
//!   and memberships are archived or removed with
//!   [`archive_student`](RosterClient::archive_student),
//!   [`remove_class_member`](RosterClient::remove_class_member) and the like (a sis one
//!   fails with reason `MANAGED_BY_SYNC`).
//! - [`RosterClient::builder`] sets timeouts, a bearer token and the retry policy
//!   (read-only calls are retried on `UNAVAILABLE`).
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use roster_client::{RosterClient, StartSync, SyncSourceInput, SyncState};
//! use std::time::Duration;
//!
//! # async fn demo() -> Result<(), roster_client::Error> {
//! let client = RosterClient::connect("http://127.0.0.1:50051").await?;
//! let district = client.create_district("Springfield").await?;
//! let run = client
//!     .start_sync(StartSync {
//!         source: Some(SyncSourceInput::csv_path("springfield")),
//!         ..StartSync::new(&district.id)
//!     })
//!     .await?
//!     .wait(Duration::from_secs(300))
//!     .await?;
//! if run.state == SyncState::Succeeded {
//!     let issues: Vec<_> = client
//!         .list_sync_issues(&run.id, Default::default())
//!         .try_collect()
//!         .await?;
//!     println!("{} issues", issues.len());
//! }
//! # Ok(()) }
//! ```
//!
//! The generated stubs stay reachable through [`RosterClient::sync`],
//! [`RosterClient::directory`] and [`RosterClient::access`] (they send the bearer token
//! too), and the generated messages through [`pb`].

#![warn(missing_docs)]

mod access;
mod auth;
mod builder;
mod directory;
mod edits;
mod erasure;
mod error;
mod handle;
mod history;
mod manual;
mod paging;
mod plans;
mod retry;
mod sync;
mod types;

pub use auth::BearerAuth;
pub use builder::RosterClientBuilder;
pub use error::{Error, FieldViolation};
pub use handle::SyncHandle;
pub use paging::{ItemStream, Page, PageRequest};
pub use retry::RetryPolicy;
pub use types::{
    AbandonAction, AbandonedFamilyPolicy, AbandonedFilter, AbandonedRecord, AccountState,
    AnnouncementRecipient, ApiKey, ApiKeyRole, AuditEvent, AuditFilter, Class, ClassMember,
    ClassMemberRole, ContactUpdate, District, ErasedDistrict, FieldChange, Guardian,
    GuardianAccess, IssueFilter, IssueSeverity, NewApiKey, NewClass, NewGuardian, NewStaffMember,
    NewStudent, Origin, ParseError, PlannedChange, PlannedChangeAction, PlannedChangeFilter,
    Progress, RecipientKind, RecordCounts, RecordKind, RecordStatus, RestAuth, SafetyBlock,
    Schedule, ScheduleKind, School, Secret, SettingsUpdate, StaffMember, StaffRole, StartSync,
    StatusFilter, Student, StudentDetail, Suppression, SyncIssue, SyncPhase, SyncRun, SyncSettings,
    SyncSource, SyncSourceInput, SyncState, SyncTrigger, Upload, User,
};
pub use types::{
    AccountUpdate, ClassDetail, ClassUpdate, GuardianDetail, Person, StaffMemberDetail,
    StudentUpdate,
};
pub use types::{AttentionReason, HistoryEntry, SyncHealth};

/// The generated messages and stubs of the `roster.v1` package.
pub use roster_proto::v1 as pb;
pub use roster_proto::{prost_types, tonic};

use pb::access_service_client::AccessServiceClient;
use pb::directory_service_client::DirectoryServiceClient;
use pb::sync_service_client::SyncServiceClient;
use std::future::Future;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The generated `SyncService` stub, sending the client's bearer token.
pub type SyncStub = SyncServiceClient<InterceptedService<Channel, BearerAuth>>;

/// The generated `DirectoryService` stub, sending the client's bearer token.
pub type DirectoryStub = DirectoryServiceClient<InterceptedService<Channel, BearerAuth>>;

/// The generated `AccessService` stub, sending the client's bearer token.
pub type AccessStub = AccessServiceClient<InterceptedService<Channel, BearerAuth>>;

/// A connection to a roster-sync server. Cheap to clone; clones share the connection.
#[derive(Debug, Clone)]
pub struct RosterClient {
    channel: Channel,
    auth: BearerAuth,
    request_timeout: Option<Duration>,
    retry: RetryPolicy,
    page_size: u32,
}

impl RosterClient {
    /// A builder for a client with timeouts, a bearer token or a retry policy.
    pub fn builder() -> RosterClientBuilder {
        RosterClientBuilder::default()
    }

    /// Connects to `endpoint`, e.g. `http://127.0.0.1:50051`, with the default settings.
    pub async fn connect(endpoint: impl Into<String>) -> Result<Self, Error> {
        RosterClient::builder().endpoint(endpoint).connect().await
    }

    /// The same client with another page size for its list streams (0: the server's).
    ///
    /// ```no_run
    /// # use futures::TryStreamExt;
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let all: Vec<_> = client.with_page_size(500).list_districts().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn with_page_size(&self, page_size: u32) -> RosterClient {
        RosterClient {
            page_size,
            ..self.clone()
        }
    }

    /// The generated SyncService stub on this connection.
    pub fn sync(&self) -> SyncStub {
        SyncServiceClient::new(InterceptedService::new(
            self.channel.clone(),
            self.auth.clone(),
        ))
    }

    /// The generated DirectoryService stub on this connection.
    pub fn directory(&self) -> DirectoryStub {
        DirectoryServiceClient::new(InterceptedService::new(
            self.channel.clone(),
            self.auth.clone(),
        ))
    }

    /// The generated AccessService stub on this connection.
    pub fn access(&self) -> AccessStub {
        AccessServiceClient::new(InterceptedService::new(
            self.channel.clone(),
            self.auth.clone(),
        ))
    }

    /// The underlying channel, for health checks or other services (no bearer token).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// A lazy stream of every item of a list, given how to fetch one page.
    pub(crate) fn stream<T, F, Fut>(&self, fetch: F) -> ItemStream<T>
    where
        T: Send + 'static,
        F: Fn(RosterClient, PageRequest) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
    {
        let client = self.clone();
        paging::items(self.page_size, move |page| fetch(client.clone(), page))
    }
}
