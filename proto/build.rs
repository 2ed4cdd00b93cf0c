//! Generates the roster.v1 code with a pure-Rust protobuf compiler (protox): no `protoc`
//! is needed on any machine that builds this crate.

use prost::Message;
use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    println!(
        "cargo:rerun-if-changed={}",
        proto_dir.join("roster").display()
    );

    let files = [
        "types.proto",
        "sync_service.proto",
        "directory_service.proto",
        "access_service.proto",
    ]
    .map(|f| format!("roster/v1/{f}"));
    let fds = protox::compile(&files, [&proto_dir])?;

    // compile_fds ignores file_descriptor_set_path, so the set for reflection is written here.
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("roster_descriptor.bin"), fds.encode_to_vec())?;

    tonic_prost_build::configure()
        .type_attribute(".", "#[allow(clippy::all, clippy::pedantic)]")
        .compile_fds(fds)?;
    Ok(())
}
