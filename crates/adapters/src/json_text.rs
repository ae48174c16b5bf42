//! Text PostgreSQL cannot store, found in JSON before anything is decoded.
//!
//! PostgreSQL's `text` and `jsonb` refuse the NUL character, and JSON can also spell UTF-16
//! halves that pair with nothing (`"\ud800"`), which no UTF-8 text can hold: serde_json
//! refuses a whole document for one of them. Rather than lose a batch (or answer 500 when the
//! store refuses a NUL), an unpaired half is rewritten as the escape of NUL, which has the same
//! length, so that one check (`contains('\0')`) finds both and the field's owner is refused
//! alone, by name.

#[cfg(test)]
mod tests;

/// `json` with every unpaired UTF-16 surrogate escape inside a string replaced by `\u0000`;
/// `None` when there is none (the common case: no copy).
pub fn unpaired_surrogates_as_nul(json: &[u8]) -> Option<Vec<u8>> {
    // Surrogate escapes start `\\ud` or `\\uD`; most bodies have none, and a SIMD search says so
    // much faster than the byte-by-byte pass below.
    if memchr::memmem::find(json, b"\\ud").is_none()
        && memchr::memmem::find(json, b"\\uD").is_none()
    {
        return None;
    }
    let mut rewritten: Option<Vec<u8>> = None;
    let mut in_string = false;
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'"' => {
                in_string = !in_string;
                i += 1;
            }
            b'\\' if in_string => {
                let Some(unit) = escape_unit(json, i) else {
                    // Any other escape is two bytes; a malformed one is the parser's to refuse.
                    i += 2;
                    continue;
                };
                let paired = is_high(unit) && escape_unit(json, i + 6).is_some_and(is_low);
                if paired {
                    i += 12;
                } else if is_high(unit) || is_low(unit) {
                    let out = rewritten.get_or_insert_with(|| json.to_vec());
                    out[i + 2..i + 6].copy_from_slice(b"0000");
                    i += 6;
                } else {
                    i += 6;
                }
            }
            _ => i += 1,
        }
    }
    rewritten
}

/// The UTF-16 unit of a `\uXXXX` escape starting at `at`.
fn escape_unit(json: &[u8], at: usize) -> Option<u16> {
    let escape = json.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

fn is_high(unit: u16) -> bool {
    (0xD800..=0xDBFF).contains(&unit)
}

fn is_low(unit: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
}

/// Whether JSON text may hold a NUL once decoded: raw control characters are not JSON, so a
/// NUL can only come as the escape `\u0000` (which [`unpaired_surrogates_as_nul`] also writes).
/// Without one, nothing needs decoding to be checked; an escaped backslash before `u0000` is a
/// false alarm that costs only the full check.
pub fn may_hold_nul(json: &[u8]) -> bool {
    memchr::memmem::find(json, b"\\u0000").is_some()
}

/// Whether a decoded text can be stored: PostgreSQL refuses NUL (and an unpaired surrogate
/// reaches here as NUL, see [`unpaired_surrogates_as_nul`]).
pub fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// The path (`address.line1`, `charges[2].meter`) of the first string or object key in
/// `value` that cannot be stored.
pub fn first_unstorable(value: &serde_json::Value) -> Option<String> {
    fn walk(value: &serde_json::Value, path: &mut String) -> bool {
        match value {
            serde_json::Value::String(text) => !storable(text),
            serde_json::Value::Array(items) => items.iter().enumerate().any(|(index, item)| {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            serde_json::Value::Object(fields) => fields.iter().any(|(key, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                if !storable(key) {
                    path.push_str(&key.replace('\0', "\\u0000"));
                    return true;
                }
                path.push_str(key);
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then_some(path)
}
