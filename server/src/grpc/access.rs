//! `roster.v1.AccessService`: API keys and the audit log.

use super::auth::{audited, caller};
use super::convert::{self as cv, Wire, opt_id, page, paged, req_id};
use crate::access::audit::{self, Change};
use crate::access::keys::{self, NewKey};
use crate::domain::{ApiKeyRole, Error};
use crate::store::Store;
use crate::store::queries::audit::AuditFilter;
use roster_proto::v1 as pb;
use roster_proto::v1::access_service_server::AccessService;
use tonic::{Request, Response, Status};

/// The AccessService adapter.
#[derive(Debug, Clone)]
pub struct AccessApi {
    store: Store,
}

impl AccessApi {
    pub fn new(store: Store) -> Self {
        AccessApi { store }
    }
}

type Res<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl AccessService for AccessApi {
    async fn create_api_key(
        &self,
        req: Request<pb::CreateApiKeyRequest>,
    ) -> Res<pb::CreateApiKeyResponse> {
        caller(&req)?.check_admin()?;
        let r = req.into_inner();
        let district_ids = r
            .district_ids
            .iter()
            .enumerate()
            .map(|(i, d)| req_id(&format!("district_ids[{i}]"), d))
            .collect::<Result<Vec<_>, _>>()?;
        let role = ApiKeyRole::read("role", r.role)?
            .ok_or_else(|| Error::invalid("role", "is required (ADMIN, OPERATOR or READER)"))?;
        let (key, secret) = keys::create(
            &self.store,
            NewKey {
                display_name: r.display_name,
                role,
                district_ids,
                all_districts: r.all_districts,
                rate_limit_per_second: r.rate_limit_per_second,
            },
        )
        .await?;
        let change = Change::default().target(key.row.id).fields([
            "display_name",
            "role",
            "district_ids",
            "all_districts",
            "rate_limit_per_second",
        ]);
        Ok(audited(
            Response::new(pb::CreateApiKeyResponse {
                key: Some(cv::api_key(key)),
                secret,
            }),
            change,
        ))
    }

    async fn list_api_keys(
        &self,
        req: Request<pb::ListApiKeysRequest>,
    ) -> Res<pb::ListApiKeysResponse> {
        caller(&req)?.check_admin()?;
        let r = req.into_inner();
        let p = page(r.page_size, &r.page_token, "keys".into())?;
        let (keys, next_page_token) = paged(keys::list(&self.store, p).await?, cv::api_key);
        Ok(Response::new(pb::ListApiKeysResponse {
            keys,
            next_page_token,
        }))
    }

    async fn revoke_api_key(
        &self,
        req: Request<pb::RevokeApiKeyRequest>,
    ) -> Res<pb::RevokeApiKeyResponse> {
        caller(&req)?.check_admin()?;
        let key_id = req_id("key_id", &req.get_ref().key_id)?;
        let key = keys::revoke(&self.store, key_id).await?;
        Ok(audited(
            Response::new(pb::RevokeApiKeyResponse {
                key: Some(cv::api_key(key)),
            }),
            Change::default().target(key_id).fields(["revoke_time"]),
        ))
    }

    async fn list_audit_events(
        &self,
        req: Request<pb::ListAuditEventsRequest>,
    ) -> Res<pb::ListAuditEventsResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let filter = AuditFilter {
            district_id: opt_id("district_id", &r.district_id)?,
            key_id: opt_id("key_id", &r.key_id)?,
            start: r.start_time.as_ref().map(cv::from_timestamp).transpose()?,
            end: r.end_time.as_ref().map(cv::from_timestamp).transpose()?,
            districts: None,
        };
        let scope = format!(
            "audit:{:?}:{:?}:{:?}:{:?}",
            filter.district_id, filter.key_id, filter.start, filter.end
        );
        let p = page(r.page_size, &r.page_token, scope)?;
        let (events, next_page_token) = paged(
            audit::list(&self.store, &caller, filter, p).await?,
            cv::audit_event,
        );
        Ok(Response::new(pb::ListAuditEventsResponse {
            events,
            next_page_token,
        }))
    }
}
