//! `roster-client`: the typed Rust client of the roster-sync gRPC API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), roster_client::Error> {
//! let client = roster_client::RosterClient::connect("http://127.0.0.1:50051").await?;
//! let district = client.create_district("Springfield Public Schools").await?;
//! println!("created district {}", district.id);
//! # Ok(()) }
//! ```
//!
//! The generated stubs stay reachable through [`RosterClient::sync`] and
//! [`RosterClient::directory`] (and the messages through [`pb`]) for every RPC.

mod error;

pub use error::{Error, FieldViolation};
pub use roster_proto::v1 as pb;
pub use roster_proto::{prost_types, tonic};

use pb::directory_service_client::DirectoryServiceClient;
use pb::sync_service_client::SyncServiceClient;
use tonic::transport::{Channel, Endpoint};

/// A connection to a roster-sync server. Cheap to clone; clones share the connection.
#[derive(Debug, Clone)]
pub struct RosterClient {
    channel: Channel,
}

impl RosterClient {
    /// Connects to `endpoint`, e.g. `http://127.0.0.1:50051`.
    pub async fn connect(endpoint: impl Into<String>) -> Result<Self, Error> {
        let endpoint =
            Endpoint::from_shared(endpoint.into()).map_err(|e| Error::Transport(e.to_string()))?;
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(RosterClient { channel })
    }

    /// The generated SyncService stub on this connection.
    pub fn sync(&self) -> SyncServiceClient<Channel> {
        SyncServiceClient::new(self.channel.clone())
    }

    /// The generated DirectoryService stub on this connection.
    pub fn directory(&self) -> DirectoryServiceClient<Channel> {
        DirectoryServiceClient::new(self.channel.clone())
    }

    /// The underlying channel, for health checks or other services.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Creates a district.
    pub async fn create_district(&self, display_name: &str) -> Result<pb::District, Error> {
        let response = self
            .directory()
            .create_district(pb::CreateDistrictRequest {
                display_name: display_name.to_owned(),
            })
            .await?
            .into_inner();
        response
            .district
            .ok_or_else(|| Error::Protocol("CreateDistrict returned no district".into()))
    }
}
