//! What `cargo test --benches` / `--all-targets` runs: nothing is started, only the event
//! templates, the fake OpenMeter's counting and the usage answer's sum are checked.

use std::collections::HashSet;

use crate::fake_openmeter::{fnv1a, scan_batch};
use crate::support::cli::has_any_flag;
use crate::support::events::EventFactory;
use crate::usage::requests_total;
use crate::{BoxError, err};

/// Whether we were asked to do something (metering.sh, a person), rather than run by the test
/// harness.
pub fn invoked_for_load() -> bool {
    has_any_flag(&["--mode", "--help", "-h"])
}

/// How many checks passed, or the first failure.
pub fn self_check() -> Result<usize, BoxError> {
    let factory = EventFactory::new(7, 20)?;
    let batch = factory.batch(40, 50, |_| 1_800_000_000);
    let v: Vec<serde_json::Value> = serde_json::from_slice(&batch)?;
    let ids: HashSet<&str> = v
        .iter()
        .filter_map(|e| e["litellm_call_id"].as_str())
        .collect();
    if v.len() != 50 || ids.len() != 50 {
        return Err(err("batch events are not 50 unique events"));
    }
    if v[0]["end_user"] != "cust-001" || v[1]["end_user"] != "cust-002" {
        return Err(err(format!("end_user not rotated: {}", v[0]["end_user"])));
    }
    let sample = br#"[{"specversion":"1.0","id":"a","source":"t"},{"specversion":"1.0","id":"b-2","data":{"id":"x"}}]"#;
    let (events, ids) = scan_batch(sample);
    if events != 2 || ids != vec![fnv1a(b"a"), fnv1a(b"b-2")] {
        return Err(err(format!("scan_batch found {events} events")));
    }
    let answer = br#"{"data":[{"meter":"requests","points":[{"value":"3"},{"value":"4"}]},{"meter":"cost_usd","points":[{"value":"0.5"}]}]}"#;
    if requests_total(answer) != Some(7) {
        return Err(err("requests_total"));
    }
    Ok(3)
}
