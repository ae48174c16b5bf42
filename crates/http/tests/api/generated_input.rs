//! Generated hostile input in every field: NUL, unpaired surrogates, control characters, 1 MB
//! strings, deep nesting, numbers past `i64` and `Decimal`, wrong types. Whatever a client
//! sends, the answer is never a 5xx, and the good events of a mixed batch are always stored.

mod api_bodies;

use serde_json::Value;

/// Hostile values as JSON text (unpaired surrogates cannot live in a `serde_json::Value`).
pub fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = [
        r#""x\u0000y""#,
        r#""\ud800""#,
        r#""a\udfffb""#,
        r#""\u0001\u001f\t\r\n""#,
        r#""""#,
        "null",
        "true",
        "[]",
        "{}",
        "-1",
        "1.5",
        "1e400",
        "-1e400",
        "99999999999999999999999999999999999",
        "18446744073709551616",
        r#""99999999999999999999999999999999999""#,
        r#""0.0000000000000000000000000000001""#,
    ]
    .map(str::to_owned)
    .to_vec();
    values.push(format!("\"{}\"", "m".repeat(1 << 20)));
    values.push(format!("{}1{}", "[".repeat(300), "]".repeat(300)));
    values
}

/// Every path to a leaf (or an empty container) of `value`.
pub fn leaf_paths(value: &Value) -> Vec<Vec<PathStep>> {
    fn walk(value: &Value, path: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
        match value {
            Value::Object(fields) if !fields.is_empty() => {
                for (key, item) in fields {
                    path.push(PathStep::Key(key.clone()));
                    walk(item, path, out);
                    path.pop();
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (index, item) in items.iter().enumerate() {
                    path.push(PathStep::Index(index));
                    walk(item, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

#[derive(Debug, Clone)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

const MARK: &str = "__tollgate_hostile__";

/// `document` as JSON text with the leaf at `path` replaced by `hostile` (JSON text).
pub fn with_value_at(document: &Value, path: &[PathStep], hostile: &str) -> String {
    let mut copy = document.clone();
    let mut slot = &mut copy;
    for step in path {
        slot = match step {
            PathStep::Key(key) => &mut slot[key.as_str()],
            PathStep::Index(index) => &mut slot[*index],
        };
    }
    *slot = Value::String(MARK.to_owned());
    copy.to_string().replace(&format!("\"{MARK}\""), hostile)
}

pub fn describe(path: &[PathStep]) -> String {
    path.iter()
        .map(|step| match step {
            PathStep::Key(key) => format!(".{key}"),
            PathStep::Index(index) => format!("[{index}]"),
        })
        .collect()
}

mod webhook;
