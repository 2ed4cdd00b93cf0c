//! Manual changes to manual records and memberships: archive and restore, remove a class
//! member, unlink a guardian, remove a school member (MANAGED_BY_SYNC for sis ones).

use super::{DirectoryApi, Res};
use crate::access::Target;
use crate::access::audit::Change;
use crate::directory as dir;
use crate::domain::Need;
use crate::grpc::auth::{audited, caller};
use crate::grpc::convert::{self as cv, req_id};
use roster_proto::v1 as pb;
use tonic::{Request, Response};

/// Archives or restores a student: the audit names its `status`.
async fn student_status(
    api: &DirectoryApi,
    caller: &crate::domain::Caller,
    student_id: &str,
    archive: bool,
) -> Result<(Option<pb::Student>, Change), tonic::Status> {
    let id = req_id("student_id", student_id)?;
    let district_id = api
        .access
        .allow(caller, Need::Write, Target::Student(id))
        .await?;
    let s = dir::set_student_archived(&api.store, caller, id, archive).await?;
    let change = Change::new(district_id).target(id).fields(["status"]);
    Ok((Some(cv::student(s)), change))
}

/// Archives or restores a class: the audit names its `status`.
async fn class_status(
    api: &DirectoryApi,
    caller: &crate::domain::Caller,
    class_id: &str,
    archive: bool,
) -> Result<(Option<pb::Class>, Change), tonic::Status> {
    let id = req_id("class_id", class_id)?;
    let district_id = api
        .access
        .allow(caller, Need::Write, Target::Class(id))
        .await?;
    let c = dir::set_class_archived(&api.store, caller, id, archive).await?;
    let change = Change::new(district_id).target(id).fields(["status"]);
    Ok((Some(cv::class(c)), change))
}

pub(super) async fn archive_student(
    api: &DirectoryApi,
    req: Request<pb::ArchiveStudentRequest>,
) -> Res<pb::ArchiveStudentResponse> {
    let caller = caller(&req)?;
    let (student, change) = student_status(api, &caller, &req.get_ref().student_id, true).await?;
    Ok(audited(
        Response::new(pb::ArchiveStudentResponse { student }),
        change,
    ))
}

pub(super) async fn restore_student(
    api: &DirectoryApi,
    req: Request<pb::RestoreStudentRequest>,
) -> Res<pb::RestoreStudentResponse> {
    let caller = caller(&req)?;
    let (student, change) = student_status(api, &caller, &req.get_ref().student_id, false).await?;
    Ok(audited(
        Response::new(pb::RestoreStudentResponse { student }),
        change,
    ))
}

pub(super) async fn archive_class(
    api: &DirectoryApi,
    req: Request<pb::ArchiveClassRequest>,
) -> Res<pb::ArchiveClassResponse> {
    let caller = caller(&req)?;
    let (class, change) = class_status(api, &caller, &req.get_ref().class_id, true).await?;
    Ok(audited(
        Response::new(pb::ArchiveClassResponse { class }),
        change,
    ))
}

pub(super) async fn restore_class(
    api: &DirectoryApi,
    req: Request<pb::RestoreClassRequest>,
) -> Res<pb::RestoreClassResponse> {
    let caller = caller(&req)?;
    let (class, change) = class_status(api, &caller, &req.get_ref().class_id, false).await?;
    Ok(audited(
        Response::new(pb::RestoreClassResponse { class }),
        change,
    ))
}

pub(super) async fn remove_class_member(
    api: &DirectoryApi,
    req: Request<pb::RemoveClassMemberRequest>,
) -> Res<pb::RemoveClassMemberResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let class_id = req_id("class_id", &r.class_id)?;
    let user_id = req_id("user_id", &r.user_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Class(class_id))
        .await?;
    dir::remove_class_member(&api.store, &caller, class_id, user_id).await?;
    Ok(audited(
        Response::new(pb::RemoveClassMemberResponse {}),
        Change::new(district_id)
            .target(class_id)
            .fields(["user_id"]),
    ))
}

pub(super) async fn unlink_guardian(
    api: &DirectoryApi,
    req: Request<pb::UnlinkGuardianRequest>,
) -> Res<pb::UnlinkGuardianResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let guardian_id = req_id("guardian_id", &r.guardian_id)?;
    let student_id = req_id("student_id", &r.student_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Guardian(guardian_id))
        .await?;
    let g = dir::unlink_guardian(&api.store, &caller, guardian_id, student_id).await?;
    Ok(audited(
        Response::new(pb::UnlinkGuardianResponse {
            guardian: Some(cv::guardian(g)),
        }),
        Change::new(district_id)
            .target(guardian_id)
            .fields(["student_id"]),
    ))
}

pub(super) async fn remove_school_member(
    api: &DirectoryApi,
    req: Request<pb::RemoveSchoolMemberRequest>,
) -> Res<pb::RemoveSchoolMemberResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let school_id = req_id("school_id", &r.school_id)?;
    let user_id = req_id("user_id", &r.user_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::School(school_id))
        .await?;
    dir::remove_school_member(&api.store, &caller, school_id, user_id).await?;
    Ok(audited(
        Response::new(pb::RemoveSchoolMemberResponse {}),
        Change::new(district_id)
            .target(school_id)
            .fields(["user_id"]),
    ))
}
