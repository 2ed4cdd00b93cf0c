//! A OneRoster 1.1 CSV roster built in code and written as a real export would be:
//! manifest, orgs, users, classes, enrollments (and academic sessions when given).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct User {
    pub id: String,
    pub role: String,
    pub given: String,
    pub family: String,
    pub email: String,
    pub sms: String,
    pub phone: String,
    pub orgs: Vec<String>,
    pub agents: Vec<String>,
    pub grade: String,
    pub identifier: String,
    pub status: String,
}

/// A roster in the making. Builders take `&mut self` and return it for chaining.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub schools: Vec<(String, String)>,
    pub users: Vec<User>,
    /// (id, title, school id, grades)
    pub classes: Vec<(String, String, String, String)>,
    /// (id, class id, user id, role)
    pub enrollments: Vec<(String, String, String, String)>,
    /// Academic sessions: (id, title, start date, end date), dates as written. With any,
    /// the export has `academicSessions.csv`, listed `bulk` (R5.10); without, it has none.
    pub sessions: Vec<(String, String, String, String)>,
    /// Each class's sessions (`termSourcedIds`), by class id. A class not named here lists
    /// `term-1`, a session no export of this builder has unless it is added.
    pub class_terms: BTreeMap<String, Vec<String>>,
}

fn csv_cell(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

impl Roster {
    pub fn school(&mut self, id: &str, name: &str) -> &mut Self {
        self.schools.push((id.into(), name.into()));
        self
    }

    fn user(&mut self, role: &str, id: &str, given: &str, family: &str, school: &str) -> &mut User {
        self.users.push(User {
            id: id.into(),
            role: role.into(),
            given: given.into(),
            family: family.into(),
            orgs: vec![school.into()],
            identifier: format!("SIS-{id}"),
            ..Default::default()
        });
        self.users.last_mut().expect("just pushed")
    }

    pub fn student(&mut self, id: &str, given: &str, family: &str, school: &str) -> &mut User {
        let u = self.user("student", id, given, family, school);
        u.grade = "04".into();
        u
    }

    pub fn guardian(
        &mut self,
        id: &str,
        given: &str,
        family: &str,
        email: &str,
        children: &[&str],
    ) -> &mut User {
        let u = self.user("guardian", id, given, family, "");
        u.orgs.clear();
        u.email = email.into();
        u.agents = children.iter().map(|c| c.to_string()).collect();
        u
    }

    pub fn teacher(&mut self, id: &str, given: &str, family: &str, school: &str) -> &mut User {
        let u = self.user("teacher", id, given, family, school);
        u.email = format!("{id}@school.example.org");
        u
    }

    pub fn admin(&mut self, id: &str, given: &str, family: &str, school: &str) -> &mut User {
        let u = self.user("administrator", id, given, family, school);
        u.email = format!("{id}@school.example.org");
        u
    }

    pub fn class(&mut self, id: &str, title: &str, school: &str, grades: &str) -> &mut Self {
        self.classes
            .push((id.into(), title.into(), school.into(), grades.into()));
        self
    }

    /// An academic session ending on `end` (`YYYY-MM-DD`, or anything, to test bad dates).
    pub fn session(&mut self, id: &str, title: &str, start: &str, end: &str) -> &mut Self {
        self.sessions
            .push((id.into(), title.into(), start.into(), end.into()));
        self
    }

    /// The sessions `class` is taught in (its `termSourcedIds`).
    pub fn class_terms(&mut self, class: &str, terms: &[&str]) -> &mut Self {
        self.class_terms
            .insert(class.into(), terms.iter().map(|t| t.to_string()).collect());
        self
    }

    /// The sessions of `class`, as its `termSourcedIds` lists them.
    pub fn terms_of(&self, class: &str) -> Vec<String> {
        self.class_terms
            .get(class)
            .cloned()
            .unwrap_or_else(|| vec!["term-1".into()])
    }

    /// Removes a class and its enrollments.
    pub fn remove_class(&mut self, id: &str) -> &mut Self {
        self.classes.retain(|c| c.0 != id);
        self.enrollments.retain(|e| e.1 != id);
        self.class_terms.remove(id);
        self
    }

    pub fn enroll(&mut self, class: &str, user: &str, role: &str) -> &mut Self {
        let id = format!("enr-{class}-{user}");
        self.enrollments
            .push((id, class.into(), user.into(), role.into()));
        self
    }

    pub fn user_mut(&mut self, id: &str) -> &mut User {
        self.users
            .iter_mut()
            .find(|u| u.id == id)
            .expect("user in roster")
    }

    pub fn remove_user(&mut self, id: &str) -> &mut Self {
        self.users.retain(|u| u.id != id);
        self.enrollments.retain(|e| e.2 != id);
        for u in &mut self.users {
            u.agents.retain(|a| a != id);
        }
        self
    }

    /// Writes the roster as a OneRoster CSV folder.
    pub fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir).expect("roster dir");
        let mut manifest = String::from(
            "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\nfile.classes,bulk\nfile.enrollments,bulk\nfile.demographics,absent\n",
        );
        if !self.sessions.is_empty() {
            manifest.push_str("file.academicSessions,bulk\n");
            let mut sessions = String::from(
                "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n",
            );
            for (id, title, start, end) in &self.sessions {
                let _ = writeln!(
                    sessions,
                    "{id},active,2026-01-01,{},schoolYear,{start},{},,",
                    csv_cell(title),
                    csv_cell(end)
                );
            }
            std::fs::write(dir.join("academicSessions.csv"), sessions).expect("sessions");
        }
        std::fs::write(dir.join("manifest.csv"), manifest).expect("manifest");
        let mut orgs = String::from(
            "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n",
        );
        orgs.push_str("dist-1,active,2026-01-01,The District,district,D1,\n");
        for (id, name) in &self.schools {
            let _ = writeln!(
                orgs,
                "{id},active,2026-01-01,{},school,{id},dist-1",
                csv_cell(name)
            );
        }
        std::fs::write(dir.join("orgs.csv"), orgs).expect("orgs");
        let mut users = String::from(
            "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n",
        );
        for u in &self.users {
            let _ = writeln!(
                users,
                "{},{},2026-01-01,TRUE,{},{},{},,{},{},,{},{},{},{},{},{},",
                u.id,
                u.status,
                csv_cell(&u.orgs.join(",")),
                u.role,
                u.id,
                csv_cell(&u.given),
                csv_cell(&u.family),
                u.identifier,
                u.email,
                csv_cell(&u.sms),
                csv_cell(&u.phone),
                csv_cell(&u.agents.join(",")),
                u.grade
            );
        }
        std::fs::write(dir.join("users.csv"), users).expect("users");
        let mut classes = String::from(
            "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds\n",
        );
        for (id, title, school, grades) in &self.classes {
            let _ = writeln!(
                classes,
                "{id},active,2026-01-01,{},{},crs-1,{id},scheduled,,{school},{}",
                csv_cell(title),
                csv_cell(grades),
                csv_cell(&self.terms_of(id).join(","))
            );
        }
        std::fs::write(dir.join("classes.csv"), classes).expect("classes");
        let mut enrollments = String::from(
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n",
        );
        for (id, class, user, role) in &self.enrollments {
            let school = self
                .classes
                .iter()
                .find(|c| &c.0 == class)
                .map(|c| c.2.clone())
                .unwrap_or_default();
            let _ = writeln!(
                enrollments,
                "{id},active,2026-01-01,{class},{school},{user},{role},FALSE,,"
            );
        }
        std::fs::write(dir.join("enrollments.csv"), enrollments).expect("enrollments");
    }
}

/// The family used across scenarios: two schools, a family of two students and two
/// guardians, two teachers and an admin, three classes.
pub fn springfield() -> Roster {
    let mut r = Roster::default();
    r.school("sch-1", "Springfield Elementary")
        .school("sch-2", "Shelbyville Middle");
    r.student("stu-bart", "Bart", "Simpson", "sch-1").email = "bart@kids.example.org".into();
    r.student("stu-lisa", "Lisa", "Simpson", "sch-1");
    r.student("stu-milhouse", "Milhouse", "Van Houten", "sch-1");
    r.student("stu-nelson", "Nelson", "Muntz", "sch-2");
    r.student("stu-martin", "Martin", "Prince", "sch-1");
    r.guardian(
        "par-marge",
        "Marge",
        "Simpson",
        "marge@example.org",
        &["stu-bart", "stu-lisa"],
    )
    .sms = "(603) 555-0101".into();
    r.guardian(
        "par-homer",
        "Homer",
        "Simpson",
        "homer@example.org",
        &["stu-bart"],
    );
    r.guardian(
        "par-kirk",
        "Kirk",
        "Van Houten",
        "kirk@example.org",
        &["stu-milhouse"],
    );
    r.guardian(
        "par-muntz",
        "Mrs",
        "Muntz",
        "muntz@example.org",
        &["stu-nelson"],
    );
    r.guardian(
        "par-prince",
        "Mr",
        "Prince",
        "prince@example.org",
        &["stu-martin"],
    );
    r.teacher("tch-edna", "Edna", "Krabappel", "sch-1");
    r.teacher("tch-hoover", "Elizabeth", "Hoover", "sch-1");
    r.teacher("tch-largo", "Dewey", "Largo", "sch-2");
    r.admin("adm-skinner", "Seymour", "Skinner", "sch-1");
    r.class("cls-4a", "Grade 4 A", "sch-1", "04")
        .class("cls-2b", "Grade 2 B", "sch-1", "02")
        .class("cls-music", "Music", "sch-2", "04,05");
    for s in ["stu-bart", "stu-milhouse", "stu-martin"] {
        r.enroll("cls-4a", s, "student");
    }
    r.enroll("cls-2b", "stu-lisa", "student")
        .enroll("cls-music", "stu-nelson", "student")
        .enroll("cls-4a", "tch-edna", "teacher")
        .enroll("cls-2b", "tch-hoover", "teacher")
        .enroll("cls-music", "tch-largo", "teacher");
    r
}
