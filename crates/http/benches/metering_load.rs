//! Load generator for Tollgate's metering (`tests/bench/metering.sh`, run by `make bench`).
//!
//! Three modes, each starting the Tollgate command given after `--` as its child (so that the
//! child can be pointed at this process's fake OpenMeter before it starts), sampling CPU of the
//! child, of PostgreSQL and of the machine, and printing its figures (also as `key=value`
//! lines with `--results`):
//!
//! * `--mode drain`: a backlog already in the outbox (`--expect` rows, built by SQL) is
//!   delivered by the child (`tollgate worker`) to the fake OpenMeter inside this process;
//!   times from spawning the child until `SELECT count(*) FROM outbox WHERE state = 'pending'`
//!   is 0 (polled every `--poll-ms`, 200 ms; the count is only asked for once the fake has seen
//!   every event, so that a `count(*)` over a million rows every 200 ms does not take CPU from
//!   the drain it measures; `--poll-db-always` asks every time).
//! * `--mode lag`: drives `POST /v1/webhooks/litellm` of the child (`tollgate serve`, delivering
//!   to the fake OpenMeter, or with `--target embedded_meter` to the embedded meters)
//!   open-loop at `--rate` events/s in JSON-array batches of `--batch-size`
//!   LiteLLM events (the captured 13 KB fixture, as `ingest_load` sends it), waits until the
//!   outbox is drained, then reads p50/p90/p99/max of `delivered_at - created_at` over the
//!   rows created in the measured window with `percentile_cont`.
//! * `--mode usage`: times `GET /api/usage` of the child (`tollgate serve`, embedded meters)
//!   over the rollups already in the database, round robin over five query shapes (DAY window
//!   over `--from`..`--to` ungrouped, by model, by customer, for one customer; HOUR window over
//!   the last `--hour-days`), and prints p50/p95/max per shape. With `--wait-pending` it first
//!   waits for the child's embedded dispatcher to drain the outbox (the real-event cross-check
//!   that `metering.sh` compares with the SQL-built rollups).
//!
//! The fake OpenMeter answers `POST /api/v1/events` with 204 when the content type is exactly
//! `application/cloudevents-batch+json` (else 400, as OpenMeter does), counting events by their
//! `"specversion"` key and distinct ids by a 64-bit hash of each `"id"`.
//!
//! Everything runs on one single-threaded tokio runtime: the machine has 2 cores shared with
//! Tollgate and PostgreSQL.
//!
//! Run without `--mode` (as `cargo test --benches` / `--all-targets` does), it starts nothing
//! and only checks its event templates and its CloudEvents counting.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashSet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::Parser;
use diesel_async::AsyncPgConnection;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

const FIXTURE: &str =
    include_str!("../../../tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json");
const MARK_CALL_ID: &str = "110248f2-8818-4da2-8dfa-f63a49baf5c1";
const MARK_RESPONSE_ID: &str = "b91741d2-3f0a-4006-8161-c026d3edbdf4";
const MARK_CUSTOMER: &str = "cust-002";
const MARK_TIMESTAMP: &str = "1795625138";
const FIXTURE_MODEL: &str = "anthropic/claude-3-5-haiku-20241022";
const FIXTURE_GROUP: &str = "claude-haiku";
const FIXTURE_PROVIDER: &str = "\"anthropic\"";
/// (model group, LiteLLM model, provider), as in `ingest_load`.
const MODELS: &[(&str, &str, &str)] = &[
    ("claude-haiku", FIXTURE_MODEL, "anthropic"),
    ("gpt-4o-mini", "openai/gpt-4o-mini", "openai"),
    ("llama-local", "openai/llama-3.1-8b-instruct", "openai"),
    ("gpt-4o", "openai/gpt-4o", "openai"),
];
const CLOUDEVENTS_BATCH: &str = "application/cloudevents-batch+json";

#[derive(Parser, Debug)]
#[command(
    name = "metering_load",
    about = "Metering benchmarks: outbox drain, delivery lag, /api/usage latency"
)]
struct Args {
    /// drain, lag or usage.
    #[arg(long)]
    mode: Option<String>,
    /// Database of the child (polled for the outbox, read for the lag).
    #[arg(long, env = "TOLLGATE_BENCH_DB_URL", default_value = "")]
    db_url: String,
    /// Also write the figures as `key=value` lines to this file.
    #[arg(long)]
    results: Option<PathBuf>,
    /// The children's stdout and stderr (appended).
    #[arg(long)]
    child_log: Option<PathBuf>,
    /// Write the children's pids here (one a line), for the caller's cleanup.
    #[arg(long)]
    child_pid_file: Option<PathBuf>,
    /// How many copies of the child command to start (drain: several workers).
    #[arg(long, default_value_t = 1)]
    children: usize,
    /// Where the fake OpenMeter listens (drain, lag).
    #[arg(long, default_value = "127.0.0.1:0")]
    fake_bind: String,
    /// Outbox poll interval.
    #[arg(long, default_value_t = 200)]
    poll_ms: u64,
    /// drain: ask the database every poll, not only once the fake has seen every event.
    #[arg(long)]
    poll_db_always: bool,
    /// drain: rows in the backlog (checked against the outbox before the child starts).
    #[arg(long, default_value_t = 1_000_000)]
    expect: u64,
    /// drain / lag / usage: give up waiting for the outbox to drain after this many seconds.
    #[arg(long, default_value_t = 3600.0)]
    drain_timeout: f64,
    /// lag / usage: the child's base URL (http only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// lag: the LiteLLM webhook secret.
    #[arg(long, env = "TOLLGATE_BENCH_SECRET", default_value = "")]
    secret: String,
    /// lag: events per second.
    #[arg(long, default_value_t = 2000.0)]
    rate: f64,
    /// lag: events per POST (a JSON array, as LiteLLM's batch logger sends them).
    #[arg(long, default_value_t = 100)]
    batch_size: u64,
    /// lag: the delivery target to measure: `openmeter` (the fake) or `embedded_meter`.
    #[arg(long, default_value = "openmeter")]
    target: String,
    /// lag: measured seconds.
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// lag: unmeasured seconds before the measured window.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// lag: distinct `end_user` values.
    #[arg(long, default_value_t = 20)]
    customers: u64,
    /// usage: API key with scope usage:read.
    #[arg(long, env = "TOLLGATE_BENCH_API_KEY", default_value = "")]
    api_key: String,
    /// usage: start of the DAY queries (RFC 3339).
    #[arg(long, default_value = "")]
    from: String,
    /// usage: end of every query (RFC 3339).
    #[arg(long, default_value = "")]
    to: String,
    /// usage: days the HOUR query covers (ending at `--to`).
    #[arg(long, default_value_t = 7)]
    hour_days: i64,
    /// usage: timed requests, round robin over the shapes.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// usage: the customer of the one-customer shape.
    #[arg(long, default_value = "cust-007")]
    customer: String,
    /// usage: events the rollups stand for; checked against the `requests` meter's total.
    #[arg(long)]
    expect_requests: Option<u64>,
    /// usage: first wait until the outbox is drained (embedded cross-check events).
    #[arg(long)]
    wait_pending: bool,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
    /// The Tollgate command to start (after `--`).
    #[arg(last = true)]
    child: Vec<String>,
}

type BoxError = Box<dyn std::error::Error>;

fn err(msg: impl Into<String>) -> BoxError {
    msg.into().into()
}

// ---------------------------------------------------------------------------
// LiteLLM events (lag mode)
// ---------------------------------------------------------------------------

/// Pretty JSON re-serialised like Python's `json.dumps` (LiteLLM's wire format).
fn python_compact(src: &str) -> String {
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

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

struct Template {
    bytes: Vec<u8>,
    call_id: Vec<usize>,
    response_id: Vec<usize>,
    customer: Vec<usize>,
    timestamp: Vec<usize>,
}

struct EventFactory {
    templates: Vec<Template>,
    run_id: u64,
    customers: u64,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A v4-shaped UUID for (run, seq, salt), as 36 ASCII bytes.
fn uuid_for(run_id: u64, seq: u64, salt: u64) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hi = splitmix64(run_id ^ splitmix64(seq.wrapping_mul(4).wrapping_add(salt)));
    let lo = splitmix64(hi ^ seq);
    let hi = (hi & !0xF000) | 0x4000;
    let lo = (lo & !(0xC << 60)) | (0x8 << 60);
    let raw = (u128::from(hi) << 64) | u128::from(lo);
    let mut out = [b'-'; 36];
    let mut nibble = 0;
    for (i, slot) in out.iter_mut().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        *slot = HEX[((raw >> (124 - 4 * nibble)) & 0xF) as usize];
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

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl EventFactory {
    fn new(run_id: u64, customers: u64) -> Result<Self, BoxError> {
        if !(1..=999).contains(&customers) {
            return Err(err("--customers must be within 1..=999"));
        }
        let compact = python_compact(FIXTURE);
        let mut templates = Vec::new();
        for (group, model, provider) in MODELS {
            let bytes = compact
                .replace(FIXTURE_MODEL, model)
                .replace(FIXTURE_GROUP, group)
                .replace(FIXTURE_PROVIDER, &format!("\"{provider}\""))
                .into_bytes();
            let find = |mark: &str| {
                let at = find_all(&bytes, mark.as_bytes());
                if at.is_empty() {
                    Err(err(format!("the fixture no longer contains {mark:?}")))
                } else {
                    Ok(at)
                }
            };
            templates.push(Template {
                call_id: find(MARK_CALL_ID)?,
                response_id: find(MARK_RESPONSE_ID)?,
                customer: find(MARK_CUSTOMER)?,
                timestamp: find(MARK_TIMESTAMP)?,
                bytes,
            });
        }
        Ok(Self {
            templates,
            run_id,
            customers,
        })
    }

    fn event_len(&self) -> usize {
        self.templates
            .iter()
            .map(|t| t.bytes.len())
            .max()
            .unwrap_or(0)
    }

    fn write_event(&self, out: &mut Vec<u8>, seq: u64, now: u64) {
        let t = &self.templates[((seq / self.customers) % self.templates.len() as u64) as usize];
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
        for &at in &t.customer {
            write_decimal(&mut buf[at + 5..at + 8], seq % self.customers + 1);
        }
        for &at in &t.timestamp {
            write_decimal(&mut buf[at..at + 10], now);
        }
    }

    /// A JSON array of events `first..first + n`, stamped `now`.
    fn batch(&self, first: u64, n: u64, now: u64) -> Bytes {
        let mut out = Vec::with_capacity((self.event_len() + 2) * n as usize + 2);
        out.push(b'[');
        for seq in first..first + n {
            if seq != first {
                out.extend_from_slice(b", ");
            }
            self.write_event(&mut out, seq, now);
        }
        out.push(b']');
        Bytes::from(out)
    }
}

// ---------------------------------------------------------------------------
// Fake OpenMeter
// ---------------------------------------------------------------------------

#[derive(Default)]
struct FakeStats {
    requests: AtomicU64,
    events: AtomicU64,
    bytes: AtomicU64,
    refused: AtomicU64,
    /// Events whose id the fake had already seen (re-sent after a lost answer or lease).
    resent: AtomicU64,
    ids: Mutex<HashSet<u64>>,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
}

impl FakeStats {
    fn distinct(&self) -> u64 {
        self.ids.lock().map_or(0, |ids| ids.len() as u64)
    }
    fn first(&self) -> Option<Instant> {
        self.first.lock().ok().and_then(|f| *f)
    }
    fn last(&self) -> Option<Instant> {
        self.last.lock().ok().and_then(|f| *f)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Events in a CloudEvents batch (by their `"specversion"` key) and the ids' hashes.
fn scan_batch(body: &[u8]) -> (u64, Vec<u64>) {
    const SPEC: &[u8] = b"\"specversion\"";
    const ID: &[u8] = b"\"id\":\"";
    let mut events = 0;
    let mut ids = Vec::new();
    let mut i = 0;
    while i + SPEC.len() <= body.len() {
        if body[i] != b'"' || &body[i..i + SPEC.len()] != SPEC {
            i += 1;
            continue;
        }
        events += 1;
        i += SPEC.len();
        // Tollgate writes `{"specversion":"1.0","id":"...`: the id follows within a few bytes.
        let window = &body[i..body.len().min(i + 32)];
        if let Some(at) = window.windows(ID.len()).position(|w| w == ID) {
            let start = i + at + ID.len();
            if let Some(len) = body[start..].iter().position(|b| *b == b'"') {
                ids.push(fnv1a(&body[start..start + len]));
                i = start + len;
            }
        }
    }
    (events, ids)
}

async fn fake_answer(
    req: Request<hyper::body::Incoming>,
    stats: Arc<FakeStats>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let respond = |status: StatusCode, body: &str| {
        let mut resp = Response::new(Full::new(Bytes::from(body.to_owned())));
        *resp.status_mut() = status;
        resp
    };
    if req.method() != Method::POST {
        return Ok(respond(StatusCode::OK, "fake openmeter"));
    }
    if req.uri().path() != "/api/v1/events" {
        return Ok(respond(StatusCode::NOT_FOUND, "{\"title\":\"not found\"}"));
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = req.into_body().collect().await?.to_bytes();
    let now = Instant::now();
    if let Ok(mut first) = stats.first.lock() {
        first.get_or_insert(now);
    }
    stats.requests.fetch_add(1, Ordering::Relaxed);
    stats.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    if content_type != CLOUDEVENTS_BATCH {
        stats.refused.fetch_add(1, Ordering::Relaxed);
        return Ok(respond(
            StatusCode::BAD_REQUEST,
            &format!("{{\"detail\":\"invalid content type: {content_type}\"}}"),
        ));
    }
    let (events, ids) = scan_batch(&body);
    stats.events.fetch_add(events, Ordering::Relaxed);
    if let Ok(mut seen) = stats.ids.lock() {
        let resent = ids.into_iter().filter(|id| !seen.insert(*id)).count();
        stats.resent.fetch_add(resent as u64, Ordering::Relaxed);
    }
    if let Ok(mut last) = stats.last.lock() {
        *last = Some(Instant::now());
    }
    Ok(respond(StatusCode::NO_CONTENT, ""))
}

async fn start_fake(bind: &str) -> Result<(SocketAddr, Arc<FakeStats>), BoxError> {
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| err(format!("fake OpenMeter: bind {bind}: {e}")))?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(FakeStats::default());
    let shared = stats.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let stats = shared.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| fake_answer(req, stats.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok((addr, stats))
}

// ---------------------------------------------------------------------------
// Children, /proc sampling, database
// ---------------------------------------------------------------------------

struct Children {
    procs: Vec<Child>,
}

impl Children {
    fn spawn(args: &Args, env: &[(&str, String)]) -> Result<Self, BoxError> {
        let (program, rest) = args
            .child
            .split_first()
            .ok_or_else(|| err("no child command: pass the Tollgate command after `--`"))?;
        let mut procs = Vec::new();
        for _ in 0..args.children.max(1) {
            let mut cmd = Command::new(program);
            cmd.args(rest).stdin(Stdio::null());
            for (k, v) in env {
                cmd.env(k, v);
            }
            match &args.child_log {
                Some(path) => {
                    let log = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)?;
                    cmd.stdout(log.try_clone()?).stderr(log);
                }
                None => {
                    cmd.stdout(Stdio::null()).stderr(Stdio::null());
                }
            }
            procs.push(
                cmd.spawn()
                    .map_err(|e| err(format!("cannot start {program}: {e}")))?,
            );
        }
        let children = Self { procs };
        if let Some(path) = &args.child_pid_file {
            let pids: Vec<String> = children.pids().iter().map(u32::to_string).collect();
            std::fs::write(path, pids.join("\n") + "\n")?;
        }
        Ok(children)
    }

    fn pids(&self) -> Vec<u32> {
        self.procs.iter().map(Child::id).collect()
    }

    fn check_alive(&mut self) -> Result<(), BoxError> {
        for p in &mut self.procs {
            if let Some(status) = p.try_wait()? {
                return Err(err(format!(
                    "child {} exited early ({status}): see its log",
                    p.id()
                )));
            }
        }
        Ok(())
    }

    /// SIGTERM, then up to 15 s for a clean stop, then SIGKILL.
    async fn stop(mut self) {
        for p in &self.procs {
            let _ = Command::new("kill")
                .args(["-TERM", &p.id().to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        for p in &mut self.procs {
            while Instant::now() < deadline && matches!(p.try_wait(), Ok(None)) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if matches!(p.try_wait(), Ok(None)) {
                eprintln!(
                    "metering_load: child {} ignored SIGTERM; killing it",
                    p.id()
                );
                let _ = p.kill();
                let _ = p.wait();
            }
        }
    }
}

/// utime + stime of a process, in clock ticks (USER_HZ = 100).
fn proc_cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// utime + stime + cutime + cstime: with the children it has reaped.
fn proc_cpu_ticks_with_children(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    (11..=14).try_fold(0, |sum, i| Some(sum + fields.get(i)?.parse::<u64>().ok()?))
}

/// Every process named `postgres` on the machine, with what the postmaster reaped: parallel
/// workers, autovacuum workers and backends that ended between two samples count too.
fn postgres_cpu_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut total = 0;
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let comm = stat
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map(|(c, _)| c);
        if comm == Some("postgres") {
            total += proc_cpu_ticks_with_children(pid).unwrap_or(0);
        }
    }
    total
}

fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let v: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|s| s.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    Some((total - v.get(3)? - v.get(4).unwrap_or(&0), total))
}

struct CpuSample {
    at: Instant,
    me: u64,
    children: u64,
    postgres: u64,
    machine: Option<(u64, u64)>,
}

impl CpuSample {
    fn take(pids: &[u32]) -> Self {
        Self {
            at: Instant::now(),
            me: proc_cpu_ticks("self").unwrap_or(0),
            children: pids
                .iter()
                .filter_map(|p| proc_cpu_ticks(&p.to_string()))
                .sum(),
            postgres: postgres_cpu_ticks(),
            machine: machine_cpu(),
        }
    }

    /// (generator, children, postgres, machine) in % of one core since `earlier`.
    fn since(&self, earlier: &Self) -> [f64; 4] {
        let secs = self.at.duration_since(earlier.at).as_secs_f64().max(1e-3);
        let pct = |a: u64, b: u64| b.saturating_sub(a) as f64 / secs;
        let cores = std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64);
        let machine = match (earlier.machine, self.machine) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                (b1 - b0) as f64 / (t1 - t0) as f64 * 100.0 * cores
            }
            _ => -1.0,
        };
        [
            pct(earlier.me, self.me),
            pct(earlier.children, self.children),
            pct(earlier.postgres, self.postgres),
            machine,
        ]
    }
}

// ---------------------------------------------------------------------------
// Database (its own module: `RunQueryDsl` is implemented for every type, and its `load`
// would shadow `AtomicU64::load` elsewhere)
// ---------------------------------------------------------------------------

mod db {
    use diesel::QueryableByName;
    use diesel::sql_types::{BigInt, Double, Nullable, Text};
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    use super::{BoxError, err};

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    #[derive(QueryableByName)]
    pub struct Span {
        #[diesel(sql_type = BigInt)]
        pub delivered: i64,
        #[diesel(sql_type = BigInt)]
        pub dead: i64,
        #[diesel(sql_type = Nullable<Double>)]
        pub seconds: Option<f64>,
    }

    #[derive(QueryableByName)]
    pub struct Lag {
        #[diesel(sql_type = BigInt)]
        pub n: i64,
        #[diesel(sql_type = BigInt)]
        pub undelivered: i64,
        #[diesel(sql_type = Nullable<Double>)]
        pub p50: Option<f64>,
        #[diesel(sql_type = Nullable<Double>)]
        pub p90: Option<f64>,
        #[diesel(sql_type = Nullable<Double>)]
        pub p99: Option<f64>,
        #[diesel(sql_type = Nullable<Double>)]
        pub max: Option<f64>,
    }

    pub async fn connect(url: &str) -> Result<AsyncPgConnection, BoxError> {
        if url.is_empty() {
            return Err(err("--db-url (TOLLGATE_BENCH_DB_URL) is required"));
        }
        AsyncPgConnection::establish(url)
            .await
            .map_err(|e| err(format!("cannot connect to the bench database: {e}")))
    }

    pub async fn pending(db: &mut AsyncPgConnection) -> Result<i64, BoxError> {
        let c: Count =
            diesel::sql_query("SELECT count(*) AS n FROM outbox WHERE state = 'pending'")
                .get_result(db)
                .await?;
        Ok(c.n)
    }

    /// Rows delivered and dead, and the seconds from the first to the last delivery.
    pub async fn delivered_span(db: &mut AsyncPgConnection) -> Result<Span, BoxError> {
        Ok(diesel::sql_query(
            "SELECT count(*) FILTER (WHERE state = 'delivered') AS delivered,
                    count(*) FILTER (WHERE state = 'dead') AS dead,
                    extract(epoch FROM max(delivered_at) - min(delivered_at))::float8 AS seconds
             FROM outbox",
        )
        .get_result(db)
        .await?)
    }

    /// `delivered_at - created_at` of `target`'s rows created in [from, to) (RFC 3339).
    pub async fn lag(
        db: &mut AsyncPgConnection,
        target: &str,
        from: &str,
        to: &str,
    ) -> Result<Lag, BoxError> {
        Ok(diesel::sql_query(
            "SELECT count(*) AS n,
                    count(*) FILTER (WHERE state <> 'delivered') AS undelivered,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
                    percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90,
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY s) AS p99,
                    max(s) AS max
             FROM (SELECT state, extract(epoch FROM delivered_at - created_at)::float8 AS s
                   FROM outbox
                   WHERE target = $1 AND created_at >= $2::timestamptz
                     AND created_at < $3::timestamptz) t",
        )
        .bind::<Text, _>(target)
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .get_result(db)
        .await?)
    }
}

/// Polls the outbox until nothing is pending; `gate` (when given) must hold before the
/// database is asked. Returns when it was first seen empty.
async fn wait_drained(
    db: &mut AsyncPgConnection,
    children: &mut Children,
    poll: Duration,
    timeout: Duration,
    mut gate: impl FnMut() -> bool,
    mut progress: impl FnMut(Instant),
) -> Result<Instant, BoxError> {
    let deadline = Instant::now() + timeout;
    let mut ticker = tokio::time::interval(poll);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = Instant::now();
        children.check_alive()?;
        progress(now);
        if gate() && db::pending(db).await? == 0 {
            return Ok(now);
        }
        if now > deadline {
            let left = db::pending(db).await?;
            return Err(err(format!(
                "{left} outbox rows still pending after {timeout:?}"
            )));
        }
    }
}

// ---------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------

type Sender = SendRequest<Full<Bytes>>;

struct Target {
    addr: SocketAddr,
    host: String,
    timeout: Duration,
}

impl Target {
    fn parse(url: &str, timeout: f64) -> Result<Self, BoxError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| err(format!("--url must start with http:// (got {url:?})")))?;
        let host = rest.split('/').next().unwrap_or(rest).to_owned();
        let with_port = if host.contains(':') {
            host.clone()
        } else {
            format!("{host}:80")
        };
        let addr = with_port
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| err(format!("{host} resolves to nothing")))?;
        Ok(Self {
            addr,
            host,
            timeout: Duration::from_secs_f64(timeout),
        })
    }

    async fn connect(&self) -> Result<Sender, String> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", self.addr))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        auth: &str,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, String> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, &self.host);
        if !auth.is_empty() {
            builder = builder.header(AUTHORIZATION, format!("Bearer {auth}"));
        }
        if !body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        builder.body(Full::new(body)).map_err(|e| e.to_string())
    }

    async fn send(
        &self,
        sender: &mut Sender,
        req: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), String> {
        let exchange = async {
            sender
                .ready()
                .await
                .map_err(|e| format!("connection: {e}"))?;
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| format!("request: {e}"))?;
            let status = resp.status();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("response: {e}"))?;
            Ok((status, body.to_bytes()))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| format!("timeout after {:?}", self.timeout))?
    }

    /// Waits for `GET /readyz` = 200 while the children live (90 s at most).
    async fn wait_ready(&self, children: &mut Children) -> Result<(), BoxError> {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            children.check_alive()?;
            if let Ok(mut s) = self.connect().await
                && let Ok(req) = self.request(Method::GET, "/readyz", "", Bytes::new())
                && let Ok((status, _)) = self.send(&mut s, req).await
                && status == StatusCode::OK
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(err("the child did not become ready within 90 s"))
    }
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

struct Results(Vec<String>);

impl Results {
    fn put(&mut self, key: &str, value: impl std::fmt::Display) {
        self.0.push(format!("{key}={value}"));
    }

    fn cpu(&mut self, prefix: &str, cpu: [f64; 4], child: &str) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) * 100;
        println!(
            "    cpu ({cores}% = all cores): generator {:.0}%, {child} {:.0}%, postgres {:.0}%, whole machine {:.0}%",
            cpu[0], cpu[1], cpu[2], cpu[3]
        );
        for (name, v) in ["generator", "child", "postgres", "machine"]
            .iter()
            .zip(cpu)
        {
            self.put(&format!("{prefix}.cpu_{name}_pct"), format!("{v:.0}"));
        }
    }

    fn write(&self, path: Option<&PathBuf>) -> Result<(), BoxError> {
        if let Some(path) = path {
            std::fs::write(path, self.0.join("\n") + "\n")?;
        }
        Ok(())
    }
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|e| panic!("histogram: {e}"))
}

// ---------------------------------------------------------------------------
// drain
// ---------------------------------------------------------------------------

async fn drain(args: &Args, out: &mut Results) -> Result<(), BoxError> {
    let mut db = db::connect(&args.db_url).await?;
    let backlog = db::pending(&mut db).await?;
    if u64::try_from(backlog).unwrap_or(0) != args.expect {
        println!(
            "warning: {backlog} outbox rows pending, --expect said {}",
            args.expect
        );
    }
    let expect = u64::try_from(backlog).unwrap_or(0);
    let (addr, fake) = start_fake(&args.fake_bind).await?;
    println!(
        "drain: {backlog} pending outbox rows -> fake OpenMeter on {addr}; starting {} x {}",
        args.children.max(1),
        args.child.join(" ")
    );
    let spawned = Instant::now();
    let mut children = Children::spawn(
        args,
        &[("TOLLGATE__OPENMETER__URL", format!("http://{addr}"))],
    )?;
    let pids = children.pids();
    let cpu0 = CpuSample::take(&pids);
    let mut next_report = spawned + Duration::from_secs(5);
    let poll_always = args.poll_db_always;
    let fake_gate = fake.clone();
    let fake_progress = fake.clone();
    let outcome = wait_drained(
        &mut db,
        &mut children,
        Duration::from_millis(args.poll_ms),
        Duration::from_secs_f64(args.drain_timeout),
        move || poll_always || fake_gate.distinct() >= expect,
        move |now| {
            if now >= next_report {
                next_report = now + Duration::from_secs(5);
                let got = fake_progress.distinct();
                println!(
                    "    {:>6.1} s: fake OpenMeter has {got} events ({:.0}/s so far)",
                    now.duration_since(spawned).as_secs_f64(),
                    got as f64 / now.duration_since(spawned).as_secs_f64()
                );
            }
        },
    )
    .await;
    let cpu1 = CpuSample::take(&pids);
    children.stop().await;
    let done = outcome?;
    let total = done.duration_since(spawned).as_secs_f64();
    let first = fake.first().unwrap_or(spawned);
    let startup = first.duration_since(spawned).as_secs_f64();
    let steady = done.duration_since(first).as_secs_f64();
    let span = db::delivered_span(&mut db).await?;
    let requests = fake.requests.load(Ordering::Relaxed);
    let events = fake.events.load(Ordering::Relaxed);
    let eps = expect as f64 / total;
    println!(
        "drain: {expect} events in {total:.1} s = {eps:.0} events/s (from starting the worker until \
         no outbox row is pending; polled every {} ms)",
        args.poll_ms
    );
    println!(
        "    worker start to first batch {startup:.2} s; first batch to drained {steady:.1} s = {:.0} events/s; \
         first to last delivered_at {:.1} s",
        expect as f64 / steady.max(1e-3),
        span.seconds.unwrap_or(0.0)
    );
    println!(
        "    fake OpenMeter: {requests} requests ({:.0} events each), {events} events, {} distinct, \
         {} re-sent, {} refused, {:.1} MB; outbox: {} delivered, {} dead",
        events as f64 / requests.max(1) as f64,
        fake.distinct(),
        fake.resent.load(Ordering::Relaxed),
        fake.refused.load(Ordering::Relaxed),
        fake.bytes.load(Ordering::Relaxed) as f64 / 1e6,
        span.delivered,
        span.dead
    );
    if let Some(last) = fake.last() {
        println!(
            "    fake OpenMeter: first to last request {:.1} s",
            last.duration_since(first).as_secs_f64()
        );
    }
    out.put("d.events", expect);
    out.put("d.seconds", format!("{total:.1}"));
    out.put("d.events_per_s", format!("{eps:.0}"));
    out.put("d.startup_s", format!("{startup:.2}"));
    out.put(
        "d.steady_events_per_s",
        format!("{:.0}", expect as f64 / steady.max(1e-3)),
    );
    out.put(
        "d.delivered_span_s",
        format!("{:.1}", span.seconds.unwrap_or(0.0)),
    );
    out.put("d.requests", requests);
    out.put("d.fake_events", events);
    out.put("d.fake_distinct", fake.distinct());
    out.put("d.resent", fake.resent.load(Ordering::Relaxed));
    out.put("d.refused", fake.refused.load(Ordering::Relaxed));
    out.put("d.delivered", span.delivered);
    out.put("d.dead", span.dead);
    out.put("d.workers", args.children.max(1));
    out.cpu("d", cpu1.since(&cpu0), "worker");
    Ok(())
}

// ---------------------------------------------------------------------------
// lag
// ---------------------------------------------------------------------------

struct LagStats {
    hist: Histogram<u64>,
    requests: u64,
    events: u64,
    accepted: u64,
    errors: u64,
    samples: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Ack {
    #[serde(default)]
    accepted: u64,
}

async fn lag(args: &Args, out: &mut Results) -> Result<(), BoxError> {
    let target = Arc::new(Target::parse(&args.url, args.timeout)?);
    let (addr, fake) = start_fake(&args.fake_bind).await?;
    let env = match args.target.as_str() {
        "openmeter" => vec![("TOLLGATE__OPENMETER__URL", format!("http://{addr}"))],
        "embedded_meter" => Vec::new(),
        other => {
            return Err(err(format!(
                "--target {other}: openmeter or embedded_meter"
            )));
        }
    };
    let mut children = Children::spawn(args, &env)?;
    let pids = children.pids();
    target.wait_ready(&mut children).await?;
    let mut db = db::connect(&args.db_url).await?;
    let run_id = splitmix64(
        SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64
            ^ u64::from(std::process::id()),
    );
    let factory = EventFactory::new(run_id, args.customers)?;
    let batch = args.batch_size.max(1);
    let period = Duration::from_secs_f64(batch as f64 / args.rate);
    println!(
        "lag: {} events/s = one {batch}-event JSON array ({:.1} MB) every {:.1} ms to {}/v1/webhooks/litellm, \
         target {}; {} s warm-up + {} s measured",
        args.rate,
        (factory.event_len() as u64 * batch) as f64 / 1e6,
        period.as_secs_f64() * 1000.0,
        args.url,
        if args.target == "openmeter" {
            format!("openmeter (the fake on {addr})")
        } else {
            args.target.clone()
        },
        args.warmup,
        args.duration
    );
    let stats = Arc::new(Mutex::new(LagStats {
        hist: new_hist(),
        requests: 0,
        events: 0,
        accepted: 0,
        errors: 0,
        samples: Vec::new(),
    }));
    let pool: Arc<Mutex<Vec<Sender>>> = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let warm_end = start + Duration::from_secs_f64(args.warmup);
    let end = warm_end + Duration::from_secs_f64(args.duration);
    let mut window_from: Option<DateTime<Utc>> = None;
    let mut cpu0 = None;
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    let mut seq = 0;
    let mut late_ticks = 0u64;
    loop {
        let scheduled = ticker.tick().await;
        let now = Instant::now();
        if now >= end {
            break;
        }
        if now >= warm_end && window_from.is_none() {
            window_from = Some(Utc::now());
            cpu0 = Some(CpuSample::take(&pids));
        }
        if now.duration_since(scheduled.into_std()) > period {
            late_ticks += 1;
        }
        let body = factory.batch(seq, batch, unix_now());
        seq += batch;
        let measured = now >= warm_end;
        let (target, stats, pool) = (target.clone(), stats.clone(), pool.clone());
        let secret = args.secret.clone();
        tasks.push(tokio::spawn(async move {
            let existing = pool.lock().ok().and_then(|mut p| p.pop());
            let mut sender = match existing {
                Some(s) if !s.is_closed() => s,
                _ => match target.connect().await {
                    Ok(s) => s,
                    Err(e) => {
                        if let Ok(mut st) = stats.lock() {
                            st.errors += 1;
                            if st.samples.len() < 3 {
                                st.samples.push(e);
                            }
                        }
                        return;
                    }
                },
            };
            let t0 = Instant::now();
            let outcome = match target.request(Method::POST, "/v1/webhooks/litellm", &secret, body)
            {
                Ok(req) => target.send(&mut sender, req).await,
                Err(e) => Err(e),
            };
            let micros = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
            let Ok(mut st) = stats.lock() else { return };
            match outcome {
                Ok((StatusCode::ACCEPTED, ack)) => {
                    if measured {
                        st.requests += 1;
                        st.events += batch;
                        st.hist.saturating_record(micros.max(1));
                        st.accepted +=
                            serde_json::from_slice::<Ack>(&ack).map_or(0, |a| a.accepted);
                    }
                    if let Ok(mut p) = pool.lock() {
                        p.push(sender);
                    }
                }
                Ok((status, body)) => {
                    st.errors += 1;
                    if st.samples.len() < 3 {
                        st.samples.push(format!(
                            "HTTP {status}: {}",
                            String::from_utf8_lossy(&body[..body.len().min(200)])
                        ));
                    }
                }
                Err(e) => {
                    st.errors += 1;
                    if st.samples.len() < 3 {
                        st.samples.push(e);
                    }
                }
            }
        }));
    }
    let window_to = Utc::now();
    let cpu1 = CpuSample::take(&pids);
    for t in tasks {
        let _ = t.await;
    }
    let sent_done = Instant::now();
    let drained = wait_drained(
        &mut db,
        &mut children,
        Duration::from_millis(args.poll_ms),
        Duration::from_secs_f64(args.drain_timeout),
        || true,
        |_| {},
    )
    .await;
    children.stop().await;
    let drained = drained?;
    let window_from = window_from.unwrap_or(window_to);
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    let lag = db::lag(&mut db, &args.target, &rfc(window_from), &rfc(window_to)).await?;
    let st = stats
        .lock()
        .map_err(|_| err("stats lock poisoned"))?
        .clone_summary();
    let window = args.duration;
    let q = |v: f64| st.hist.value_at_quantile(v);
    println!(
        "lag: delivered_at - created_at over {} outbox rows created in the measured window: \
         p50 {:.3} s, p90 {:.3} s, p99 {:.3} s, max {:.3} s ({} not delivered)",
        lag.n,
        lag.p50.unwrap_or(-1.0),
        lag.p90.unwrap_or(-1.0),
        lag.p99.unwrap_or(-1.0),
        lag.max.unwrap_or(-1.0),
        lag.undelivered
    );
    println!(
        "    ingest: {:.0} events/s accepted ({} of {} requests' events acked accepted), POST p50 {:.1} ms, \
         p99 {:.1} ms, max {:.1} ms, errors {}, late ticks {late_ticks}; outbox drained {:.2} s after the last POST",
        st.events as f64 / window,
        st.accepted,
        st.events,
        ms(q(0.5)),
        ms(q(0.99)),
        ms(st.hist.max()),
        st.errors,
        drained.duration_since(sent_done).as_secs_f64()
    );
    if args.target == "openmeter" {
        println!(
            "    fake OpenMeter: {} requests ({:.0} events each), {} events",
            fake.requests.load(Ordering::Relaxed),
            fake.events.load(Ordering::Relaxed) as f64
                / fake.requests.load(Ordering::Relaxed).max(1) as f64,
            fake.events.load(Ordering::Relaxed)
        );
    }
    for s in &st.samples {
        println!("    e.g. {s}");
    }
    out.put("e.rate", args.rate);
    out.put("e.target", &args.target);
    out.put("e.batch", batch);
    out.put(
        "e.events_per_s",
        format!("{:.0}", st.events as f64 / window),
    );
    out.put("e.rows", lag.n);
    out.put("e.undelivered", lag.undelivered);
    out.put("e.p50_s", format!("{:.3}", lag.p50.unwrap_or(-1.0)));
    out.put("e.p90_s", format!("{:.3}", lag.p90.unwrap_or(-1.0)));
    out.put("e.p99_s", format!("{:.3}", lag.p99.unwrap_or(-1.0)));
    out.put("e.max_s", format!("{:.3}", lag.max.unwrap_or(-1.0)));
    out.put("e.post_p50_ms", format!("{:.1}", ms(q(0.5))));
    out.put("e.post_p99_ms", format!("{:.1}", ms(q(0.99))));
    out.put("e.errors", st.errors);
    out.put("e.late_ticks", late_ticks);
    out.put("e.fake_requests", fake.requests.load(Ordering::Relaxed));
    if let Some(cpu0) = cpu0 {
        out.cpu("e", cpu1.since(&cpu0), "serve");
    }
    Ok(())
}

impl LagStats {
    fn clone_summary(&self) -> Self {
        Self {
            hist: self.hist.clone(),
            requests: self.requests,
            events: self.events,
            accepted: self.accepted,
            errors: self.errors,
            samples: self.samples.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// usage
// ---------------------------------------------------------------------------

struct Shape {
    name: &'static str,
    path: String,
    hist: Histogram<u64>,
    bytes: usize,
    errors: u64,
    cold_ms: f64,
}

/// Sum of the `requests` meter's points in a /api/usage answer.
fn requests_total(body: &[u8]) -> Option<u128> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut total = 0u128;
    for series in v.get("data")?.as_array()? {
        if series.get("meter")?.as_str()? != "requests" {
            continue;
        }
        for p in series.get("points")?.as_array()? {
            total += p.get("value")?.as_str()?.parse::<u128>().ok()?;
        }
    }
    Some(total)
}

async fn usage(args: &Args, out: &mut Results) -> Result<(), BoxError> {
    let target = Target::parse(&args.url, args.timeout)?;
    let from: DateTime<Utc> = DateTime::parse_from_rfc3339(&args.from)
        .map_err(|e| err(format!("--from: {e}")))?
        .into();
    let to: DateTime<Utc> = DateTime::parse_from_rfc3339(&args.to)
        .map_err(|e| err(format!("--to: {e}")))?
        .into();
    let hour_from = to - chrono::Duration::days(args.hour_days);
    let z = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let day = format!("/api/usage?from={}&to={}&window=DAY", z(from), z(to));
    let days = (to - from).num_days();
    let mut shapes: Vec<Shape> = [
        ("day_total", day.clone()),
        ("day_by_model", format!("{day}&group_by=model")),
        ("day_by_customer", format!("{day}&group_by=customer")),
        (
            "day_one_customer",
            format!("{day}&customer={}", args.customer),
        ),
        (
            "hour_total",
            format!("/api/usage?from={}&to={}&window=HOUR", z(hour_from), z(to)),
        ),
    ]
    .into_iter()
    .map(|(name, path)| Shape {
        name,
        path,
        hist: new_hist(),
        bytes: 0,
        errors: 0,
        cold_ms: 0.0,
    })
    .collect();

    let mut children = Children::spawn(args, &[])?;
    let pids = children.pids();
    target.wait_ready(&mut children).await?;
    if args.wait_pending {
        let mut db = db::connect(&args.db_url).await?;
        let backlog = db::pending(&mut db).await?;
        let t0 = Instant::now();
        let done = wait_drained(
            &mut db,
            &mut children,
            Duration::from_millis(args.poll_ms),
            Duration::from_secs_f64(args.drain_timeout),
            || true,
            |_| {},
        )
        .await?;
        let secs = done.duration_since(t0).as_secs_f64();
        println!(
            "usage: cross-check events rolled up by the embedded dispatcher: {backlog} in {secs:.1} s \
             (~{:.0} events/s, after the server was ready)",
            backlog as f64 / secs.max(1e-3)
        );
        out.put("f.crosscheck_events", backlog);
        out.put("f.crosscheck_drain_s", format!("{secs:.1}"));
    }
    let mut sender = target.connect().await?;
    let mut total_requests = None;
    // One cold request per shape first (not in the figures).
    for shape in &mut shapes {
        let req = target.request(Method::GET, &shape.path, &args.api_key, Bytes::new())?;
        let t0 = Instant::now();
        let (status, body) = target.send(&mut sender, req).await?;
        shape.cold_ms = t0.elapsed().as_secs_f64() * 1000.0;
        if status != StatusCode::OK {
            return Err(err(format!(
                "{} answered {status}: {}",
                shape.path,
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )));
        }
        shape.bytes = body.len();
        if shape.name == "day_total" {
            total_requests = requests_total(&body);
        }
    }
    println!(
        "usage: {} timed requests round robin over {} shapes (DAY over {days} days from {}, HOUR over {} days), one connection",
        args.requests,
        shapes.len(),
        z(from),
        args.hour_days
    );
    let cpu0 = CpuSample::take(&pids);
    let n = shapes.len();
    for i in 0..args.requests {
        let shape = &mut shapes[i % n];
        if sender.is_closed() {
            sender = target.connect().await?;
        }
        let req = target.request(Method::GET, &shape.path, &args.api_key, Bytes::new())?;
        let t0 = Instant::now();
        match target.send(&mut sender, req).await {
            Ok((StatusCode::OK, _)) => {
                let micros = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                shape.hist.saturating_record(micros.max(1));
            }
            Ok(_) | Err(_) => shape.errors += 1,
        }
    }
    let cpu1 = CpuSample::take(&pids);
    children.stop().await;
    if let Some(total) = total_requests {
        println!("    the DAY answer's `requests` meter adds up to {total} events");
        out.put("f.requests_total", total);
        if let Some(expect) = args.expect_requests
            && total != u128::from(expect)
        {
            println!("    WARNING: expected {expect}");
        }
    }
    println!(
        "    {:<18} {:>6} {:>9} {:>9} {:>9} {:>9} {:>10} {:>6}",
        "shape", "n", "p50 ms", "p95 ms", "max ms", "cold ms", "bytes", "errors"
    );
    for s in &shapes {
        let q = |v: f64| ms(s.hist.value_at_quantile(v));
        println!(
            "    {:<18} {:>6} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10} {:>6}",
            s.name,
            s.hist.len(),
            q(0.5),
            q(0.95),
            ms(s.hist.max()),
            s.cold_ms,
            s.bytes,
            s.errors
        );
        let k = |m: &str| format!("f.{}.{m}", s.name);
        out.put(&k("n"), s.hist.len());
        out.put(&k("p50_ms"), format!("{:.1}", q(0.5)));
        out.put(&k("p95_ms"), format!("{:.1}", q(0.95)));
        out.put(&k("max_ms"), format!("{:.1}", ms(s.hist.max())));
        out.put(&k("errors"), s.errors);
        out.put(&k("path"), &s.path);
    }
    out.cpu("f", cpu1.since(&cpu0), "serve");
    Ok(())
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

/// Checks the event templates and the fake's counting (what `cargo test --benches` runs).
fn self_check() -> Result<usize, BoxError> {
    let factory = EventFactory::new(7, 20)?;
    let batch = factory.batch(40, 50, 1_800_000_000);
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

fn invoked_for_load() -> bool {
    std::env::args().skip(1).any(|arg| {
        let flag = arg.split('=').next().unwrap_or_default();
        matches!(flag, "--mode" | "--help" | "-h")
    })
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
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("metering_load: tokio runtime: {e}");
            std::process::exit(2);
        }
    };
    let mut out = Results(Vec::new());
    let result = rt.block_on(async {
        match args.mode.as_deref() {
            Some("drain") => drain(&args, &mut out).await,
            Some("lag") => lag(&args, &mut out).await,
            Some("usage") => usage(&args, &mut out).await,
            other => Err(err(format!(
                "--mode must be drain, lag or usage, not {other:?}"
            ))),
        }
    });
    if let Err(e) = result.and_then(|()| out.write(args.results.as_ref())) {
        eprintln!("metering_load: {e}");
        std::process::exit(1);
    }
}
