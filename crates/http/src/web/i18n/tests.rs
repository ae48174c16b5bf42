#![allow(clippy::unwrap_used, reason = "tests")]

use std::{collections::BTreeSet, path::Path};

use super::*;

const CALLS: [&str; 4] = ["tr(\"", "tr_with(\"", "tr_count(\"", "key(\""];

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every key asked for in the templates and the dashboard's code.
fn used_keys() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("web/templates"), &mut paths);
    files(&root.join("src/web"), &mut paths);
    paths.push(root.join("src/web.rs"));
    let own = root.join("src/web/i18n");
    let mut keys = BTreeSet::new();
    for path in paths {
        if path.starts_with(&own) || path == root.join("src/web/i18n.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for call in CALLS {
            for (at, _) in text.match_indices(call) {
                let rest = &text[at + call.len()..];
                let end = rest.find('"').unwrap();
                keys.insert(rest[..end].to_owned());
            }
        }
    }
    keys
}

#[test]
fn the_catalog_parses_and_has_no_duplicate_key() {
    let resource = FluentResource::try_new(CATALOG.to_owned());
    assert!(resource.is_ok(), "{:?}", resource.err().map(|(_, e)| e));
    let keys = defined_keys();
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "a key is defined twice");
}

#[test]
fn every_key_in_use_is_in_the_catalog_and_every_key_there_is_used() {
    let used = used_keys();
    assert!(used.len() > 20, "the scan found the keys: {used:?}");
    let missing: Vec<&String> = used.iter().filter(|key| !catalog().has(key)).collect();
    assert!(
        missing.is_empty(),
        "keys missing from main.ftl: {missing:?}"
    );
    let defined: BTreeSet<String> = defined_keys().into_iter().collect();
    let unused: Vec<&String> = defined.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "keys in main.ftl nothing uses: {unused:?}"
    );
}

#[test]
fn plurals_follow_the_count() {
    assert_eq!(
        catalog().tr_count("dashboard-requests-count", 1),
        "1 request this period"
    );
    assert_eq!(
        catalog().tr_count("dashboard-requests-count", 2),
        "2 requests this period"
    );
    assert_eq!(catalog().tr("no-such-key"), "no-such-key");
}
