//! The `roster.v1` gRPC API: generated messages, clients and servers, and the encoded
//! descriptor set that server reflection serves.
//!
//! This crate owns the generated code; the server and the client crate depend on it and
//! use the `tonic`/`prost` it re-exports, so all three always agree on versions.

pub use prost;
pub use prost_types;
pub use tonic;

/// Generated code for the `roster.v1` package.
pub mod v1 {
    tonic::include_proto!("roster.v1");
}

/// The encoded `FileDescriptorSet` of the `roster.v1` protos, for tonic-reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/roster_descriptor.bin"));
