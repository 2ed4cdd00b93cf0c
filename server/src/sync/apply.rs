//! Applies a plan in one transaction, as batched multi-row statements: a failure leaves
//! the roster exactly as it was (R7.1), and a re-run applies nothing new (R7.4).

use super::plan::Plan;
use crate::store::queries::{roster as q, runs};
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use std::sync::Arc;

pub async fn apply(
    conn: &mut DbConn,
    plan: Arc<Plan>,
    run_id: i64,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    conn.transaction::<_, StoreError, _>(move |c| {
        Box::pin(async move {
            if !runs::fence(c, run_id, now).await? {
                return Err(StoreError::Fenced(format!(
                    "run {run_id} is no longer RUNNING (ended by another server); nothing applied"
                )));
            }
            q::write_schools(c, &plan.schools).await?;
            q::write_classes(c, &plan.classes).await?;
            q::write_students(c, &plan.students).await?;
            q::write_guardians(c, &plan.guardians, &plan.keep_contact).await?;
            q::write_staff(c, &plan.staff, &plan.keep_contact).await?;
            q::delete_pairs(
                c,
                "school_students",
                ("school_id", "student_id"),
                &plan.remove_school_students,
            )
            .await?;
            q::delete_pairs(
                c,
                "school_staff",
                ("school_id", "staff_id"),
                &plan.remove_school_staff,
            )
            .await?;
            q::delete_pairs(
                c,
                "class_students",
                ("class_id", "student_id"),
                &plan.remove_class_students,
            )
            .await?;
            q::delete_pairs(
                c,
                "class_teachers",
                ("class_id", "staff_id"),
                &plan.remove_class_teachers,
            )
            .await?;
            q::delete_pairs(
                c,
                "family_links",
                ("student_id", "guardian_id"),
                &plan.remove_links,
            )
            .await?;
            q::add_school_students(c, &plan.add_school_students).await?;
            q::add_school_staff(c, &plan.add_school_staff).await?;
            q::add_class_students(c, &plan.add_class_students).await?;
            q::add_class_teachers(c, &plan.add_class_teachers).await?;
            q::add_links(c, &plan.add_links).await?;
            q::insert_abandoned(c, &plan.abandoned).await?;
            q::restore_abandoned(c, &plan.restored, run_id, now).await?;
            Ok(())
        })
    })
    .await
}
