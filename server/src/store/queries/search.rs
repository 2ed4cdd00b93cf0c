//! SearchPeople's lookups. Each key of a search is one probe of one index (see the
//! migration `2026-12-01-000003_search`): it returns the ids of the matching people of one
//! table, in id order after the page's last id, at most a page of them. The caller merges
//! the probes, so no statement ever scans a district. Every person of the district is
//! searched: archived students and unlinked guardians too (R6.2).

use crate::store::schema::*;
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

diesel::define_sql_function! {
    /// Lowercase, as the `*_lower` generated columns are folded: Unicode on MySQL, ASCII
    /// letters only on SQLite. The query goes through the same function, so it always
    /// folds as the stored values did.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// What one search looks for, parsed by the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    /// The query as typed (trimmed), compared with source ids and SIS IDs.
    pub exact: String,
    /// Compared with emails ignoring case; set when the query holds an `@`.
    pub email: Option<String>,
    /// The query in E.164, when it reads as a phone number.
    pub phone: Option<String>,
    /// A prefix of given names and of family names (the query, spaces collapsed).
    pub prefix: String,
    /// A full name "given family" split at each space: the given name whole, and a prefix
    /// of the family name ("Mary Ann L" gives ("Mary", "Ann L") and ("Mary Ann", "L")).
    pub full_names: Vec<(String, String)>,
}

/// The upper end of a prefix range: the prefix followed by the highest code point, above
/// every other character in the BINARY (SQLite) and utf8mb4_bin (MySQL) orders.
fn upper(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The ids of one table's people of `district` that meet `condition`, after `after`, in id
/// order, at most `limit`.
macro_rules! probe {
    ($conn:expr, $t:ident, $district:expr, $after:expr, $limit:expr, $condition:expr) => {
        with_conn!($conn, c => $t::table
            .filter($t::district_id.eq($district).and($t::id.gt($after)))
            .filter($condition)
            .order($t::id.asc())
            .limit($limit)
            .select($t::id)
            .load::<i64>(c)
            .await)?
    };
}

/// Like `probe!` for a name-prefix range, which may hold thousands of people: every id in
/// the range is read from the name index alone (it holds the ids), then the first `limit`
/// after `after` are kept here. Asking the database for them in id order instead makes
/// MySQL walk the primary key, filtering each row (0.4 to 0.9 s for a one- to
/// three-letter prefix in a 100,000-student district).
macro_rules! probe_range {
    ($conn:expr, $t:ident, $district:expr, $after:expr, $limit:expr, $condition:expr) => {{
        let mut ids: Vec<i64> = with_conn!($conn, c => $t::table
            .filter($t::district_id.eq($district))
            .filter($condition)
            .select($t::id)
            .load::<i64>(c)
            .await)?;
        ids.retain(|id| *id > $after);
        ids.sort_unstable();
        ids.truncate(usize::try_from($limit).unwrap_or(0));
        ids
    }};
}

/// The ids of one table's people matching every key but phone numbers.
macro_rules! by_ids_and_names {
    ($conn:expr, $t:ident, $district:expr, $terms:expr, $after:expr, $limit:expr) => {{
        let (conn, district, terms, after, limit) = ($conn, $district, $terms, $after, $limit);
        let mut ids = Vec::new();
        let exact = terms.exact.as_str();
        ids.extend(probe!(
            conn,
            $t,
            district,
            after,
            limit,
            $t::source_id.eq(exact)
        ));
        ids.extend(probe!(
            conn,
            $t,
            district,
            after,
            limit,
            $t::sis_id.eq(exact)
        ));
        if let Some(email) = terms.email.as_deref() {
            ids.extend(probe!(
                conn,
                $t,
                district,
                after,
                limit,
                $t::email_lower.eq(lower(email))
            ));
        }
        let (lo, hi) = (terms.prefix.as_str(), upper(&terms.prefix));
        ids.extend(probe_range!(
            conn,
            $t,
            district,
            after,
            limit,
            $t::given_name_lower
                .ge(lower(lo))
                .and($t::given_name_lower.lt(lower(&hi)))
        ));
        ids.extend(probe_range!(
            conn,
            $t,
            district,
            after,
            limit,
            $t::family_name_lower
                .ge(lower(lo))
                .and($t::family_name_lower.lt(lower(&hi)))
        ));
        for (given, family) in &terms.full_names {
            let (lo, hi) = (family.as_str(), upper(family));
            ids.extend(probe_range!(
                conn,
                $t,
                district,
                after,
                limit,
                $t::given_name_lower
                    .eq(lower(given.as_str()))
                    .and($t::family_name_lower.ge(lower(lo)))
                    .and($t::family_name_lower.lt(lower(&hi)))
            ));
        }
        ids
    }};
}

/// Students matching `terms` (students have no phone numbers), unordered, possibly
/// repeated: at most `limit` per key.
pub async fn students_matching(
    conn: &mut DbConn,
    district: i64,
    terms: &Terms,
    after: i64,
    limit: i64,
) -> R<Vec<i64>> {
    Ok(by_ids_and_names!(
        conn, students, district, terms, after, limit
    ))
}

/// Declares the search of an account table: every key, the SMS number and home phone too.
macro_rules! accounts_matching {
    ($(#[$meta:meta])* $name:ident, $t:ident) => {
        $(#[$meta])*
        pub async fn $name(
            conn: &mut DbConn,
            district: i64,
            terms: &Terms,
            after: i64,
            limit: i64,
        ) -> R<Vec<i64>> {
            let mut ids = by_ids_and_names!(&mut *conn, $t, district, terms, after, limit);
            if let Some(phone) = terms.phone.as_deref() {
                ids.extend(probe!(conn, $t, district, after, limit, $t::sms_number.eq(phone)));
                ids.extend(probe!(conn, $t, district, after, limit, $t::home_phone.eq(phone)));
            }
            Ok(ids)
        }
    };
}

accounts_matching!(
    /// Guardians matching `terms`, unordered, possibly repeated: at most `limit` per key.
    guardians_matching,
    guardians
);
accounts_matching!(
    /// Staff members matching `terms`, unordered, possibly repeated: at most `limit` per
    /// key.
    staff_matching,
    staff
);
