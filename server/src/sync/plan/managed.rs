//! Which stored memberships, enrollments and family links the sync manages (R1.3, R1.4):
//! a sis one, and a manual one whose person is sis now (created from, or associated this
//! run with, a source record) and whose school or class is sis. From its association on,
//! a manual user's memberships are the source's to keep or abandon; a manual school or
//! class, never associated (classes are never matched by name), stays out of the sync.

use super::Plan;
use crate::domain::Origin;
use crate::store::State;
use foldhash::HashSet;

#[derive(Debug, Default)]
pub(super) struct Managed {
    students: HashSet<i64>,
    guardians: HashSet<i64>,
    staff: HashSet<i64>,
    schools: HashSet<i64>,
    classes: HashSet<i64>,
}

/// Ids of the rows that are sis, stored or planned (an association turns a stored manual
/// row into a planned sis one).
macro_rules! sis_ids {
    ($stored:expr, $planned:expr) => {
        $stored
            .iter()
            .chain($planned.new.iter())
            .chain($planned.changed.iter())
            .filter(|r| r.origin == Origin::Sis)
            .map(|r| r.id)
            .collect()
    };
}

impl Managed {
    /// Built once the people are planned, so that this run's associations count.
    pub fn new(state: &State, plan: &Plan) -> Self {
        Managed {
            students: sis_ids!(state.students, plan.students),
            guardians: sis_ids!(state.guardians, plan.guardians),
            staff: sis_ids!(state.staff, plan.staff),
            schools: sis_ids!(state.schools, plan.schools),
            classes: sis_ids!(state.classes, plan.classes),
        }
    }

    pub fn school_student(&self, origin: Origin, school: i64, student: i64) -> bool {
        origin == Origin::Sis
            || (self.schools.contains(&school) && self.students.contains(&student))
    }

    pub fn school_staff(&self, origin: Origin, school: i64, staff: i64) -> bool {
        origin == Origin::Sis || (self.schools.contains(&school) && self.staff.contains(&staff))
    }

    /// A class enrollment of a student (`teacher` false) or a teacher.
    pub fn enrollment(&self, origin: Origin, class: i64, person: i64, teacher: bool) -> bool {
        let people = if teacher { &self.staff } else { &self.students };
        origin == Origin::Sis || (self.classes.contains(&class) && people.contains(&person))
    }

    pub fn link(&self, origin: Origin, student: i64, guardian: i64) -> bool {
        origin == Origin::Sis
            || (self.students.contains(&student) && self.guardians.contains(&guardian))
    }
}
