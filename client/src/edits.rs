//! Typed edits of `roster.v1.DirectoryService`: field-masked updates of people and
//! classes, archiving and restoring, removing memberships and links.
//!
//! What the sync manages fails with [`Error::FailedPrecondition`], reason
//! `MANAGED_BY_SYNC`: a sis record's synced fields (a guardian's or staff member's language
//! is not one of them), archiving a sis student or class, and a membership or link the
//! sync keeps. None of these calls is retried: each may change something.

use crate::types::required;
use crate::{
    AccountUpdate, Class, ClassUpdate, Error, Guardian, RosterClient, StaffMember, Student,
    StudentUpdate, pb,
};

impl RosterClient {
    /// Changes a student's names or grade: only the `Some` fields of `update` change.
    ///
    /// ```no_run
    /// use roster_client::StudentUpdate;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let update = StudentUpdate { grade: Some("05".into()), ..Default::default() };
    /// match client.update_student("42", update).await {
    ///     Ok(student) => println!("now in grade {:?}", student.grade),
    ///     Err(e) if e.reason() == Some("MANAGED_BY_SYNC") => println!("change it in the SIS"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn update_student(
        &self,
        student_id: &str,
        update: StudentUpdate,
    ) -> Result<Student, Error> {
        let request = update.into_request(student_id);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.update_student(r).await
            })
            .await?;
        required(response.student, "student")?.try_into()
    }

    /// Changes a guardian's names or language: only the `Some` fields of `update` change.
    /// A sis guardian's language can be changed, its names cannot.
    ///
    /// ```no_run
    /// use roster_client::AccountUpdate;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let update = AccountUpdate { language: Some("es".into()), ..Default::default() };
    /// let guardian = client.update_guardian("42", update).await?;
    /// assert_eq!(guardian.language.as_deref(), Some("es"));
    /// # Ok(()) }
    /// ```
    pub async fn update_guardian(
        &self,
        guardian_id: &str,
        update: AccountUpdate,
    ) -> Result<Guardian, Error> {
        let request = update.into_guardian_request(guardian_id);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.update_guardian(r).await
            })
            .await?;
        required(response.guardian, "guardian")?.try_into()
    }

    /// Changes a staff member's names or language: only the `Some` fields of `update`
    /// change. A sis staff member's language can be changed, its names cannot.
    pub async fn update_staff_member(
        &self,
        staff_id: &str,
        update: AccountUpdate,
    ) -> Result<StaffMember, Error> {
        let request = update.into_staff_request(staff_id);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.update_staff_member(r).await
            })
            .await?;
        required(response.staff_member, "staff member")?.try_into()
    }

    /// Changes a class's name or grades: only the `Some` fields of `update` change.
    pub async fn update_class(&self, class_id: &str, update: ClassUpdate) -> Result<Class, Error> {
        let request = update.into_request(class_id);
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.update_class(r).await
            })
            .await?;
        required(response.class, "class")?.try_into()
    }

    /// Archives a manual student: it keeps its schools, classes and guardians, and leaves
    /// the active lists. Archiving an archived student changes nothing.
    ///
    /// ```no_run
    /// use roster_client::RecordStatus;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let student = client.archive_student("42").await?;
    /// assert_eq!(student.status, RecordStatus::Archived);
    /// client.restore_student("42").await?;
    /// # Ok(()) }
    /// ```
    pub async fn archive_student(&self, student_id: &str) -> Result<Student, Error> {
        let request = pb::ArchiveStudentRequest {
            student_id: student_id.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.archive_student(r).await
            })
            .await?;
        required(response.student, "student")?.try_into()
    }

    /// Restores an archived manual student.
    pub async fn restore_student(&self, student_id: &str) -> Result<Student, Error> {
        let request = pb::RestoreStudentRequest {
            student_id: student_id.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.restore_student(r).await
            })
            .await?;
        required(response.student, "student")?.try_into()
    }

    /// Archives a manual class; it keeps its members.
    pub async fn archive_class(&self, class_id: &str) -> Result<Class, Error> {
        let request = pb::ArchiveClassRequest {
            class_id: class_id.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.archive_class(r).await
            })
            .await?;
        required(response.class, "class")?.try_into()
    }

    /// Restores an archived manual class.
    pub async fn restore_class(&self, class_id: &str) -> Result<Class, Error> {
        let request = pb::RestoreClassRequest {
            class_id: class_id.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.restore_class(r).await
            })
            .await?;
        required(response.class, "class")?.try_into()
    }

    /// Removes a student or teacher from a class; [`Error::NotFound`] if it is not a
    /// member.
    ///
    /// ```no_run
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// client.remove_class_member("7", "42").await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove_class_member(&self, class_id: &str, user_id: &str) -> Result<(), Error> {
        let request = pb::RemoveClassMemberRequest {
            class_id: class_id.to_owned(),
            user_id: user_id.to_owned(),
        };
        self.write(self.directory(), request, |mut s, r| async move {
            s.remove_class_member(r).await
        })
        .await?;
        Ok(())
    }

    /// Disconnects a guardian from a student; [`Error::NotFound`] if they are not linked.
    pub async fn unlink_guardian(
        &self,
        guardian_id: &str,
        student_id: &str,
    ) -> Result<Guardian, Error> {
        let request = pb::UnlinkGuardianRequest {
            guardian_id: guardian_id.to_owned(),
            student_id: student_id.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.unlink_guardian(r).await
            })
            .await?;
        required(response.guardian, "guardian")?.try_into()
    }

    /// Removes a student or staff member from a school (only that membership: its class
    /// memberships stay); [`Error::NotFound`] if it is not a member.
    pub async fn remove_school_member(&self, school_id: &str, user_id: &str) -> Result<(), Error> {
        let request = pb::RemoveSchoolMemberRequest {
            school_id: school_id.to_owned(),
            user_id: user_id.to_owned(),
        };
        self.write(self.directory(), request, |mut s, r| async move {
            s.remove_school_member(r).await
        })
        .await?;
        Ok(())
    }
}
