//! Peak memory of reading hostile and ordinary OneRoster zips (security S5.1).
//!
//! It builds, in a temporary folder:
//!
//! 1. a small zip (about 600 KB) whose `users.csv` inflates to 600 MB, one giant cell;
//! 2. an ordinary roster zip of about 1 MB;
//!
//! then reads each in a fresh child process through the entry point a run uses
//! (`oneroster::csv::read_path` with the default limits, as `sync::fetch` calls it), and
//! prints what the reader answered and the child's peak resident memory (`VmHWM` of
//! `/proc/self/status`), beside the peak of a child that reads nothing.
//!
//! ```text
//! cargo run --release -p roster-server --example inflate_probe
//! ```

use roster_server::sources::oneroster::csv::{CsvLimits, read_path};
use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn Error>>;

const MANIFEST: &str = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n\
                        file.orgs,bulk\nfile.users,bulk\nfile.classes,absent\n\
                        file.enrollments,absent\nfile.demographics,absent\n";
const ORGS: &str = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
                    dist-1,active,2026-01-01,The District,district,D1,\n\
                    sch-1,active,2026-01-01,North Elementary,school,N1,dist-1\n";
const USERS_HEADER: &str = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,\
                            username,userIds,givenName,familyName,middleName,identifier,email,\
                            sms,phone,agentSourcedIds,grades,password\n";

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--read") => return read_child(Path::new(&args[2])),
        Some("--baseline") => {
            println!("{}", peak_kib()?);
            return Ok(());
        }
        _ => {}
    }
    let dir = std::env::temp_dir().join(format!("inflate_probe_{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir)?;
    let result = probe(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn probe(dir: &Path) -> Res<()> {
    let baseline: u64 = child(&["--baseline"])?.trim().parse()?;
    println!("child process reading nothing: peak RSS {}", mib(baseline));

    let giant = dir.join("giant-cell.zip");
    let started = Instant::now();
    let inflated = giant_cell_zip(&giant, 600 << 20)?;
    println!(
        "\ngiant-cell zip: {} on disk, users.csv {} inflated (built in {:.1?})",
        size(std::fs::metadata(&giant)?.len()),
        size(inflated),
        started.elapsed()
    );
    report(&giant)?;

    let normal = dir.join("roster.zip");
    let (rows, inflated) = normal_zip(&normal, 1 << 20)?;
    println!(
        "\nordinary roster zip: {} on disk, users.csv {} inflated ({rows} users)",
        size(std::fs::metadata(&normal)?.len()),
        size(inflated),
    );
    report(&normal)
}

/// Reads `zip` in a child and prints its answer and peak memory.
fn report(zip: &Path) -> Res<()> {
    let out = child(&["--read", zip.to_str().ok_or("path")?])?;
    for line in out.lines() {
        println!("  {line}");
    }
    Ok(())
}

fn child(args: &[&str]) -> Res<String> {
    let out = Command::new(std::env::current_exe()?).args(args).output()?;
    if !out.status.success() {
        return Err(format!("child failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// In the child: reads the zip as a run does, then reports.
fn read_child(zip: &Path) -> Res<()> {
    let started = Instant::now();
    let result = read_path(zip, &CsvLimits::default());
    let took = started.elapsed();
    match result {
        Ok(snap) => println!(
            "read: {} students, {} issues, in {took:.1?}",
            snap.students.len(),
            snap.issues.len()
        ),
        Err(err) => println!("refused in {took:.1?}: {err}"),
    }
    println!("peak RSS (VmHWM): {}", mib(peak_kib()?));
    Ok(())
}

/// `VmHWM` of this process, in KiB.
fn peak_kib() -> Res<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("VmHWM without a value")?
        .parse()?)
}

fn zip_writer(path: &Path) -> Res<zip::ZipWriter<BufWriter<File>>> {
    Ok(zip::ZipWriter::new(BufWriter::new(File::create(path)?)))
}

fn options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true)
}

/// A zip whose `users.csv` is one row with a given name of about `bytes` bytes, written
/// a chunk at a time so building it takes little memory either.
fn giant_cell_zip(path: &Path, bytes: u64) -> Res<u64> {
    let mut zip = zip_writer(path)?;
    zip.start_file("manifest.csv", options())?;
    zip.write_all(MANIFEST.as_bytes())?;
    zip.start_file("orgs.csv", options())?;
    zip.write_all(ORGS.as_bytes())?;
    zip.start_file("users.csv", options())?;
    let head = format!("{USERS_HEADER}stu-1,active,2026-01-01,TRUE,sch-1,student,stu-1,,");
    zip.write_all(head.as_bytes())?;
    let chunk = vec![b'a'; 1 << 20];
    let mut written = head.len() as u64;
    while written < bytes {
        zip.write_all(&chunk)?;
        written += chunk.len() as u64;
    }
    let tail = b",Giant,,SIS-1,,,,,04,\n";
    zip.write_all(tail)?;
    zip.finish()?;
    Ok(written + tail.len() as u64)
}

/// An ordinary roster: students with varied names and emails, until the zip would be
/// about `target` bytes. Returns the users and the inflated size of `users.csv`.
fn normal_zip(path: &Path, target: u64) -> Res<(u64, u64)> {
    const GIVEN: [&str; 12] = [
        "Ava", "Liam", "Mia", "Noah", "Zoe", "Eli", "Ivy", "Leo", "Ruby", "Owen", "Nora", "Finn",
    ];
    const FAMILY: [&str; 12] = [
        "Smith", "Garcia", "Nguyen", "Johnson", "Brown", "Martinez", "Lee", "Walker", "Patel",
        "Lopez", "Kim", "Clark",
    ];
    // Such a row is about 120 bytes, and deflate shrinks it to about 20.
    let rows = target / 20;
    let mut zip = zip_writer(path)?;
    zip.start_file("manifest.csv", options())?;
    zip.write_all(MANIFEST.as_bytes())?;
    zip.start_file("orgs.csv", options())?;
    zip.write_all(ORGS.as_bytes())?;
    zip.start_file("users.csv", options())?;
    zip.write_all(USERS_HEADER.as_bytes())?;
    let mut inflated = USERS_HEADER.len() as u64;
    for n in 0..rows {
        let given = GIVEN[rand::random_range(0..GIVEN.len())];
        let family = FAMILY[rand::random_range(0..FAMILY.len())];
        let code: u32 = rand::random();
        let row = format!(
            "stu-{n:07},active,2026-01-01,TRUE,sch-1,student,stu-{n},,{given},{family},,\
             SIS-{code:08x},{given}.{family}{n}@kids.example.org,,,,0{},\n",
            n % 9 + 1
        );
        zip.write_all(row.as_bytes())?;
        inflated += row.len() as u64;
    }
    zip.finish()?;
    Ok((rows, inflated))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    }
}
