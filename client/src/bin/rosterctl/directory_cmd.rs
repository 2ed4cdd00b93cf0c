//! `rosterctl search|get|health`: finding people, showing one record with its links, and
//! the districts' sync health.

use crate::Failure;
use crate::cli::{GetCommand, HealthArgs, OutputFormat, SearchArgs};
use crate::output;
use futures::{StreamExt, TryStreamExt};
use roster_client::{Person, RosterClient};

/// `search`: a district's people by any key, at most `--limit` of them.
pub async fn search(
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

/// `get`: one record with what it links to.
pub async fn get(
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

/// `health`: one district's sync health, or every district's the key covers.
pub async fn health(
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
