//! The account actions on guardians and staff: contact edits (R4.6), the staff role
//! (R4.3) and activation (R4.5).

use super::journal;
use super::people::{ContactInput, contact};
use super::views::{
    AccountHolder, StaffView, guardian_views, one, require_guardian, require_staff, staff_views,
};
use crate::domain::{
    Caller, ChangeAction, Error, Origin, RecordKind, Result, StaffRole, Violations, now,
};
use crate::store::fields::FieldChange;
use crate::store::queries::directory::{self as q, Contact};
use crate::store::queries::history::Edit;
use crate::store::queries::settings;
use crate::store::{DbConn, Store};

/// Finds the guardian or staff member with this id.
async fn account_holder(conn: &mut DbConn, user_id: i64) -> Result<AccountHolder> {
    if let Some(g) = q::get_guardian(conn, user_id).await? {
        return Ok(AccountHolder::Guardian(one(
            guardian_views(conn, vec![g]).await?
        )?));
    }
    if let Some(s) = q::get_staff(conn, user_id).await? {
        return Ok(AccountHolder::Staff(
            one(staff_views(conn, vec![s]).await?)?,
        ));
    }
    Err(Error::not_found(format!(
        "guardian or staff member {user_id}"
    )))
}

/// Which contact fields an update names.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactMask {
    pub email: bool,
    pub sms_number: bool,
    pub home_phone: bool,
}

impl ContactMask {
    /// Reads `update_mask.paths`; an empty or unknown path is INVALID_ARGUMENT.
    pub fn parse(paths: &[String]) -> Result<Self> {
        if paths.is_empty() {
            return Err(Error::invalid(
                "update_mask",
                "must name at least one of email, sms_number, home_phone",
            ));
        }
        let mut mask = ContactMask::default();
        for path in paths {
            match path.as_str() {
                "email" | "contact_details.email" => mask.email = true,
                "sms_number" | "contact_details.sms_number" => mask.sms_number = true,
                "home_phone" | "contact_details.home_phone" => mask.home_phone = true,
                other => {
                    return Err(Error::invalid(
                        "update_mask",
                        format!("unknown path `{other}` (use email, sms_number, home_phone)"),
                    ));
                }
            }
        }
        Ok(mask)
    }
}

/// Edits contact details. Refused with CONTACT_MANAGED_BY_SYNC for an active sis user
/// while the district's Update Active Users setting is on (R4.6).
pub async fn update_contact_details(
    store: &Store,
    by: &Caller,
    user_id: i64,
    input: ContactInput,
    mask: ContactMask,
) -> Result<AccountHolder> {
    let mut conn = store.conn().await?;
    let holder = account_holder(&mut conn, user_id).await?;
    let (district_id, origin, activated, current) = match &holder {
        AccountHolder::Guardian(g) => (
            g.row.district_id,
            &g.row.origin,
            g.row.activated_at.is_some(),
            contact_of(&g.row.email, &g.row.sms_number, &g.row.home_phone),
        ),
        AccountHolder::Staff(s) => (
            s.row.district_id,
            &s.row.origin,
            s.row.activated_at.is_some(),
            contact_of(&s.row.email, &s.row.sms_number, &s.row.home_phone),
        ),
    };
    let settings = settings::load(&mut conn, district_id).await?;
    if *origin == Origin::Sis && activated && settings.update_active_users {
        return Err(Error::precondition(
            "CONTACT_MANAGED_BY_SYNC",
            format!(
                "the contact details of user {user_id} are managed by the roster sync \
                 (Update Active Users is on); change them in the SIS"
            ),
        ));
    }
    let mut v = Violations::default();
    let parsed = contact(&mut v, &input, &settings.default_phone_region)?;
    v.into_result()?;
    let updated = Contact {
        email: if mask.email {
            parsed.email
        } else {
            current.email
        },
        sms_number: if mask.sms_number {
            parsed.sms_number
        } else {
            current.sms_number
        },
        home_phone: if mask.home_phone {
            parsed.home_phone
        } else {
            current.home_phone
        },
    };
    let now = now();
    match &holder {
        AccountHolder::Guardian(g) => {
            journal::update(&mut conn, by, district_id, &g.row, move |c| {
                let updated = updated.clone();
                Box::pin(async move {
                    q::update_guardian_contact(c, user_id, &updated, now).await?;
                    require_guardian(c, user_id).await
                })
            })
            .await?;
        }
        AccountHolder::Staff(s) => {
            journal::update(&mut conn, by, district_id, &s.row, move |c| {
                let updated = updated.clone();
                Box::pin(async move {
                    q::update_staff_contact(c, user_id, &updated, now).await?;
                    require_staff(c, user_id).await
                })
            })
            .await?;
        }
    }
    account_holder(&mut conn, user_id).await
}

fn contact_of(email: &str, sms_number: &str, home_phone: &str) -> Contact {
    Contact {
        email: email.to_owned(),
        sms_number: sms_number.to_owned(),
        home_phone: home_phone.to_owned(),
    }
}

/// Changes a staff member's role: only ever done here, never by a sync (R4.3).
pub async fn set_staff_role(
    store: &Store,
    by: &Caller,
    staff_id: i64,
    role: StaffRole,
) -> Result<StaffView> {
    let mut conn = store.conn().await?;
    let before = require_staff(&mut conn, staff_id).await?;
    let row = journal::update(&mut conn, by, before.district_id, &before, move |c| {
        Box::pin(async move {
            q::set_staff_role(c, staff_id, role, now()).await?;
            require_staff(c, staff_id).await
        })
    })
    .await?;
    one(staff_views(&mut conn, vec![row]).await?)
}

/// Records a first login: the invitee becomes an active user (R4.5, R4.6).
pub async fn activate_user(store: &Store, by: &Caller, user_id: i64) -> Result<AccountHolder> {
    let mut conn = store.conn().await?;
    let (kind, district_id, active) = match account_holder(&mut conn, user_id).await? {
        AccountHolder::Guardian(g) => (
            RecordKind::Guardian,
            g.row.district_id,
            g.row.activated_at.is_some(),
        ),
        AccountHolder::Staff(s) => (
            RecordKind::Staff,
            s.row.district_id,
            s.row.activated_at.is_some(),
        ),
    };
    if !active {
        // The activation goes in the account's history (R9.3), as its state's change.
        let made = Edit {
            district_id,
            kind,
            record_id: user_id,
            related_id: None,
            action: ChangeAction::Update,
            fields: vec![FieldChange(
                "account_state".into(),
                "invitee".into(),
                "active".into(),
            )],
        };
        journal::write(&mut conn, by, made, move |c| {
            Box::pin(async move {
                let now = now();
                if kind == RecordKind::Guardian {
                    q::activate_guardian(c, user_id, now).await?;
                } else {
                    q::activate_staff(c, user_id, now).await?;
                }
                Ok(())
            })
        })
        .await?;
    }
    account_holder(&mut conn, user_id).await
}
