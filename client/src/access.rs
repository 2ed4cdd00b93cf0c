//! Typed calls of `roster.v1.AccessService`: API keys and the audit log.
//!
//! Managing keys takes an admin key; operator and reader keys may read the audit events
//! of their districts.

use crate::types::{all, required, text};
use crate::{
    ApiKey, AuditEvent, AuditFilter, Error, ItemStream, NewApiKey, Page, PageRequest, RosterClient,
    Secret, pb,
};

impl RosterClient {
    /// Creates an API key and returns it with its secret, the key to send as
    /// `authorization: Bearer <secret>`. The secret is in this answer only: the server
    /// keeps a hash of it and never shows it again. Admin only.
    ///
    /// Fails with [`Error::InvalidArgument`] for a key without a name, an operator or
    /// reader key with neither districts nor `all_districts` (or both), or an admin key
    /// with either.
    ///
    /// ```no_run
    /// use roster_client::{ApiKeyRole, NewApiKey};
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let (key, secret) = client
    ///     .create_api_key(NewApiKey {
    ///         district_ids: vec!["42".into()],
    ///         ..NewApiKey::new("springfield-import", ApiKeyRole::Operator)
    ///     })
    ///     .await?;
    /// println!("key {} created; hand its secret to the service's secret store", key.id);
    /// let service = roster_client::RosterClient::builder()
    ///     .bearer_token(secret.expose())
    ///     .connect()
    ///     .await?;
    /// # let _ = service;
    /// # Ok(()) }
    /// ```
    pub async fn create_api_key(&self, key: NewApiKey) -> Result<(ApiKey, Secret), Error> {
        let request = pb::CreateApiKeyRequest::from(key);
        let response = self
            .write(self.access(), request, |mut s, r| async move {
                s.create_api_key(r).await
            })
            .await?;
        let secret = required(text(response.secret), "secret")?;
        let key = required(response.key, "key")?.try_into()?;
        Ok((key, Secret::new(secret)))
    }

    /// Every API key, newest first, without their secrets. Admin only.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let keys: Vec<_> = client.list_api_keys().try_collect().await?;
    /// for key in keys.iter().filter(|k| !k.is_revoked()) {
    ///     println!("{} {} {}", key.id, key.display_name, key.role);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_api_keys(&self) -> ItemStream<ApiKey> {
        self.stream(|client, page| async move { client.list_api_keys_page(page).await })
    }

    /// One page of API keys, newest first. Admin only.
    pub async fn list_api_keys_page(&self, page: PageRequest) -> Result<Page<ApiKey>, Error> {
        let request = pb::ListApiKeysRequest {
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.access(), request, |mut s, r| async move {
                s.list_api_keys(r).await
            })
            .await?;
        Ok(Page::new(all(response.keys)?, response.next_page_token))
    }

    /// Revokes an API key and returns it with its revocation time: the next call made
    /// with it fails [`Error::Unauthenticated`]. Revoking a revoked key keeps the first
    /// time. Admin only; [`Error::NotFound`] if there is no key with this id.
    ///
    /// ```no_run
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let key = client.revoke_api_key("7301").await?;
    /// assert!(key.is_revoked());
    /// # Ok(()) }
    /// ```
    pub async fn revoke_api_key(&self, key_id: &str) -> Result<ApiKey, Error> {
        let request = pb::RevokeApiKeyRequest {
            key_id: key_id.to_owned(),
        };
        let response = self
            .write(self.access(), request, |mut s, r| async move {
                s.revoke_api_key(r).await
            })
            .await?;
        required(response.key, "key")?.try_into()
    }

    /// Every audit event that passes the filter, newest first: one per call that changed
    /// something. Admins see all events; operator and reader keys those of their
    /// districts (a filter on another district fails [`Error::PermissionDenied`]).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use roster_client::AuditFilter;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let filter = AuditFilter { district_id: Some("42".into()), ..Default::default() };
    /// let mut events = client.list_audit_events(filter);
    /// while let Some(event) = events.try_next().await? {
    ///     let by = event.key_id.as_deref().unwrap_or("-");
    ///     println!("{} by key {by}: {:?}", event.method, event.changed_fields);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_audit_events(&self, filter: AuditFilter) -> ItemStream<AuditEvent> {
        self.stream(move |client, page| {
            let filter = filter.clone();
            async move { client.list_audit_events_page(&filter, page).await }
        })
    }

    /// One page of the audit events that pass the filter, newest first.
    pub async fn list_audit_events_page(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, Error> {
        let request = filter.request(&page);
        let response = self
            .read(self.access(), request, |mut s, r| async move {
                s.list_audit_events(r).await
            })
            .await?;
        let items = response.events.into_iter().map(AuditEvent::from).collect();
        Ok(Page::new(items, response.next_page_token))
    }
}
