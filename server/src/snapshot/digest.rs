//! A digest of what a snapshot says: the same for the same records read again, in any
//! process. A run whose source digests as the district's settled one plans nothing
//! (`sync::settled`), so every field the planner reads goes in: lists in their order
//! (the planner reads them in order: the first of two duplicates wins), sets sorted
//! (their order is a process's hash seed, not the source's).

use super::{Deleted, Snapshot};
use crate::domain::hex;
use serde::Serialize;
use std::io::{BufWriter, Write};

/// The fields of a snapshot as they are digested.
#[derive(Serialize)]
struct Canonical<'a> {
    schools: &'a [super::SnapSchool],
    students: &'a [super::SnapStudent],
    guardians: &'a [super::SnapGuardian],
    staff: &'a [super::SnapStaff],
    classes: &'a [super::SnapClass],
    student_enrollments: &'a [super::SnapEnrollment],
    teacher_enrollments: &'a [super::SnapEnrollment],
    links: &'a [super::SnapLink],
    agent_rows: Vec<&'a String>,
    coverage: [super::Coverage; 4],
    deleted: [Vec<&'a String>; 4],
    other_orgs: Vec<(&'a String, &'a String)>,
    suppressed: &'a std::collections::BTreeMap<crate::domain::RecordKind, i64>,
    attributes_supported: bool,
    issues: &'a [super::Issue],
}

/// A BLAKE3 digest of `salt` (what else the result depends on: settings, the build)
/// and then of what is written to it: a snapshot's records, or a source's files. BLAKE3
/// rather than SHA-256: a file source is digested before every run of it, and BLAKE3
/// hashes a large input 4-8x faster here. The salt holds the build, so a digest stored
/// by a build of another hash only costs the next run its shortcut.
pub struct Digester(blake3::Hasher);

impl Digester {
    pub fn new(salt: &[u8]) -> Digester {
        let mut hash = blake3::Hasher::new();
        hash.update(&(salt.len() as u64).to_le_bytes());
        hash.update(salt);
        Digester(hash)
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest, in hex.
    pub fn finish(self) -> String {
        hex(self.0.finalize().as_bytes())
    }
}

impl Write for Digester {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Snapshot {
    /// The snapshot's digest after `salt` (what else the plan depends on: the planning
    /// settings, the build), in hex.
    pub fn digest(&self, salt: &[u8]) -> Result<String, String> {
        // Named field by field: a field added to the snapshot fails to build here until
        // it is digested too.
        let Snapshot {
            schools,
            students,
            guardians,
            staff,
            classes,
            student_enrollments,
            teacher_enrollments,
            links,
            agent_rows,
            orgs,
            users,
            class_coverage,
            enrollments,
            deleted,
            other_orgs,
            suppressed,
            attributes_supported,
            issues,
        } = self;
        let Deleted {
            schools: deleted_schools,
            users: deleted_users,
            classes: deleted_classes,
            enrollments: deleted_enrollments,
        } = deleted;
        let canonical = Canonical {
            schools,
            students,
            guardians,
            staff,
            classes,
            student_enrollments,
            teacher_enrollments,
            links,
            agent_rows: sorted(agent_rows.iter()),
            coverage: [*orgs, *users, *class_coverage, *enrollments],
            deleted: [
                sorted(deleted_schools.iter()),
                sorted(deleted_users.iter()),
                sorted(deleted_classes.iter()),
                sorted(deleted_enrollments.iter()),
            ],
            other_orgs: sorted(other_orgs.iter()),
            suppressed,
            attributes_supported: *attributes_supported,
            issues,
        };
        let mut digester = Digester::new(salt);
        // Buffered: postcard writes field by field, a few bytes at a time.
        let mut out = BufWriter::with_capacity(1 << 16, &mut digester);
        postcard::to_io(&canonical, &mut out).map_err(|e| format!("snapshot digest: {e}"))?;
        out.flush().map_err(|e| format!("snapshot digest: {e}"))?;
        drop(out);
        Ok(digester.finish())
    }
}

fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut items: Vec<T> = items.collect();
    items.sort_unstable();
    items
}
