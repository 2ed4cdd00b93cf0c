//! SearchPeople: a district's students, guardians and staff members by source id, SIS ID,
//! email (ignoring case), phone number (in any format, compared in E.164) or name prefix.
//! Every person of the district is searched, whatever its schools: an archived student,
//! and the guardians of a family removed under EXTREME, are found too (R6.2).

use super::views::{
    GuardianView, StaffView, StudentView, guardian_views, staff_views, student_views,
};
use crate::domain::{
    Error, Page, PageRequest, PhoneKind, RecordKind, Result, Violations, parse_phone,
};
use crate::store::Store;
use crate::store::queries::search::{self as sq, Terms};
use crate::store::queries::{directory as q, districts, settings};
use sha2::{Digest, Sha256};

/// A student, guardian or staff member.
#[derive(Debug, Clone)]
pub enum Person {
    Student(StudentView),
    Guardian(GuardianView),
    Staff(StaffView),
}

impl Person {
    pub fn id(&self) -> i64 {
        match self {
            Person::Student(s) => s.row.id,
            Person::Guardian(g) => g.row.id,
            Person::Staff(s) => s.row.id,
        }
    }
}

/// The longest query: the longest value searched (an email, 320 characters).
const QUERY_CHARS: usize = 320;

/// At most this many splits of a query into "given family" are tried: a full name is a
/// few words, and each split costs one probe per kind.
const FULL_NAME_SPLITS: usize = 4;

/// The kinds of people a search can return.
const PERSON_KINDS: [RecordKind; 3] =
    [RecordKind::Student, RecordKind::Guardian, RecordKind::Staff];

/// A checked search: the district, the query (trimmed) and the kinds asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleSearch {
    district_id: i64,
    query: String,
    kinds: Vec<RecordKind>,
}

impl PeopleSearch {
    /// Checks the query and the kinds (`None` is a kind the wire left UNSPECIFIED); empty
    /// `kinds` means all three.
    pub fn new(district_id: i64, query: &str, kinds: &[Option<RecordKind>]) -> Result<Self> {
        let mut v = Violations::default();
        let query = query.trim();
        if query.is_empty() {
            v.check::<()>(Err(Error::invalid("query", "is required")))?;
        } else if query.chars().count() > QUERY_CHARS {
            v.check::<()>(Err(Error::invalid(
                "query",
                format!("is longer than {QUERY_CHARS} characters"),
            )))?;
        }
        let mut chosen = Vec::new();
        for (i, kind) in kinds.iter().enumerate() {
            match kind {
                Some(k) if PERSON_KINDS.contains(k) => chosen.push(*k),
                _ => {
                    v.check::<()>(Err(Error::invalid(
                        format!("kinds[{i}]"),
                        "must be RECORD_KIND_STUDENT, RECORD_KIND_GUARDIAN or RECORD_KIND_STAFF",
                    )))?;
                }
            }
        }
        v.into_result()?;
        if chosen.is_empty() {
            chosen = PERSON_KINDS.to_vec();
        }
        chosen.sort();
        chosen.dedup();
        Ok(PeopleSearch {
            district_id,
            query: query.to_owned(),
            kinds: chosen,
        })
    }

    /// The paging scope of this search. The query is in it as a digest, so a page token
    /// does not carry an email or phone number around.
    pub fn scope(&self) -> String {
        let digest = Sha256::digest(self.query.as_bytes());
        let hex = crate::domain::hex(&digest[..12]);
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.as_str()).collect();
        format!("people:{}:{}:{hex}", self.district_id, kinds.join(","))
    }

    fn wants(&self, kind: RecordKind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// Whether a query is written like a phone number: digits and the usual separators only,
/// with enough digits to be one. (Letters are left out: the phone library would read
/// "SIMPSON" as keypad digits.)
fn looks_like_phone(query: &str) -> bool {
    let digits = query.chars().filter(char::is_ascii_digit).count();
    digits >= 5
        && query
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// The keys of a query: `region` reads a phone number written without a country code.
pub fn terms(query: &str, region: &str) -> Terms {
    let prefix = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = prefix.split(' ').collect();
    let full_names = (1..words.len().min(FULL_NAME_SPLITS + 1))
        .map(|i| (words[..i].join(" "), words[i..].join(" ")))
        .collect();
    Terms {
        exact: query.to_owned(),
        email: query.contains('@').then(|| query.to_owned()),
        phone: looks_like_phone(query)
            .then(|| parse_phone("query", query, region, PhoneKind::Voice).ok())
            .flatten(),
        prefix,
        full_names,
    }
}

/// One page of the people matching `search`, in id order.
pub async fn search_people(
    store: &Store,
    search: &PeopleSearch,
    page: PageRequest,
) -> Result<Page<Person>> {
    let mut conn = store.conn().await?;
    let district = search.district_id;
    districts::require(&mut conn, district).await?;
    let region = settings::load(&mut conn, district)
        .await?
        .default_phone_region;
    let terms = terms(&search.query, &region);
    let (after, limit) = (page.after.unwrap_or(0), page.limit());
    // Each probe returns at most `limit` ids after the token, so the first `limit` of
    // their union are the first `limit` matches.
    let mut found: Vec<(i64, RecordKind)> = Vec::new();
    if search.wants(RecordKind::Student) {
        let ids = sq::students_matching(&mut conn, district, &terms, after, limit).await?;
        found.extend(ids.into_iter().map(|id| (id, RecordKind::Student)));
    }
    if search.wants(RecordKind::Guardian) {
        let ids = sq::guardians_matching(&mut conn, district, &terms, after, limit).await?;
        found.extend(ids.into_iter().map(|id| (id, RecordKind::Guardian)));
    }
    if search.wants(RecordKind::Staff) {
        let ids = sq::staff_matching(&mut conn, district, &terms, after, limit).await?;
        found.extend(ids.into_iter().map(|id| (id, RecordKind::Staff)));
    }
    found.sort_unstable();
    found.dedup();
    found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let of = |kind: RecordKind| -> Vec<i64> {
        found
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(id, _)| *id)
            .collect()
    };
    let (students, guardians, staff) = (
        of(RecordKind::Student),
        of(RecordKind::Guardian),
        of(RecordKind::Staff),
    );
    let mut people: Vec<Person> = Vec::with_capacity(found.len());
    let rows = q::students_by_ids(&mut conn, &students).await?;
    people.extend(
        student_views(&mut conn, rows)
            .await?
            .into_iter()
            .map(Person::Student),
    );
    let rows = q::guardians_by_ids(&mut conn, &guardians).await?;
    people.extend(
        guardian_views(&mut conn, rows)
            .await?
            .into_iter()
            .map(Person::Guardian),
    );
    let rows = q::staff_by_ids(&mut conn, &staff).await?;
    people.extend(
        staff_views(&mut conn, rows)
            .await?
            .into_iter()
            .map(Person::Staff),
    );
    people.sort_unstable_by_key(Person::id);
    Ok(page.finish(people, Person::id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_gives_its_keys() {
        let t = terms("  Bart   Simpson ", "US");
        assert_eq!(t.prefix, "Bart Simpson");
        assert_eq!(t.full_names, vec![("Bart".into(), "Simpson".into())]);
        assert_eq!((t.email, t.phone), (None, None));

        let t = terms("Marge@Example.org", "US");
        assert_eq!(t.email.as_deref(), Some("Marge@Example.org"));

        let t = terms("(603) 555-0101", "US");
        assert_eq!(t.phone.as_deref(), Some("+16035550101"));
        assert_eq!(
            terms("603.555.0101", "US").phone.as_deref(),
            Some("+16035550101")
        );
        // Letters are never read as keypad digits; short numbers are no phone numbers.
        assert_eq!(terms("SIMPSON1", "US").phone, None);
        assert_eq!(terms("12", "US").phone, None);

        let t = terms("Mary Ann de la Cruz", "US");
        assert_eq!(t.full_names.len(), FULL_NAME_SPLITS);
        assert_eq!(t.full_names[1], ("Mary Ann".into(), "de la Cruz".into()));
    }

    #[test]
    fn a_search_checks_its_query_and_kinds() {
        let all = PeopleSearch::new(1, " bart ", &[]).unwrap();
        assert_eq!(all.kinds, PERSON_KINDS.to_vec());
        assert_eq!(all.query, "bart");
        let err = PeopleSearch::new(1, "  ", &[None, Some(RecordKind::Class)]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("query: is required"), "{text}");
        assert!(
            text.contains("kinds[0]") && text.contains("kinds[1]"),
            "{text}"
        );
        assert!(PeopleSearch::new(1, &"x".repeat(321), &[]).is_err());
        // The scope names the query only as a digest, and differs with it.
        let a = PeopleSearch::new(1, "marge@example.org", &[]).unwrap();
        let b = PeopleSearch::new(1, "homer@example.org", &[]).unwrap();
        assert!(!a.scope().contains("marge"));
        assert_ne!(a.scope(), b.scope());
        let staff = PeopleSearch::new(1, "x", &[Some(RecordKind::Staff)]).unwrap();
        assert_ne!(
            staff.scope(),
            PeopleSearch::new(1, "x", &[]).unwrap().scope()
        );
    }
}
