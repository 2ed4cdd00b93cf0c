//! Grades (R2.1, R2.4, R3.4): the OneRoster vocabulary (CEDS): `IT`, `PR`, `PK`, `TK`,
//! `KG`, `01` to `13`, `PS`, `UG`, `Other`. Read case-insensitively, and `1` to `9` as
//! `01` to `09`, as many exports write them. A grade outside the vocabulary is left out
//! with a warning (`INVALID_GRADE`); a stored grade then stays as it was.

use super::Plan;
use crate::domain::{IssueCode, RecordKind};
use crate::snapshot::{Issue, SourceRef};

const WORDS: [&str; 9] = ["IT", "PR", "PK", "TK", "KG", "PS", "UG", "Other", "13"];

/// The grade in its canonical spelling, or None outside the vocabulary.
pub(super) fn normalize(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let Some(word) = WORDS.iter().find(|w| w.eq_ignore_ascii_case(raw)) {
        return Some((*word).to_owned());
    }
    match raw.parse::<u8>() {
        Ok(n @ 1..=13) if raw.len() <= 2 => Some(format!("{n:02}")),
        _ => None,
    }
}

fn invalid(kind: RecordKind, at: &SourceRef, source_id: &str, field: &str, grade: &str) -> Issue {
    Issue::warning(
        kind,
        IssueCode::InvalidGrade,
        at,
        source_id,
        field,
        format!(
            "grade `{grade}` is not in the vocabulary (KG, PK, 01 to 13, IT, PR, TK, PS, UG, \
             Other); left out"
        ),
    )
}

/// A student's grade as it is to be stored: the source's, normalized; the stored one
/// (empty for a new student) when the source's is outside the vocabulary.
pub(super) fn student(
    raw: &str,
    stored: Option<&str>,
    (at, source_id): (&SourceRef, &str),
    plan: &mut Plan,
) -> String {
    if raw.trim().is_empty() {
        return String::new();
    }
    normalize(raw).unwrap_or_else(|| {
        plan.issues
            .push(invalid(RecordKind::Student, at, source_id, "grades", raw));
        stored.unwrap_or_default().to_owned()
    })
}

/// A class's grades as they are to be stored (joined by commas): the valid ones of the
/// source; the stored ones when the source gave grades and none was valid.
pub(super) fn class(
    raw: &[String],
    stored: Option<&str>,
    (at, source_id): (&SourceRef, &str),
    plan: &mut Plan,
) -> String {
    let mut valid: Vec<String> = Vec::with_capacity(raw.len());
    for grade in raw.iter().filter(|g| !g.trim().is_empty()) {
        match normalize(grade) {
            Some(g) if !valid.contains(&g) => valid.push(g),
            Some(_) => {}
            None => plan
                .issues
                .push(invalid(RecordKind::Class, at, source_id, "grades", grade)),
        }
    }
    match (valid.is_empty(), raw.iter().any(|g| !g.trim().is_empty())) {
        (true, true) => stored.unwrap_or_default().to_owned(),
        _ => valid.join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn r3_4_grades_are_read_in_the_vocabulary_only() {
        for (raw, canonical) in [
            ("KG", "KG"),
            ("kg", "KG"),
            ("01", "01"),
            ("1", "01"),
            ("12", "12"),
            ("13", "13"),
            ("other", "Other"),
            (" PK ", "PK"),
        ] {
            assert_eq!(normalize(raw).as_deref(), Some(canonical), "{raw}");
        }
        for raw in ["0", "14", "001", "Grade 4", "K", "fourth", "-1"] {
            assert_eq!(normalize(raw), None, "{raw}");
        }
    }
}
