//! The generator's command line (also read from `TOLLGATE_BENCH_*`, as `tests/bench/run.sh`
//! passes some of it).

use std::path::PathBuf;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "ingest_load",
    about = "Load generator for Tollgate's LiteLLM webhook"
)]
pub struct Args {
    /// Tollgate base URL (http only).
    #[arg(
        long,
        env = "TOLLGATE_BENCH_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// Webhook path.
    #[arg(long, default_value = "/v1/webhooks/litellm")]
    pub path: String,
    /// Webhook secret, sent as `Authorization: Bearer <secret>`.
    #[arg(long, env = "TOLLGATE_BENCH_SECRET", default_value = "")]
    pub secret: String,
    /// Scenarios to run, in order (a = batches, b = single events, c = duplicates).
    #[arg(long, env = "TOLLGATE_BENCH_SCENARIOS", default_value = "a,b,c")]
    pub scenarios: String,
    /// Measured seconds per scenario.
    #[arg(long, env = "TOLLGATE_BENCH_DURATION", default_value_t = 15.0)]
    pub duration: f64,
    /// Unmeasured warm-up seconds before each scenario's measured window.
    #[arg(long, env = "TOLLGATE_BENCH_WARMUP", default_value_t = 3.0)]
    pub warmup: f64,
    /// Idle seconds between scenarios.
    #[arg(long, default_value_t = 2.0)]
    pub pause: f64,
    /// Events per POST in scenario a.
    #[arg(long, default_value_t = 100)]
    pub batch_size: u64,
    /// Connections in scenario a.
    #[arg(long, env = "TOLLGATE_BENCH_BATCH_CONNS", default_value_t = 4)]
    pub batch_conns: usize,
    /// Connections in scenarios b and c.
    #[arg(long, env = "TOLLGATE_BENCH_SINGLE_CONNS", default_value_t = 64)]
    pub single_conns: usize,
    /// Distinct `end_user` values (cust-001 ...).
    #[arg(long, default_value_t = 20)]
    pub customers: u64,
    /// Stored events re-sent (round robin) in scenario c; seeded first if fewer exist.
    #[arg(long, default_value_t = 10_000)]
    pub dup_pool: u64,
    /// Per-request timeout in seconds (counts as an error).
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Tollgate's pid: report its CPU use and VmRSS/VmHWM per scenario.
    #[arg(long, env = "TOLLGATE_BENCH_SERVER_PID")]
    pub server_pid: Option<u32>,
    /// Also write the figures as `key=value` lines to this file.
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// Print the body of event number SEQ (as sent in scenario b) and exit.
    #[arg(long, value_name = "SEQ")]
    pub dump_event: Option<u64>,
    /// Run a trivial receiver (202 + a plausible ack) on ADDR instead of generating load.
    #[arg(long, value_name = "ADDR")]
    pub serve_stub: Option<String>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
}
