//! `rosterctl keys ...`, `audit`, `erase ...` and `suppressions ...`: who may call, what
//! they changed, and erasure.

use crate::Failure;
use crate::cli::{
    AuditArgs, EraseCommand, KeysCommand, KeysCreateArgs, OutputFormat, SuppressionsCommand,
};
use crate::output;
use futures::{StreamExt, TryStreamExt};
use roster_client::{ApiKey, AuditEvent, AuditFilter, NewApiKey, RosterClient, Suppression};
use serde::Serialize;

/// What `keys create --output json` prints: the key and, this once, its secret.
#[derive(Serialize)]
struct CreatedKey<'a> {
    key: &'a ApiKey,
    secret: &'a str,
}

/// What `erase person --output json` prints.
#[derive(Serialize)]
struct ErasedPerson<'a> {
    person_id: &'a str,
    /// `null` for a manual record, which has no source id to suppress.
    suppression: Option<&'a Suppression>,
}

/// What `suppressions lift --output json` prints.
#[derive(Serialize)]
struct Lifted<'a> {
    suppression_id: &'a str,
    lifted: bool,
}

pub async fn keys(
    client: &RosterClient,
    command: KeysCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        KeysCommand::Create(args) => create_key(client, args, format).await,
        KeysCommand::List => {
            let keys: Vec<ApiKey> = client.list_api_keys().try_collect().await?;
            output::print(format, keys.as_slice(), output::keys)
        }
        KeysCommand::Revoke { key_id } => {
            let key = client.revoke_api_key(&key_id).await?;
            output::print(format, &key, |k| output::keys(std::slice::from_ref(k)))
        }
    }
}

async fn create_key(
    client: &RosterClient,
    args: KeysCreateArgs,
    format: OutputFormat,
) -> Result<(), Failure> {
    let (key, secret) = client
        .create_api_key(NewApiKey {
            district_ids: args.districts,
            all_districts: args.all_districts,
            rate_limit_per_second: args.rate_limit,
            ..NewApiKey::new(args.name, args.role)
        })
        .await?;
    let created = CreatedKey {
        key: &key,
        secret: secret.expose(),
    };
    output::print(format, &created, |c| output::created_key(c.key, c.secret))?;
    eprintln!(
        "This is the only time the secret of key {} is shown: it cannot be shown again. \
         Keep it in a secret store; send it with --token or ROSTER_TOKEN.",
        key.id
    );
    Ok(())
}

pub async fn audit(
    client: &RosterClient,
    args: AuditArgs,
    format: OutputFormat,
) -> Result<(), Failure> {
    let filter = AuditFilter {
        district_id: args.district,
        key_id: args.key,
        start_time: args.since,
        end_time: args.until,
    };
    let events = client.list_audit_events(filter);
    let events: Vec<AuditEvent> = match args.limit {
        Some(n) => events.take(n).try_collect().await?,
        None => events.try_collect().await?,
    };
    output::print(format, events.as_slice(), output::audit_events)
}

pub async fn erase(
    client: &RosterClient,
    command: EraseCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        EraseCommand::Person { person_id } => {
            let suppression = client.erase_person(&person_id).await?;
            let erased = ErasedPerson {
                person_id: &person_id,
                suppression: suppression.as_ref(),
            };
            output::print(format, &erased, erased_person)
        }
        EraseCommand::District {
            district_id,
            confirm_name,
        } => {
            let erased = client.erase_district(&district_id, &confirm_name).await?;
            output::print(format, &erased, output::erased_district)
        }
    }
}

/// `erased person 12` and, for a synced person, the suppression left and how to lift it.
fn erased_person(erased: &ErasedPerson<'_>) -> String {
    match erased.suppression {
        Some(s) => format!(
            "erased person {}\nsyncs of district {} now skip {} {} (suppression {}); \
             to let them create it again: rosterctl suppressions lift {}\n",
            erased.person_id, s.district_id, s.record_kind, s.source_id, s.id, s.id
        ),
        None => format!(
            "erased person {} (a manual record: no source id to suppress)\n",
            erased.person_id
        ),
    }
}

pub async fn suppressions(
    client: &RosterClient,
    command: SuppressionsCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        SuppressionsCommand::List { district_id } => {
            let list: Vec<Suppression> =
                client.list_suppressions(&district_id).try_collect().await?;
            output::print(format, list.as_slice(), output::suppressions)
        }
        SuppressionsCommand::Lift { suppression_id } => {
            client.lift_suppression(&suppression_id).await?;
            let lifted = Lifted {
                suppression_id: &suppression_id,
                lifted: true,
            };
            output::print(format, &lifted, |l| {
                format!(
                    "lifted suppression {}: the next sync may create the record again\n",
                    l.suppression_id
                )
            })
        }
    }
}
