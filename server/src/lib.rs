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

/// What a MySQL packet buffer keeps when mysql_async takes it back for reuse.
pub const MYSQL_BUFFER_KEPT: &str = "65536";

/// Fits what libraries read from the environment once, for good, to what a run does; an
/// operator's own variable still wins.
///
/// - mysql_async keeps up to 128 packet buffers for reuse, each at up to 4 MiB
///   (`MYSQL_ASYNC_BUFFER_SIZE_CAP`): a sync's bulk statements and loads grew them, and
///   about 70 MB of buffers then sat in its pool, through every run's peak and between
///   runs (`bench_sync`, 100k students, MariaDB: idle 120 -> 51 MB, peak 447 -> 378 MB,
///   no change in speed). They are kept at 64 KiB; a larger packet takes a buffer of its
///   own for as long as it is read or written.
///
/// # Safety
/// Sets environment variables: call it before the process starts any other thread (the
/// first thing `main` does), since another thread reading the environment meanwhile
/// (C code's `getenv`) is undefined behaviour.
pub unsafe fn tune_environment() {
    if std::env::var_os("MYSQL_ASYNC_BUFFER_SIZE_CAP").is_none() {
        // SAFETY: the caller runs this before any other thread exists.
        unsafe { std::env::set_var("MYSQL_ASYNC_BUFFER_SIZE_CAP", MYSQL_BUFFER_KEPT) };
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

    /// mysql_async's pooled buffers are kept small unless the operator says otherwise:
    /// checked in child processes, which set their environment before any thread reads it.
    #[test]
    fn tuning_keeps_mysql_buffers_small_unless_the_operator_sized_them() {
        const TEST: &str = "tests::tuning_keeps_mysql_buffers_small_unless_the_operator_sized_them";
        if let Some(want) = std::env::var_os("ROSTER_TUNE_CHILD") {
            // SAFETY: the child runs this one test alone; no other thread reads variables.
            unsafe { super::tune_environment() };
            assert_eq!(std::env::var_os("MYSQL_ASYNC_BUFFER_SIZE_CAP"), Some(want));
            return;
        }
        for (operator, want) in [(None, super::MYSQL_BUFFER_KEPT), (Some("4096"), "4096")] {
            let mut child = std::process::Command::new(std::env::current_exe().unwrap());
            child
                .args(["--exact", TEST, "--test-threads=1"])
                .env("ROSTER_TUNE_CHILD", want)
                .env_remove("MYSQL_ASYNC_BUFFER_SIZE_CAP");
            if let Some(value) = operator {
                child.env("MYSQL_ASYNC_BUFFER_SIZE_CAP", value);
            }
            let out = child.output().unwrap();
            assert!(
                out.status.success(),
                "{operator:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
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
