//! embed_migrations! does not notice changed migration files by itself. And the build's
//! identity: a run of a settled district is not planned again only if the same code
//! would plan it (`sync::settled`), so the source code, the locked dependencies and the
//! migrations are hashed into `ROSTER_BUILD_ID`: the same for the same code built
//! anywhere, different after any change, a version number bumped or not.

use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    let inputs = ["src", "../Cargo.lock", "../migrations"];
    let mut hasher = DefaultHasher::new();
    for input in inputs {
        println!("cargo:rerun-if-changed={input}");
        let mut files = Vec::new();
        collect(Path::new(input), &mut files);
        files.sort();
        for file in files {
            hasher.write(file.to_string_lossy().as_bytes());
            hasher.write(&std::fs::read(&file).unwrap_or_default());
        }
    }
    println!("cargo:rustc-env=ROSTER_BUILD_ID={:016x}", hasher.finish());
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            for entry in entries.flatten() {
                collect(&entry.path(), files);
            }
        }
        Err(_) => files.push(path.to_owned()),
    }
}
