//! The directory: what the rest of the product reads and edits. Model functions here hold
//! the rules of manual records (R1.3, R4.3, R4.6); the gRPC adapters only convert.

mod access;
mod accounts;
mod classes;
mod districts;
mod edits;
mod erasure;
mod journal;
mod people;
mod removals;
mod search;
mod values;
mod views;

pub use access::{GuardianAccess, Recipient, guardian_access, list_announcement_recipients};
pub use accounts::{ContactMask, activate_user, set_staff_role, update_contact_details};
pub use classes::{
    ClassDetail, ClassMember, NewClass, add_class_member, create_class, get_class,
    list_class_members, list_classes,
};
pub use districts::{create_district, create_school, get_district, list_districts, list_schools};
pub use edits::{
    AccountEdit, ClassEdit, MANAGED_BY_SYNC, StudentEdit, update_class, update_guardian,
    update_staff, update_student,
};
pub use erasure::{erase_district, erase_person, lift_suppression, list_suppressions};
pub use people::*;
pub use removals::{
    remove_class_member, remove_school_member, set_class_archived, set_student_archived,
    unlink_guardian,
};
pub use search::{PeopleSearch, Person, search_people};
pub use views::{AccountHolder, GuardianView, StaffView, StudentView};

/// The record types the directory returns.
pub use crate::store::models::{Class, District, Guardian, School, Staff, Student, SuppressionRow};
