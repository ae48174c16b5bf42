//! Load generator for Tollgate's metering (`tests/bench/metering.sh`, run by `make bench`).
//!
//! Three modes, each starting the Tollgate command given after `--` as its child (so that the
//! child can be pointed at this process's fake OpenMeter before it starts), sampling CPU of the
//! child, of PostgreSQL and of the machine, and printing its figures (also as `key=value`
//! lines with `--results`):
//!
//! * `--mode drain`: the child (`tollgate worker`) delivers an outbox backlog built by SQL to
//!   the fake OpenMeter; events/s until nothing is pending (`metering_load/drain.rs`).
//! * `--mode lag`: the child (`tollgate serve`) takes LiteLLM batches open-loop at `--rate`
//!   events/s; percentiles of `delivered_at - created_at` (`metering_load/lag.rs`).
//! * `--mode usage`: `GET /api/usage` of the child over rollups already in the database,
//!   p50/p95/max per query shape (`metering_load/usage.rs`).
//! * `--mode pages`: every page of the child's dashboard (`tollgate serve`, signed in by a
//!   `dev-login` link): server render time, weight, `DOMContentLoaded` in headless Chromium
//!   (`metering_load/pages.rs`).
//! * `--mode recovery`: the child (`tollgate serve`) takes `--rate` events/s while the fake
//!   OpenMeter fails for `--outage` s (503, then refused connections); how fast the backlog
//!   goes once it answers again (`metering_load/recovery.rs`).
//!
//! Everything runs on one single-threaded tokio runtime: the machine has 2 cores shared with
//! Tollgate and PostgreSQL.
//!
//! Run without `--mode` (as `cargo test --benches` / `--all-targets` does), it starts nothing
//! and only checks its event templates and its CloudEvents counting.

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "support/mod.rs"]
mod support;

/// The UI tests' headless Chromium (`--mode pages` measures `DOMContentLoaded` in it).
#[path = "../tests/ui/browser.rs"]
#[allow(dead_code, reason = "the bench loads pages; it does not audit them")]
mod browser;

#[path = "metering_load/args.rs"]
mod args;
#[path = "metering_load/children.rs"]
mod children;
#[path = "metering_load/db.rs"]
mod db;
#[path = "metering_load/drain.rs"]
mod drain;
#[path = "metering_load/fake_openmeter.rs"]
mod fake_openmeter;
#[path = "metering_load/figures.rs"]
mod figures;
#[path = "metering_load/lag.rs"]
mod lag;
#[path = "metering_load/pages.rs"]
mod pages;
#[path = "metering_load/pages_crawl.rs"]
mod pages_crawl;
#[path = "metering_load/recovery.rs"]
mod recovery;
#[path = "metering_load/self_check.rs"]
mod self_check;
#[path = "metering_load/usage.rs"]
mod usage;

use clap::Parser;

use crate::args::Args;
use crate::self_check::{invoked_for_load, self_check};
use crate::support::cli::runtime_or_exit;
use crate::support::results::Results;

type BoxError = Box<dyn std::error::Error>;

fn err(msg: impl Into<String>) -> BoxError {
    msg.into().into()
}

fn main() {
    if !invoked_for_load() {
        match self_check() {
            Ok(n) => println!(
                "metering_load: no --mode: checked the templates only ({n} passed); \
                 see tests/bench/metering.sh"
            ),
            Err(e) => {
                println!("metering_load self-check FAILED: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let args = Args::parse();
    let rt = runtime_or_exit("metering_load");
    let mut out = Results::default();
    let result = rt.block_on(async {
        match args.mode.as_deref() {
            Some("drain") => drain::drain(&args, &mut out).await,
            Some("lag") => lag::lag(&args, &mut out).await,
            Some("usage") => usage::usage(&args, &mut out).await,
            Some("recovery") => recovery::recovery(&args, &mut out).await,
            Some("pages") => pages::pages(&args, &mut out).await,
            other => Err(err(format!(
                "--mode must be drain, lag, usage, recovery or pages, not {other:?}"
            ))),
        }
    });
    if let Err(e) = result.and_then(|()| out.write(args.results.as_deref()).map_err(err)) {
        eprintln!("metering_load: {e}");
        std::process::exit(1);
    }
}
