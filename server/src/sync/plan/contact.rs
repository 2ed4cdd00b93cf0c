//! The contact an account holder ends with (R3.1, R4.5, R4.6): its source credentials,
//! checked for the district's region and for uniqueness; a stored value stays where the
//! source's is unusable, and stays whole while the user manages it.

use super::Plan;
use super::credentials::{Checked, Holder, Registry};
use crate::domain::{IssueCode, PhoneKind, RecordKind};
use crate::snapshot::{Issue, SourceRef};

/// The contact fields of a guardian or staff member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Contact {
    pub email: String,
    pub sms_number: String,
    pub home_phone: String,
}

/// A stored row's contact fields, borrowed: every candidate holds its row's, and a copy of
/// their strings was most of what the candidates of a large district held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StoredContact<'a> {
    pub email: &'a str,
    pub sms_number: &'a str,
    pub home_phone: &'a str,
}

impl StoredContact<'_> {
    pub fn to_contact(self) -> Contact {
        Contact {
            email: self.email.to_owned(),
            sms_number: self.sms_number.to_owned(),
            home_phone: self.home_phone.to_owned(),
        }
    }
}

/// A source account holder (guardian or staff) and the stored row it matched, as the
/// contact rules name and compare it. Made on the fly from the record and the row: a
/// copy of these for every holder of a large district was most of its candidates.
#[derive(Clone, Copy)]
pub(super) struct Listing<'a> {
    pub kind: RecordKind,
    pub source_id: &'a str,
    pub at: &'a SourceRef,
    /// The stored row's id and contact, when the row exists.
    pub stored: Option<(i64, StoredContact<'a>)>,
}

impl<'a> Listing<'a> {
    fn contact(&self) -> Option<StoredContact<'a>> {
        self.stored.map(|(_, contact)| contact)
    }

    /// Who holds what this holder holds: its source id (R3.1).
    pub fn holder(&self) -> Holder<'a> {
        Holder::Person(self.source_id)
    }
}

/// A source account holder's credentials, checked: what is kept of every holder while
/// all of them are registered, since uniqueness is known only once all are (R3.1).
pub(super) struct Candidate {
    pub email: Checked,
    pub sms: Checked,
    pub home: Checked,
    /// Whether the source may change the contact (R4.5, R4.6).
    pub updatable: bool,
}

/// A source account holder's credentials as the source wrote them; None for a field the
/// source does not carry (R4.8).
pub(super) struct Written<'a> {
    pub email: Option<&'a str>,
    pub sms: Option<&'a str>,
    pub home: Option<&'a str>,
}

impl Candidate {
    /// Checks `written` against `listing`'s stored contact, with `phones` for the
    /// district's region; `active` when a stored user has activated their account.
    pub fn new(
        listing: &Listing,
        written: Written,
        active: bool,
        phones: &PhoneReader,
        update_active_users: bool,
    ) -> Self {
        let stored = listing.contact();
        let sms_stored = stored.map_or("", |c| c.sms_number);
        let home_stored = stored.map_or("", |c| c.home_phone);
        Candidate {
            email: written.email.map_or(Checked::NotCarried, Checked::email),
            sms: written.sms.map_or(Checked::NotCarried, |raw| {
                phones.read("sms", raw, sms_stored, PhoneKind::Sms)
            }),
            home: written.home.map_or(Checked::NotCarried, |raw| {
                phones.read("phone", raw, home_stored, PhoneKind::Voice)
            }),
            updatable: !active || update_active_users,
        }
    }

    /// Adds the credentials `listing`'s holder may end with to the registry: the stored
    /// ones while the user manages them; otherwise the source's valid ones, and for a
    /// stored holder also each stored one the source does not clear, since a new value
    /// that turns out unusable (invalid or shared) leaves the stored one in place (R3.1).
    /// A stored credential so counts as held until the source has replaced it, so two
    /// accounts never hold one credential; another holder gets it from the next run on.
    pub fn register<'a>(&'a self, listing: &Listing<'a>, registry: &mut Registry<'a>) {
        let holder = listing.holder();
        match (listing.contact(), self.updatable) {
            (Some(stored), false) => {
                registry.add_email(stored.email, holder);
                registry.add_phone(stored.sms_number, holder);
            }
            (stored, _) => {
                if let Some(e) = self.email.valid() {
                    registry.add_email(e, holder);
                }
                if let Some(p) = self.sms.valid() {
                    registry.add_phone(p, holder);
                }
                if let Some(stored) = stored {
                    if self.email != Checked::Empty {
                        registry.add_email(stored.email, holder);
                    }
                    if self.sms != Checked::Empty {
                        registry.add_phone(stored.sms_number, holder);
                    }
                }
            }
        }
    }
}

/// One credential the source gave that cannot be used, and why.
type Problem = (IssueCode, &'static str, String);

/// The contact a candidate ends with, or None for a new guardian without any unique
/// credential (skipped, R3.1). Unusable credentials are left out with a warning; for a
/// stored record the stored value stays instead, so a shared or mistyped number in the
/// source never wipes a working one.
pub(super) fn resolve(
    who: &Listing,
    c: &Candidate,
    registry: &Registry,
    require_unique: bool,
    plan: &mut Plan,
) -> Option<Contact> {
    let stored = who.contact();
    if let (Some(stored), false) = (stored, c.updatable) {
        return Some(stored.to_contact());
    }
    let mut problems: Vec<Problem> = Vec::new();
    let email = usable(&c.email, "email", &mut problems, |e| {
        (require_unique && !registry.email_is_unique(e)).then(|| {
            let held = format!("email `{e}` is held by another guardian or staff member");
            (IssueCode::DuplicateEmail, held)
        })
    });
    let sms = usable(&c.sms, "sms", &mut problems, |p| {
        (require_unique && !registry.phone_is_unique(p)).then(|| {
            let held = format!("SMS number `{p}` is held by another guardian or staff member");
            (IssueCode::DuplicatePhone, held)
        })
    });
    // A home phone is not a credential: it is never checked for uniqueness.
    let home = usable(&c.home, "phone", &mut problems, |_| None);
    let reachable = email.as_deref().is_some_and(|e| !e.is_empty())
        || sms.as_deref().is_some_and(|p| !p.is_empty());
    if who.kind == RecordKind::Guardian && stored.is_none() && !reachable {
        skip_guardian(who, &problems, plan);
        return None;
    }
    for (code, field, message) in problems {
        plan.issues.push(Issue::warning(
            who.kind,
            code,
            who.at,
            who.source_id,
            field,
            format!("{message}; left out"),
        ));
    }
    let keep = |pick: fn(StoredContact) -> &str| stored.map(pick).unwrap_or_default().to_owned();
    Some(Contact {
        email: email.unwrap_or_else(|| keep(|s| s.email)),
        sms_number: sms.unwrap_or_else(|| keep(|s| s.sms_number)),
        home_phone: home.unwrap_or_else(|| keep(|s| s.home_phone)),
    })
}

/// The value to keep for one credential: Some (maybe empty) when usable, None with a
/// problem recorded when not. `shared` says why a valid value is held by someone else.
fn usable(
    checked: &Checked,
    field: &'static str,
    problems: &mut Vec<Problem>,
    shared: impl Fn(&str) -> Option<(IssueCode, String)>,
) -> Option<String> {
    match checked {
        Checked::NotCarried => None,
        Checked::Empty => Some(String::new()),
        Checked::Valid(v) => match shared(v) {
            None => Some(v.to_string()),
            Some((code, message)) => {
                problems.push((code, field, message));
                None
            }
        },
        Checked::Invalid(why) => {
            let code = if field == "email" {
                IssueCode::InvalidEmail
            } else {
                IssueCode::InvalidPhone
            };
            problems.push((code, field, why.to_string()));
            None
        }
    }
}

/// A new guardian without a unique credential is not added, with one issue giving the
/// reason in R3.1's terms: a shared credential first, then an invalid phone; an unusable
/// email alone leaves the guardian with no contact.
fn skip_guardian(who: &Listing, problems: &[Problem], plan: &mut Plan) {
    let (code, field, reason) = [
        IssueCode::DuplicateEmail,
        IssueCode::DuplicatePhone,
        IssueCode::InvalidPhone,
    ]
    .iter()
    .find_map(|want| {
        problems
            .iter()
            .find(|(code, field, _)| code == want && *field != "phone")
    })
    .cloned()
    .unwrap_or((
        IssueCode::NoContact,
        "",
        "no email and no SMS-capable phone number".into(),
    ));
    plan.count(RecordKind::Guardian).skipped += 1;
    plan.issues.push(Issue::invalid(
        RecordKind::Guardian,
        code,
        who.at,
        who.source_id,
        field,
        format!("guardian not added: no unique contact credential ({reason})"),
    ));
}

/// Reads source phone numbers for the district's region. A number that is digit for
/// digit the one already stored (stored numbers were validated when written) is taken
/// as it is: re-syncing an unchanged district parses no phone number at all.
pub(super) struct PhoneReader<'a> {
    region: &'a str,
    /// The region's country calling code, in digits.
    country_code: Option<String>,
}

impl<'a> PhoneReader<'a> {
    pub fn new(region: &'a str) -> Self {
        PhoneReader {
            region,
            country_code: phonenumber::metadata::DATABASE
                .by_id(region)
                .map(|m| m.country_code().to_string()),
        }
    }

    pub fn read(&self, field: &str, raw: &str, stored: &str, kind: PhoneKind) -> Checked {
        if !stored.is_empty() && self.same_number(raw, stored) {
            return Checked::Valid(stored.into());
        }
        Checked::phone(field, raw, self.region, kind)
    }

    /// Whether `raw` writes the E.164 number `stored`, as a national number of the
    /// region or with its country code.
    fn same_number(&self, raw: &str, stored: &str) -> bool {
        let Some(stored_digits) = stored.strip_prefix('+') else {
            return false;
        };
        // Compared digit by digit as they come: most numbers of a resync are the stored ones.
        let digits = || raw.bytes().filter(u8::is_ascii_digit);
        let writes = |number: &str| digits().eq(number.bytes());
        if raw.trim_start().starts_with('+') {
            return writes(stored_digits);
        }
        match &self.country_code {
            Some(cc) => {
                stored_digits.strip_prefix(cc.as_str()).is_some_and(writes)
                    || (digits().count() > 6 && writes(stored_digits))
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_number_written_another_way_is_recognized_without_parsing() {
        let us = PhoneReader::new("US");
        assert!(us.same_number("(603) 555-0142", "+16035550142"));
        assert!(us.same_number("1-603-555-0142", "+16035550142"));
        assert!(us.same_number("+1 603 555 0142", "+16035550142"));
        assert!(!us.same_number("(603) 555-0143", "+16035550142"));
        assert!(!us.same_number("+44 603 555 0142", "+16035550142"));
        assert_eq!(
            us.read("sms", "603.555.0142", "+16035550142", PhoneKind::Sms),
            Checked::Valid("+16035550142".into())
        );
    }
}
