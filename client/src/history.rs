//! Typed calls of `roster.v1.SyncService` for record history (R9.3): every change a run or
//! an edit made to a record, so that "who changed this, and when" has an answer.

use crate::types::all;
use crate::{Error, HistoryEntry, ItemStream, Page, PageRequest, RosterClient, pb};

impl RosterClient {
    /// Every change made to a student, guardian, staff member or class, newest first:
    /// each with its old and new values, the run or the key (and end user) that made it,
    /// and when. A person's memberships (schools, classes, linked students) are part of
    /// the person's history.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// // Newest first: the first entry with an `email` change is the latest one, and the
    /// // pages after it are never fetched.
    /// let mut history = client.list_record_history("42");
    /// while let Some(entry) = history.try_next().await? {
    ///     if let Some(email) = entry.field_changes.iter().find(|f| f.field == "email") {
    ///         let by = match (&entry.run_id, &entry.actor) {
    ///             (Some(run), _) => format!("run {run}"),
    ///             (None, Some(actor)) => actor.clone(),
    ///             (None, None) => "an API edit".to_owned(),
    ///         };
    ///         println!("{:?} -> {:?} by {by}", email.old_value, email.new_value);
    ///         break;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_record_history(&self, record_id: &str) -> ItemStream<HistoryEntry> {
        let record_id = record_id.to_owned();
        self.stream(move |client, page| {
            let record_id = record_id.clone();
            async move { client.list_record_history_page(&record_id, page).await }
        })
    }

    /// One page of a record's history, newest first.
    pub async fn list_record_history_page(
        &self,
        record_id: &str,
        page: PageRequest,
    ) -> Result<Page<HistoryEntry>, Error> {
        let request = pb::ListRecordHistoryRequest {
            record_id: record_id.to_owned(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.list_record_history(r).await
            })
            .await?;
        Ok(Page::new(all(response.entries)?, response.next_page_token))
    }
}
