//! The physical floor a sync is measured against: the same CSV files bulk-loaded by the
//! database's own loader (`LOAD DATA LOCAL INFILE` for MySQL/MariaDB, `sqlite3 .import`
//! for SQLite) in one transaction, into plain tables of text columns keyed by the sourced
//! id, timed in the same run as the sync.

use mysql_async::prelude::Queryable;
use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn Error>>;

/// The files of a OneRoster folder that hold rows (the manifest aside).
const FILES: [&str; 4] = ["orgs", "users", "classes", "enrollments"];

/// The columns of a CSV file, from its header.
fn columns(path: &Path) -> Res<Vec<String>> {
    let mut header = String::new();
    BufReader::new(std::fs::File::open(path)?).read_line(&mut header)?;
    Ok(header.trim_end().split(',').map(str::to_owned).collect())
}

/// `CREATE TABLE` with the first column as primary key and text everywhere else.
fn create_table(table: &str, columns: &[String], key_type: &str, quote: char) -> String {
    let cells: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = format!("{quote}{}{quote}", c.replace('.', "_"));
            if i == 0 {
                format!("{name} {key_type} PRIMARY KEY")
            } else {
                format!("{name} TEXT")
            }
        })
        .collect();
    format!("CREATE TABLE {table} ({});", cells.join(", "))
}

fn paths(dir: &Path) -> Vec<PathBuf> {
    FILES.iter().map(|f| dir.join(format!("{f}.csv"))).collect()
}

/// `LOAD DATA LOCAL INFILE` of every file into a scratch database on the server of
/// `url`, dropped afterwards.
pub async fn mysql(url: &str, dir: &Path) -> Res<Duration> {
    let files = paths(dir);
    let opts = mysql_async::OptsBuilder::from_opts(mysql_async::Opts::from_url(url)?)
        .local_infile_handler(Some(mysql_async::WhiteListFsHandler::new(files.clone())));
    let mut conn = mysql_async::Conn::new(opts).await?;
    let scratch = format!("roster_floor_{:016x}", rand::random::<u64>());
    conn.query_drop(format!(
        "CREATE DATABASE {scratch} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    ))
    .await?;
    let loaded = async {
        conn.query_drop(format!("USE {scratch}")).await?;
        for (table, path) in FILES.iter().zip(&files) {
            let sql = create_table(table, &columns(path)?, "VARCHAR(255)", '`');
            conn.query_drop(sql).await?;
        }
        let started = Instant::now();
        conn.query_drop("START TRANSACTION").await?;
        for (table, path) in FILES.iter().zip(&files) {
            conn.query_drop(format!(
                "LOAD DATA LOCAL INFILE '{}' INTO TABLE {table} CHARACTER SET utf8mb4 \
                 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' \
                 LINES TERMINATED BY '\\n' IGNORE 1 LINES",
                path.display()
            ))
            .await?;
        }
        conn.query_drop("COMMIT").await?;
        Res::Ok(started.elapsed())
    }
    .await;
    conn.query_drop(format!("DROP DATABASE {scratch}")).await?;
    conn.disconnect().await?;
    loaded
}

/// `sqlite3 .import` of every file into a scratch database file, removed afterwards.
pub fn sqlite(dir: &Path) -> Res<Duration> {
    let files = paths(dir);
    let db = dir.join("floor.db");
    let mut script = String::new();
    for (table, path) in FILES.iter().zip(&files) {
        script.push_str(&create_table(table, &columns(path)?, "TEXT", '"'));
        script.push('\n');
    }
    script.push_str(".mode csv\nBEGIN;\n");
    for (table, path) in FILES.iter().zip(&files) {
        script.push_str(&format!(".import --skip 1 '{}' {table}\n", path.display()));
    }
    script.push_str("COMMIT;\n");
    let started = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("sqlite3 (the SQLite shell, e.g. apt-get install sqlite3): {e}"))?;
    child
        .stdin
        .take()
        .ok_or("sqlite3 took no input")?
        .write_all(script.as_bytes())?;
    let output = child.wait_with_output()?;
    let took = started.elapsed();
    let _ = std::fs::remove_file(&db);
    let errors = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || !errors.trim().is_empty() {
        return Err(format!("sqlite3 .import failed: {errors}").into());
    }
    Ok(took)
}
