//! `roster.v1.DirectoryService`: converts, calls the directory, converts back.

use super::auth::{audited, caller};
use super::convert::{self as cv, User, Wire, opt_id, page, paged, req_id};
use crate::access::audit::Change;
use crate::access::{Access, Target};
use crate::directory::{
    self as dir, ContactInput, ContactMask, NewClass, NewGuardian, NewStaff, NewStudent,
};
use crate::domain::{Error, Need, StaffRole};
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
        let caller = caller(&req)?;
        caller.check_admin()?;
        let r = req.into_inner();
        let d = dir::create_district(&self.store, &r.display_name).await?;
        let change = Change::new(d.id).target(d.id).fields(["display_name"]);
        Ok(audited(
            Response::new(pb::CreateDistrictResponse {
                district: Some(cv::district(d)),
            }),
            change,
        ))
    }

    async fn get_district(
        &self,
        req: Request<pb::GetDistrictRequest>,
    ) -> Res<pb::GetDistrictResponse> {
        let caller = caller(&req)?;
        let id = req_id("district_id", &req.get_ref().district_id)?;
        self.access
            .allow(&caller, Need::Read, Target::District(id))
            .await?;
        let d = dir::get_district(&self.store, id).await?;
        ok(pb::GetDistrictResponse {
            district: Some(cv::district(d)),
        })
    }

    async fn list_districts(
        &self,
        req: Request<pb::ListDistrictsRequest>,
    ) -> Res<pb::ListDistrictsResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let p = page(r.page_size, &r.page_token, "districts".into())?;
        let (districts, next_page_token) = paged(
            dir::list_districts(&self.store, caller.visible(), p).await?,
            cv::district,
        );
        ok(pb::ListDistrictsResponse {
            districts,
            next_page_token,
        })
    }

    async fn create_school(
        &self,
        req: Request<pb::CreateSchoolRequest>,
    ) -> Res<pb::CreateSchoolResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        self.access
            .allow(&caller, Need::Write, Target::District(district_id))
            .await?;
        let s = dir::create_school(&self.store, district_id, &r.name, &r.sis_id).await?;
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

    async fn list_schools(
        &self,
        req: Request<pb::ListSchoolsRequest>,
    ) -> Res<pb::ListSchoolsResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        self.access
            .allow(&caller, Need::Read, Target::District(district_id))
            .await?;
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
        let caller = caller(&req)?;
        let r = req.into_inner();
        let school_id = req_id("school_id", &r.school_id)?;
        self.access
            .allow(&caller, Need::Read, Target::School(school_id))
            .await?;
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
        let caller = caller(&req)?;
        let id = req_id("student_id", &req.get_ref().student_id)?;
        self.access
            .allow(&caller, Need::Read, Target::Student(id))
            .await?;
        let d = dir::get_student(&self.store, id).await?;
        ok(pb::GetStudentResponse {
            student: Some(cv::student(d.student)),
            guardians: d.guardians.into_iter().map(cv::guardian).collect(),
            classes: d.classes.into_iter().map(cv::class).collect(),
        })
    }

    async fn list_staff(&self, req: Request<pb::ListStaffRequest>) -> Res<pb::ListStaffResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let school_id = req_id("school_id", &r.school_id)?;
        self.access
            .allow(&caller, Need::Read, Target::School(school_id))
            .await?;
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
        let caller = caller(&req)?;
        let r = req.into_inner();
        let school_id = req_id("school_id", &r.school_id)?;
        self.access
            .allow(&caller, Need::Read, Target::School(school_id))
            .await?;
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
        let caller = caller(&req)?;
        let r = req.into_inner();
        let school_id = req_id("school_id", &r.school_id)?;
        self.access
            .allow(&caller, Need::Read, Target::School(school_id))
            .await?;
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
        let caller = caller(&req)?;
        let r = req.into_inner();
        let class_id = req_id("class_id", &r.class_id)?;
        self.access
            .allow(&caller, Need::Read, Target::Class(class_id))
            .await?;
        let filter = cv::status_filter(r.status_filter)?;
        let p = page(
            r.page_size,
            &r.page_token,
            format!("class_members:{class_id}:{filter:?}"),
        )?;
        let (members, next_page_token) = paged(
            dir::list_class_members(&self.store, class_id, filter, p).await?,
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
        let caller = caller(&req)?;
        let id = req_id("guardian_id", &req.get_ref().guardian_id)?;
        self.access
            .allow(&caller, Need::Read, Target::Guardian(id))
            .await?;
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
        let caller = caller(&req)?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        self.access
            .allow(&caller, Need::Read, Target::District(district_id))
            .await?;
        let school_id = opt_id("school_id", &r.school_id)?;
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
        self.access
            .allow(&caller, Need::Write, Target::District(district_id))
            .await?;
        let s = dir::create_student(&self.store, input).await?;
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

    async fn create_guardian(
        &self,
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
        self.access
            .allow(&caller, Need::Write, Target::District(district_id))
            .await?;
        let g = dir::create_guardian(&self.store, input).await?;
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

    async fn create_staff_member(
        &self,
        req: Request<pb::CreateStaffMemberRequest>,
    ) -> Res<pb::CreateStaffMemberResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        self.access
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
        let s = dir::create_staff(&self.store, input).await?;
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

    async fn create_class(
        &self,
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
        self.access
            .allow(&caller, Need::Write, Target::District(district_id))
            .await?;
        let c = dir::create_class(&self.store, input).await?;
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

    async fn add_class_member(
        &self,
        req: Request<pb::AddClassMemberRequest>,
    ) -> Res<pb::AddClassMemberResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let class_id = req_id("class_id", &r.class_id)?;
        let user_id = req_id("user_id", &r.user_id)?;
        let district_id = self
            .access
            .allow(&caller, Need::Write, Target::Class(class_id))
            .await?;
        let as_teacher = match pb::ClassMemberRole::try_from(r.role) {
            Ok(pb::ClassMemberRole::Teacher) => true,
            Ok(pb::ClassMemberRole::Student) => false,
            _ => return Err(Error::invalid("role", "must be TEACHER or STUDENT").into()),
        };
        let m = dir::add_class_member(&self.store, class_id, user_id, as_teacher).await?;
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

    async fn link_guardian(
        &self,
        req: Request<pb::LinkGuardianRequest>,
    ) -> Res<pb::LinkGuardianResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let guardian_id = req_id("guardian_id", &r.guardian_id)?;
        let student_id = req_id("student_id", &r.student_id)?;
        let district_id = self
            .access
            .allow(&caller, Need::Write, Target::Guardian(guardian_id))
            .await?;
        let g = dir::link_guardian(&self.store, guardian_id, student_id).await?;
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

    async fn update_contact_details(
        &self,
        req: Request<pb::UpdateContactDetailsRequest>,
    ) -> Res<pb::UpdateContactDetailsResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let user_id = req_id("user_id", &r.user_id)?;
        let district_id = self
            .access
            .allow(&caller, Need::Write, Target::User(user_id))
            .await?;
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
        let change = Change::new(district_id).target(user_id).fields(paths);
        Ok(audited(
            Response::new(pb::UpdateContactDetailsResponse { user: Some(user) }),
            change,
        ))
    }

    async fn set_staff_role(
        &self,
        req: Request<pb::SetStaffRoleRequest>,
    ) -> Res<pb::SetStaffRoleResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let staff_id = req_id("staff_id", &r.staff_id)?;
        let district_id = self
            .access
            .allow(&caller, Need::Write, Target::Staff(staff_id))
            .await?;
        let role = StaffRole::read("role", r.role)?
            .ok_or_else(|| Error::invalid("role", "is required (ADMIN or TEACHER)"))?;
        let s = dir::set_staff_role(&self.store, staff_id, role).await?;
        Ok(audited(
            Response::new(pb::SetStaffRoleResponse {
                staff_member: Some(cv::staff(s)),
            }),
            Change::new(district_id).target(staff_id).fields(["role"]),
        ))
    }

    async fn activate_user(
        &self,
        req: Request<pb::ActivateUserRequest>,
    ) -> Res<pb::ActivateUserResponse> {
        let caller = caller(&req)?;
        let user_id = req_id("user_id", &req.get_ref().user_id)?;
        let district_id = self
            .access
            .allow(&caller, Need::Write, Target::User(user_id))
            .await?;
        let h = dir::activate_user(&self.store, user_id).await?;
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

    async fn erase_person(
        &self,
        req: Request<pb::ErasePersonRequest>,
    ) -> Res<pb::ErasePersonResponse> {
        let caller = caller(&req)?;
        let person_id = req_id("person_id", &req.get_ref().person_id)?;
        let district_id = self
            .access
            .allow(&caller, Need::Write, Target::Person(person_id))
            .await?;
        let suppression = dir::erase_person(&self.store, person_id).await?;
        // The audit log keeps only that an erasure happened, by whom, with the record id.
        Ok(audited(
            Response::new(pb::ErasePersonResponse {
                suppression: suppression.map(cv::suppression),
            }),
            Change::new(district_id).target(person_id),
        ))
    }

    async fn list_suppressions(
        &self,
        req: Request<pb::ListSuppressionsRequest>,
    ) -> Res<pb::ListSuppressionsResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        self.access
            .allow(&caller, Need::Read, Target::District(district_id))
            .await?;
        let p = page(
            r.page_size,
            &r.page_token,
            format!("suppressions:{district_id}"),
        )?;
        let (suppressions, next_page_token) = paged(
            dir::list_suppressions(&self.store, district_id, p).await?,
            cv::suppression,
        );
        ok(pb::ListSuppressionsResponse {
            suppressions,
            next_page_token,
        })
    }

    async fn lift_suppression(
        &self,
        req: Request<pb::LiftSuppressionRequest>,
    ) -> Res<pb::LiftSuppressionResponse> {
        let caller = caller(&req)?;
        let id = req_id("suppression_id", &req.get_ref().suppression_id)?;
        let district_id = self
            .access
            .allow(&caller, Need::Write, Target::Suppression(id))
            .await?;
        dir::lift_suppression(&self.store, id).await?;
        Ok(audited(
            Response::new(pb::LiftSuppressionResponse {}),
            Change::new(district_id).target(id),
        ))
    }

    async fn erase_district(
        &self,
        req: Request<pb::EraseDistrictRequest>,
    ) -> Res<pb::EraseDistrictResponse> {
        caller(&req)?.check_admin()?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        let removed = dir::erase_district(
            &self.store,
            &self.paths,
            district_id,
            &r.confirm_display_name,
        )
        .await?;
        Ok(audited(
            Response::new(pb::EraseDistrictResponse {
                removed: removed.into_iter().collect(),
            }),
            Change::new(district_id).target(district_id),
        ))
    }
}
