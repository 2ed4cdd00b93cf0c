//! Field-masked edits of people and classes (R4.1 to R4.4, R4.7).

use super::{DirectoryApi, Res};
use crate::access::Target;
use crate::access::audit::Change;
use crate::directory::{self as dir, AccountEdit, ClassEdit, StudentEdit};
use crate::domain::Need;
use crate::grpc::auth::{audited, caller};
use crate::grpc::convert::{self as cv, req_id};
use roster_proto::prost_types::FieldMask;
use roster_proto::v1 as pb;
use tonic::{Request, Response};

/// The paths of an update mask, each once, in the order given.
fn paths(mask: Option<FieldMask>) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for path in mask.map(|m| m.paths).unwrap_or_default() {
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

pub(super) async fn update_student(
    api: &DirectoryApi,
    req: Request<pb::UpdateStudentRequest>,
) -> Res<pb::UpdateStudentResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let id = req_id("student_id", &r.student_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Student(id))
        .await?;
    let paths = paths(r.update_mask);
    let edit = StudentEdit {
        given_name: r.given_name,
        family_name: r.family_name,
        grade: r.grade,
    };
    let s = dir::update_student(&api.store, &caller, id, edit, &paths).await?;
    Ok(audited(
        Response::new(pb::UpdateStudentResponse {
            student: Some(cv::student(s)),
        }),
        Change::new(district_id).target(id).fields(paths),
    ))
}

pub(super) async fn update_guardian(
    api: &DirectoryApi,
    req: Request<pb::UpdateGuardianRequest>,
) -> Res<pb::UpdateGuardianResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let id = req_id("guardian_id", &r.guardian_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Guardian(id))
        .await?;
    let paths = paths(r.update_mask);
    let edit = AccountEdit {
        given_name: r.given_name,
        family_name: r.family_name,
        language: r.language,
    };
    let g = dir::update_guardian(&api.store, &caller, id, edit, &paths).await?;
    Ok(audited(
        Response::new(pb::UpdateGuardianResponse {
            guardian: Some(cv::guardian(g)),
        }),
        Change::new(district_id).target(id).fields(paths),
    ))
}

pub(super) async fn update_staff_member(
    api: &DirectoryApi,
    req: Request<pb::UpdateStaffMemberRequest>,
) -> Res<pb::UpdateStaffMemberResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let id = req_id("staff_id", &r.staff_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Staff(id))
        .await?;
    let paths = paths(r.update_mask);
    let edit = AccountEdit {
        given_name: r.given_name,
        family_name: r.family_name,
        language: r.language,
    };
    let s = dir::update_staff(&api.store, &caller, id, edit, &paths).await?;
    Ok(audited(
        Response::new(pb::UpdateStaffMemberResponse {
            staff_member: Some(cv::staff(s)),
        }),
        Change::new(district_id).target(id).fields(paths),
    ))
}

pub(super) async fn update_class(
    api: &DirectoryApi,
    req: Request<pb::UpdateClassRequest>,
) -> Res<pb::UpdateClassResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let id = req_id("class_id", &r.class_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Class(id))
        .await?;
    let paths = paths(r.update_mask);
    let edit = ClassEdit {
        name: r.name,
        grades: r.grades,
    };
    let c = dir::update_class(&api.store, &caller, id, edit, &paths).await?;
    Ok(audited(
        Response::new(pb::UpdateClassResponse {
            class: Some(cv::class(c)),
        }),
        Change::new(district_id).target(id).fields(paths),
    ))
}
