//! Typed writes of `roster.v1.DirectoryService`: manual records, links and edits.
//!
//! None of these calls is retried: each may change something.

use crate::types::required;
use crate::{
    Class, ClassMember, ClassMemberRole, ContactUpdate, Error, Guardian, NewClass, NewGuardian,
    NewStaffMember, NewStudent, RosterClient, School, StaffMember, StaffRole, Student, User, pb,
};

impl RosterClient {
    /// Creates a manual school (schools normally come from the sync).
    pub async fn create_school(
        &self,
        district_id: &str,
        name: &str,
        sis_id: Option<&str>,
    ) -> Result<School, Error> {
        let request = pb::CreateSchoolRequest {
            district_id: district_id.to_owned(),
            name: name.to_owned(),
            sis_id: sis_id.unwrap_or_default().to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.create_school(r).await
            })
            .await?;
        required(response.school, "school")?.try_into()
    }

    /// Creates a manual student in a school.
    ///
    /// ```no_run
    /// use roster_client::NewStudent;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let student = client
    ///     .create_student(NewStudent {
    ///         district_id: "1".into(),
    ///         school_id: "2".into(),
    ///         given_name: "Lisa".into(),
    ///         family_name: "Simpson".into(),
    ///         grade: Some("02".into()),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// # let _ = student;
    /// # Ok(()) }
    /// ```
    pub async fn create_student(&self, student: NewStudent) -> Result<Student, Error> {
        let request = pb::CreateStudentRequest::from(student);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.create_student(r).await
            })
            .await?;
        required(response.student, "student")?.try_into()
    }

    /// Creates a manual guardian in a district.
    pub async fn create_guardian(&self, guardian: NewGuardian) -> Result<Guardian, Error> {
        let request = pb::CreateGuardianRequest::from(guardian);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.create_guardian(r).await
            })
            .await?;
        required(response.guardian, "guardian")?.try_into()
    }

    /// Creates a manual staff member in a school.
    pub async fn create_staff_member(&self, staff: NewStaffMember) -> Result<StaffMember, Error> {
        let request = pb::CreateStaffMemberRequest::from(staff);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.create_staff_member(r).await
            })
            .await?;
        required(response.staff_member, "staff member")?.try_into()
    }

    /// Creates a manual class in a school.
    pub async fn create_class(&self, class: NewClass) -> Result<Class, Error> {
        let request = pb::CreateClassRequest::from(class);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.create_class(r).await
            })
            .await?;
        required(response.class, "class")?.try_into()
    }

    /// Adds a student (role `Student`) or staff member (role `Teacher`) to a class.
    pub async fn add_class_member(
        &self,
        class_id: &str,
        user_id: &str,
        role: ClassMemberRole,
    ) -> Result<ClassMember, Error> {
        let request = pb::AddClassMemberRequest {
            class_id: class_id.to_owned(),
            user_id: user_id.to_owned(),
            role: role.into(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.add_class_member(r).await
            })
            .await?;
        required(response.member, "class member")?.try_into()
    }

    /// Links a guardian to a student; [`Error::AlreadyExists`] if they are linked already.
    pub async fn link_guardian(
        &self,
        guardian_id: &str,
        student_id: &str,
    ) -> Result<Guardian, Error> {
        let request = pb::LinkGuardianRequest {
            guardian_id: guardian_id.to_owned(),
            student_id: student_id.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.link_guardian(r).await
            })
            .await?;
        required(response.guardian, "guardian")?.try_into()
    }

    /// Edits a guardian's or staff member's contact details: only the `Some` fields of
    /// `update` change.
    ///
    /// Fails with [`Error::FailedPrecondition`] (reason `CONTACT_MANAGED_BY_SYNC`) for an
    /// active sis user while the district's Update Active Users setting is on.
    ///
    /// ```no_run
    /// use roster_client::ContactUpdate;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let update = ContactUpdate { sms_number: Some("(603) 555-0123".into()), ..Default::default() };
    /// client.update_contact_details("42", update).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_contact_details(
        &self,
        user_id: &str,
        update: ContactUpdate,
    ) -> Result<User, Error> {
        let request = update.into_request(user_id);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.update_contact_details(r).await
            })
            .await?;
        required(response.user, "user")?.try_into()
    }

    /// Changes a staff member's role (the sync never does).
    pub async fn set_staff_role(
        &self,
        staff_id: &str,
        role: StaffRole,
    ) -> Result<StaffMember, Error> {
        let request = pb::SetStaffRoleRequest {
            staff_id: staff_id.to_owned(),
            role: role.into(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.set_staff_role(r).await
            })
            .await?;
        required(response.staff_member, "staff member")?.try_into()
    }

    /// Records that a guardian or staff member activated their account (first login).
    pub async fn activate_user(&self, user_id: &str) -> Result<User, Error> {
        let request = pb::ActivateUserRequest {
            user_id: user_id.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.activate_user(r).await
            })
            .await?;
        required(response.user, "user")?.try_into()
    }
}
