//! Values a person or class may take, checked against what the store holds (the column
//! widths of `migrations/`), for manual creation and edits alike.

use crate::domain::{Error, Result};

/// The stored width of a student's grade, and of a language tag.
const GRADE_CHARS: usize = 32;
const LANGUAGE_CHARS: usize = 35;
/// The stored width of a class's grades, joined by commas.
const CLASS_GRADES_CHARS: usize = 255;

/// A trimmed grade of at most 32 characters (the stored width); empty clears it.
pub(super) fn grade(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > GRADE_CHARS {
        return Err(Error::invalid(
            field,
            format!("is longer than {GRADE_CHARS} characters"),
        ));
    }
    if value.contains(',') {
        return Err(Error::invalid(field, "is one grade (no comma)"));
    }
    Ok(value.to_owned())
}

/// A language tag in the shape of BCP 47 (`en`, `pt-BR`, `zh-Hant-TW`): subtags of 1 to
/// 8 ASCII letters or digits, the first of letters; at most 35 characters (the stored
/// width). Empty clears it.
pub(super) fn language(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    if value.chars().count() > LANGUAGE_CHARS {
        return Err(Error::invalid(
            field,
            format!("is longer than {LANGUAGE_CHARS} characters"),
        ));
    }
    let mut subtags = value.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|s| (2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        subtags.all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
    if first_ok && rest_ok {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!("`{value}` is not a language tag (BCP 47, such as `en` or `pt-BR`)"),
        ))
    }
}

/// A class's grades joined by commas: each 1 to 32 characters without a comma, all of
/// them at most 255 characters once joined (the stored width).
pub(super) fn class_grades(grades: &[String]) -> Result<String> {
    let mut out = Vec::with_capacity(grades.len());
    for (i, g) in grades.iter().enumerate() {
        let g = g.trim();
        if g.is_empty() || g.contains(',') || g.chars().count() > GRADE_CHARS {
            return Err(Error::invalid(
                format!("grades[{i}]"),
                format!("`{g}` is not a grade (1 to {GRADE_CHARS} characters, no comma)"),
            ));
        }
        if !out.contains(&g) {
            out.push(g);
        }
    }
    let joined = out.join(",");
    if joined.chars().count() > CLASS_GRADES_CHARS {
        return Err(Error::invalid(
            "grades",
            format!("take more than {CLASS_GRADES_CHARS} characters joined by commas"),
        ));
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_are_checked_against_their_stored_widths() {
        assert_eq!(language("language", " pt-BR ").unwrap(), "pt-BR");
        assert_eq!(language("language", "").unwrap(), "");
        for bad in ["e", "english language", "en_US", "ja-", &"a".repeat(36)] {
            assert!(language("language", bad).is_err(), "{bad}");
        }
        assert_eq!(grade("grade", " 04 ").unwrap(), "04");
        assert!(grade("grade", &"1".repeat(33)).is_err());
        assert!(grade("grade", "04,05").is_err());
        assert_eq!(
            class_grades(&strings(&["04", " 05", "04"])).unwrap(),
            "04,05"
        );
        let err = class_grades(&strings(&["04", ""])).unwrap_err();
        assert!(err.to_string().starts_with("grades[1]"));
        let many: Vec<String> = (0..100).map(|i| format!("G{i:03}")).collect();
        assert!(class_grades(&many).is_err());
    }
}
