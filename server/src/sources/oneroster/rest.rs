//! OneRoster 1.1 REST (R8.6): a provider's JSON collections (`orgs`, `users`, `classes`,
//! `enrollments`, `demographics`, `academicSessions`) in, a [`Snapshot`] out.
//!
//! The records are those of the CSV files, so each JSON object is flattened into the CSV
//! column names and read by the mapping both readers share ([`super::oneroster`]):
//! reference objects become ids (`orgs: [{"sourcedId": "a"}, ..]` → `orgSourcedIds` `a,..`;
//! `school: {"sourcedId": ..}` → `schoolSourcedId`), lists of values are comma-joined
//! (`grades`), booleans and numbers become their text, `null` the empty string, and
//! `metadata: {"x": ..}` the column `metadata.x`. Lists of other objects (`userIds`) are
//! left out.
//!
//! Every collection is paged with `limit` and `offset` and read whole before anything is
//! mapped: any failure fails the run, so nothing is written from a partial roster (R7.1).
//! Each collection read is complete ([`Coverage::Bulk`]).
//!
//! [`Coverage::Bulk`]: crate::snapshot::Coverage::Bulk

use super::records::{
    Rows, read_classes, read_demographics, read_enrollments, read_orgs, read_sessions, read_users,
};
use crate::domain::{IssueCode, RecordKind, Severity};
use crate::snapshot::{Coverage, Issue, Snapshot, SourceRef};
use crate::sources::SourceError;
use crate::sources::http::{Auth, Fetcher, JsonPage};
use reqwest::header::{HeaderMap, LINK};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use url::Url;

/// Records asked for per page.
pub const PAGE_SIZE: usize = 100;

/// Reads a whole roster from the provider at `base_url` (`.../ims/oneroster/v1p1`).
pub async fn read(base_url: &str, auth: &Auth, fetcher: &Fetcher) -> Result<Snapshot, SourceError> {
    let provider = Provider::new(base_url, auth, fetcher)?;
    let mut orgs = provider.collection("orgs", "orgs").await?;
    let (mut users, partial) = provider.users().await?;
    let mut sessions = provider.sessions().await?;
    let mut classes = provider.collection("classes", "classes").await?;
    let mut enrollments = provider.collection("enrollments", "enrollments").await?;
    let demographics = provider
        .optional_collection("demographics", "demographics")
        .await?;

    let mut snap = Snapshot {
        attributes_supported: true,
        ..Snapshot::default()
    };
    read_orgs(&mut orgs, &mut snap)?;
    read_users(&mut users, &mut snap)?;
    if partial {
        partial_users(&mut snap, &provider.base_path);
    }
    let sessions = match sessions.as_mut() {
        Some(rows) => Some(read_sessions(rows, &mut snap, true)?),
        None => None,
    };
    read_classes(&mut classes, &mut snap, sessions.as_ref())?;
    read_enrollments(&mut enrollments, &mut snap)?;
    if let Some(mut demographics) = demographics {
        read_demographics(&mut demographics, &mut snap, true)?;
    }
    Ok(snap)
}

/// A provider without `/users` lists no guardians and no administrators: its users are
/// not the whole list, so none is abandoned for being missing (no family link is cut, no
/// administrator removed, R3.4, R4.8); users it lists are created and updated as usual,
/// and users it marks `tobedeleted` still go. The report says so once.
fn partial_users(snap: &mut Snapshot, base_path: &str) {
    snap.users = Coverage::Delta;
    snap.issues.push(Issue {
        severity: Severity::Warning,
        record_kind: RecordKind::Guardian,
        code: IssueCode::PartialSource,
        message: "the provider has no /users collection: users were read from /students and \
                  /teachers, which list no guardians and no administrators, so no user \
                  missing from this source was abandoned this run"
            .into(),
        at: SourceRef::api(format!("{base_path}/users").into()),
        source_id: String::new(),
        field: String::new(),
    });
}

/// One provider, for one run.
struct Provider<'a> {
    /// The base URL without a trailing slash; collections are below it.
    base: String,
    /// The base URL's path, left off the resources issues name (`/users?offset=100`).
    base_path: String,
    /// For resolving a relative `next` link.
    base_url: Url,
    auth: &'a Auth,
    fetcher: &'a Fetcher,
}

/// Which page to ask for next.
enum PageRequest {
    Offset(usize),
    /// A `Link: <..>; rel="next"` target.
    Link(String),
}

impl<'a> Provider<'a> {
    fn new(base_url: &str, auth: &'a Auth, fetcher: &'a Fetcher) -> Result<Self, SourceError> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        let parsed = Url::parse(&base).map_err(|err| {
            SourceError::Invalid(format!("`{base}` is not a OneRoster base URL ({err})"))
        })?;
        Ok(Provider {
            base_path: parsed.path().trim_end_matches('/').to_owned(),
            base_url: parsed,
            base,
            auth,
            fetcher,
        })
    }

    /// `users`, or where a provider serves no `users` collection, its `students` and
    /// `teachers` (both as `users` envelopes); true in the second case, which lists no
    /// guardian and no administrator.
    async fn users(&self) -> Result<(JsonRows, bool), SourceError> {
        if let Some(users) = self.optional_collection("users", "users").await? {
            return Ok((users, false));
        }
        let mut users = self.collection("students", "users").await?;
        users.extend(self.collection("teachers", "users").await?);
        Ok((users, true))
    }

    /// The academic sessions, for the end of each class's term (R5.10): `academicSessions`,
    /// or where a provider serves only `terms`, those (in an `academicSessions` envelope,
    /// as OneRoster 1.1 answers them); `None` when it serves neither, and the classes'
    /// stored term ends stay.
    async fn sessions(&self) -> Result<Option<JsonRows>, SourceError> {
        const ENVELOPE: &str = "academicSessions";
        if let Some(sessions) = self.optional_collection(ENVELOPE, ENVELOPE).await? {
            return Ok(Some(sessions));
        }
        self.optional_collection("terms", ENVELOPE).await
    }

    /// Every page of the collection at `path`, whose records the pages list under
    /// `envelope`.
    async fn collection(
        &self,
        path: &str,
        envelope: &'static str,
    ) -> Result<JsonRows, SourceError> {
        let rows = self.fetch_all(path, envelope, false).await?;
        Ok(rows.unwrap_or_else(|| JsonRows::new(envelope)))
    }

    /// Like [`Self::collection`], but `None` when the provider answers 404 for it.
    async fn optional_collection(
        &self,
        path: &str,
        envelope: &'static str,
    ) -> Result<Option<JsonRows>, SourceError> {
        self.fetch_all(path, envelope, true).await
    }

    /// Pages through a collection; `None` when `optional` and its first page answers 404.
    async fn fetch_all(
        &self,
        path: &str,
        envelope: &'static str,
        optional: bool,
    ) -> Result<Option<JsonRows>, SourceError> {
        let mut rows = JsonRows::new(envelope);
        let mut request = PageRequest::Offset(0);
        let mut first = true;
        let mut seen = std::collections::HashSet::new();
        loop {
            let Some(page) = self.page(path, &request, optional && first).await? else {
                return Ok(None);
            };
            first = false;
            let count = rows.add_page(&page, self.resource(&page.url).into())?;
            self.fetcher
                .records
                .fetch_add(count as u64, Ordering::Relaxed);
            if !seen.insert(page.url.clone()) {
                return Err(SourceError::Invalid(format!(
                    "the provider's paging of {path} came back to {} it already sent",
                    self.resource(&page.url)
                )));
            }
            match next_page(&request, &page.headers, count) {
                Some(next) => request = next,
                None => return Ok(Some(rows)),
            }
        }
    }

    /// One page; `None` for a 404 when `absent_ok`.
    async fn page(
        &self,
        path: &str,
        request: &PageRequest,
        absent_ok: bool,
    ) -> Result<Option<JsonPage>, SourceError> {
        let (url, query) = match request {
            PageRequest::Offset(offset) => (
                format!("{}/{path}", self.base),
                vec![
                    ("limit", PAGE_SIZE.to_string()),
                    ("offset", offset.to_string()),
                ],
            ),
            PageRequest::Link(target) => (self.resolve(target)?, Vec::new()),
        };
        if absent_ok {
            self.fetcher
                .get_json_if_present(&url, &query, self.auth)
                .await
        } else {
            self.fetcher
                .get_json(&url, &query, self.auth)
                .await
                .map(Some)
        }
    }

    /// A `next` link as an absolute URL; providers usually give one already. A link to
    /// another origin is refused: the credentials go to the configured provider only.
    fn resolve(&self, target: &str) -> Result<String, SourceError> {
        let url = self.base_url.join(target).map_err(|err| {
            SourceError::Invalid(format!("the provider's next link is not a URL ({err})"))
        })?;
        if url.origin() != self.base_url.origin() {
            return Err(SourceError::Invalid(format!(
                "the provider's next link leaves {} for another host; refused",
                self.base_url.origin().ascii_serialization()
            )));
        }
        Ok(url.into())
    }

    /// A page's path and query relative to the base URL, as issues name it.
    fn resource(&self, url: &str) -> String {
        url.strip_prefix(&self.base_path).unwrap_or(url).to_owned()
    }
}

/// The page after the one just read (`count` records), if any: the provider's `next` link
/// when it gives one; else the next offset, unless the provider's `X-Total-Count` is
/// reached, or without a total, the page was short. An empty page always ends the
/// collection, so a provider that keeps linking to it cannot loop the reader forever.
/// Offsets advance by what was received, not by what was asked for, so a provider that
/// caps the page size loses no record.
fn next_page(request: &PageRequest, headers: &HeaderMap, count: usize) -> Option<PageRequest> {
    if count == 0 {
        return None;
    }
    if let Some(link) = next_link(headers) {
        return Some(PageRequest::Link(link));
    }
    // Following links, the last page is the one without a next link.
    let PageRequest::Offset(offset) = request else {
        return None;
    };
    let next = offset + count;
    let more = match total_count(headers) {
        Some(total) => next < total,
        None => count >= PAGE_SIZE,
    };
    more.then_some(PageRequest::Offset(next))
}

/// The target of `Link: <url>; rel="next"` (RFC 8288), among any other links.
fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split('<').skip(1))
        .find_map(|link| {
            let (target, params) = link.split_once('>')?;
            params
                .split([';', ','])
                .any(is_rel_next)
                .then(|| target.trim().to_owned())
        })
}

/// Whether a link parameter is `rel="next"` (`rel` may list several relations).
fn is_rel_next(param: &str) -> bool {
    param.split_once('=').is_some_and(|(name, value)| {
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_matches('"')
                .split_whitespace()
                .any(|relation| relation.eq_ignore_ascii_case("next"))
    })
}

fn total_count(headers: &HeaderMap) -> Option<usize> {
    headers
        .get("x-total-count")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A collection's records, flattened into CSV columns as their pages arrive.
struct JsonRows {
    /// The collection's name (its envelope key), for messages.
    name: &'static str,
    /// Records not yet read, in order.
    pending: VecDeque<JsonRecord>,
    current: JsonRecord,
}

#[derive(Default)]
struct JsonRecord {
    /// The page it came from, e.g. `/users?limit=100&offset=200`, shared by its records.
    resource: Arc<str>,
    fields: Vec<(String, String)>,
}

impl JsonRows {
    fn new(name: &'static str) -> Self {
        JsonRows {
            name,
            pending: VecDeque::new(),
            current: JsonRecord::default(),
        }
    }

    /// Adds a page's records; how many there were. A page without its envelope list is no
    /// OneRoster answer.
    fn add_page(&mut self, page: &JsonPage, resource: Arc<str>) -> Result<usize, SourceError> {
        let records = page
            .body
            .get(self.name)
            .and_then(Value::as_array)
            .ok_or_else(|| {
                SourceError::Invalid(format!(
                    "GET {}: the answer has no `{}` list",
                    page.url, self.name
                ))
            })?;
        self.pending.extend(records.iter().map(|record| JsonRecord {
            resource: resource.clone(),
            fields: flatten(record),
        }));
        Ok(records.len())
    }

    /// Appends another collection's records after this one's.
    fn extend(&mut self, other: JsonRows) {
        self.pending.extend(other.pending);
    }
}

impl Rows for JsonRows {
    fn name(&self) -> &str {
        self.name
    }

    fn advance(&mut self) -> Result<bool, SourceError> {
        match self.pending.pop_front() {
            Some(record) => {
                self.current = record;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn get(&self, column: &str) -> &str {
        self.current
            .fields
            .iter()
            .find(|(name, _)| name == column)
            .map_or("", |(_, value)| value.trim())
    }

    fn cells(&self) -> impl Iterator<Item = (&str, &str)> {
        self.current
            .fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.trim()))
    }

    fn at(&self) -> SourceRef {
        SourceRef::api(self.current.resource.clone())
    }
}

/// A JSON record as CSV columns (see the module documentation). A record that is no object
/// has no fields, and is reported as lacking a `sourcedId`.
fn flatten(record: &Value) -> Vec<(String, String)> {
    let Some(object) = record.as_object() else {
        return Vec::new();
    };
    let mut fields = Vec::with_capacity(object.len());
    for (key, value) in object {
        match value {
            Value::Object(inner) if key == "metadata" => fields.extend(
                inner
                    .iter()
                    .map(|(name, value)| (format!("metadata.{name}"), text(value))),
            ),
            Value::Object(reference) => {
                if let Some(id) = reference.get("sourcedId") {
                    fields.push((format!("{key}SourcedId"), text(id)));
                }
            }
            Value::Array(items) => fields.extend(flatten_list(key, items)),
            scalar => fields.push((key.clone(), text(scalar))),
        }
    }
    fields
}

/// A list: references as `<singular>SourcedIds` (`orgs` → `orgSourcedIds`), values joined
/// with commas under their own name; `None` for lists of other objects (`userIds`).
fn flatten_list(key: &str, items: &[Value]) -> Option<(String, String)> {
    let ids: Vec<String> = items
        .iter()
        .filter_map(|item| item.get("sourcedId"))
        .map(text)
        .collect();
    if !ids.is_empty() {
        let singular = key.strip_suffix('s').unwrap_or(key);
        return Some((format!("{singular}SourcedIds"), ids.join(",")));
    }
    if items.iter().any(Value::is_object) {
        return None;
    }
    let values: Vec<String> = items.iter().map(text).collect();
    Some((key.to_owned(), values.join(",")))
}

/// A value as CSV would hold it: strings as they are, `null` empty, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
