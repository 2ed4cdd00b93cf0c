//! Every issue code the server can report is documented in `docs/rules.md`'s issue-code
//! table, and the table documents no code the server lacks: callers switch on these codes,
//! and the table is where they learn them.

use roster_server::domain::IssueCode;
use std::collections::BTreeSet;

const RULES: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rules.md"));

/// The issue-code table: the table under the "Issue codes" heading whose header row is
/// `| code | severity | ...`, up to the first line that is not a table row.
fn table() -> Vec<&'static str> {
    let section = RULES
        .split("\n## ")
        .find(|s| s.starts_with("Issue codes"))
        .expect("docs/rules.md has an `## Issue codes` section");
    let rows: Vec<&str> = section
        .lines()
        .skip_while(|line| !line.starts_with("| code | severity |"))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .collect();
    assert!(!rows.is_empty(), "the issue-code table is empty or missing");
    rows
}

/// The codes of the table's rows: ``| `CODE` | severity | ...``.
fn documented() -> Vec<String> {
    table()
        .into_iter()
        .map(|row| {
            row.strip_prefix("| `")
                .and_then(|rest| rest.split_once("` |"))
                .map(|(code, _)| code.to_owned())
                .unwrap_or_else(|| panic!("a row of the issue-code table names no code: {row}"))
        })
        .collect()
}

#[test]
fn every_issue_code_is_documented_and_every_documented_code_exists() {
    let documented = documented();
    let in_table: BTreeSet<&str> = documented.iter().map(String::as_str).collect();
    assert_eq!(
        in_table.len(),
        documented.len(),
        "a code is in the table twice"
    );
    let in_code: BTreeSet<&str> = IssueCode::ALL.iter().map(|c| c.as_str()).collect();
    let undocumented: Vec<_> = in_code.difference(&in_table).collect();
    let unknown: Vec<_> = in_table.difference(&in_code).collect();
    assert!(
        undocumented.is_empty(),
        "IssueCode variants missing from docs/rules.md's issue-code table: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "docs/rules.md's issue-code table names codes IssueCode lacks: {unknown:?}"
    );
}

// The table's severity column says error, warning or info (or two of them, "error or
// warning"), so callers can rely on it.
#[test]
fn every_documented_code_has_a_severity() {
    for line in table() {
        let severity = line.split('|').nth(2).unwrap_or_default().trim();
        assert!(
            !severity.is_empty()
                && severity
                    .split(" or ")
                    .all(|s| ["error", "warning", "info"].contains(&s)),
            "{line}"
        );
    }
}
