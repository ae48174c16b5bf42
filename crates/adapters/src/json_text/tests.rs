use serde_json::json;

use super::*;

fn rewrite(text: &str) -> Option<String> {
    unpaired_surrogates_as_nul(text.as_bytes()).map(|bytes| String::from_utf8(bytes).unwrap())
}

#[test]
fn unpaired_halves_become_nul_and_pairs_stay() {
    assert_eq!(
        rewrite(r#"{"a":"x\ud800y"}"#).as_deref(),
        Some(r#"{"a":"x\u0000y"}"#)
    );
    assert_eq!(rewrite(r#"["\uDFFF"]"#).as_deref(), Some(r#"["\u0000"]"#));
    // A high half followed by another high half: both unpaired.
    assert_eq!(
        rewrite(r#"["\ud800\ud800"]"#).as_deref(),
        Some(r#"["\u0000\u0000"]"#)
    );
    // A proper pair (U+1F600), other escapes, an escaped backslash before a `u`: unchanged.
    assert_eq!(rewrite(r#"{"a":"\ud83d\ude00 \n \\ud800 \u00e9"}"#), None);
    // Outside strings nothing is an escape.
    assert_eq!(rewrite(r#"{"a":1}"#), None);
    // A truncated escape at the end is left for the parser.
    assert_eq!(rewrite(r#"["\ud8"#), None);
}

#[test]
fn the_rewritten_document_parses_and_the_nul_is_found_by_path() {
    let body = rewrite(r#"{"name":"ok","address":{"lines":["a","b\udc00"]}}"#).unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        first_unstorable(&value).as_deref(),
        Some("address.lines[1]")
    );
    assert_eq!(
        first_unstorable(&json!({"external_id": "x\u{0}y"})).as_deref(),
        Some("external_id")
    );
    assert_eq!(
        first_unstorable(&json!({"metadata": {"k\u{0}": "v"}})).as_deref(),
        Some("metadata.k\\u0000")
    );
    assert_eq!(first_unstorable(&json!({"a": ["\u{1}", {"b": "é"}]})), None);
}
