//! What watchers cost the database: opens N `WatchSync` streams on one running run (held
//! by another server's live lease, so it stays RUNNING) and counts the queries MariaDB
//! answers per second while they watch, for N = 1 and N = 1,000 (or the numbers given).
//!
//! ```text
//! cargo run --release -p roster-server --example watch_load -- \
//!   --database-url mysql://root@127.0.0.1:3306/roster_watch [--watchers 1,1000]
//! ```
//! The database must exist and be empty; it is left in place.

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl, SimpleAsyncConnection};
use roster_proto::v1 as pb;
use roster_proto::v1::sync_service_client::SyncServiceClient;
use roster_server::config::ServeConfig;
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(QueryableByName)]
struct Status {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[diesel(column_name = Value)]
    value: String,
}

async fn questions(conn: &mut AsyncMysqlConnection) -> Res<u64> {
    let rows: Vec<Status> = diesel::sql_query("SHOW GLOBAL STATUS LIKE 'Questions'")
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .next()
        .map_or(0, |r| r.value.parse().unwrap_or(0)))
}

#[tokio::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let url = arg("--database-url").ok_or("--database-url mysql://... is required")?;
    let counts: Vec<usize> = arg("--watchers")
        .unwrap_or_else(|| "1,1000".into())
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;
    let mut config = ServeConfig::for_database(&url);
    config.max_watch_streams = 100_000;
    let server = roster_server::server::start(config).await?;
    let endpoint = format!("http://{}", server.addr);
    let mut conn = AsyncMysqlConnection::establish(&url).await?;
    conn.batch_execute(
        "INSERT INTO districts (id, display_name, created_at, updated_at) \
         VALUES (1, 'Watched', NOW(6), NOW(6));
         INSERT INTO sync_runs (id, district_id, active_district_id, state, phase, trigger_kind, \
         dry_run, override_threshold, source, created_at, started_at, heartbeat_at, \
         cancel_requested, progress_done, progress_total, counts, issue_count, error_message, \
         safety_block, lease_owner, lease_token, lease_expires_at, attempts) \
         VALUES (1, 1, 1, 'running', 'fetching', 'manual', FALSE, FALSE, '', NOW(6), NOW(6), \
         NOW(6), FALSE, 0, 0, '{}', 0, '', '', 'elsewhere', 1, '2099-01-01 00:00:00', 1)",
    )
    .await?;
    let window = Duration::from_secs(5);
    for n in counts {
        let mut streams = Vec::with_capacity(n);
        for _ in 0..n {
            let mut client = SyncServiceClient::connect(endpoint.clone()).await?;
            let mut stream = client
                .watch_sync(pb::WatchSyncRequest { run_id: "1".into() })
                .await?
                .into_inner();
            stream.message().await?;
            streams.push((client, stream));
        }
        let before = questions(&mut conn).await?;
        let started = Instant::now();
        tokio::time::sleep(window).await;
        let after = questions(&mut conn).await?;
        let per_second = (after - before) as f64 / started.elapsed().as_secs_f64();
        println!("{n:>6} watchers: {per_second:>8.1} queries/s on the database");
        drop(streams);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}
