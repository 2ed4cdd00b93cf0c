//! Metrics for dashboards and alerts: the series of `docs/api.md` ("Metrics"), recorded
//! through the `metrics` facade where things happen (the RPC layer, the worker, the HTTP
//! client of live sources) and rendered in Prometheus text by the exporter crate at
//! `GET /metrics` on `--metrics-listen`. Off unless that flag is given: without an
//! installed recorder every recording is a no-op.
//!
//! The recorder is process-wide (the facade's design), so it is installed once; several
//! servers in one process (the tests) share it and each serves the same text.
//!
//! The process's logs are set up here too ([`init_logs`]), for the server and the bench.

use crate::config::LogFormat;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use tokio::net::TcpListener;

/// Every series the server records, with its help text (`# HELP` lines).
const SERIES: [(&str, &str); 10] = [
    (
        "roster_rpc_requests_total",
        "gRPC calls answered, by method and gRPC status code.",
    ),
    (
        "roster_rpc_duration_seconds",
        "Time to answer a gRPC call, by method.",
    ),
    (
        "roster_sync_runs_total",
        "Sync runs ended, by final state and trigger.",
    ),
    (
        "roster_sync_phase_duration_seconds",
        "Time spent in each phase of a run.",
    ),
    (
        "roster_sync_records_total",
        "Records a succeeded run changed or counted, by kind and action.",
    ),
    (
        "roster_sync_issues_total",
        "Issues runs reported, by issue code.",
    ),
    (
        "roster_source_requests_total",
        "HTTP requests to live sources, by source and HTTP status.",
    ),
    ("roster_runs_active", "Runs this server is working on now."),
    (
        "roster_warm_roster_rows",
        "Roster rows this server keeps loaded between runs, for settled districts' next runs.",
    ),
    (
        "roster_districts_needing_attention",
        "Districts whose sync needs attention (ListSyncHealth).",
    ),
];

/// Sends the process's logs to stderr in `format`, at the levels `RUST_LOG` names, else
/// at `default` (`info` for the server; the bench shows only warnings and errors).
pub fn init_logs(format: LogFormat, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Bucket bounds, in seconds: RPCs take milliseconds, phases up to minutes.
const RPC_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
const PHASE_BUCKETS: [f64; 10] = [0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0, 600.0];

static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// The process's recorder, installed on first use.
fn handle() -> Result<PrometheusHandle, String> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("roster_rpc_duration_seconds".into()),
                    &RPC_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("roster_sync_phase_duration_seconds".into()),
                        &PHASE_BUCKETS,
                    )
                })
                .map_err(|e| e.to_string())?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|e| e.to_string())?;
            for (name, help) in SERIES {
                metrics::describe_counter!(name, help);
            }
            Ok(handle)
        })
        .clone()
}

/// Binds `addr` and serves `GET /metrics` there until the process ends; the address
/// bound (useful with port 0).
pub async fn serve(addr: SocketAddr) -> Result<SocketAddr, String> {
    let handle = handle()?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                (
                    [("content-type", "text/plain; version=0.0.4")],
                    handle.render(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    });
    tracing::info!(%bound, "metrics at /metrics");
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::SERIES;

    /// The dashboard in the repository asks only for series the server records.
    #[test]
    fn the_grafana_dashboard_uses_only_recorded_series() {
        let dashboard = include_str!("../../deploy/grafana/roster-sync.json");
        let names: Vec<&str> = SERIES.iter().map(|(n, _)| *n).collect();
        let mut used = 0;
        for token in dashboard.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if !token.starts_with("roster_") || token == "roster_sync" {
                continue;
            }
            let base = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|s| token.strip_suffix(s))
                .unwrap_or(token);
            assert!(names.contains(&base), "{token} is not a recorded series");
            used += 1;
        }
        assert!(used >= 9, "the dashboard shows the series");
    }
}
