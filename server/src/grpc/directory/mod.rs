//! `roster.v1.DirectoryService`: converts, calls the directory, converts back. Each RPC is
//! a function of its area's module; this one only dispatches to them.

mod accounts;
mod classes;
mod districts;
mod edits;
mod erasure;
mod people;
mod removals;
mod search;

use crate::access::Access;
use crate::directory::ContactInput;
use crate::sources::SourcePaths;
use crate::store::Store;
use roster_proto::v1 as pb;
use roster_proto::v1::directory_service_server::DirectoryService;
use tonic::{Request, Response, Status};

/// The DirectoryService adapter.
#[derive(Debug, Clone)]
pub struct DirectoryApi {
    store: Store,
    access: Access,
    paths: SourcePaths,
}

impl DirectoryApi {
    pub fn new(store: Store, access: Access, paths: SourcePaths) -> Self {
        DirectoryApi {
            store,
            access,
            paths,
        }
    }
}

type Res<T> = Result<Response<T>, Status>;

fn ok<T>(message: T) -> Res<T> {
    Ok(Response::new(message))
}

fn contact(email: String, sms_number: String, home_phone: String) -> ContactInput {
    ContactInput {
        email,
        sms_number,
        home_phone,
    }
}

#[tonic::async_trait]
impl DirectoryService for DirectoryApi {
    async fn create_district(
        &self,
        req: Request<pb::CreateDistrictRequest>,
    ) -> Res<pb::CreateDistrictResponse> {
        districts::create_district(self, req).await
    }

    async fn get_district(
        &self,
        req: Request<pb::GetDistrictRequest>,
    ) -> Res<pb::GetDistrictResponse> {
        districts::get_district(self, req).await
    }

    async fn list_districts(
        &self,
        req: Request<pb::ListDistrictsRequest>,
    ) -> Res<pb::ListDistrictsResponse> {
        districts::list_districts(self, req).await
    }

    async fn create_school(
        &self,
        req: Request<pb::CreateSchoolRequest>,
    ) -> Res<pb::CreateSchoolResponse> {
        districts::create_school(self, req).await
    }

    async fn list_schools(
        &self,
        req: Request<pb::ListSchoolsRequest>,
    ) -> Res<pb::ListSchoolsResponse> {
        districts::list_schools(self, req).await
    }

    async fn list_announcement_recipients(
        &self,
        req: Request<pb::ListAnnouncementRecipientsRequest>,
    ) -> Res<pb::ListAnnouncementRecipientsResponse> {
        districts::list_announcement_recipients(self, req).await
    }

    async fn list_students(
        &self,
        req: Request<pb::ListStudentsRequest>,
    ) -> Res<pb::ListStudentsResponse> {
        people::list_students(self, req).await
    }

    async fn get_student(
        &self,
        req: Request<pb::GetStudentRequest>,
    ) -> Res<pb::GetStudentResponse> {
        people::get_student(self, req).await
    }

    async fn list_staff(&self, req: Request<pb::ListStaffRequest>) -> Res<pb::ListStaffResponse> {
        people::list_staff(self, req).await
    }

    async fn list_guardians(
        &self,
        req: Request<pb::ListGuardiansRequest>,
    ) -> Res<pb::ListGuardiansResponse> {
        people::list_guardians(self, req).await
    }

    async fn get_guardian_access(
        &self,
        req: Request<pb::GetGuardianAccessRequest>,
    ) -> Res<pb::GetGuardianAccessResponse> {
        people::get_guardian_access(self, req).await
    }

    async fn get_guardian(
        &self,
        req: Request<pb::GetGuardianRequest>,
    ) -> Res<pb::GetGuardianResponse> {
        people::get_guardian(self, req).await
    }

    async fn get_staff_member(
        &self,
        req: Request<pb::GetStaffMemberRequest>,
    ) -> Res<pb::GetStaffMemberResponse> {
        people::get_staff_member(self, req).await
    }

    async fn create_student(
        &self,
        req: Request<pb::CreateStudentRequest>,
    ) -> Res<pb::CreateStudentResponse> {
        people::create_student(self, req).await
    }

    async fn create_guardian(
        &self,
        req: Request<pb::CreateGuardianRequest>,
    ) -> Res<pb::CreateGuardianResponse> {
        people::create_guardian(self, req).await
    }

    async fn create_staff_member(
        &self,
        req: Request<pb::CreateStaffMemberRequest>,
    ) -> Res<pb::CreateStaffMemberResponse> {
        people::create_staff_member(self, req).await
    }

    async fn link_guardian(
        &self,
        req: Request<pb::LinkGuardianRequest>,
    ) -> Res<pb::LinkGuardianResponse> {
        people::link_guardian(self, req).await
    }

    async fn update_contact_details(
        &self,
        req: Request<pb::UpdateContactDetailsRequest>,
    ) -> Res<pb::UpdateContactDetailsResponse> {
        accounts::update_contact_details(self, req).await
    }

    async fn set_staff_role(
        &self,
        req: Request<pb::SetStaffRoleRequest>,
    ) -> Res<pb::SetStaffRoleResponse> {
        accounts::set_staff_role(self, req).await
    }

    async fn activate_user(
        &self,
        req: Request<pb::ActivateUserRequest>,
    ) -> Res<pb::ActivateUserResponse> {
        accounts::activate_user(self, req).await
    }

    async fn list_classes(
        &self,
        req: Request<pb::ListClassesRequest>,
    ) -> Res<pb::ListClassesResponse> {
        classes::list_classes(self, req).await
    }

    async fn list_class_members(
        &self,
        req: Request<pb::ListClassMembersRequest>,
    ) -> Res<pb::ListClassMembersResponse> {
        classes::list_class_members(self, req).await
    }

    async fn get_class(&self, req: Request<pb::GetClassRequest>) -> Res<pb::GetClassResponse> {
        classes::get_class(self, req).await
    }

    async fn create_class(
        &self,
        req: Request<pb::CreateClassRequest>,
    ) -> Res<pb::CreateClassResponse> {
        classes::create_class(self, req).await
    }

    async fn add_class_member(
        &self,
        req: Request<pb::AddClassMemberRequest>,
    ) -> Res<pb::AddClassMemberResponse> {
        classes::add_class_member(self, req).await
    }

    async fn search_people(
        &self,
        req: Request<pb::SearchPeopleRequest>,
    ) -> Res<pb::SearchPeopleResponse> {
        search::search_people(self, req).await
    }

    async fn update_student(
        &self,
        req: Request<pb::UpdateStudentRequest>,
    ) -> Res<pb::UpdateStudentResponse> {
        edits::update_student(self, req).await
    }

    async fn update_guardian(
        &self,
        req: Request<pb::UpdateGuardianRequest>,
    ) -> Res<pb::UpdateGuardianResponse> {
        edits::update_guardian(self, req).await
    }

    async fn update_staff_member(
        &self,
        req: Request<pb::UpdateStaffMemberRequest>,
    ) -> Res<pb::UpdateStaffMemberResponse> {
        edits::update_staff_member(self, req).await
    }

    async fn update_class(
        &self,
        req: Request<pb::UpdateClassRequest>,
    ) -> Res<pb::UpdateClassResponse> {
        edits::update_class(self, req).await
    }

    async fn archive_student(
        &self,
        req: Request<pb::ArchiveStudentRequest>,
    ) -> Res<pb::ArchiveStudentResponse> {
        removals::archive_student(self, req).await
    }

    async fn restore_student(
        &self,
        req: Request<pb::RestoreStudentRequest>,
    ) -> Res<pb::RestoreStudentResponse> {
        removals::restore_student(self, req).await
    }

    async fn archive_class(
        &self,
        req: Request<pb::ArchiveClassRequest>,
    ) -> Res<pb::ArchiveClassResponse> {
        removals::archive_class(self, req).await
    }

    async fn restore_class(
        &self,
        req: Request<pb::RestoreClassRequest>,
    ) -> Res<pb::RestoreClassResponse> {
        removals::restore_class(self, req).await
    }

    async fn remove_class_member(
        &self,
        req: Request<pb::RemoveClassMemberRequest>,
    ) -> Res<pb::RemoveClassMemberResponse> {
        removals::remove_class_member(self, req).await
    }

    async fn unlink_guardian(
        &self,
        req: Request<pb::UnlinkGuardianRequest>,
    ) -> Res<pb::UnlinkGuardianResponse> {
        removals::unlink_guardian(self, req).await
    }

    async fn remove_school_member(
        &self,
        req: Request<pb::RemoveSchoolMemberRequest>,
    ) -> Res<pb::RemoveSchoolMemberResponse> {
        removals::remove_school_member(self, req).await
    }

    async fn erase_person(
        &self,
        req: Request<pb::ErasePersonRequest>,
    ) -> Res<pb::ErasePersonResponse> {
        erasure::erase_person(self, req).await
    }

    async fn list_suppressions(
        &self,
        req: Request<pb::ListSuppressionsRequest>,
    ) -> Res<pb::ListSuppressionsResponse> {
        erasure::list_suppressions(self, req).await
    }

    async fn lift_suppression(
        &self,
        req: Request<pb::LiftSuppressionRequest>,
    ) -> Res<pb::LiftSuppressionResponse> {
        erasure::lift_suppression(self, req).await
    }

    async fn erase_district(
        &self,
        req: Request<pb::EraseDistrictRequest>,
    ) -> Res<pb::EraseDistrictResponse> {
        erasure::erase_district(self, req).await
    }
}
