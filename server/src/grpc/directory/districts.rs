//! Districts, schools, and who receives an announcement.

use super::{DirectoryApi, Res, ok};
use crate::access::Target;
use crate::access::audit::Change;
use crate::directory as dir;
use crate::domain::Need;
use crate::grpc::auth::{audited, caller};
use crate::grpc::convert::{self as cv, opt_id, page, paged, req_id};
use roster_proto::v1 as pb;
use tonic::{Request, Response};

pub(super) async fn create_district(
    api: &DirectoryApi,
    req: Request<pb::CreateDistrictRequest>,
) -> Res<pb::CreateDistrictResponse> {
    let caller = caller(&req)?;
    caller.check_admin()?;
    let r = req.into_inner();
    let d = dir::create_district(&api.store, &r.display_name).await?;
    let change = Change::new(d.id).target(d.id).fields(["display_name"]);
    Ok(audited(
        Response::new(pb::CreateDistrictResponse {
            district: Some(cv::district(d)),
        }),
        change,
    ))
}

pub(super) async fn get_district(
    api: &DirectoryApi,
    req: Request<pb::GetDistrictRequest>,
) -> Res<pb::GetDistrictResponse> {
    let caller = caller(&req)?;
    let id = req_id("district_id", &req.get_ref().district_id)?;
    api.access
        .allow(&caller, Need::Read, Target::District(id))
        .await?;
    let d = dir::get_district(&api.store, id).await?;
    ok(pb::GetDistrictResponse {
        district: Some(cv::district(d)),
    })
}

pub(super) async fn list_districts(
    api: &DirectoryApi,
    req: Request<pb::ListDistrictsRequest>,
) -> Res<pb::ListDistrictsResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let p = page(r.page_size, &r.page_token, "districts".into())?;
    let (districts, next_page_token) = paged(
        dir::list_districts(&api.store, caller.visible(), p).await?,
        cv::district,
    );
    ok(pb::ListDistrictsResponse {
        districts,
        next_page_token,
    })
}

pub(super) async fn create_school(
    api: &DirectoryApi,
    req: Request<pb::CreateSchoolRequest>,
) -> Res<pb::CreateSchoolResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let district_id = req_id("district_id", &r.district_id)?;
    api.access
        .allow(&caller, Need::Write, Target::District(district_id))
        .await?;
    let s = dir::create_school(&api.store, district_id, &r.name, &r.sis_id).await?;
    let change = Change::new(district_id)
        .target(s.id)
        .fields(["name", "sis_id"]);
    Ok(audited(
        Response::new(pb::CreateSchoolResponse {
            school: Some(cv::school(s)),
        }),
        change,
    ))
}

pub(super) async fn list_schools(
    api: &DirectoryApi,
    req: Request<pb::ListSchoolsRequest>,
) -> Res<pb::ListSchoolsResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let district_id = req_id("district_id", &r.district_id)?;
    api.access
        .allow(&caller, Need::Read, Target::District(district_id))
        .await?;
    let p = page(r.page_size, &r.page_token, format!("schools:{district_id}"))?;
    let (schools, next_page_token) = paged(
        dir::list_schools(&api.store, district_id, p).await?,
        cv::school,
    );
    ok(pb::ListSchoolsResponse {
        schools,
        next_page_token,
    })
}

pub(super) async fn list_announcement_recipients(
    api: &DirectoryApi,
    req: Request<pb::ListAnnouncementRecipientsRequest>,
) -> Res<pb::ListAnnouncementRecipientsResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let district_id = req_id("district_id", &r.district_id)?;
    api.access
        .allow(&caller, Need::Read, Target::District(district_id))
        .await?;
    let school_id = opt_id("school_id", &r.school_id)?;
    let scope = format!("recipients:{district_id}:{}", school_id.unwrap_or(0));
    let p = page(r.page_size, &r.page_token, scope)?;
    let (recipients, next_page_token) = paged(
        dir::list_announcement_recipients(&api.store, district_id, school_id, p).await?,
        cv::recipient,
    );
    ok(pb::ListAnnouncementRecipientsResponse {
        recipients,
        next_page_token,
    })
}
