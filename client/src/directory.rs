//! Typed reads of `roster.v1.DirectoryService`: districts, schools, people, classes.

use crate::types::{all, required};
use crate::{
    AnnouncementRecipient, Class, ClassDetail, ClassMember, District, Error, Guardian,
    GuardianAccess, GuardianDetail, ItemStream, Page, PageRequest, Person, RecordKind,
    RosterClient, School, StaffMember, StaffMemberDetail, StatusFilter, Student, StudentDetail, pb,
};

impl RosterClient {
    /// Creates a district.
    ///
    /// ```no_run
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let district = client.create_district("Springfield Public Schools").await?;
    /// assert_eq!(district.display_name, "Springfield Public Schools");
    /// # Ok(()) }
    /// ```
    pub async fn create_district(&self, display_name: &str) -> Result<District, Error> {
        let request = pb::CreateDistrictRequest {
            display_name: display_name.to_owned(),
        };
        let response = self
            .write(self.directory(), request, |mut s, r| async move {
                s.create_district(r).await
            })
            .await?;
        Ok(required(response.district, "district")?.into())
    }

    /// Returns one district; [`Error::NotFound`] if there is none with this id.
    pub async fn get_district(&self, district_id: &str) -> Result<District, Error> {
        let request = pb::GetDistrictRequest {
            district_id: district_id.to_owned(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.get_district(r).await
            })
            .await?;
        Ok(required(response.district, "district")?.into())
    }

    /// Every district, oldest first.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let districts: Vec<_> = client.list_districts().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_districts(&self) -> ItemStream<District> {
        self.stream(|client, page| async move { client.list_districts_page(page).await })
    }

    /// One page of districts, oldest first.
    pub async fn list_districts_page(&self, page: PageRequest) -> Result<Page<District>, Error> {
        let request = pb::ListDistrictsRequest {
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_districts(r).await
            })
            .await?;
        let items = response.districts.into_iter().map(District::from).collect();
        Ok(Page::new(items, response.next_page_token))
    }

    /// Every school of a district.
    pub fn list_schools(&self, district_id: &str) -> ItemStream<School> {
        let district_id = district_id.to_owned();
        self.stream(move |client, page| {
            let district_id = district_id.clone();
            async move { client.list_schools_page(&district_id, page).await }
        })
    }

    /// One page of a district's schools.
    pub async fn list_schools_page(
        &self,
        district_id: &str,
        page: PageRequest,
    ) -> Result<Page<School>, Error> {
        let request = pb::ListSchoolsRequest {
            district_id: district_id.to_owned(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_schools(r).await
            })
            .await?;
        Ok(Page::new(all(response.schools)?, response.next_page_token))
    }

    /// Every student of a school with the given status.
    pub fn list_students(&self, school_id: &str, status: StatusFilter) -> ItemStream<Student> {
        let school_id = school_id.to_owned();
        self.stream(move |client, page| {
            let school_id = school_id.clone();
            async move { client.list_students_page(&school_id, status, page).await }
        })
    }

    /// One page of a school's students with the given status.
    pub async fn list_students_page(
        &self,
        school_id: &str,
        status: StatusFilter,
        page: PageRequest,
    ) -> Result<Page<Student>, Error> {
        let request = pb::ListStudentsRequest {
            school_id: school_id.to_owned(),
            status_filter: status.into(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_students(r).await
            })
            .await?;
        Ok(Page::new(all(response.students)?, response.next_page_token))
    }

    /// One student with its guardians and classes.
    pub async fn get_student(&self, student_id: &str) -> Result<StudentDetail, Error> {
        let request = pb::GetStudentRequest {
            student_id: student_id.to_owned(),
        };
        self.read(self.directory(), request, |mut s, r| async move {
            s.get_student(r).await
        })
        .await?
        .try_into()
    }

    /// Every staff member of a school.
    pub fn list_staff(&self, school_id: &str) -> ItemStream<StaffMember> {
        let school_id = school_id.to_owned();
        self.stream(move |client, page| {
            let school_id = school_id.clone();
            async move { client.list_staff_page(&school_id, page).await }
        })
    }

    /// One page of a school's staff members.
    pub async fn list_staff_page(
        &self,
        school_id: &str,
        page: PageRequest,
    ) -> Result<Page<StaffMember>, Error> {
        let request = pb::ListStaffRequest {
            school_id: school_id.to_owned(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_staff(r).await
            })
            .await?;
        Ok(Page::new(all(response.staff)?, response.next_page_token))
    }

    /// Every guardian of a school's students with the given status.
    pub fn list_guardians(&self, school_id: &str, status: StatusFilter) -> ItemStream<Guardian> {
        let school_id = school_id.to_owned();
        self.stream(move |client, page| {
            let school_id = school_id.clone();
            async move { client.list_guardians_page(&school_id, status, page).await }
        })
    }

    /// One page of the guardians of a school's students with the given status.
    pub async fn list_guardians_page(
        &self,
        school_id: &str,
        status: StatusFilter,
        page: PageRequest,
    ) -> Result<Page<Guardian>, Error> {
        let request = pb::ListGuardiansRequest {
            school_id: school_id.to_owned(),
            status_filter: status.into(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_guardians(r).await
            })
            .await?;
        Ok(Page::new(
            all(response.guardians)?,
            response.next_page_token,
        ))
    }

    /// Every class of a school with the given status.
    pub fn list_classes(&self, school_id: &str, status: StatusFilter) -> ItemStream<Class> {
        let school_id = school_id.to_owned();
        self.stream(move |client, page| {
            let school_id = school_id.clone();
            async move { client.list_classes_page(&school_id, status, page).await }
        })
    }

    /// One page of a school's classes with the given status.
    pub async fn list_classes_page(
        &self,
        school_id: &str,
        status: StatusFilter,
        page: PageRequest,
    ) -> Result<Page<Class>, Error> {
        let request = pb::ListClassesRequest {
            school_id: school_id.to_owned(),
            status_filter: status.into(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_classes(r).await
            })
            .await?;
        Ok(Page::new(all(response.classes)?, response.next_page_token))
    }

    /// A class's members: its teachers, then its students with the given status
    /// (`Archived` lists archived students only, who stay in their classrooms; `All`
    /// lists everyone).
    pub fn list_class_members(
        &self,
        class_id: &str,
        status: StatusFilter,
    ) -> ItemStream<ClassMember> {
        let class_id = class_id.to_owned();
        self.stream(move |client, page| {
            let class_id = class_id.clone();
            async move {
                client
                    .list_class_members_page(&class_id, status, page)
                    .await
            }
        })
    }

    /// One page of a class's members with the given status.
    pub async fn list_class_members_page(
        &self,
        class_id: &str,
        status: StatusFilter,
        page: PageRequest,
    ) -> Result<Page<ClassMember>, Error> {
        let request = pb::ListClassMembersRequest {
            class_id: class_id.to_owned(),
            status_filter: status.into(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_class_members(r).await
            })
            .await?;
        Ok(Page::new(all(response.members)?, response.next_page_token))
    }

    /// What a guardian reaches now: linked students, schools, classrooms.
    pub async fn get_guardian_access(&self, guardian_id: &str) -> Result<GuardianAccess, Error> {
        let request = pb::GetGuardianAccessRequest {
            guardian_id: guardian_id.to_owned(),
        };
        self.read(self.directory(), request, |mut s, r| async move {
            s.get_guardian_access(r).await
        })
        .await?
        .try_into()
    }

    /// Everyone who receives an announcement: school-wide with a `school_id`, else
    /// district-wide.
    pub fn list_announcement_recipients(
        &self,
        district_id: &str,
        school_id: Option<&str>,
    ) -> ItemStream<AnnouncementRecipient> {
        let district_id = district_id.to_owned();
        let school_id = school_id.map(str::to_owned);
        self.stream(move |client, page| {
            let (district_id, school_id) = (district_id.clone(), school_id.clone());
            async move {
                client
                    .list_announcement_recipients_page(&district_id, school_id.as_deref(), page)
                    .await
            }
        })
    }

    /// One page of the recipients of an announcement.
    pub async fn list_announcement_recipients_page(
        &self,
        district_id: &str,
        school_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<AnnouncementRecipient>, Error> {
        let request = pb::ListAnnouncementRecipientsRequest {
            district_id: district_id.to_owned(),
            school_id: school_id.unwrap_or_default().to_owned(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.list_announcement_recipients(r).await
            })
            .await?;
        Ok(Page::new(
            all(response.recipients)?,
            response.next_page_token,
        ))
    }

    /// Every student, guardian and staff member of a district whose source id, SIS ID,
    /// email (ignoring case) or phone number (in any format) equals `query`, or whose
    /// given, family or full name starts with it (ignoring case); in id order. Archived
    /// students and the guardians of removed families are found too. `kinds` keeps only
    /// people of those kinds (`Student`, `Guardian`, `Staff`); empty means all three.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use roster_client::{Person, RecordKind};
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let found: Vec<Person> = client
    ///     .search_people("1", "marge@example.org", &[RecordKind::Guardian])
    ///     .try_collect()
    ///     .await?;
    /// for person in &found {
    ///     if let Person::Guardian(g) = person {
    ///         println!("{} {} ({})", g.given_name, g.family_name, g.id);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn search_people(
        &self,
        district_id: &str,
        query: &str,
        kinds: &[RecordKind],
    ) -> ItemStream<Person> {
        let (district_id, query, kinds) =
            (district_id.to_owned(), query.to_owned(), kinds.to_vec());
        self.stream(move |client, page| {
            let (district_id, query, kinds) = (district_id.clone(), query.clone(), kinds.clone());
            async move {
                client
                    .search_people_page(&district_id, &query, &kinds, page)
                    .await
            }
        })
    }

    /// One page of [`search_people`](Self::search_people).
    pub async fn search_people_page(
        &self,
        district_id: &str,
        query: &str,
        kinds: &[RecordKind],
        page: PageRequest,
    ) -> Result<Page<Person>, Error> {
        let request = pb::SearchPeopleRequest {
            district_id: district_id.to_owned(),
            query: query.to_owned(),
            kinds: kinds.iter().map(|k| i32::from(*k)).collect(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.directory(), request, |mut s, r| async move {
                s.search_people(r).await
            })
            .await?;
        Ok(Page::new(all(response.people)?, response.next_page_token))
    }

    /// One guardian with its linked students, active or archived.
    pub async fn get_guardian(&self, guardian_id: &str) -> Result<GuardianDetail, Error> {
        let request = pb::GetGuardianRequest {
            guardian_id: guardian_id.to_owned(),
        };
        self.read(self.directory(), request, |mut s, r| async move {
            s.get_guardian(r).await
        })
        .await?
        .try_into()
    }

    /// One staff member with the classes it teaches.
    pub async fn get_staff_member(&self, staff_id: &str) -> Result<StaffMemberDetail, Error> {
        let request = pb::GetStaffMemberRequest {
            staff_id: staff_id.to_owned(),
        };
        self.read(self.directory(), request, |mut s, r| async move {
            s.get_staff_member(r).await
        })
        .await?
        .try_into()
    }

    /// One class with its school.
    pub async fn get_class(&self, class_id: &str) -> Result<ClassDetail, Error> {
        let request = pb::GetClassRequest {
            class_id: class_id.to_owned(),
        };
        self.read(self.directory(), request, |mut s, r| async move {
            s.get_class(r).await
        })
        .await?
        .try_into()
    }
}
