//! SearchPeople.

use super::{DirectoryApi, Res, ok};
use crate::access::Target;
use crate::directory::{self as dir, PeopleSearch};
use crate::domain::{Need, RecordKind, Result};
use crate::grpc::auth::caller;
use crate::grpc::convert::{self as cv, Wire, page, paged, req_id};
use roster_proto::v1 as pb;
use tonic::Request;

pub(super) async fn search_people(
    api: &DirectoryApi,
    req: Request<pb::SearchPeopleRequest>,
) -> Res<pb::SearchPeopleResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let district_id = req_id("district_id", &r.district_id)?;
    api.access
        .allow(&caller, Need::Read, Target::District(district_id))
        .await?;
    let kinds = r
        .kinds
        .iter()
        .enumerate()
        .map(|(i, k)| RecordKind::read(&format!("kinds[{i}]"), *k))
        .collect::<Result<Vec<_>>>()?;
    let search = PeopleSearch::new(district_id, &r.query, &kinds)?;
    let p = page(r.page_size, &r.page_token, search.scope())?;
    let (people, next_page_token) = paged(
        dir::search_people(&api.store, &search, p).await?,
        cv::person,
    );
    ok(pb::SearchPeopleResponse {
        people,
        next_page_token,
    })
}
