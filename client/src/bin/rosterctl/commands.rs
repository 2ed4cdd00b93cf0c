//! Running a parsed command line: connect, call, print.

use crate::Failure;
use crate::cli::{
    AbandonedCommand, ClassesCommand, Cli, Command, DistrictCommand, GuardiansCommand,
    MembersCommand, OutputFormat, SchoolsCommand, SettingsCommand, SettingsSetArgs, StaffCommand,
    StudentsCommand, UploadArgs,
};
use crate::{access_cmd, directory_cmd, output, secrets, sync_cmd};
use clap::CommandFactory;
use futures::TryStreamExt;
use roster_client::{AbandonedFilter, RosterClient, SettingsUpdate, SyncSourceInput};
use std::io::Write as _;
use std::process::ExitCode;

/// Page size of the lists rosterctl prints: few round trips, small messages.
const PAGE_SIZE: u32 = 500;

pub async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    if let Command::Completions { shell } = cli.command {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "rosterctl", &mut script);
        return match std::io::stdout().write_all(&script) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Failure::Local(format!("cannot write the script: {e}")))
            }
            _ => Ok(ExitCode::SUCCESS),
        };
    }
    let client = RosterClient::builder()
        .endpoint(cli.server)
        .bearer_token(cli.token.unwrap_or_default())
        .page_size(PAGE_SIZE)
        .connect()
        .await?;
    let format = cli.output;
    match cli.command {
        Command::Sync(command) => return sync_cmd::run(&client, command, format).await,
        Command::District(command) => district(&client, command, format).await?,
        Command::Settings(command) => settings(&client, command, format).await?,
        Command::Abandoned(command) => abandoned(&client, command, format).await?,
        Command::Schools(SchoolsCommand::List { district_id }) => {
            let schools: Vec<_> = client.list_schools(&district_id).try_collect().await?;
            output::print(format, schools.as_slice(), output::schools)?;
        }
        Command::Students(StudentsCommand::List { school, status }) => {
            let students: Vec<_> = client.list_students(&school, status).try_collect().await?;
            output::print(format, students.as_slice(), output::students)?;
        }
        Command::Upload(args) => upload(&client, args, format).await?,
        Command::Keys(command) => access_cmd::keys(&client, command, format).await?,
        Command::Audit(args) => access_cmd::audit(&client, args, format).await?,
        Command::Erase(command) => access_cmd::erase(&client, command, format).await?,
        Command::Suppressions(command) => {
            access_cmd::suppressions(&client, command, format).await?
        }
        Command::Guardians(GuardiansCommand::List { school, status }) => {
            let list: Vec<_> = client.list_guardians(&school, status).try_collect().await?;
            output::print(format, list.as_slice(), output::guardians)?;
        }
        Command::Staff(StaffCommand::List { school }) => {
            let list: Vec<_> = client.list_staff(&school).try_collect().await?;
            output::print(format, list.as_slice(), output::staff)?;
        }
        Command::Classes(ClassesCommand::List { school, status }) => {
            let list: Vec<_> = client.list_classes(&school, status).try_collect().await?;
            output::print(format, list.as_slice(), output::classes)?;
        }
        Command::Members(MembersCommand::List { class_id, status }) => {
            let list: Vec<_> = client
                .list_class_members(&class_id, status)
                .try_collect()
                .await?;
            output::print(format, list.as_slice(), output::members)?;
        }
        Command::Access { guardian_id } => {
            let access = client.get_guardian_access(&guardian_id).await?;
            output::print(format, &access, output::access)?;
        }
        Command::Search(args) => directory_cmd::search(&client, args, format).await?,
        Command::Get(command) => directory_cmd::get(&client, command, format).await?,
        Command::History { record_id } => {
            let entries: Vec<_> = client.list_record_history(&record_id).try_collect().await?;
            output::print(format, entries.as_slice(), output::history)?;
        }
        Command::Health(args) => directory_cmd::health(&client, args, format).await?,
        Command::Completions { .. } => unreachable!("answered before connecting"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn district(
    client: &RosterClient,
    command: DistrictCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        DistrictCommand::Create { name } => {
            let district = client.create_district(&name).await?;
            output::print(format, &district, output::district)
        }
        DistrictCommand::List => {
            let districts: Vec<_> = client.list_districts().try_collect().await?;
            output::print(format, districts.as_slice(), output::districts)
        }
        DistrictCommand::Get { district_id } => {
            let district = client.get_district(&district_id).await?;
            output::print(format, &district, output::district)
        }
    }
}

async fn settings(
    client: &RosterClient,
    command: SettingsCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    let settings = match command {
        SettingsCommand::Get { district_id } => client.get_sync_settings(&district_id).await?,
        SettingsCommand::Set(args) => {
            let district_id = args.district_id.clone();
            let update = settings_update(*args)?;
            if update.is_empty() {
                return Err(Failure::Local(
                    "nothing to change: name at least one setting (see `rosterctl settings set --help`)"
                        .to_owned(),
                ));
            }
            client.update_sync_settings(&district_id, update).await?
        }
    };
    output::print(format, &settings, output::settings)
}

/// The settings the flags name; the rest stays `None` (unchanged).
fn settings_update(args: SettingsSetArgs) -> Result<SettingsUpdate, Failure> {
    let secret = secrets::from_flags(&args)?;
    let source = if let Some(path) = args.csv_path {
        Some(SyncSourceInput::csv_path(path))
    } else if let Some(upload_id) = args.upload_id {
        Some(SyncSourceInput::upload(upload_id))
    } else if args.clever || args.clever_token.is_some() {
        Some(SyncSourceInput::Clever {
            base_url: args.clever_url,
            district_token: secret,
        })
    } else if let Some(base_url) = args.oneroster_url {
        Some(
            match (
                args.oauth1_key,
                args.oauth2_token_url,
                args.oauth2_client_id,
            ) {
                (Some(consumer_key), None, _) => SyncSourceInput::OneRosterRestOAuth1 {
                    base_url,
                    consumer_key,
                    consumer_secret: secret,
                },
                (None, Some(token_url), Some(client_id)) => SyncSourceInput::OneRosterRestOAuth2 {
                    base_url,
                    token_url,
                    client_id,
                    client_secret: secret,
                    scope: args.oauth2_scope,
                },
                _ => {
                    return Err(Failure::Local(
                        "--oneroster-url needs --oauth1-key, or --oauth2-token-url and \
                     --oauth2-client-id"
                            .to_owned(),
                    ));
                }
            },
        )
    } else {
        None
    };
    Ok(SettingsUpdate {
        source,
        update_active_users: args.update_active_users,
        abandoned_family_policy: args.family_policy,
        abandon_threshold_percent: args.threshold,
        school_abandon_threshold_percent: args.school_threshold,
        default_phone_region: args.phone_region,
        schedule: args.schedule,
        require_approval: args.require_approval,
        plan_ttl: args.plan_ttl,
    })
}

async fn abandoned(
    client: &RosterClient,
    command: AbandonedCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    let AbandonedCommand::List {
        district_id,
        kind,
        run,
        restored,
    } = command;
    let filter = AbandonedFilter {
        record_kind: kind,
        run_id: run,
        restored,
    };
    let records: Vec<_> = client
        .list_abandoned_records(&district_id, filter)
        .try_collect()
        .await?;
    output::print(format, records.as_slice(), output::abandoned)
}

async fn upload(
    client: &RosterClient,
    args: UploadArgs,
    format: OutputFormat,
) -> Result<(), Failure> {
    let uploaded = if args.path.is_dir() {
        client
            .upload_roster_folder(&args.district, &args.path)
            .await?
    } else {
        let archive = tokio::fs::read(&args.path)
            .await
            .map_err(|e| Failure::Local(format!("cannot read {}: {e}", args.path.display())))?;
        client
            .upload_roster_archive(&args.district, archive)
            .await?
    };
    output::print(format, &uploaded, output::upload)?;
    if format == OutputFormat::Table {
        eprintln!(
            "sync from it with: rosterctl sync start {} --upload-id {}",
            args.district, uploaded.upload_id
        );
    }
    Ok(())
}
