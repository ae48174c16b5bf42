//! The generator's command line: the mode, the Tollgate command to start as its child (after
//! `--`), and each mode's knobs (`tests/bench/metering.sh` sets them from its environment).

use std::path::PathBuf;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "metering_load",
    about = "Metering benchmarks: outbox drain, delivery lag, /api/usage latency"
)]
pub struct Args {
    /// drain, lag, usage, recovery or pages.
    #[arg(long)]
    pub mode: Option<String>,
    /// Database of the child (polled for the outbox, read for the lag).
    #[arg(long, env = "TOLLGATE_BENCH_DB_URL", default_value = "")]
    pub db_url: String,
    /// Also write the figures as `key=value` lines to this file.
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// The children's stdout and stderr (appended).
    #[arg(long)]
    pub child_log: Option<PathBuf>,
    /// Write the children's pids here (one a line), for the caller's cleanup.
    #[arg(long)]
    pub child_pid_file: Option<PathBuf>,
    /// How many copies of the child command to start (drain: several workers).
    #[arg(long, default_value_t = 1)]
    pub children: usize,
    /// Where the fake OpenMeter listens (drain, lag).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub fake_bind: String,
    /// Outbox poll interval.
    #[arg(long, default_value_t = 200)]
    pub poll_ms: u64,
    /// drain: ask the database every poll, not only once the fake has seen every event.
    #[arg(long)]
    pub poll_db_always: bool,
    /// drain: rows in the backlog (checked against the outbox before the child starts).
    #[arg(long, default_value_t = 1_000_000)]
    pub expect: u64,
    /// drain / lag / usage: give up waiting for the outbox to drain after this many seconds.
    #[arg(long, default_value_t = 3600.0)]
    pub drain_timeout: f64,
    /// lag / usage: the child's base URL (http only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// lag: the LiteLLM webhook secret.
    #[arg(long, env = "TOLLGATE_BENCH_SECRET", default_value = "")]
    pub secret: String,
    /// lag: events per second.
    #[arg(long, default_value_t = 2000.0)]
    pub rate: f64,
    /// lag: events per POST (a JSON array, as LiteLLM's batch logger sends them).
    #[arg(long, default_value_t = 100)]
    pub batch_size: u64,
    /// lag: the delivery target to measure: `openmeter` (the fake) or `embedded_meter`.
    #[arg(long, default_value = "openmeter")]
    pub target: String,
    /// lag: measured seconds.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// lag: unmeasured seconds before the measured window.
    #[arg(long, default_value_t = 3.0)]
    pub warmup: f64,
    /// lag: distinct `end_user` values.
    #[arg(long, default_value_t = 20)]
    pub customers: u64,
    /// recovery: seconds the fake OpenMeter is down (the first half answering 503, the
    /// second refusing connections), after `--warmup` s up and before `--duration` s up.
    #[arg(long, default_value_t = 60.0)]
    pub outage: f64,
    /// usage: API key with scope usage:read.
    #[arg(long, env = "TOLLGATE_BENCH_API_KEY", default_value = "")]
    pub api_key: String,
    /// usage: start of the DAY queries (RFC 3339).
    #[arg(long, default_value = "")]
    pub from: String,
    /// usage: end of every query (RFC 3339).
    #[arg(long, default_value = "")]
    pub to: String,
    /// usage: days the HOUR query covers (ending at `--to`).
    #[arg(long, default_value_t = 7)]
    pub hour_days: i64,
    /// pages: the organization (slug) whose owner signs in.
    #[arg(long, default_value = "default")]
    pub org: String,
    /// pages: at most this many pages (route shapes) are measured.
    #[arg(long, default_value_t = 40)]
    pub pages_max: usize,
    /// pages: warm loads of each page in Chromium, after the first.
    #[arg(long, default_value_t = 5)]
    pub dcl_loads: usize,
    /// usage: timed requests, round robin over the shapes; pages: timed GETs per page.
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    /// usage: the customer of the one-customer shape.
    #[arg(long, default_value = "cust-007")]
    pub customer: String,
    /// usage: events the rollups stand for; checked against the `requests` meter's total.
    #[arg(long)]
    pub expect_requests: Option<u64>,
    /// usage: first wait until the outbox is drained (embedded cross-check events).
    #[arg(long)]
    pub wait_pending: bool,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
    /// The Tollgate command to start (after `--`).
    #[arg(last = true)]
    pub child: Vec<String>,
}
