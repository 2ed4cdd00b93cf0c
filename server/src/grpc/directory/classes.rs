//! Classes and their members.

use super::{DirectoryApi, Res, ok};
use crate::access::Target;
use crate::access::audit::Change;
use crate::directory::{self as dir, NewClass};
use crate::domain::{Error, Need};
use crate::grpc::auth::{audited, caller};
use crate::grpc::convert::{self as cv, page, paged, req_id};
use roster_proto::v1 as pb;
use tonic::{Request, Response};

pub(super) async fn list_classes(
    api: &DirectoryApi,
    req: Request<pb::ListClassesRequest>,
) -> Res<pb::ListClassesResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let school_id = req_id("school_id", &r.school_id)?;
    api.access
        .allow(&caller, Need::Read, Target::School(school_id))
        .await?;
    let filter = cv::status_filter(r.status_filter)?;
    let p = page(
        r.page_size,
        &r.page_token,
        format!("classes:{school_id}:{filter:?}"),
    )?;
    let (classes, next_page_token) = paged(
        dir::list_classes(&api.store, school_id, filter, p).await?,
        cv::class,
    );
    ok(pb::ListClassesResponse {
        classes,
        next_page_token,
    })
}

pub(super) async fn list_class_members(
    api: &DirectoryApi,
    req: Request<pb::ListClassMembersRequest>,
) -> Res<pb::ListClassMembersResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let class_id = req_id("class_id", &r.class_id)?;
    api.access
        .allow(&caller, Need::Read, Target::Class(class_id))
        .await?;
    let filter = cv::status_filter(r.status_filter)?;
    let p = page(
        r.page_size,
        &r.page_token,
        format!("class_members:{class_id}:{filter:?}"),
    )?;
    let (members, next_page_token) = paged(
        dir::list_class_members(&api.store, class_id, filter, p).await?,
        cv::class_member,
    );
    ok(pb::ListClassMembersResponse {
        members,
        next_page_token,
    })
}

pub(super) async fn get_class(
    api: &DirectoryApi,
    req: Request<pb::GetClassRequest>,
) -> Res<pb::GetClassResponse> {
    let caller = caller(&req)?;
    let id = req_id("class_id", &req.get_ref().class_id)?;
    api.access
        .allow(&caller, Need::Read, Target::Class(id))
        .await?;
    let d = dir::get_class(&api.store, id).await?;
    ok(pb::GetClassResponse {
        class: Some(cv::class(d.class)),
        school: Some(cv::school(d.school)),
    })
}

pub(super) async fn create_class(
    api: &DirectoryApi,
    req: Request<pb::CreateClassRequest>,
) -> Res<pb::CreateClassResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let input = NewClass {
        district_id: req_id("district_id", &r.district_id)?,
        school_id: req_id("school_id", &r.school_id)?,
        name: r.name,
        grades: r.grades,
        sis_id: r.sis_id,
    };
    let district_id = input.district_id;
    api.access
        .allow(&caller, Need::Write, Target::District(district_id))
        .await?;
    let c = dir::create_class(&api.store, &caller, input).await?;
    let change =
        Change::new(district_id)
            .target(c.id)
            .fields(["school_id", "name", "grades", "sis_id"]);
    Ok(audited(
        Response::new(pb::CreateClassResponse {
            class: Some(cv::class(c)),
        }),
        change,
    ))
}

pub(super) async fn add_class_member(
    api: &DirectoryApi,
    req: Request<pb::AddClassMemberRequest>,
) -> Res<pb::AddClassMemberResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let class_id = req_id("class_id", &r.class_id)?;
    let user_id = req_id("user_id", &r.user_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Class(class_id))
        .await?;
    let as_teacher = match pb::ClassMemberRole::try_from(r.role) {
        Ok(pb::ClassMemberRole::Teacher) => true,
        Ok(pb::ClassMemberRole::Student) => false,
        _ => return Err(Error::invalid("role", "must be TEACHER or STUDENT").into()),
    };
    let m = dir::add_class_member(&api.store, &caller, class_id, user_id, as_teacher).await?;
    let change = Change::new(district_id)
        .target(class_id)
        .fields(["user_id", "role"]);
    Ok(audited(
        Response::new(pb::AddClassMemberResponse {
            member: Some(cv::class_member(m)),
        }),
        change,
    ))
}
