//! What `cargo test --benches` / `--all-targets` runs: no load, only a check that the fixture
//! still yields valid, unique, correctly rotated events.

use std::collections::HashSet;

use crate::events::Events;
use crate::support::cli::has_any_flag;
use crate::support::events::{FIXTURE, MODELS, python_compact};

/// Whether we were asked to do something (`cargo bench`, run.sh, a person), rather than run
/// by the test harness.
pub fn invoked_for_load() -> bool {
    std::env::var_os("TOLLGATE_BENCH_URL").is_some()
        || has_any_flag(&[
            "--bench",
            "--url",
            "--serve-stub",
            "--dump-event",
            "--help",
            "-h",
        ])
}

/// (checks passed, failures).
pub fn self_check() -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failed = Vec::new();
    let mut check = |name: &str, result: Result<(), String>| match result {
        Ok(()) => passed += 1,
        Err(e) => failed.push(format!("{name}: {e}")),
    };
    let events = match Events::new(7, 20) {
        Ok(f) => f,
        Err(e) => return (0, vec![format!("templates: {e}")]),
    };
    check("single events", single_events(&events));
    check(
        "batch",
        (|| {
            let batch = events.batch(100, 100);
            let v: Vec<serde_json::Value> =
                serde_json::from_slice(&batch).map_err(|e| e.to_string())?;
            let single: serde_json::Value =
                serde_json::from_slice(&events.single(150)).map_err(|e| e.to_string())?;
            if v.len() != 100 || v[50] != single {
                return Err("batch is not the array of the same events".into());
            }
            Ok(())
        })(),
    );
    check("wire layout", {
        let compact = python_compact(FIXTURE);
        let reparsed: Result<serde_json::Value, _> = serde_json::from_str(&compact);
        let original: Result<serde_json::Value, _> = serde_json::from_str(FIXTURE);
        match (reparsed, original) {
            (Ok(a), Ok(b)) if a == b && compact.contains("\"id\": \"chatcmpl-") => Ok(()),
            _ => Err("re-serialised fixture differs from the fixture".into()),
        }
    });
    (passed, failed)
}

fn single_events(events: &Events) -> Result<(), String> {
    let mut ids = HashSet::new();
    for seq in 0..400 {
        let body = events.single(seq);
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| format!("event {seq}: {e}"))?;
        let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let model = &MODELS[((seq / 20) % MODELS.len() as u64) as usize];
        let customer = format!("cust-{:03}", seq % 20 + 1);
        if !ids.insert(field("litellm_call_id")) || !ids.insert(field("id")) {
            return Err(format!("event {seq}: id not unique"));
        }
        if field("end_user") != customer
            || v["metadata"]["user_api_key_end_user_id"].as_str() != Some(customer.as_str())
        {
            return Err(format!("event {seq}: end_user {:?}", field("end_user")));
        }
        if field("model_group") != model.group || field("model") != model.litellm_model {
            return Err(format!(
                "event {seq}: model_group {:?}",
                field("model_group")
            ));
        }
        if body.len() < 12_000 {
            return Err(format!("event {seq}: only {} bytes", body.len()));
        }
    }
    Ok(())
}
