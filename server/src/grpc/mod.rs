//! The gRPC surface: one adapter per service, the conversions, the error mapping, and the
//! tower layer that gives every RPC its own tracing span.

mod access;
mod auth;
pub mod convert;
mod directory;
mod span;
pub mod status;
mod sync;

pub use access::AccessApi;
pub use auth::AuthLayer;
pub use directory::DirectoryApi;
pub use span::RpcSpanLayer;
pub use sync::SyncApi;
