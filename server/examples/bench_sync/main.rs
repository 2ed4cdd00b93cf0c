//! Benchmark of a full district sync, end to end, in a release build.
//!
//! It generates a realistic OneRoster 1.1 CSV district (N students in N/500 schools,
//! 1.6 guardians per student with siblings sharing guardians, one teacher per 15 students,
//! two administrators per school, one class per 25 students, six classes per student),
//! starts the server in-process on a fresh database, and times through the gRPC API:
//!
//! 1. the first sync (everything created), from `StartSync` until the run is final;
//! 2. a second sync of the unchanged source (nothing may be created, updated or abandoned):
//!    the first sync settled the district on it, so it is not planned (R7.4);
//! 3. the same once more, which must report what the second did;
//! 4. a sync after 1% of the students changed their given name, planned in full.
//!
//! Before the syncs it measures the floor in the same run: the same CSV files bulk-loaded
//! by the database's own loader in one transaction (`LOAD DATA LOCAL INFILE` into
//! MySQL/MariaDB, `sqlite3 .import` for SQLite; see `floor.rs`). It then prints the counts
//! of each run, each time as a ratio of the floor, the peak resident memory of the process
//! (the server runs in it, so that is the server's peak) per CSV row, and a summary line.
//!
//! ```text
//! cargo run --release -p roster-server --example bench_sync -- [--students N] [--database-url URL]
//! ```
//!
//! The server's warnings and errors go to stderr (`RUST_LOG` for more): a figure from a
//! run whose lease lapsed or whose apply was retried must say so.
//!
//! `N` defaults to 100000. The database defaults to a new SQLite file in the temp folder,
//! removed at the end. For MySQL, pass an empty database; it is left in place, so drop and
//! re-create it before the next run:
//!
//! ```text
//! mysql -uroot -h127.0.0.1 -e 'DROP DATABASE IF EXISTS roster_bench;
//!   CREATE DATABASE roster_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'
//! cargo run --release -p roster-server --example bench_sync -- \
//!   --database-url mysql://root@127.0.0.1:3306/roster_bench
//! ```

use roster_proto::tonic::Code;
use roster_proto::tonic::transport::Channel;
use roster_proto::v1 as pb;
use roster_proto::v1::directory_service_client::DirectoryServiceClient;
use roster_proto::v1::sync_service_client::SyncServiceClient;
use roster_server::config::{LogFormat, ServeConfig};
use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod floor;

type Res<T> = Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: bench_sync [--students N] [--database-url URL]";
const DATE: &str = "2026-01-01";
const GRADES: [&str; 13] = [
    "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12",
];
const AREAS: [&str; 10] = [
    "603", "617", "212", "415", "312", "206", "303", "512", "404", "305",
];
const CHILDREN: [&str; 12] = [
    "Ava", "Liam", "Mia", "Noah", "Zoe", "Eli", "Ivy", "Leo", "Ruby", "Owen", "Nora", "Finn",
];
const ADULTS: [&str; 12] = [
    "Anna", "Mark", "Julia", "Peter", "Sara", "David", "Laura", "James", "Maria", "Paul", "Helen",
    "Carlos",
];
const FAMILIES: [&str; 16] = [
    "Smith", "Garcia", "Nguyen", "Johnson", "Brown", "Martinez", "Lee", "Walker", "Patel", "Lopez",
    "Kim", "Clark", "Lewis", "Young", "Hall", "Allen",
];

/// Families come in blocks of ten students: (first guardian in the block, how many). Two
/// students have one guardian, seven have two, and the tenth is a sibling of the ninth and
/// shares both: 16 guardians per 10 students.
const FAMILY_PLAN: [(u64, u64); 10] = [
    (0, 1),
    (1, 2),
    (3, 2),
    (5, 2),
    (7, 2),
    (9, 1),
    (10, 2),
    (12, 2),
    (14, 2),
    (14, 2),
];

/// The guardians student `s` lists: (first guardian index, count).
fn guardians_of(s: u64) -> (u64, u64) {
    let (offset, count) = FAMILY_PLAN[(s % 10) as usize];
    (s / 10 * 16 + offset, count)
}

/// A sibling shares the previous student's guardians (and family name).
fn is_sibling(s: u64) -> bool {
    s % 10 == 9
}

/// A unique, valid US number for guardian `i`: real area codes, exchanges 200-899 but 555.
fn guardian_phone(i: u64) -> String {
    let area = AREAS[(i % 10) as usize];
    let rest = i / 10;
    let mut exchange = 200 + (rest / 10_000) % 699;
    if exchange >= 555 {
        exchange += 1;
    }
    format!("({area}) {exchange:03}-{:04}", rest % 10_000)
}

fn csv_cell(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// One users.csv row, in the column order of the header below.
#[derive(Default)]
struct UserRow<'a> {
    id: &'a str,
    org: &'a str,
    role: &'a str,
    given: &'a str,
    family: &'a str,
    email: &'a str,
    sms: &'a str,
    agents: &'a str,
    grade: &'a str,
}

impl UserRow<'_> {
    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        let UserRow {
            id,
            org,
            role,
            given,
            family,
            email,
            sms,
            agents,
            grade,
        } = self;
        let agents = csv_cell(agents);
        writeln!(
            w,
            "{id},active,{DATE},TRUE,{org},{role},{id},,{given},{family},,SIS-{id},{email},{sms},,{agents},{grade},"
        )
    }
}

#[derive(Debug, Default)]
struct District {
    schools: u64,
    guardians: u64,
    staff: u64,
    classes: u64,
    enrollments: u64,
    /// Data rows of orgs, users, classes and enrollments (headers not counted).
    rows: u64,
}

/// Writes the district as a OneRoster CSV folder; with `changed`, every hundredth
/// student has another given name.
fn generate(dir: &Path, students: u64, changed: bool) -> io::Result<District> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("manifest.csv"),
        "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\nfile.classes,bulk\nfile.enrollments,bulk\nfile.demographics,absent\n",
    )?;
    let open = |name: &str| File::create(dir.join(name)).map(BufWriter::new);
    let mut orgs = open("orgs.csv")?;
    let mut users = open("users.csv")?;
    let mut classes = open("classes.csv")?;
    let mut enrollments = open("enrollments.csv")?;
    writeln!(
        orgs,
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"
    )?;
    writeln!(orgs, "dist-1,active,{DATE},Bench District,district,D1,")?;
    writeln!(
        users,
        "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password"
    )?;
    writeln!(
        classes,
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds"
    )?;
    writeln!(
        enrollments,
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate"
    )?;

    let schools = (students / 500).max(1);
    let mut d = District {
        schools,
        ..Default::default()
    };
    let (mut teacher_base, mut class_base) = (0u64, 0u64);
    for k in 0..schools {
        let school = format!("sch-{k}");
        writeln!(
            orgs,
            "{school},active,{DATE},School {k},school,{school},dist-1"
        )?;
        let lo = (k * students).div_ceil(schools);
        let hi = ((k + 1) * students).div_ceil(schools);
        let count = hi - lo;
        let teachers = (count / 15).max(1);
        let class_count = (count / 25).max(1);
        let per_student = class_count.min(6);

        for s in lo..hi {
            let local = s - lo;
            let (first, n) = guardians_of(s);
            let family_key = if is_sibling(s) { s - 1 } else { s };
            let family = FAMILIES[(family_key as usize * 7) % FAMILIES.len()];
            let agents: Vec<String> = (first..first + n).map(|i| format!("par-{i}")).collect();
            let id = format!("stu-{s}");
            let given = if changed && s % 100 == 0 {
                "Changed"
            } else {
                CHILDREN[(s as usize * 5) % CHILDREN.len()]
            };
            UserRow {
                id: &id,
                org: &school,
                role: "student",
                given,
                family,
                agents: &agents.join(","),
                grade: GRADES[(local * 13 / count) as usize],
                ..Default::default()
            }
            .write(&mut users)?;
            if !is_sibling(s) {
                for (i, guardian) in (first..first + n).zip(&agents) {
                    UserRow {
                        id: guardian,
                        role: "guardian",
                        given: ADULTS[(i as usize * 7) % ADULTS.len()],
                        family,
                        email: &format!("g{i}@families.example.org"),
                        sms: &guardian_phone(i),
                        ..Default::default()
                    }
                    .write(&mut users)?;
                }
                d.guardians += n;
            }
            let home = local * class_count / count;
            for j in 0..per_student {
                let class = class_base + (home + j) % class_count;
                writeln!(
                    enrollments,
                    "enr-cls-{class}-{id},active,{DATE},cls-{class},{school},{id},student,FALSE,,"
                )?;
            }
            d.enrollments += per_student;
        }

        for t in teacher_base..teacher_base + teachers {
            UserRow {
                id: &format!("tch-{t}"),
                org: &school,
                role: "teacher",
                given: ADULTS[(t as usize * 5) % ADULTS.len()],
                family: FAMILIES[(t as usize * 3) % FAMILIES.len()],
                email: &format!("t{t}@staff.example.org"),
                ..Default::default()
            }
            .write(&mut users)?;
        }
        for j in 0..2 {
            UserRow {
                id: &format!("adm-{k}-{j}"),
                org: &school,
                role: "administrator",
                given: ADULTS[(k as usize + j) % ADULTS.len()],
                family: FAMILIES[(k as usize * 5 + j) % FAMILIES.len()],
                email: &format!("admin{k}-{j}@staff.example.org"),
                ..Default::default()
            }
            .write(&mut users)?;
        }
        d.staff += teachers + 2;

        for c in 0..class_count {
            let class = class_base + c;
            let grade = GRADES[(c * 13 / class_count) as usize];
            writeln!(
                classes,
                "cls-{class},active,{DATE},Grade {grade} Section {},{grade},crs-1,cls-{class},scheduled,,{school},term-1",
                c + 1
            )?;
            let teacher = teacher_base + c % teachers;
            writeln!(
                enrollments,
                "enr-cls-{class}-tch-{teacher},active,{DATE},cls-{class},{school},tch-{teacher},teacher,FALSE,,"
            )?;
        }
        d.classes += class_count;
        d.enrollments += class_count;
        teacher_base += teachers;
        class_base += class_count;
    }
    for w in [&mut orgs, &mut users, &mut classes, &mut enrollments] {
        w.flush()?;
    }
    d.rows = 1 + schools + students + d.guardians + d.staff + d.classes + d.enrollments;
    Ok(d)
}

/// Starts a sync of the `district` folder and polls it every 20 ms until it is final: a
/// coarser poll added up to its interval to each figure.
/// Also returns the process's peak resident memory during the run, in kB, where Linux
/// lets the peak be reset.
async fn run_sync(
    sync: &mut SyncServiceClient<Channel>,
    district_id: &str,
) -> Res<(pb::SyncRun, Duration, Option<u64>)> {
    let peak_reset = reset_peak_rss();
    let started = Instant::now();
    let request = pb::StartSyncRequest {
        district_id: district_id.to_owned(),
        source: Some(pb::SyncSource {
            kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                pb::OneRosterCsvPath {
                    path: "district".into(),
                },
            )),
        }),
        dry_run: false,
        override_safety_threshold: false,
        request_id: String::new(),
    };
    let mut run = sync
        .start_sync(request)
        .await?
        .into_inner()
        .run
        .ok_or("StartSync returned no run")?;
    let (mut phase, mut transient) = (0, 0);
    // The distinct progress values seen while applying: a bar that moves, not 0 then all.
    let mut applying = std::collections::BTreeSet::new();
    while run.state < pb::SyncState::Succeeded as i32 {
        if run.phase == pb::SyncPhase::Applying as i32
            && let Some(progress) = &run.progress
        {
            applying.insert(progress.records_done);
        }
        if run.phase != phase {
            phase = run.phase;
            let name = pb::SyncPhase::try_from(phase)
                .map(|p| p.as_str_name())
                .unwrap_or("?");
            // Memory now, and the peak so far: which phase before this one held the most.
            let peak = match (rss_kb("VmRSS:"), peak_rss_kb().filter(|_| peak_reset)) {
                (Some(now), Some(peak)) => {
                    format!(
                        "  (memory {} MB, peak so far {} MB)",
                        now / 1024,
                        peak / 1024
                    )
                }
                _ => String::new(),
            };
            println!(
                "  {:>8.1}s  {}{peak}",
                started.elapsed().as_secs_f64(),
                name.trim_start_matches("SYNC_PHASE_")
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let status = pb::GetSyncStatusRequest {
            run_id: run.run_id.clone(),
        };
        match sync.get_sync_status(status).await {
            Ok(response) => {
                run = response
                    .into_inner()
                    .run
                    .ok_or("GetSyncStatus returned no run")?
            }
            // A busy store may answer a poll late; only give up if that persists.
            Err(e)
                if matches!(
                    e.code(),
                    Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted
                ) && transient < 50 =>
            {
                transient += 1;
                eprintln!("  GetSyncStatus: {} (retrying)", e.message());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let took = started.elapsed();
    if !applying.is_empty() {
        println!(
            "  progress while applying seen at {} points: {:?}",
            applying.len(),
            applying.iter().take(8).collect::<Vec<_>>()
        );
    }
    Ok((run, took, peak_rss_kb().filter(|_| peak_reset)))
}

/// Prints a run's counts and, when it has issues, the first few of them.
async fn report(
    sync: &mut SyncServiceClient<Channel>,
    run: &pb::SyncRun,
    took: Duration,
    peak_kb: Option<u64>,
) -> Res<()> {
    let state = pb::SyncState::try_from(run.state)
        .map(|s| s.as_str_name())
        .unwrap_or("?");
    let peak = peak_kb.map_or(String::new(), |kb| {
        format!(", peak RSS during the run {} MB", kb / 1024)
    });
    println!("  {state} in {:.1}s{peak}", took.as_secs_f64());
    println!(
        "  {:<22}{:>9}{:>9}{:>10}{:>10}{:>9}{:>8}{:>8}",
        "kind", "created", "updated", "unchanged", "abandoned", "restored", "skipped", "invalid"
    );
    for c in &run.counts {
        let kind = pb::RecordKind::try_from(c.record_kind)
            .map(|k| k.as_str_name())
            .unwrap_or("?");
        println!(
            "  {:<22}{:>9}{:>9}{:>10}{:>10}{:>9}{:>8}{:>8}",
            kind.trim_start_matches("RECORD_KIND_"),
            c.created,
            c.updated,
            c.unchanged,
            c.abandoned,
            c.restored,
            c.skipped,
            c.invalid
        );
    }
    println!("  issues: {}", run.issue_count);
    if run.issue_count > 0 {
        let request = pb::ListSyncIssuesRequest {
            run_id: run.run_id.clone(),
            page_size: 5,
            ..Default::default()
        };
        for i in sync.list_sync_issues(request).await?.into_inner().issues {
            println!(
                "    {} {}:{} {}: {}",
                i.code, i.source_file, i.source_line, i.source_id, i.message
            );
        }
    }
    if run.state != pb::SyncState::Succeeded as i32 {
        return Err(format!(
            "run {} ended {state}: {} {:?}",
            run.run_id, run.error_message, run.safety_block
        )
        .into());
    }
    Ok(())
}

/// Resets the process's peak resident set size to its current size (Linux 4.0 and later),
/// so that the next reading is the peak of what follows; `false` where it cannot.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A memory line of `/proc/self/status` (`VmRSS:`, `VmHWM:`) in kB (Linux only).
fn rss_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The process's peak resident set size in kB (Linux only).
fn peak_rss_kb() -> Option<u64> {
    rss_kb("VmHWM:")
}

/// Removes the generated files and the SQLite database, also when the benchmark fails.
struct Cleanup {
    dir: PathBuf,
    sqlite: Option<PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(db) = &self.sqlite {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
        }
    }
}

/// The server runs in this process, tuned as `roster-server` tunes itself.
fn main() -> Res<()> {
    // SAFETY: the first thing the process does, before any other thread exists.
    unsafe { roster_server::tune_environment() };
    roster_server::telemetry::init_logs(LogFormat::Text, "warn");
    tokio::runtime::Runtime::new()?.block_on(bench())
}

async fn bench() -> Res<()> {
    let (mut students, mut database_url) = (100_000u64, None::<String>);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--students" => {
                let value = args.next().ok_or("--students needs a value")?;
                students = value
                    .parse()
                    .map_err(|_| format!("--students: `{value}` is not a number"))?;
            }
            "--database-url" => {
                database_url = Some(args.next().ok_or("--database-url needs a value")?)
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}").into()),
        }
    }
    if students == 0 {
        return Err("--students must be at least 1".into());
    }

    let tag = format!("{:016x}", rand::random::<u64>());
    let work = std::env::temp_dir().join(format!("roster_bench_{tag}"));
    let (url, sqlite) = match database_url {
        Some(url) => (url, None),
        None => {
            let path = std::env::temp_dir().join(format!("roster_bench_{tag}.db"));
            (format!("sqlite://{}", path.display()), Some(path))
        }
    };
    let backend = if url.starts_with("mysql") {
        "mysql"
    } else {
        "sqlite"
    };
    let cleanup = Cleanup {
        dir: work.clone(),
        sqlite,
    };

    let generating = Instant::now();
    let folder = work.join("import").join("district");
    let district = generate(&folder, students, false)?;
    println!(
        "generated {students} students, {} guardians, {} staff, {} classes, {} enrollments in {} schools: {} rows in {:.1}s",
        district.guardians,
        district.staff,
        district.classes,
        district.enrollments,
        district.schools,
        district.rows,
        generating.elapsed().as_secs_f64()
    );

    let floor = if backend == "mysql" {
        floor::mysql(&url, &folder).await?
    } else {
        floor::sqlite(&folder)?
    };
    let loader = if backend == "mysql" {
        "LOAD DATA LOCAL INFILE"
    } else {
        "sqlite3 .import"
    };
    println!(
        "floor: {loader} of the same {} CSV rows in one transaction: {:.2}s",
        district.rows,
        floor.as_secs_f64()
    );

    std::fs::create_dir_all(work.join("data"))?;
    let mut config = ServeConfig::for_database(&url);
    config.import_dir = work.join("import");
    config.data_dir = work.join("data");
    let running = roster_server::server::start(config).await?;
    let channel = Channel::from_shared(format!("http://{}", running.addr))?
        .connect()
        .await?;
    let mut directory = DirectoryServiceClient::new(channel.clone());
    let mut sync = SyncServiceClient::new(channel);
    println!("server on {} ({backend})", running.addr);

    let district_id = directory
        .create_district(pb::CreateDistrictRequest {
            display_name: "Bench District".into(),
        })
        .await?
        .into_inner()
        .district
        .ok_or("CreateDistrict returned no district")?
        .id;

    println!("full sync:");
    let (first, full_sync, first_peak) = run_sync(&mut sync, &district_id).await?;
    report(&mut sync, &first, full_sync, first_peak).await?;

    println!("resync of the unchanged source:");
    let (second, resync, second_peak) = run_sync(&mut sync, &district_id).await?;
    report(&mut sync, &second, resync, second_peak).await?;
    let changed: Vec<&pb::RecordCounts> = second
        .counts
        .iter()
        .filter(|c| c.created != 0 || c.updated != 0 || c.abandoned != 0)
        .collect();
    if !changed.is_empty() {
        return Err(
            format!("the resync of an unchanged source changed records: {changed:?}").into(),
        );
    }

    println!("resync of the unchanged source again (settled by the first sync too):");
    let (fourth, settled_resync, fourth_peak) = run_sync(&mut sync, &district_id).await?;
    report(&mut sync, &fourth, settled_resync, fourth_peak).await?;
    if (&fourth.counts, fourth.issue_count) != (&second.counts, second.issue_count) {
        return Err(format!(
            "the settled resync reported otherwise than the resync before it: {:?} against {:?}",
            fourth.counts, second.counts
        )
        .into());
    }

    println!("resync after 1% of the students changed:");
    generate(&folder, students, true)?;
    let (third, changed_sync, third_peak) = run_sync(&mut sync, &district_id).await?;
    report(&mut sync, &third, changed_sync, third_peak).await?;
    let updated: i64 = third
        .counts
        .iter()
        .filter(|c| c.record_kind == pb::RecordKind::Student as i32)
        .map(|c| c.updated)
        .sum();
    if updated != students.div_ceil(100) as i64 {
        return Err(format!(
            "expected {} students updated, not {updated}",
            students.div_ceil(100)
        )
        .into());
    }

    // The highest of the runs' peaks where each was measured alone, else the process's.
    let peak_kb = [first_peak, second_peak, third_peak, fourth_peak]
        .into_iter()
        .max()
        .flatten()
        .or_else(peak_rss_kb);
    let peak = peak_kb.map_or("n/a".to_owned(), |kb| format!("{} MB", kb / 1024));
    println!("peak RSS (VmHWM): {peak}");
    let ratio = |took: Duration| took.as_secs_f64() / floor.as_secs_f64();
    println!("against the floor ({loader}, {:.2}s):", floor.as_secs_f64());
    for (what, took, goal) in [
        (
            "full sync",
            full_sync,
            if backend == "mysql" { 2.5 } else { 3.0 },
        ),
        ("unchanged resync", resync, 0.5),
        ("unchanged, settled", settled_resync, 0.5),
        ("1%-changed resync", changed_sync, 0.75),
    ] {
        println!(
            "  {what:<18} {:>7.2}s  {:>5.2}x the floor (goal {goal}x)",
            took.as_secs_f64(),
            ratio(took)
        );
    }
    if let Some(kb) = peak_kb {
        println!(
            "  peak memory        {:>7} bytes per CSV row (goal 512)",
            kb * 1024 / district.rows
        );
    }
    println!(
        "students={students} rows={} backend={backend} floor={:.2}s full_sync={:.1}s ({:.2}x) resync={:.1}s ({:.2}x) settled_resync={:.1}s ({:.2}x) changed_resync={:.1}s ({:.2}x) peak_rss={peak}",
        district.rows,
        floor.as_secs_f64(),
        full_sync.as_secs_f64(),
        ratio(full_sync),
        resync.as_secs_f64(),
        ratio(resync),
        settled_resync.as_secs_f64(),
        ratio(settled_resync),
        changed_sync.as_secs_f64(),
        ratio(changed_sync)
    );

    running.shutdown().await?;
    drop(cleanup);
    Ok(())
}
