//! Load generator for Tollgate's LiteLLM webhook ingest (`make bench`).
//!
//! Drives `POST /v1/webhooks/litellm` over keep-alive HTTP/1.1 connections from a
//! single-threaded tokio runtime (the bench machine has 2 cores shared with Tollgate
//! and PostgreSQL, so the generator must stay lean) and prints events/s and latency
//! percentiles per scenario:
//!
//! * `a`: JSON arrays of `--batch-size` (100) unique events per POST on `--batch-conns` (4);
//! * `b`: one unique event (a JSON object) per POST on `--single-conns` (64);
//! * `c`: one already-stored event per POST (100 % duplicates) on `--single-conns` (64).
//!
//! Events are the captured LiteLLM payload
//! `tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json`, re-serialised
//! the way LiteLLM sends it (Python `json.dumps`: `", "` / `": "` separators, ~13 KB),
//! with a unique `litellm_call_id` and `id` per event, `end_user` rotating over
//! `--customers` customers and `model_group` over four models. All JSON work is done
//! once, before timing: per request the generator only copies a pre-serialised template
//! and patches fixed-width fields in place (ids, customer, timestamps).
//!
//! Each scenario runs `--warmup` seconds unmeasured, then `--duration` seconds measured:
//! throughput and latencies count the requests that complete inside the measured window.
//! Any answer other than 202 (and any transport error or timeout) is an error.
//!
//! ```text
//! cargo bench -p tollgate-http --bench ingest_load -- \
//!     --url http://127.0.0.1:8080 --secret s3cret [--scenarios a,b,c] [--duration 15]
//! ingest_load --serve-stub 127.0.0.1:9999   # trivial 202 receiver, to measure the generator
//! ingest_load --dump-event 7                # print event #7 and exit
//! ```
//!
//! Run without `--bench`/`--url` (as `cargo test --benches` / `--all-targets` does), it sends
//! nothing and only checks that the fixture still yields valid, unique, rotated events.
//!
//! `tests/bench/run.sh` wraps all this against a release build and a fresh database.

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "support/mod.rs"]
mod support;

#[path = "ingest_load/args.rs"]
mod args;
#[path = "ingest_load/events.rs"]
mod events;
#[path = "ingest_load/load.rs"]
mod load;
#[path = "ingest_load/report.rs"]
mod report;
#[path = "ingest_load/scenario.rs"]
mod scenario;
#[path = "ingest_load/self_check.rs"]
mod self_check;
#[path = "ingest_load/stats.rs"]
mod stats;
#[path = "ingest_load/stub.rs"]
mod stub;

use clap::Parser;

use crate::args::Args;
use crate::events::Events;
use crate::self_check::{invoked_for_load, self_check};
use crate::support::cli::runtime_or_exit;

fn main() {
    if !invoked_for_load() {
        let (passed, failed) = self_check();
        for f in &failed {
            println!("ingest_load self-check FAILED: {f}");
        }
        println!(
            "ingest_load: not invoked by `cargo bench`: checked the event templates only \
             (load: cargo bench -p tollgate-http --bench ingest_load -- --url URL --secret S)"
        );
        println!("{passed} passed, {} failed", failed.len());
        std::process::exit(i32::from(!failed.is_empty()));
    }
    let args = Args::parse();
    if let Some(seq) = args.dump_event {
        match Events::new(0, args.customers) {
            Ok(f) => println!("{}", String::from_utf8_lossy(&f.single(seq))),
            Err(e) => {
                eprintln!("ingest_load: {e}");
                std::process::exit(2);
            }
        }
        return;
    }
    let rt = runtime_or_exit("ingest_load");
    let result = match args.serve_stub.clone() {
        Some(addr) => rt.block_on(stub::serve_stub(&addr)),
        None => rt.block_on(load::load(args)),
    };
    if let Err(e) = result {
        eprintln!("ingest_load: {e}");
        std::process::exit(1);
    }
}
