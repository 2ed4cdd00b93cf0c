//! The district a request touches, whatever id it names (S1.2): a district directly, or a
//! run, upload, school, class, person or suppression of one.

use crate::domain::{Error, Result};
use crate::store::Store;
use crate::store::queries::{directory, districts, runs, suppressions, uploads};

/// What a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    District(i64),
    Run(i64),
    Upload(i64),
    School(i64),
    Class(i64),
    Student(i64),
    Guardian(i64),
    Staff(i64),
    /// A guardian or a staff member: the account holders.
    User(i64),
    /// A student, guardian or staff member.
    Person(i64),
    Suppression(i64),
    /// A student, guardian, staff member or class: what has a history (R9.3).
    Record(i64),
}

/// The district of `target`; NOT_FOUND when it names nothing.
pub async fn district_of(store: &Store, target: Target) -> Result<i64> {
    let mut conn = store.conn().await?;
    let c = &mut conn;
    let found = match target {
        Target::District(id) => districts::get(c, id).await?.map(|d| d.id),
        Target::Run(id) => runs::get(c, id).await?.map(|r| r.district_id),
        Target::Upload(id) => uploads::get(c, id).await?.map(|u| u.district_id),
        Target::School(id) => directory::get_school(c, id).await?.map(|s| s.district_id),
        Target::Class(id) => directory::get_class(c, id).await?.map(|s| s.district_id),
        Target::Student(id) => directory::get_student(c, id).await?.map(|s| s.district_id),
        Target::Guardian(id) => directory::get_guardian(c, id).await?.map(|s| s.district_id),
        Target::Staff(id) => directory::get_staff(c, id).await?.map(|s| s.district_id),
        Target::User(id) => match directory::get_guardian(c, id).await? {
            Some(g) => Some(g.district_id),
            None => directory::get_staff(c, id).await?.map(|s| s.district_id),
        },
        Target::Person(id) => match directory::get_student(c, id).await? {
            Some(s) => Some(s.district_id),
            None => match directory::get_guardian(c, id).await? {
                Some(g) => Some(g.district_id),
                None => directory::get_staff(c, id).await?.map(|s| s.district_id),
            },
        },
        Target::Suppression(id) => suppressions::get(c, id).await?.map(|s| s.district_id),
        Target::Record(id) => match directory::get_class(c, id).await? {
            Some(class) => Some(class.district_id),
            None => return Box::pin(district_of(store, Target::Person(id))).await,
        },
    };
    found.ok_or_else(|| Error::not_found(what(target)))
}

fn what(target: Target) -> String {
    match target {
        Target::District(id) => format!("district {id}"),
        Target::Run(id) => format!("sync run {id}"),
        Target::Upload(id) => format!("upload {id}"),
        Target::School(id) => format!("school {id}"),
        Target::Class(id) => format!("class {id}"),
        Target::Student(id) => format!("student {id}"),
        Target::Guardian(id) => format!("guardian {id}"),
        Target::Staff(id) => format!("staff member {id}"),
        Target::User(id) => format!("guardian or staff member {id}"),
        Target::Person(id) => format!("person {id}"),
        Target::Suppression(id) => format!("suppression {id}"),
        Target::Record(id) => format!("record {id}"),
    }
}
