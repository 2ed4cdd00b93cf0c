//! The Prometheus endpoint (`--metrics-listen`): scraped after a sync, it shows the run,
//! its counts, the calls that drove it and how long each phase took.

use roster_e2e::TestServer;
use roster_e2e::roster::springfield;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET /metrics`, the body.
async fn scrape(addr: std::net::SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

/// The value of the series `name` with every one of `labels` (`key="value"`).
fn value(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_show_a_runs_counts_after_a_sync() {
    let server =
        TestServer::start_with(|c| c.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let addr = server.metrics_addr().expect("metrics are served");
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let text = scrape(addr).await;
    assert!(text.contains("# HELP roster_sync_runs_total"), "{text}");
    assert!(
        value(
            &text,
            "roster_sync_runs_total",
            &[r#"state="succeeded""#, r#"trigger="manual""#]
        ) >= 1.0
    );
    let created = [r#"kind="student""#, r#"action="created""#];
    assert!(
        value(&text, "roster_sync_records_total", &created) >= 5.0,
        "{text}"
    );
    let start = [
        r#"method="/roster.v1.SyncService/StartSync""#,
        r#"code="OK""#,
    ];
    assert!(
        value(&text, "roster_rpc_requests_total", &start) >= 1.0,
        "{text}"
    );
    assert!(
        value(&text, "roster_rpc_duration_seconds_count", &[]) >= 1.0,
        "{text}"
    );
    let applying = [r#"phase="applying""#];
    assert!(value(&text, "roster_sync_phase_duration_seconds_count", &applying) >= 1.0);
    assert!(text.contains("roster_runs_active"), "{text}");
    // The run settled the district: its roster is kept loaded for the next run.
    assert!(text.contains("# HELP roster_warm_roster_rows"), "{text}");
    server.stop().await;
}
