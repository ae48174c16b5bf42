//! What `cargo test --benches` / `--all-targets` runs: nothing is started, only the event
//! templates, the fake OpenMeter's counting and the usage answer's sum are checked.

use std::collections::HashSet;

use crate::fake_openmeter::{fnv1a, scan_batch};
use crate::pages::server_total_ms;
use crate::pages_crawl::{assets_of, page_links, shape_of};
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
    let page = r#"<link rel="stylesheet" href="/static/app.1a2b.css"><a href="/usage?window=DAY&amp;group_by=model">u</a>
<a href="/logout">x</a><a href="/billing/invoices/0193c9a2-7f00-7000-8000-000000000001#lines">i</a>
<a href="/billing/invoices/1/pdf">pdf</a><script type="module" src="/static/app.9f8e.js"></script>"#;
    if page_links(page)
        != [
            "/usage?window=DAY&group_by=model",
            "/billing/invoices/0193c9a2-7f00-7000-8000-000000000001",
        ]
    {
        return Err(err(format!("page_links found {:?}", page_links(page))));
    }
    if shape_of("/billing/invoices/0193c9a2-7f00-7000-8000-000000000001?x=1")
        != "/billing/invoices/{id}"
        || shape_of("/usage/events") != "/usage/events"
    {
        return Err(err("shape_of"));
    }
    if assets_of(page).len() != 2 {
        return Err(err(format!("assets_of found {:?}", assets_of(page))));
    }
    if server_total_ms("metering;dur=3.2, total;dur=12.5") != Some(12.5)
        || server_total_ms("metering;dur=3.2").is_some()
    {
        return Err(err("server_total_ms"));
    }
    Ok(7)
}
