//! `rosterctl guardians|staff|classes|members|access|search|get|health`: reading the
//! directory and the districts' sync health.

use crate::Failure;
use crate::cli::{
    ClassesCommand, Command, GetCommand, GuardiansCommand, HealthArgs, MembersCommand,
    OutputFormat, SearchArgs, StaffCommand,
};
use crate::output;
use futures::{StreamExt, TryStreamExt};
use roster_client::{Person, RosterClient};

/// Runs one of the directory's read commands (the others are dispatched elsewhere).
pub async fn run(
    client: &RosterClient,
    command: Command,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        Command::Guardians(GuardiansCommand::List { school, status }) => {
            let list: Vec<_> = client.list_guardians(&school, status).try_collect().await?;
            output::print(format, list.as_slice(), output::guardians)
        }
        Command::Staff(StaffCommand::List { school }) => {
            let list: Vec<_> = client.list_staff(&school).try_collect().await?;
            output::print(format, list.as_slice(), output::staff)
        }
        Command::Classes(ClassesCommand::List { school, status }) => {
            let list: Vec<_> = client.list_classes(&school, status).try_collect().await?;
            output::print(format, list.as_slice(), output::classes)
        }
        Command::Members(MembersCommand::List { class_id, status }) => {
            let list: Vec<_> = client
                .list_class_members(&class_id, status)
                .try_collect()
                .await?;
            output::print(format, list.as_slice(), output::members)
        }
        Command::Access { guardian_id } => {
            let access = client.get_guardian_access(&guardian_id).await?;
            output::print(format, &access, output::access)
        }
        Command::Search(args) => search(client, args, format).await,
        Command::Get(command) => get(client, command, format).await,
        Command::Health(args) => health(client, args, format).await,
        other => unreachable!("not a directory command: {other:?}"),
    }
}

async fn search(
    client: &RosterClient,
    args: SearchArgs,
    format: OutputFormat,
) -> Result<(), Failure> {
    let found = client.search_people(&args.district_id, &args.query, &args.kinds);
    let people: Vec<Person> = match args.limit {
        Some(n) => found.take(n).try_collect().await?,
        None => found.try_collect().await?,
    };
    output::print(format, people.as_slice(), output::people)
}

async fn get(
    client: &RosterClient,
    command: GetCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        GetCommand::Student { id } => {
            let detail = client.get_student(&id).await?;
            output::print(format, &detail, output::student_detail)
        }
        GetCommand::Guardian { id } => {
            let detail = client.get_guardian(&id).await?;
            output::print(format, &detail, output::guardian_detail)
        }
        GetCommand::Staff { id } => {
            let detail = client.get_staff_member(&id).await?;
            output::print(format, &detail, output::staff_detail)
        }
        GetCommand::Class { id } => {
            let detail = client.get_class(&id).await?;
            output::print(format, &detail, output::class_detail)
        }
    }
}

async fn health(
    client: &RosterClient,
    args: HealthArgs,
    format: OutputFormat,
) -> Result<(), Failure> {
    let list = match args.district_id {
        Some(district_id) => vec![client.get_sync_health(&district_id).await?],
        None => {
            client
                .list_sync_health(args.needs_attention)
                .try_collect()
                .await?
        }
    };
    output::print(format, list.as_slice(), output::health)
}
