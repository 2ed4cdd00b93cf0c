//! Students, guardians and staff members: reads, manual creation and links.

use super::{DirectoryApi, Res, contact, ok};
use crate::access::Target;
use crate::access::audit::Change;
use crate::directory::{self as dir, NewGuardian, NewStaff, NewStudent};
use crate::domain::{Need, StaffRole};
use crate::grpc::auth::{audited, caller};
use crate::grpc::convert::{self as cv, Wire, page, paged, req_id};
use roster_proto::v1 as pb;
use tonic::{Request, Response};

pub(super) async fn list_students(
    api: &DirectoryApi,
    req: Request<pb::ListStudentsRequest>,
) -> Res<pb::ListStudentsResponse> {
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
        format!("students:{school_id}:{filter:?}"),
    )?;
    let (students, next_page_token) = paged(
        dir::list_students(&api.store, school_id, filter, p).await?,
        cv::student,
    );
    ok(pb::ListStudentsResponse {
        students,
        next_page_token,
    })
}

pub(super) async fn get_student(
    api: &DirectoryApi,
    req: Request<pb::GetStudentRequest>,
) -> Res<pb::GetStudentResponse> {
    let caller = caller(&req)?;
    let id = req_id("student_id", &req.get_ref().student_id)?;
    api.access
        .allow(&caller, Need::Read, Target::Student(id))
        .await?;
    let d = dir::get_student(&api.store, id).await?;
    ok(pb::GetStudentResponse {
        student: Some(cv::student(d.student)),
        guardians: d.guardians.into_iter().map(cv::guardian).collect(),
        classes: d.classes.into_iter().map(cv::class).collect(),
    })
}

pub(super) async fn list_staff(
    api: &DirectoryApi,
    req: Request<pb::ListStaffRequest>,
) -> Res<pb::ListStaffResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let school_id = req_id("school_id", &r.school_id)?;
    api.access
        .allow(&caller, Need::Read, Target::School(school_id))
        .await?;
    let p = page(r.page_size, &r.page_token, format!("staff:{school_id}"))?;
    let (staff, next_page_token) =
        paged(dir::list_staff(&api.store, school_id, p).await?, cv::staff);
    ok(pb::ListStaffResponse {
        staff,
        next_page_token,
    })
}

pub(super) async fn list_guardians(
    api: &DirectoryApi,
    req: Request<pb::ListGuardiansRequest>,
) -> Res<pb::ListGuardiansResponse> {
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
        format!("guardians:{school_id}:{filter:?}"),
    )?;
    let (guardians, next_page_token) = paged(
        dir::list_guardians(&api.store, school_id, filter, p).await?,
        cv::guardian,
    );
    ok(pb::ListGuardiansResponse {
        guardians,
        next_page_token,
    })
}

pub(super) async fn get_guardian_access(
    api: &DirectoryApi,
    req: Request<pb::GetGuardianAccessRequest>,
) -> Res<pb::GetGuardianAccessResponse> {
    let caller = caller(&req)?;
    let id = req_id("guardian_id", &req.get_ref().guardian_id)?;
    api.access
        .allow(&caller, Need::Read, Target::Guardian(id))
        .await?;
    let a = dir::guardian_access(&api.store, id).await?;
    ok(pb::GetGuardianAccessResponse {
        guardian: Some(cv::guardian(a.guardian)),
        students: a.students.into_iter().map(cv::student).collect(),
        schools: a.schools.into_iter().map(cv::school).collect(),
        classes: a.classes.into_iter().map(cv::class).collect(),
        student_content_classes: a
            .student_content_classes
            .into_iter()
            .map(cv::class)
            .collect(),
    })
}

pub(super) async fn get_guardian(
    api: &DirectoryApi,
    req: Request<pb::GetGuardianRequest>,
) -> Res<pb::GetGuardianResponse> {
    let caller = caller(&req)?;
    let id = req_id("guardian_id", &req.get_ref().guardian_id)?;
    api.access
        .allow(&caller, Need::Read, Target::Guardian(id))
        .await?;
    let d = dir::get_guardian(&api.store, id).await?;
    ok(pb::GetGuardianResponse {
        guardian: Some(cv::guardian(d.guardian)),
        students: d.students.into_iter().map(cv::student).collect(),
    })
}

pub(super) async fn get_staff_member(
    api: &DirectoryApi,
    req: Request<pb::GetStaffMemberRequest>,
) -> Res<pb::GetStaffMemberResponse> {
    let caller = caller(&req)?;
    let id = req_id("staff_id", &req.get_ref().staff_id)?;
    api.access
        .allow(&caller, Need::Read, Target::Staff(id))
        .await?;
    let d = dir::get_staff(&api.store, id).await?;
    ok(pb::GetStaffMemberResponse {
        staff_member: Some(cv::staff(d.staff)),
        classes: d.classes.into_iter().map(cv::class).collect(),
    })
}

pub(super) async fn create_student(
    api: &DirectoryApi,
    req: Request<pb::CreateStudentRequest>,
) -> Res<pb::CreateStudentResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let input = NewStudent {
        district_id: req_id("district_id", &r.district_id)?,
        school_id: req_id("school_id", &r.school_id)?,
        given_name: r.given_name,
        family_name: r.family_name,
        email: r.email,
        grade: r.grade,
        sis_id: r.sis_id,
    };
    let district_id = input.district_id;
    api.access
        .allow(&caller, Need::Write, Target::District(district_id))
        .await?;
    let s = dir::create_student(&api.store, &caller, input).await?;
    let change = Change::new(district_id).target(s.row.id).fields([
        "school_id",
        "given_name",
        "family_name",
        "email",
        "grade",
        "sis_id",
    ]);
    Ok(audited(
        Response::new(pb::CreateStudentResponse {
            student: Some(cv::student(s)),
        }),
        change,
    ))
}

pub(super) async fn create_guardian(
    api: &DirectoryApi,
    req: Request<pb::CreateGuardianRequest>,
) -> Res<pb::CreateGuardianResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let input = NewGuardian {
        district_id: req_id("district_id", &r.district_id)?,
        given_name: r.given_name,
        family_name: r.family_name,
        contact: contact(r.email, r.sms_number, r.home_phone),
        language: r.language,
        sis_id: r.sis_id,
    };
    let district_id = input.district_id;
    api.access
        .allow(&caller, Need::Write, Target::District(district_id))
        .await?;
    let g = dir::create_guardian(&api.store, &caller, input).await?;
    let change = Change::new(district_id).target(g.row.id).fields([
        "given_name",
        "family_name",
        "email",
        "sms_number",
        "home_phone",
        "language",
        "sis_id",
    ]);
    Ok(audited(
        Response::new(pb::CreateGuardianResponse {
            guardian: Some(cv::guardian(g)),
        }),
        change,
    ))
}

pub(super) async fn create_staff_member(
    api: &DirectoryApi,
    req: Request<pb::CreateStaffMemberRequest>,
) -> Res<pb::CreateStaffMemberResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let district_id = req_id("district_id", &r.district_id)?;
    api.access
        .allow(&caller, Need::Write, Target::District(district_id))
        .await?;
    let input = NewStaff {
        district_id,
        school_id: req_id("school_id", &r.school_id)?,
        given_name: r.given_name,
        family_name: r.family_name,
        contact: contact(r.email, r.sms_number, r.home_phone),
        language: r.language,
        role: StaffRole::read("role", r.role)?,
        sis_id: r.sis_id,
    };
    let s = dir::create_staff(&api.store, &caller, input).await?;
    let change = Change::new(district_id).target(s.row.id).fields([
        "school_id",
        "given_name",
        "family_name",
        "email",
        "sms_number",
        "home_phone",
        "language",
        "role",
        "sis_id",
    ]);
    Ok(audited(
        Response::new(pb::CreateStaffMemberResponse {
            staff_member: Some(cv::staff(s)),
        }),
        change,
    ))
}

pub(super) async fn link_guardian(
    api: &DirectoryApi,
    req: Request<pb::LinkGuardianRequest>,
) -> Res<pb::LinkGuardianResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let guardian_id = req_id("guardian_id", &r.guardian_id)?;
    let student_id = req_id("student_id", &r.student_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Guardian(guardian_id))
        .await?;
    let g = dir::link_guardian(&api.store, &caller, guardian_id, student_id).await?;
    let change = Change::new(district_id)
        .target(guardian_id)
        .fields(["student_id"]);
    Ok(audited(
        Response::new(pb::LinkGuardianResponse {
            guardian: Some(cv::guardian(g)),
        }),
        change,
    ))
}
