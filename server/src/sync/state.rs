//! The district as stored, loaded in a few set-based queries before planning.

use crate::store::models::*;

/// Everything of one district the planner compares with a snapshot.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub schools: Vec<School>,
    pub students: Vec<Student>,
    pub guardians: Vec<Guardian>,
    pub staff: Vec<Staff>,
    pub classes: Vec<Class>,
    pub school_students: Vec<SchoolStudent>,
    pub school_staff: Vec<SchoolStaff>,
    pub class_students: Vec<ClassStudent>,
    pub class_teachers: Vec<ClassTeacher>,
    pub links: Vec<FamilyLink>,
    /// Abandonments not restored yet: a record coming back closes its own (R5.7).
    pub open_abandonments: Vec<AbandonedRow>,
}
