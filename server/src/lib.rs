//! roster-sync: keeps a school communication product's directory in step with the
//! districts' Student Information Systems (the rules: `docs/rules.md`).
//!
//! Layers, each importing only those below it: [`server`] (assembly, with
//! [`telemetry`], the metrics endpoint) → [`grpc`] (the
//! wire) → [`sync`] (runs and the planner) and [`directory`] (reads and manual edits) →
//! [`sources`] (readers) → [`snapshot`] (what a source says) → [`store`] (SQL) →
//! [`domain`] (plain types). The one-way order is what lets each layer be read and
//! tested on its own: the planner knows no SQL, the store no rule, the wire no rule.

pub mod access;
pub mod config;
pub mod directory;
pub mod domain;
pub mod grpc;
pub mod server;
pub mod snapshot;
#[macro_use]
pub mod store;
pub mod sources;
pub mod sync;
pub mod telemetry;

/// mimalloc for every binary that runs the service (the server, its benchmarks, its
/// tests): a sync allocates and frees millions of small values (CSV cells, source ids,
/// rows), and glibc's malloc spent over a quarter of the process CPU of a 100k-student
/// sync. Declared here, not in `main.rs`, so what the benchmarks measure is what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option, by its number: the bindings leave such options
/// unnamed, and mimalloc keeps their numbers fixed (retired options keep their slots).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Has mimalloc give memory a run freed back to the system at once, not a second later
/// (its default). A run frees hundreds of megabytes within that second (the source's
/// parse, a plan's working sets) while it allocates the next phase's: with the delay, the
/// server's resident memory holds both, about a third more at its peak (measured by
/// `bench_sync`, 100k students), for no measured gain in speed. An operator's
/// `MIMALLOC_PURGE_DELAY` still wins. Called once, by [`server::start`], before any run.
pub fn return_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one process-wide option; mimalloc reads it on its next purge.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

#[cfg(test)]
mod tests {
    use super::MI_OPTION_PURGE_DELAY;

    /// The option number is the one mimalloc fills from `MIMALLOC_PURGE_DELAY`: checked in
    /// a child process of this test, started with the variable set, since mimalloc reads
    /// its environment once, when the process starts.
    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_reads_from_its_environment() {
        if std::env::var_os("ROSTER_PURGE_DELAY_CHILD").is_some() {
            // SAFETY: reads one process-wide option.
            let read = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
            assert_eq!(read, 1234);
            return;
        }
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tests::the_purge_delay_option_is_the_one_mimalloc_reads_from_its_environment",
                "--test-threads=1",
            ])
            .env("ROSTER_PURGE_DELAY_CHILD", "1")
            .env("MIMALLOC_PURGE_DELAY", "1234")
            .output()
            .unwrap();
        assert!(
            child.status.success(),
            "the child read another option: {}",
            String::from_utf8_lossy(&child.stderr)
        );
    }
}
