#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;

#[test]
fn hashed_names_follow_the_content_and_keep_the_extension() {
    let css = url("app.css");
    assert!(
        css.starts_with("/static/app.") && css.ends_with(".css"),
        "{css}"
    );
    assert_eq!(css.len(), "/static/app..css".len() + 10);
    assert_ne!(url("app.js"), url("app.css"));
}

#[test]
fn the_script_stays_under_8_kb() {
    let script = ASSETS.iter().find(|a| a.name == "app.js").unwrap();
    assert!(
        script.bytes.len() < 8 * 1024,
        "{} bytes",
        script.bytes.len()
    );
}

/// Templates name assets through `asset("...")`: every one exists.
#[test]
fn templates_name_only_known_assets() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web/templates");
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (at, _) in text.match_indices("asset(\"") {
            let rest = &text[at + 7..];
            let name = &rest[..rest.find('"').unwrap()];
            assert!(
                ASSETS.iter().any(|a| a.name == name),
                "unknown asset {name}"
            );
        }
    }
}
