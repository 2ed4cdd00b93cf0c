//! embed_migrations! does not notice changed migration files by itself.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
