//! Contact credentials of account holders (R3.1): valid for the district's region, and
//! unique among every guardian and staff member of the district, in the source or stored.

use crate::domain::{PhoneKind, Text, normalize_email, parse_email, parse_phone};
use foldhash::HashMap;

/// Who holds a credential: a person of the source, by its source id, or a stored record
/// without one (a manual record). A source user who is both a guardian and a staff
/// member (a Clever teacher who is also a contact) is one person: its guardian and staff
/// records share their credentials without making them shared (R3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Holder<'a> {
    Person(&'a str),
    Stored(i64),
}

/// Credentials by holder, to tell unique ones from shared ones. Only whether a second
/// holder exists matters, so each credential keeps its first holder, or `None` once
/// another has been seen: no set per credential. Keys are [`Text`]: an E.164 number and
/// a short email are held in the key itself, with no allocation per credential.
#[derive(Debug, Default)]
pub(super) struct Registry<'a> {
    emails: HashMap<Text, Option<Holder<'a>>>,
    phones: HashMap<Text, Option<Holder<'a>>>,
}

/// Notes `holder` as holding `key` in `held`.
fn hold<'a>(held: &mut HashMap<Text, Option<Holder<'a>>>, key: Text, holder: Holder<'a>) {
    held.entry(key)
        .and_modify(|first| {
            if *first != Some(holder) {
                *first = None;
            }
        })
        .or_insert(Some(holder));
}

impl<'a> Registry<'a> {
    pub fn add_email(&mut self, email: &str, holder: Holder<'a>) {
        if !email.trim().is_empty() {
            hold(&mut self.emails, Text::new(normalize_email(email)), holder);
        }
    }

    pub fn add_phone(&mut self, e164: &str, holder: Holder<'a>) {
        if !e164.is_empty() {
            hold(&mut self.phones, Text::new(e164), holder);
        }
    }

    pub fn email_is_unique(&self, email: &str) -> bool {
        self.emails
            .get(normalize_email(email).as_str())
            .is_none_or(Option::is_some)
    }

    pub fn phone_is_unique(&self, e164: &str) -> bool {
        self.phones.get(e164).is_none_or(Option::is_some)
    }
}

/// One credential as the source gave it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Checked {
    /// The source left it empty.
    Empty,
    /// Valid: the normalized value (trimmed email, E.164 phone), held inline when short.
    Valid(Text),
    /// Not valid; the reason.
    Invalid(String),
    /// The source does not carry the field (R4.8): the stored value stays.
    NotCarried,
}

impl Checked {
    pub fn email(raw: &str) -> Self {
        match parse_email("email", raw) {
            Ok(e) if e.is_empty() => Checked::Empty,
            Ok(e) => Checked::Valid(Text::new(e)),
            Err(e) => Checked::Invalid(e.to_string()),
        }
    }

    pub fn phone(field: &str, raw: &str, region: &str, kind: PhoneKind) -> Self {
        match parse_phone(field, raw, region, kind) {
            Ok(p) if p.is_empty() => Checked::Empty,
            Ok(p) => Checked::Valid(Text::new(p)),
            Err(e) => Checked::Invalid(e.to_string()),
        }
    }

    pub fn valid(&self) -> Option<&str> {
        match self {
            Checked::Valid(v) => Some(v),
            _ => None,
        }
    }
}
