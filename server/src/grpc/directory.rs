//! `roster.v1.DirectoryService`: converts, calls the directory, converts back.

use super::convert::{self as cv, User, Wire, page, paged, req_id};
use crate::directory::{
    self as dir, ContactInput, ContactMask, NewClass, NewGuardian, NewStaff, NewStudent,
};
use crate::domain::{Error, StaffRole};
use crate::store::Store;
use roster_proto::v1 as pb;
use roster_proto::v1::directory_service_server::DirectoryService;
use tonic::{Request, Response, Status};

/// The DirectoryService adapter.
#[derive(Debug, Clone)]
pub struct DirectoryApi {
    store: Store,
}

impl DirectoryApi {
    pub fn new(store: Store) -> Self {
        DirectoryApi { store }
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
        let r = req.into_inner();
        let d = dir::create_district(&self.store, &r.display_name).await?;
        ok(pb::CreateDistrictResponse {
            district: Some(cv::district(d)),
        })
    }

    async fn get_district(
        &self,
        req: Request<pb::GetDistrictRequest>,
    ) -> Res<pb::GetDistrictResponse> {
        let id = req_id("district_id", &req.get_ref().district_id)?;
        let d = dir::get_district(&self.store, id).await?;
        ok(pb::GetDistrictResponse {
            district: Some(cv::district(d)),
        })
    }

    async fn list_districts(
        &self,
        req: Request<pb::ListDistrictsRequest>,
    ) -> Res<pb::ListDistrictsResponse> {
        let r = req.into_inner();
        let p = page(r.page_size, &r.page_token, "districts".into())?;
        let (districts, next_page_token) =
            paged(dir::list_districts(&self.store, p).await?, cv::district);
        ok(pb::ListDistrictsResponse {
            districts,
            next_page_token,
        })
    }

    async fn create_school(
        &self,
        req: Request<pb::CreateSchoolRequest>,
    ) -> Res<pb::CreateSchoolResponse> {
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        let s = dir::create_school(&self.store, district_id, &r.name, &r.sis_id).await?;
        ok(pb::CreateSchoolResponse {
            school: Some(cv::school(s)),
        })
    }

    async fn list_schools(
        &self,
        req: Request<pb::ListSchoolsRequest>,
    ) -> Res<pb::ListSchoolsResponse> {
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        let p = page(r.page_size, &r.page_token, format!("schools:{district_id}"))?;
        let (schools, next_page_token) = paged(
            dir::list_schools(&self.store, district_id, p).await?,
            cv::school,
        );
        ok(pb::ListSchoolsResponse {
            schools,
            next_page_token,
        })
    }

    async fn list_students(
        &self,
        req: Request<pb::ListStudentsRequest>,
    ) -> Res<pb::ListStudentsResponse> {
        let r = req.into_inner();
        let school_id = req_id("school_id", &r.school_id)?;
        let filter = cv::status_filter(r.status_filter)?;
        let p = page(
            r.page_size,
            &r.page_token,
            format!("students:{school_id}:{filter:?}"),
        )?;
        let (students, next_page_token) = paged(
            dir::list_students(&self.store, school_id, filter, p).await?,
            cv::student,
        );
        ok(pb::ListStudentsResponse {
            students,
            next_page_token,
        })
    }

    async fn get_student(
        &self,
        req: Request<pb::GetStudentRequest>,
    ) -> Res<pb::GetStudentResponse> {
        let id = req_id("student_id", &req.get_ref().student_id)?;
        let d = dir::get_student(&self.store, id).await?;
        ok(pb::GetStudentResponse {
            student: Some(cv::student(d.student)),
            guardians: d.guardians.into_iter().map(cv::guardian).collect(),
            classes: d.classes.into_iter().map(cv::class).collect(),
        })
    }

    async fn list_staff(&self, req: Request<pb::ListStaffRequest>) -> Res<pb::ListStaffResponse> {
        let r = req.into_inner();
        let school_id = req_id("school_id", &r.school_id)?;
        let p = page(r.page_size, &r.page_token, format!("staff:{school_id}"))?;
        let (staff, next_page_token) =
            paged(dir::list_staff(&self.store, school_id, p).await?, cv::staff);
        ok(pb::ListStaffResponse {
            staff,
            next_page_token,
        })
    }

    async fn list_guardians(
        &self,
        req: Request<pb::ListGuardiansRequest>,
    ) -> Res<pb::ListGuardiansResponse> {
        let r = req.into_inner();
        let school_id = req_id("school_id", &r.school_id)?;
        let filter = cv::status_filter(r.status_filter)?;
        let p = page(
            r.page_size,
            &r.page_token,
            format!("guardians:{school_id}:{filter:?}"),
        )?;
        let (guardians, next_page_token) = paged(
            dir::list_guardians(&self.store, school_id, filter, p).await?,
            cv::guardian,
        );
        ok(pb::ListGuardiansResponse {
            guardians,
            next_page_token,
        })
    }

    async fn list_classes(
        &self,
        req: Request<pb::ListClassesRequest>,
    ) -> Res<pb::ListClassesResponse> {
        let r = req.into_inner();
        let school_id = req_id("school_id", &r.school_id)?;
        let filter = cv::status_filter(r.status_filter)?;
        let p = page(
            r.page_size,
            &r.page_token,
            format!("classes:{school_id}:{filter:?}"),
        )?;
        let (classes, next_page_token) = paged(
            dir::list_classes(&self.store, school_id, filter, p).await?,
            cv::class,
        );
        ok(pb::ListClassesResponse {
            classes,
            next_page_token,
        })
    }

    async fn list_class_members(
        &self,
        req: Request<pb::ListClassMembersRequest>,
    ) -> Res<pb::ListClassMembersResponse> {
        let r = req.into_inner();
        let class_id = req_id("class_id", &r.class_id)?;
        let p = page(
            r.page_size,
            &r.page_token,
            format!("class_members:{class_id}"),
        )?;
        let (members, next_page_token) = paged(
            dir::list_class_members(&self.store, class_id, p).await?,
            cv::class_member,
        );
        ok(pb::ListClassMembersResponse {
            members,
            next_page_token,
        })
    }

    async fn get_guardian_access(
        &self,
        req: Request<pb::GetGuardianAccessRequest>,
    ) -> Res<pb::GetGuardianAccessResponse> {
        let id = req_id("guardian_id", &req.get_ref().guardian_id)?;
        let a = dir::guardian_access(&self.store, id).await?;
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

    async fn list_announcement_recipients(
        &self,
        req: Request<pb::ListAnnouncementRecipientsRequest>,
    ) -> Res<pb::ListAnnouncementRecipientsResponse> {
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        let school_id = match r.school_id.trim() {
            "" => None,
            s => Some(req_id("school_id", s)?),
        };
        let scope = format!("recipients:{district_id}:{}", school_id.unwrap_or(0));
        let p = page(r.page_size, &r.page_token, scope)?;
        let (recipients, next_page_token) = paged(
            dir::list_announcement_recipients(&self.store, district_id, school_id, p).await?,
            cv::recipient,
        );
        ok(pb::ListAnnouncementRecipientsResponse {
            recipients,
            next_page_token,
        })
    }

    async fn create_student(
        &self,
        req: Request<pb::CreateStudentRequest>,
    ) -> Res<pb::CreateStudentResponse> {
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
        let s = dir::create_student(&self.store, input).await?;
        ok(pb::CreateStudentResponse {
            student: Some(cv::student(s)),
        })
    }

    async fn create_guardian(
        &self,
        req: Request<pb::CreateGuardianRequest>,
    ) -> Res<pb::CreateGuardianResponse> {
        let r = req.into_inner();
        let input = NewGuardian {
            district_id: req_id("district_id", &r.district_id)?,
            given_name: r.given_name,
            family_name: r.family_name,
            contact: contact(r.email, r.sms_number, r.home_phone),
            language: r.language,
            sis_id: r.sis_id,
        };
        let g = dir::create_guardian(&self.store, input).await?;
        ok(pb::CreateGuardianResponse {
            guardian: Some(cv::guardian(g)),
        })
    }

    async fn create_staff_member(
        &self,
        req: Request<pb::CreateStaffMemberRequest>,
    ) -> Res<pb::CreateStaffMemberResponse> {
        let r = req.into_inner();
        let input = NewStaff {
            district_id: req_id("district_id", &r.district_id)?,
            school_id: req_id("school_id", &r.school_id)?,
            given_name: r.given_name,
            family_name: r.family_name,
            contact: contact(r.email, r.sms_number, r.home_phone),
            language: r.language,
            role: StaffRole::read("role", r.role)?,
            sis_id: r.sis_id,
        };
        let s = dir::create_staff(&self.store, input).await?;
        ok(pb::CreateStaffMemberResponse {
            staff_member: Some(cv::staff(s)),
        })
    }

    async fn create_class(
        &self,
        req: Request<pb::CreateClassRequest>,
    ) -> Res<pb::CreateClassResponse> {
        let r = req.into_inner();
        let input = NewClass {
            district_id: req_id("district_id", &r.district_id)?,
            school_id: req_id("school_id", &r.school_id)?,
            name: r.name,
            grades: r.grades,
            sis_id: r.sis_id,
        };
        let c = dir::create_class(&self.store, input).await?;
        ok(pb::CreateClassResponse {
            class: Some(cv::class(c)),
        })
    }

    async fn add_class_member(
        &self,
        req: Request<pb::AddClassMemberRequest>,
    ) -> Res<pb::AddClassMemberResponse> {
        let r = req.into_inner();
        let class_id = req_id("class_id", &r.class_id)?;
        let user_id = req_id("user_id", &r.user_id)?;
        let as_teacher = match pb::ClassMemberRole::try_from(r.role) {
            Ok(pb::ClassMemberRole::Teacher) => true,
            Ok(pb::ClassMemberRole::Student) => false,
            _ => return Err(Error::invalid("role", "must be TEACHER or STUDENT").into()),
        };
        let m = dir::add_class_member(&self.store, class_id, user_id, as_teacher).await?;
        ok(pb::AddClassMemberResponse {
            member: Some(cv::class_member(m)),
        })
    }

    async fn link_guardian(
        &self,
        req: Request<pb::LinkGuardianRequest>,
    ) -> Res<pb::LinkGuardianResponse> {
        let r = req.into_inner();
        let guardian_id = req_id("guardian_id", &r.guardian_id)?;
        let student_id = req_id("student_id", &r.student_id)?;
        let g = dir::link_guardian(&self.store, guardian_id, student_id).await?;
        ok(pb::LinkGuardianResponse {
            guardian: Some(cv::guardian(g)),
        })
    }

    async fn update_contact_details(
        &self,
        req: Request<pb::UpdateContactDetailsRequest>,
    ) -> Res<pb::UpdateContactDetailsResponse> {
        let r = req.into_inner();
        let user_id = req_id("user_id", &r.user_id)?;
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let mask = ContactMask::parse(&paths)?;
        let c = r.contact_details.unwrap_or_default();
        let h = dir::update_contact_details(
            &self.store,
            user_id,
            contact(c.email, c.sms_number, c.home_phone),
            mask,
        )
        .await?;
        let user = match cv::account_holder(h) {
            User::Guardian(g) => pb::update_contact_details_response::User::Guardian(g),
            User::Staff(s) => pb::update_contact_details_response::User::StaffMember(s),
        };
        ok(pb::UpdateContactDetailsResponse { user: Some(user) })
    }

    async fn set_staff_role(
        &self,
        req: Request<pb::SetStaffRoleRequest>,
    ) -> Res<pb::SetStaffRoleResponse> {
        let r = req.into_inner();
        let staff_id = req_id("staff_id", &r.staff_id)?;
        let role = StaffRole::read("role", r.role)?
            .ok_or_else(|| Error::invalid("role", "is required (ADMIN or TEACHER)"))?;
        let s = dir::set_staff_role(&self.store, staff_id, role).await?;
        ok(pb::SetStaffRoleResponse {
            staff_member: Some(cv::staff(s)),
        })
    }

    async fn activate_user(
        &self,
        req: Request<pb::ActivateUserRequest>,
    ) -> Res<pb::ActivateUserResponse> {
        let user_id = req_id("user_id", &req.get_ref().user_id)?;
        let h = dir::activate_user(&self.store, user_id).await?;
        let user = match cv::account_holder(h) {
            User::Guardian(g) => pb::activate_user_response::User::Guardian(g),
            User::Staff(s) => pb::activate_user_response::User::StaffMember(s),
        };
        ok(pb::ActivateUserResponse { user: Some(user) })
    }
}
