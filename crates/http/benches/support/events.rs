//! LiteLLM webhook bodies: the captured payload
//! `tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json`, re-serialised the
//! way LiteLLM sends it (Python `json.dumps`: `", "` / `": "` separators, ~13 KB), with a
//! unique `litellm_call_id` and `id` per event, `end_user` rotating over the customers and
//! `model_group` over four models. All JSON work is done once, before timing: per event only a
//! pre-serialised template is copied and its fixed-width fields patched in place.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

pub const FIXTURE: &str = include_str!(
    "../../../../tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json"
);

/// Values in the fixture that get replaced per event (all fixed width).
const MARK_CALL_ID: &str = "110248f2-8818-4da2-8dfa-f63a49baf5c1";
const MARK_RESPONSE_ID: &str = "b91741d2-3f0a-4006-8161-c026d3edbdf4";
const MARK_CUSTOMER: &str = "cust-002";
const MARK_TIMESTAMP: &str = "1795625138";

/// Values in the fixture that get replaced per model variant.
const FIXTURE_MODEL: &str = "anthropic/claude-3-5-haiku-20241022";
const FIXTURE_GROUP: &str = "claude-haiku";
const FIXTURE_PROVIDER: &str = "\"anthropic\"";

pub struct Model {
    pub group: &'static str,
    pub litellm_model: &'static str,
    pub provider: &'static str,
}

/// Model groups as they appear in the captured fixtures (01, 09) plus `gpt-4o`.
pub const MODELS: &[Model] = &[
    Model {
        group: "claude-haiku",
        litellm_model: FIXTURE_MODEL,
        provider: "anthropic",
    },
    Model {
        group: "gpt-4o-mini",
        litellm_model: "openai/gpt-4o-mini",
        provider: "openai",
    },
    Model {
        group: "llama-local",
        litellm_model: "openai/llama-3.1-8b-instruct",
        provider: "openai",
    },
    Model {
        group: "gpt-4o",
        litellm_model: "openai/gpt-4o",
        provider: "openai",
    },
];

/// Re-serialises pretty-printed JSON the way Python's `json.dumps` does by default
/// (LiteLLM's wire format): no newlines/indent, `", "` and `": "` separators.
pub fn python_compact(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let (mut in_str, mut escaped) = (false, false);
    for c in src.chars() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            ' ' | '\n' | '\r' | '\t' => {}
            ',' => out.push_str(", "),
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

pub fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Seconds since the Unix epoch (zero if the clock is set before it).
pub fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A run id from the clock and the pid, so that two runs never send the same event ids.
pub fn fresh_run_id() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    splitmix64(nanos ^ u64::from(std::process::id()))
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A random-looking (but reproducible) v4 UUID for (run, seq, salt), as 36 ASCII bytes.
fn uuid_for(run_id: u64, seq: u64, salt: u64) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hi = splitmix64(run_id ^ splitmix64(seq.wrapping_mul(4).wrapping_add(salt)));
    let lo = splitmix64(hi ^ seq);
    let hi = (hi & !0xF000) | 0x4000; // version 4
    let lo = (lo & !(0xC << 60)) | (0x8 << 60); // RFC 4122 variant
    let raw = (u128::from(hi) << 64) | u128::from(lo);
    let mut out = [b'-'; 36];
    let mut nibble = 0;
    for (i, slot) in out.iter_mut().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        let shift = 124 - 4 * nibble;
        *slot = HEX[((raw >> shift) & 0xF) as usize];
        nibble += 1;
    }
    out
}

fn write_decimal(slot: &mut [u8], mut v: u64) {
    for b in slot.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// One model variant of the event, serialised, with the offsets of the fields to patch.
struct Template {
    bytes: Vec<u8>,
    call_id: Vec<usize>,
    response_id: Vec<usize>,
    customer: Vec<usize>,
    timestamp: Vec<usize>,
}

impl Template {
    fn new(compact: &str, model: &Model) -> Result<Self, String> {
        let text = compact
            .replace(FIXTURE_MODEL, model.litellm_model)
            .replace(FIXTURE_GROUP, model.group)
            .replace(FIXTURE_PROVIDER, &format!("\"{}\"", model.provider));
        let bytes = text.into_bytes();
        let find = |mark: &str| {
            let at = find_all(&bytes, mark.as_bytes());
            if at.is_empty() {
                Err(format!(
                    "the fixture no longer contains {mark:?}: update benches/support/events.rs"
                ))
            } else {
                Ok(at)
            }
        };
        Ok(Self {
            call_id: find(MARK_CALL_ID)?,
            response_id: find(MARK_RESPONSE_ID)?,
            customer: find(MARK_CUSTOMER)?,
            timestamp: find(MARK_TIMESTAMP)?,
            bytes,
        })
    }
}

/// Event `seq` of a run: model `(seq / customers) % 4`, customer `seq % customers + 1`, ids
/// from (run, seq). The same seq always yields the same bytes, but for its timestamp.
pub struct EventFactory {
    templates: Vec<Template>,
    run_id: u64,
    customers: u64,
}

impl EventFactory {
    pub fn new(run_id: u64, customers: u64) -> Result<Self, String> {
        if !(1..=999).contains(&customers) {
            return Err("--customers must be within 1..=999".into());
        }
        let compact = python_compact(FIXTURE);
        let templates = MODELS
            .iter()
            .map(|m| Template::new(&compact, m))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            templates,
            run_id,
            customers,
        })
    }

    pub fn max_event_len(&self) -> usize {
        self.templates
            .iter()
            .map(|t| t.bytes.len())
            .max()
            .unwrap_or(0)
    }

    /// Appends event `seq`, its times set to `unix_ts`.
    pub fn write_event(&self, out: &mut Vec<u8>, seq: u64, unix_ts: u64) {
        let model = (seq / self.customers) % self.templates.len() as u64;
        let t = &self.templates[model as usize];
        let start = out.len();
        out.extend_from_slice(&t.bytes);
        let buf = &mut out[start..];
        let call_id = uuid_for(self.run_id, seq, 1);
        let response_id = uuid_for(self.run_id, seq, 2);
        for &at in &t.call_id {
            buf[at..at + 36].copy_from_slice(&call_id);
        }
        for &at in &t.response_id {
            buf[at..at + 36].copy_from_slice(&response_id);
        }
        let customer = seq % self.customers + 1;
        for &at in &t.customer {
            write_decimal(&mut buf[at + 5..at + 8], customer);
        }
        for &at in &t.timestamp {
            write_decimal(&mut buf[at..at + 10], unix_ts);
        }
    }

    /// A JSON array of the events `first..first + n`, as LiteLLM's batch logger sends it, each
    /// stamped `stamp(seq)`.
    pub fn batch(&self, first: u64, n: u64, stamp: impl Fn(u64) -> u64) -> Bytes {
        let mut out = Vec::with_capacity((self.max_event_len() + 2) * n as usize + 2);
        out.push(b'[');
        for seq in first..first + n {
            if seq != first {
                out.extend_from_slice(b", ");
            }
            self.write_event(&mut out, seq, stamp(seq));
        }
        out.push(b']');
        Bytes::from(out)
    }
}
