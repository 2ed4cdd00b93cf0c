//! The gRPC surface: one adapter per service, the conversions, the error mapping, and the
//! tower layers that give every RPC its caller, its time limit and its tracing span.

mod access;
mod auth;
pub mod convert;
mod deadline;
mod directory;
mod span;
pub mod status;
mod sync;

pub use access::AccessApi;
pub use auth::AuthLayer;
pub use deadline::DeadlineLayer;
pub use directory::DirectoryApi;
pub use span::RpcSpanLayer;
pub use sync::SyncApi;
