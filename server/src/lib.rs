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

/// mimalloc's options, by their numbers in the mimalloc `libmimalloc-sys` builds (v3,
/// its default): the bindings leave them unnamed. v2 numbers some of them otherwise, so a
/// test checks each number against the variable mimalloc reads it from.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Fits the allocator to what a run does: it allocates and frees hundreds of megabytes a
/// phase (the source's parse, the stored district, a plan's working sets). Called once,
/// by [`server::start`], before any run; an operator's `MIMALLOC_*` variable still wins.
///
/// - Memory freed goes back to the system at once, not a second later (mimalloc's
///   default purge delay): with the delay, the server's resident memory held a phase and
///   the next one together, about a third more at its peak (`bench_sync`, 100k
///   students), for no measured gain in speed.
/// - No transparent huge pages. mimalloc asks for them on its arenas (`MADV_HUGEPAGE`),
///   so a first touch made the kernel zero and keep 2 MB where 4 KB was written: zeroing
///   them was 17% of a 100k resync's CPU samples, and the peak of a 100k sync fell from
///   542 to 480 MB without them. The option stops mimalloc asking from now on; the
///   process-wide switch (`PR_SET_THP_DISABLE`) covers what it already asked for.
pub fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one process-wide option; mimalloc reads it on its next purge.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: sets one process-wide option, read at mimalloc's next OS allocation.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0) };
        #[cfg(target_os = "linux")]
        // SAFETY: a flag of this process's memory map; no pointer is passed. Huge pages
        // are only an optimization, so a refusal (an old kernel) changes nothing else.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{MI_OPTION_ALLOW_THP, MI_OPTION_PURGE_DELAY};

    /// The option numbers are the ones mimalloc fills from `MIMALLOC_PURGE_DELAY` and
    /// `MIMALLOC_ALLOW_THP`: checked in a child process of this test, started with the
    /// variables set, since mimalloc reads its environment once, when the process starts.
    #[test]
    fn the_option_numbers_are_the_ones_mimalloc_reads_from_its_environment() {
        if std::env::var_os("ROSTER_MIMALLOC_OPTIONS_CHILD").is_some() {
            // SAFETY: reads process-wide options.
            let (delay, thp) = unsafe {
                (
                    libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY),
                    libmimalloc_sys::mi_option_get(MI_OPTION_ALLOW_THP),
                )
            };
            assert_eq!((delay, thp), (1234, 0));
            return;
        }
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tests::the_option_numbers_are_the_ones_mimalloc_reads_from_its_environment",
                "--test-threads=1",
            ])
            .env("ROSTER_MIMALLOC_OPTIONS_CHILD", "1")
            .env("MIMALLOC_PURGE_DELAY", "1234")
            .env("MIMALLOC_ALLOW_THP", "0")
            .output()
            .unwrap();
        assert!(
            child.status.success(),
            // The test harness reports a failed assertion on stdout.
            "the child read another option: {}{}",
            String::from_utf8_lossy(&child.stdout),
            String::from_utf8_lossy(&child.stderr)
        );
    }

    /// Once tuned, the process takes no transparent huge pages, whatever mimalloc asked
    /// for before (Linux).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_tuned_allocator_takes_no_transparent_huge_pages() {
        super::tune_allocator();
        // SAFETY: reads a flag of this process.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }
}
