//! `roster-server serve` (the default) and `roster-server migrate`.

use clap::Parser;
use roster_server::config::{Cli, Command, LogFormat};
use roster_server::store::Store;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let (command, format) = match cli.command {
        Some(Command::Migrate(db)) => (Err(db), LogFormat::Text),
        Some(Command::Serve(serve)) => {
            let format = serve.log_format;
            (Ok(*serve), format)
        }
        None => {
            let format = cli.serve.log_format;
            (Ok(cli.serve), format)
        }
    };
    init_tracing(format);
    let result = match command {
        Ok(serve) => run(serve).await,
        Err(db) => migrate(db).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("roster-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(config: roster_server::config::ServeConfig) -> Result<(), Box<dyn std::error::Error>> {
    let running = roster_server::server::start(config).await?;
    running.run_until(shutdown_signal()).await?;
    Ok(())
}

async fn migrate(
    db: roster_server::config::DatabaseConfig,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::connect(&db.database_url, 1, db.db_connect_timeout)?;
    store.migrate().await?;
    Ok(())
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
