//! `docs/api.md` lists every code with its status and meaning: this fails when the page and
//! the code differ, in either direction.

use std::collections::BTreeMap;

use tollgate_domain::{ErrorCode, QuarantineCode};

use super::status;

fn page() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    std::fs::read_to_string(path).expect("docs/api.md")
}

/// The rows of the table under `heading`: the cells of each, the code unquoted.
fn table(page: &str, heading: &str) -> BTreeMap<String, Vec<String>> {
    let section = page
        .split("\n## ")
        .find(|section| section.starts_with(heading))
        .unwrap_or_else(|| panic!("no `## {heading}` in docs/api.md"));
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect();
            (cells[0].trim_matches('`').to_owned(), cells[1..].to_vec())
        })
        .collect()
}

#[test]
fn every_error_code_is_documented_with_its_status_and_meaning_and_nothing_else_is() {
    let documented = table(&page(), "Error codes");
    let expected: BTreeMap<String, Vec<String>> = ErrorCode::ALL
        .iter()
        .map(|code| {
            let status = status(*code).as_u16().to_string();
            (
                code.as_str().to_owned(),
                vec![status, code.meaning().to_owned()],
            )
        })
        .collect();
    for (code, cells) in &expected {
        assert_eq!(documented.get(code), Some(cells), "docs/api.md on `{code}`");
    }
    for code in documented.keys() {
        assert!(
            expected.contains_key(code),
            "docs/api.md lists `{code}`, no ErrorCode"
        );
    }
}

#[test]
fn every_quarantine_code_is_documented_and_nothing_else_is() {
    let documented = table(&page(), "Quarantine codes");
    let expected: BTreeMap<String, Vec<String>> = QuarantineCode::ALL
        .iter()
        .map(|code| (code.as_str().to_owned(), vec![code.meaning().to_owned()]))
        .collect();
    assert_eq!(documented, expected, "docs/api.md's quarantine codes");
}
