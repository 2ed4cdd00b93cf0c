//! Erasure (S6): a person, its suppressions, a whole district.

use super::{DirectoryApi, Res, ok};
use crate::access::Target;
use crate::access::audit::Change;
use crate::directory as dir;
use crate::domain::Need;
use crate::grpc::auth::{audited, caller};
use crate::grpc::convert::{self as cv, page, paged, req_id};
use roster_proto::v1 as pb;
use tonic::{Request, Response};

pub(super) async fn erase_person(
    api: &DirectoryApi,
    req: Request<pb::ErasePersonRequest>,
) -> Res<pb::ErasePersonResponse> {
    let caller = caller(&req)?;
    let person_id = req_id("person_id", &req.get_ref().person_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Person(person_id))
        .await?;
    let suppression = dir::erase_person(&api.store, person_id).await?;
    // The audit log keeps only that an erasure happened, by whom, with the record id.
    Ok(audited(
        Response::new(pb::ErasePersonResponse {
            suppression: suppression.map(cv::suppression),
        }),
        Change::new(district_id).target(person_id),
    ))
}

pub(super) async fn list_suppressions(
    api: &DirectoryApi,
    req: Request<pb::ListSuppressionsRequest>,
) -> Res<pb::ListSuppressionsResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let district_id = req_id("district_id", &r.district_id)?;
    api.access
        .allow(&caller, Need::Read, Target::District(district_id))
        .await?;
    let p = page(
        r.page_size,
        &r.page_token,
        format!("suppressions:{district_id}"),
    )?;
    let (suppressions, next_page_token) = paged(
        dir::list_suppressions(&api.store, district_id, p).await?,
        cv::suppression,
    );
    ok(pb::ListSuppressionsResponse {
        suppressions,
        next_page_token,
    })
}

pub(super) async fn lift_suppression(
    api: &DirectoryApi,
    req: Request<pb::LiftSuppressionRequest>,
) -> Res<pb::LiftSuppressionResponse> {
    let caller = caller(&req)?;
    let id = req_id("suppression_id", &req.get_ref().suppression_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Suppression(id))
        .await?;
    dir::lift_suppression(&api.store, id).await?;
    Ok(audited(
        Response::new(pb::LiftSuppressionResponse {}),
        Change::new(district_id).target(id),
    ))
}

pub(super) async fn erase_district(
    api: &DirectoryApi,
    req: Request<pb::EraseDistrictRequest>,
) -> Res<pb::EraseDistrictResponse> {
    caller(&req)?.check_admin()?;
    let r = req.into_inner();
    let district_id = req_id("district_id", &r.district_id)?;
    let removed =
        dir::erase_district(&api.store, &api.paths, district_id, &r.confirm_display_name).await?;
    Ok(audited(
        Response::new(pb::EraseDistrictResponse {
            removed: removed.into_iter().collect(),
        }),
        Change::new(district_id).target(district_id),
    ))
}
