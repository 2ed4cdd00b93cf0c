//! `roster-server serve` (the default), `migrate`, `keys create`, `secrets finish-rollout`.

use clap::Parser;
use roster_server::access::audit::{self, Change};
use roster_server::access::keys::{self, NewKey};
use roster_server::config::{
    Cli, Command, CreateKey, DatabaseConfig, KeyRole, KeysCommand, LogFormat, SecretsCommand,
    ServeConfig,
};
use roster_server::domain::{ApiKeyRole, Caller};
use roster_server::store::Store;
use roster_server::store::queries::settings;
use std::process::ExitCode;

type Res = Result<(), Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    // SAFETY: the first thing the process does, before any other thread exists.
    unsafe { roster_server::tune_environment() };
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("roster-server: no runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    let format = match &cli.command {
        Some(Command::Serve(serve)) => serve.log_format,
        None => cli.serve.log_format,
        Some(_) => LogFormat::Text,
    };
    roster_server::telemetry::init_logs(format, "info");
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(config)) => serve(*config).await,
        Some(Command::Migrate(db)) => migrate(db).await,
        Some(Command::Keys(KeysCommand::Create(key))) => create_key(key).await,
        Some(Command::Secrets(SecretsCommand::FinishRollout(db))) => finish_rollout(db).await,
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

async fn serve(config: ServeConfig) -> Res {
    let running = roster_server::server::start(config).await?;
    running.run_until(shutdown_signal()).await?;
    Ok(())
}

async fn store(db: &DatabaseConfig) -> Result<Store, Box<dyn std::error::Error>> {
    let store = Store::connect(&db.database_url, 1, db.db_connect_timeout)?;
    store.migrate().await?;
    Ok(store)
}

async fn migrate(db: DatabaseConfig) -> Res {
    store(&db).await?;
    Ok(())
}

/// Prints the key alone on stdout (for scripts); what it is on stderr.
async fn create_key(key: CreateKey) -> Res {
    let store = store(&key.database).await?;
    let role = match key.role {
        KeyRole::Admin => ApiKeyRole::Admin,
        KeyRole::Operator => ApiKeyRole::Operator,
        KeyRole::Reader => ApiKeyRole::Reader,
    };
    let (created, secret) = keys::create(
        &store,
        NewKey {
            display_name: key.name,
            role,
            district_ids: key.districts,
            all_districts: key.all_districts,
            rate_limit_per_second: 0,
        },
    )
    .await?;
    // Made outside the API, the key is audited all the same (S2.1): by whoever ran this.
    let who = std::env::var("USER").unwrap_or_default();
    audit::record(
        &store,
        &Caller::unrestricted(format!("command line ({who})")),
        "roster-server keys create",
        Change {
            district_id: None,
            target_id: Some(created.row.id),
            fields: ["display_name", "role", "district_ids", "all_districts"]
                .map(String::from)
                .to_vec(),
        },
    )
    .await?;
    eprintln!(
        "created {} key {} ({}); it is shown once, here:",
        role, created.row.id, created.row.display_name
    );
    println!("{secret}");
    Ok(())
}

async fn finish_rollout(db: DatabaseConfig) -> Res {
    let store = store(&db).await?;
    let cleared = settings::drop_plain(&mut store.conn().await?).await?;
    eprintln!("cleared {cleared} plain secret(s) the previous release stored; sealed copies stay");
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
