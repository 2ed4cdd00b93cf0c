//! Clever API v3.0 (R8.5): a district's districts, schools, users, terms and sections, read
//! over HTTP with the district bearer token, into a [`Snapshot`].
//!
//! Clever keeps every person in one `users` collection: a user carries one object per role
//! it holds (`student`, `teacher`, `staff`, `district_admin`, `contact`). A contact's
//! `student_relationships` are its family relationships; a section lists its students and
//! teachers itself, since Clever has no enrollment resource. Collections are paged by
//! following each response's `next` link.
//!
//! Only what makes the source unreadable fails the run: a refused or failing request (the
//! fetcher names the endpoint and status, never the token), a body that is no Clever
//! collection. A bad record is skipped with an issue naming the page it was on and its id
//! (R3.3). Clever carries no student attributes our way, which the planner reports once per
//! run (R2.6); everything Clever lists is the whole district, so every kind is `Bulk`.

use crate::sources::SourceError;
use crate::sources::http::{Auth, Fetcher, JsonPage};

use crate::domain::IssueCode;
use crate::snapshot::{Coverage, Issue, Snapshot, SourceRef};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use url::Url;

mod records;

use crate::sources::terms::{self, Sessions};
use records::{District, Record, Term, User, add_school, add_section, add_user, resolve_links};

/// Records asked for per page: the most Clever serves in one response, so a district takes
/// as few requests as it can (Clever's own default page is 100 records).
pub const DEFAULT_LIMIT: usize = 10_000;

/// Reads the whole district behind `token` from the Clever API at `base_url` (for example
/// `https://api.clever.com`). Records are added to `fetcher.records` as pages arrive.
pub async fn read(base_url: &str, token: &str, fetcher: &Fetcher) -> Result<Snapshot, SourceError> {
    let api = Api::new(base_url, token, fetcher)?;
    let mut snap = Snapshot {
        orgs: Coverage::Bulk,
        users: Coverage::Bulk,
        class_coverage: Coverage::Bulk,
        enrollments: Coverage::Bulk,
        attributes_supported: false,
        ..Snapshot::default()
    };
    read_collection(
        &api,
        "districts",
        &mut snap,
        |district: District, _, snap| {
            snap.other_orgs.insert(district.id, "district".to_owned());
        },
    )
    .await?;
    read_collection(&api, "schools", &mut snap, add_school).await?;
    let mut listed = Vec::new();
    let users = read_collection(&api, "users", &mut snap, |user: User, at, snap| {
        add_user(user, at, snap, &mut listed)
    })
    .await?;
    resolve_links(listed, &users, &mut snap);
    let terms = read_terms(&api, &mut snap).await?;
    read_collection(&api, "sections", &mut snap, |section, at, snap| {
        add_section(section, at, snap, terms.as_ref())
    })
    .await?;
    Ok(snap)
}

/// The district's terms, for the end of each section's term (R5.10); `None` when Clever
/// serves none (404), and the sections' stored term ends stay. What is wrong with a term
/// is a warning ([`crate::sources::terms`]).
async fn read_terms(api: &Api<'_>, snap: &mut Snapshot) -> Result<Option<Sessions>, SourceError> {
    let before = snap.issues.len();
    let mut sessions = Sessions::new("terms", true);
    let listed = read_optional_collection(api, "terms", snap, |term: Term, at, snap| {
        sessions.add(&term.id, &term.end_date, at, "end_date", &mut snap.issues)
    })
    .await?;
    terms::as_warnings(&mut snap.issues[before..]);
    Ok(listed.map(|_| sessions))
}

/// The Clever API of one district: where it is and how requests are authorized.
struct Api<'a> {
    base: Url,
    auth: Auth,
    fetcher: &'a Fetcher,
}

impl<'a> Api<'a> {
    fn new(base_url: &str, token: &str, fetcher: &'a Fetcher) -> Result<Self, SourceError> {
        let base = Url::parse(base_url).map_err(|err| {
            SourceError::Invalid(format!(
                "the Clever base URL `{base_url}` is not a URL ({err})"
            ))
        })?;
        Ok(Api {
            base,
            auth: Auth::Bearer(token.to_owned()),
            fetcher,
        })
    }

    /// The first page of `collection`, e.g. `{base}/v3.0/users?limit=10000`.
    fn first(&self, collection: &str) -> Result<Url, SourceError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| {
                SourceError::Invalid(format!(
                    "the Clever base URL `{}` cannot take a path",
                    self.base
                ))
            })?
            .pop_if_empty()
            .extend(["v3.0", collection]);
        url.set_query(None);
        Ok(with_limit(url))
    }

    /// GETs one page, its query (limit, paging cursor) already in `url`.
    async fn get(&self, url: &Url) -> Result<JsonPage, SourceError> {
        self.fetcher.get_json(url.as_str(), &[], &self.auth).await
    }

    /// Like [`Self::get`], but `None` for a 404.
    async fn get_if_present(&self, url: &Url) -> Result<Option<JsonPage>, SourceError> {
        self.fetcher
            .get_json_if_present(url.as_str(), &[], &self.auth)
            .await
    }
}

/// Asks for [`DEFAULT_LIMIT`] records per page unless the URL already says how many: a
/// `next` link may leave the limit out, and Clever would then fall back to its default.
fn with_limit(mut url: Url) -> Url {
    if !url.query_pairs().any(|(key, _)| key == "limit") {
        url.query_pairs_mut()
            .append_pair("limit", &DEFAULT_LIMIT.to_string());
    }
    url
}

/// The URL a `next` link (`/v3.0/users?starting_after=...`, relative to the API's host)
/// leads to. A link to another host is refused rather than followed, since following it
/// would hand the district token to that host.
fn follow(base: &Url, uri: &str, from: &str) -> Result<Url, SourceError> {
    let url = base.join(uri).map_err(|err| {
        SourceError::Invalid(format!(
            "Clever {from}: the next link `{uri}` is not a URL ({err})"
        ))
    })?;
    if url.origin() != base.origin() {
        return Err(SourceError::Invalid(format!(
            "Clever {from}: the next link leads to another host ({}) and is not followed",
            url.origin().ascii_serialization()
        )));
    }
    Ok(with_limit(url))
}

/// Reads every page of `collection`, handing each readable record to `add`, and returns
/// the ids it listed. Paging stops when a page has no `next` link, or lists nothing (Clever
/// may link to an empty last page).
async fn read_collection<T: Record>(
    api: &Api<'_>,
    collection: &str,
    snap: &mut Snapshot,
    add: impl FnMut(T, &SourceRef, &mut Snapshot),
) -> Result<HashSet<String>, SourceError> {
    let seen = read_pages(api, collection, snap, add, false).await?;
    Ok(seen.unwrap_or_default())
}

/// Like [`read_collection`], but `None` when Clever answers 404 for the collection's
/// first page (an application not granted it).
async fn read_optional_collection<T: Record>(
    api: &Api<'_>,
    collection: &str,
    snap: &mut Snapshot,
    add: impl FnMut(T, &SourceRef, &mut Snapshot),
) -> Result<Option<HashSet<String>>, SourceError> {
    read_pages(api, collection, snap, add, true).await
}

async fn read_pages<T: Record>(
    api: &Api<'_>,
    collection: &str,
    snap: &mut Snapshot,
    mut add: impl FnMut(T, &SourceRef, &mut Snapshot),
    optional: bool,
) -> Result<Option<HashSet<String>>, SourceError> {
    let mut seen = HashSet::new();
    let mut requested = HashSet::new();
    let mut next = Some(api.first(collection)?);
    let mut first = true;
    while let Some(url) = next.take() {
        requested.insert(url.to_string());
        let page = if optional && first {
            match api.get_if_present(&url).await? {
                Some(page) => page,
                None => return Ok(None),
            }
        } else {
            api.get(&url).await?
        };
        first = false;
        let (records, link) = split(page.body, &page.url)?;
        api.fetcher
            .records
            .fetch_add(records.len() as u64, Ordering::Relaxed);
        if !records.is_empty()
            && let Some(uri) = link
        {
            next = Some(next_page(&api.base, &uri, &page.url, &mut requested)?);
        }
        let at = SourceRef::api(page.url.as_str().into());
        for value in records {
            if let Some(record) = decode::<T>(value, &at, &mut seen, &mut snap.issues) {
                add(record, &at, snap);
            }
        }
    }
    Ok(Some(seen))
}

/// The page a `next` link leads to; one already read means the links go round in a
/// circle, which would never end.
fn next_page(
    base: &Url,
    uri: &str,
    from: &str,
    requested: &mut HashSet<String>,
) -> Result<Url, SourceError> {
    let url = follow(base, uri, from)?;
    if !requested.insert(url.to_string()) {
        return Err(SourceError::Invalid(format!(
            "Clever {from}: the next link `{uri}` leads back to a page already read"
        )));
    }
    Ok(url)
}

/// A Clever collection response, `{"data": [{"data": {...}, "uri": ...}], "links": [...]}`,
/// as its records and its `next` link.
fn split(body: Value, resource: &str) -> Result<(Vec<Value>, Option<String>), SourceError> {
    let not_a_collection = || {
        SourceError::Invalid(format!(
            "Clever {resource}: the response is not a Clever collection (no `data` list)"
        ))
    };
    let Value::Object(mut envelope) = body else {
        return Err(not_a_collection());
    };
    let Some(Value::Array(items)) = envelope.remove("data") else {
        return Err(not_a_collection());
    };
    let next = match envelope.remove("links") {
        Some(Value::Array(links)) => next_link(&links),
        _ => None,
    };
    let records = items
        .into_iter()
        .map(|mut item| item.get_mut("data").map(Value::take).unwrap_or_default())
        .collect();
    Ok((records, next))
}

fn next_link(links: &[Value]) -> Option<String> {
    links
        .iter()
        .find(|link| link.get("rel").and_then(Value::as_str) == Some("next"))
        .and_then(|link| link.get("uri"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Clever marks most fields nullable and does not promise trimmed text: a `null` field
/// reads as an absent one, and text loses surrounding spaces, as CSV cells do.
fn normalize(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, field| !field.is_null());
            fields.values_mut().for_each(normalize);
        }
        Value::Array(items) => {
            items.retain(|item| !item.is_null());
            items.iter_mut().for_each(normalize);
        }
        Value::String(text) if text.trim().len() != text.len() => {
            *text = text.trim().to_owned();
        }
        _ => {}
    }
}

/// The checks every record goes through (R3.3): readable as a Clever record, with an id,
/// listed once. `None`, with an issue, when the record is skipped.
fn decode<T: Record>(
    mut value: Value,
    at: &SourceRef,
    seen: &mut HashSet<String>,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    normalize(&mut value);
    let listed_id = value
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let record = match serde_json::from_value::<T>(value) {
        Ok(record) => record,
        Err(err) => {
            let message = format!("the record cannot be read: {err}");
            issues.push(Issue::invalid(
                T::KIND,
                IssueCode::InvalidValue,
                at,
                &listed_id,
                "",
                message,
            ));
            return None;
        }
    };
    let id = record.id();
    if id.is_empty() {
        issues.push(Issue::invalid(
            record.kind(),
            IssueCode::MissingField,
            at,
            "",
            "id",
            "id is empty",
        ));
        return None;
    }
    if !seen.insert(id.to_owned()) {
        let message = format!("id `{id}` is listed more than once");
        issues.push(Issue::invalid(
            record.kind(),
            IssueCode::DuplicateId,
            at,
            id,
            "id",
            message,
        ));
        return None;
    }
    Some(record)
}

#[cfg(test)]
mod tests;
