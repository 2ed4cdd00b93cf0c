//! Typed erasure calls of `roster.v1.DirectoryService` (docs/security.md, S6): a person,
//! with the suppression that keeps syncs from bringing it back, and a whole district.
//!
//! Erasure is final, so none of these calls is retried.

use crate::types::all;
use crate::{ErasedDistrict, Error, ItemStream, Page, PageRequest, RosterClient, Suppression, pb};

impl RosterClient {
    /// Erases a student, guardian or staff member and everything that names it
    /// (memberships, links, history, stored plans, issues, abandoned-record entries).
    ///
    /// Returns the suppression that keeps later syncs from creating the person again,
    /// until it is lifted; `None` for a manual record, which has no source id. Takes an
    /// admin key or an operator key of the person's district.
    ///
    /// ```no_run
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// if let Some(suppression) = client.erase_person("1234").await? {
    ///     println!("syncs now skip {} {}", suppression.record_kind, suppression.source_id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn erase_person(&self, person_id: &str) -> Result<Option<Suppression>, Error> {
        let request = pb::ErasePersonRequest {
            person_id: person_id.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.erase_person(r).await
            })
            .await?;
        response.suppression.map(Suppression::try_from).transpose()
    }

    /// Every suppressed source id of a district.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let suppressions: Vec<_> = client.list_suppressions("42").try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_suppressions(&self, district_id: &str) -> ItemStream<Suppression> {
        let district_id = district_id.to_owned();
        self.stream(move |client, page| {
            let district_id = district_id.clone();
            async move { client.list_suppressions_page(&district_id, page).await }
        })
    }

    /// One page of a district's suppressed source ids.
    pub async fn list_suppressions_page(
        &self,
        district_id: &str,
        page: PageRequest,
    ) -> Result<Page<Suppression>, Error> {
        let request = pb::ListSuppressionsRequest {
            district_id: district_id.to_owned(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_suppressions(r).await
            })
            .await?;
        Ok(Page::new(
            all(response.suppressions)?,
            response.next_page_token,
        ))
    }

    /// Lifts a suppression: the next sync may create the record again.
    /// [`Error::NotFound`] if there is no suppression with this id.
    pub async fn lift_suppression(&self, suppression_id: &str) -> Result<(), Error> {
        let request = pb::LiftSuppressionRequest {
            suppression_id: suppression_id.to_owned(),
        };
        self.write(self.directory(), request, |mut s, r| async move {
            s.lift_suppression(r).await
        })
        .await?;
        Ok(())
    }

    /// Erases a whole district: every roster row, run, issue, upload, setting and secret
    /// of it, and reports the rows removed by table. Admin only.
    ///
    /// `confirm_display_name` must equal the district's display name, so that a district
    /// is never erased by mistake: otherwise the call fails with
    /// [`Error::InvalidArgument`] (field `confirm_display_name`) and nothing is removed.
    ///
    /// ```no_run
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let district = client.get_district("42").await?;
    /// let erased = client.erase_district(&district.id, &district.display_name).await?;
    /// println!("{} students, {} rows in all", erased.removed_from("students"), erased.total());
    /// # Ok(()) }
    /// ```
    pub async fn erase_district(
        &self,
        district_id: &str,
        confirm_display_name: &str,
    ) -> Result<ErasedDistrict, Error> {
        let request = pb::EraseDistrictRequest {
            district_id: district_id.to_owned(),
            confirm_display_name: confirm_display_name.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.erase_district(r).await
            })
            .await?;
        Ok(ErasedDistrict::new(district_id, response))
    }
}
