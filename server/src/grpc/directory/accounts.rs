//! The account actions on guardians and staff: contact edits (R4.6), the staff role
//! (R4.3) and activation (R4.5).

use super::{DirectoryApi, Res, contact};
use crate::access::Target;
use crate::access::audit::Change;
use crate::directory::{self as dir, ContactMask};
use crate::domain::{Error, Need, StaffRole};
use crate::grpc::auth::{audited, caller};
use crate::grpc::convert::{self as cv, User, Wire, req_id};
use roster_proto::v1 as pb;
use tonic::{Request, Response};

pub(super) async fn update_contact_details(
    api: &DirectoryApi,
    req: Request<pb::UpdateContactDetailsRequest>,
) -> Res<pb::UpdateContactDetailsResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let user_id = req_id("user_id", &r.user_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::User(user_id))
        .await?;
    let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
    let mask = ContactMask::parse(&paths)?;
    let c = r.contact_details.unwrap_or_default();
    let h = dir::update_contact_details(
        &api.store,
        &caller,
        user_id,
        contact(c.email, c.sms_number, c.home_phone),
        mask,
    )
    .await?;
    let user = match cv::account_holder(h) {
        User::Guardian(g) => pb::update_contact_details_response::User::Guardian(g),
        User::Staff(s) => pb::update_contact_details_response::User::StaffMember(s),
    };
    let change = Change::new(district_id).target(user_id).fields(paths);
    Ok(audited(
        Response::new(pb::UpdateContactDetailsResponse { user: Some(user) }),
        change,
    ))
}

pub(super) async fn set_staff_role(
    api: &DirectoryApi,
    req: Request<pb::SetStaffRoleRequest>,
) -> Res<pb::SetStaffRoleResponse> {
    let caller = caller(&req)?;
    let r = req.into_inner();
    let staff_id = req_id("staff_id", &r.staff_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::Staff(staff_id))
        .await?;
    let role = StaffRole::read("role", r.role)?
        .ok_or_else(|| Error::invalid("role", "is required (ADMIN or TEACHER)"))?;
    let s = dir::set_staff_role(&api.store, &caller, staff_id, role).await?;
    Ok(audited(
        Response::new(pb::SetStaffRoleResponse {
            staff_member: Some(cv::staff(s)),
        }),
        Change::new(district_id).target(staff_id).fields(["role"]),
    ))
}

pub(super) async fn activate_user(
    api: &DirectoryApi,
    req: Request<pb::ActivateUserRequest>,
) -> Res<pb::ActivateUserResponse> {
    let caller = caller(&req)?;
    let user_id = req_id("user_id", &req.get_ref().user_id)?;
    let district_id = api
        .access
        .allow(&caller, Need::Write, Target::User(user_id))
        .await?;
    let h = dir::activate_user(&api.store, &caller, user_id).await?;
    let user = match cv::account_holder(h) {
        User::Guardian(g) => pb::activate_user_response::User::Guardian(g),
        User::Staff(s) => pb::activate_user_response::User::StaffMember(s),
    };
    Ok(audited(
        Response::new(pb::ActivateUserResponse { user: Some(user) }),
        Change::new(district_id)
            .target(user_id)
            .fields(["activated"]),
    ))
}
