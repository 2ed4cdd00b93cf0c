//! Contact credentials of account holders (R3.1): valid for the district's region, and
//! unique among every guardian and staff member of the district, in the source or stored.

use crate::domain::{PhoneKind, Text, normalize_email, parse_email, parse_phone};
use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;

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
/// another has been seen: no set per credential. Keys borrow the credential where it is
/// already in normal form (an E.164 number, a lowercase email), as nearly all are: no
/// allocation per credential.
#[derive(Debug, Default)]
pub(super) struct Registry<'a> {
    emails: Held<'a>,
    phones: Held<'a>,
}

type Held<'a> = HashMap<Cow<'a, str>, Option<Holder<'a>>>;

/// An email as the registry keys it: normalized, borrowed when it already is (ASCII
/// without capitals, as nearly every address is).
fn email_key(email: &str) -> Cow<'_, str> {
    let trimmed = email.trim();
    if trimmed
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(normalize_email(trimmed))
    }
}

/// Notes `holder` as holding `key` in `held`.
fn hold<'a>(held: &mut Held<'a>, key: Cow<'a, str>, holder: Holder<'a>) {
    held.entry(key)
        .and_modify(|first| {
            if *first != Some(holder) {
                *first = None;
            }
        })
        .or_insert(Some(holder));
}

impl<'a> Registry<'a> {
    /// A registry with room for `holders` credentials of each kind, made once: grown by
    /// doubling, each map was held twice for a moment at the peak of planning.
    pub fn with_capacity(holders: usize) -> Self {
        Registry {
            emails: HashMap::with_capacity(holders),
            phones: HashMap::with_capacity(holders),
        }
    }

    pub fn add_email(&mut self, email: &'a str, holder: Holder<'a>) {
        let key = email_key(email);
        if !key.is_empty() {
            hold(&mut self.emails, key, holder);
        }
    }

    pub fn add_phone(&mut self, e164: &'a str, holder: Holder<'a>) {
        if !e164.is_empty() {
            hold(&mut self.phones, Cow::Borrowed(e164), holder);
        }
    }

    pub fn email_is_unique(&self, email: &str) -> bool {
        self.emails
            .get(&email_key(email))
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
    /// Not valid; the reason. (Boxed: with a `String` here the enum took 32 bytes, not 24.)
    Invalid(Box<str>),
    /// The source does not carry the field (R4.8): the stored value stays.
    NotCarried,
}

const _: () = assert!(std::mem::size_of::<Checked>() == 24);

impl Checked {
    pub fn email(raw: &str) -> Self {
        match parse_email("email", raw) {
            Ok(e) if e.is_empty() => Checked::Empty,
            Ok(e) => Checked::Valid(Text::new(e)),
            Err(e) => Checked::Invalid(e.to_string().into()),
        }
    }

    pub fn phone(field: &str, raw: &str, region: &str, kind: PhoneKind) -> Self {
        match parse_phone(field, raw, region, kind) {
            Ok(p) if p.is_empty() => Checked::Empty,
            Ok(p) => Checked::Valid(Text::new(p)),
            Err(e) => Checked::Invalid(e.to_string().into()),
        }
    }

    pub fn valid(&self) -> Option<&str> {
        match self {
            Checked::Valid(v) => Some(v),
            _ => None,
        }
    }
}
