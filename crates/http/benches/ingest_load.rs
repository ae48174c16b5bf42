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

use std::collections::HashSet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};

const FIXTURE: &str =
    include_str!("../../../tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json");

/// Values in the fixture that get replaced per event (all fixed width).
const MARK_CALL_ID: &str = "110248f2-8818-4da2-8dfa-f63a49baf5c1";
const MARK_RESPONSE_ID: &str = "b91741d2-3f0a-4006-8161-c026d3edbdf4";
const MARK_CUSTOMER: &str = "cust-002";
const MARK_TIMESTAMP: &str = "1795625138";

/// Values in the fixture that get replaced per model variant.
const FIXTURE_MODEL: &str = "anthropic/claude-3-5-haiku-20241022";
const FIXTURE_GROUP: &str = "claude-haiku";
const FIXTURE_PROVIDER: &str = "\"anthropic\"";

struct Model {
    group: &'static str,
    litellm_model: &'static str,
    provider: &'static str,
}

/// Model groups as they appear in the captured fixtures (01, 09) plus `gpt-4o`.
const MODELS: &[Model] = &[
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

#[derive(Parser, Debug)]
#[command(
    name = "ingest_load",
    about = "Load generator for Tollgate's LiteLLM webhook"
)]
struct Args {
    /// Tollgate base URL (http only).
    #[arg(
        long,
        env = "TOLLGATE_BENCH_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    url: String,
    /// Webhook path.
    #[arg(long, default_value = "/v1/webhooks/litellm")]
    path: String,
    /// Webhook secret, sent as `Authorization: Bearer <secret>`.
    #[arg(long, env = "TOLLGATE_BENCH_SECRET", default_value = "")]
    secret: String,
    /// Scenarios to run, in order (a = batches, b = single events, c = duplicates).
    #[arg(long, env = "TOLLGATE_BENCH_SCENARIOS", default_value = "a,b,c")]
    scenarios: String,
    /// Measured seconds per scenario.
    #[arg(long, env = "TOLLGATE_BENCH_DURATION", default_value_t = 15.0)]
    duration: f64,
    /// Unmeasured warm-up seconds before each scenario's measured window.
    #[arg(long, env = "TOLLGATE_BENCH_WARMUP", default_value_t = 3.0)]
    warmup: f64,
    /// Idle seconds between scenarios.
    #[arg(long, default_value_t = 2.0)]
    pause: f64,
    /// Events per POST in scenario a.
    #[arg(long, default_value_t = 100)]
    batch_size: u64,
    /// Connections in scenario a.
    #[arg(long, env = "TOLLGATE_BENCH_BATCH_CONNS", default_value_t = 4)]
    batch_conns: usize,
    /// Connections in scenarios b and c.
    #[arg(long, env = "TOLLGATE_BENCH_SINGLE_CONNS", default_value_t = 64)]
    single_conns: usize,
    /// Distinct `end_user` values (cust-001 ...).
    #[arg(long, default_value_t = 20)]
    customers: u64,
    /// Stored events re-sent (round robin) in scenario c; seeded first if fewer exist.
    #[arg(long, default_value_t = 10_000)]
    dup_pool: u64,
    /// Per-request timeout in seconds (counts as an error).
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Tollgate's pid: report its CPU use and VmRSS/VmHWM per scenario.
    #[arg(long, env = "TOLLGATE_BENCH_SERVER_PID")]
    server_pid: Option<u32>,
    /// Also write the figures as `key=value` lines to this file.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print the body of event number SEQ (as sent in scenario b) and exit.
    #[arg(long, value_name = "SEQ")]
    dump_event: Option<u64>,
    /// Run a trivial receiver (202 + a plausible ack) on ADDR instead of generating load.
    #[arg(long, value_name = "ADDR")]
    serve_stub: Option<String>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

// ---------------------------------------------------------------------------
// Event bodies
// ---------------------------------------------------------------------------

/// Re-serialises pretty-printed JSON the way Python's `json.dumps` does by default
/// (LiteLLM's wire format): no newlines/indent, `", "` and `": "` separators.
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
                    "fixture no longer contains {mark:?}: update ingest_load.rs"
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

struct EventFactory {
    templates: Vec<Template>,
    run_id: u64,
    customers: u64,
    base_ts: u64,
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
    let raw = ((u128::from(hi)) << 64) | u128::from(lo);
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

impl EventFactory {
    fn new(run_id: u64, customers: u64) -> Result<Self, String> {
        if !(1..=999).contains(&customers) {
            return Err("--customers must be within 1..=999".into());
        }
        let compact = python_compact(FIXTURE);
        let templates = MODELS
            .iter()
            .map(|m| Template::new(&compact, m))
            .collect::<Result<Vec<_>, _>>()?;
        let base_ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        Ok(Self {
            templates,
            run_id,
            customers,
            base_ts,
        })
    }

    fn max_event_len(&self) -> usize {
        self.templates
            .iter()
            .map(|t| t.bytes.len())
            .max()
            .unwrap_or(0)
    }

    /// Appends event `seq` (deterministic: the same seq always yields the same bytes).
    fn write_event(&self, out: &mut Vec<u8>, seq: u64) {
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
        // Spread event times over the last ten minutes.
        let ts = self.base_ts - (seq.wrapping_mul(7919) % 600);
        for &at in &t.timestamp {
            write_decimal(&mut buf[at..at + 10], ts);
        }
    }

    fn single(&self, seq: u64) -> Bytes {
        let mut out = Vec::with_capacity(self.max_event_len());
        self.write_event(&mut out, seq);
        Bytes::from(out)
    }

    /// A JSON array of `n` events `first..first + n`, as LiteLLM's batch logger sends it.
    fn batch(&self, first: u64, n: u64) -> Bytes {
        let mut out = Vec::with_capacity((self.max_event_len() + 2) * n as usize + 2);
        out.push(b'[');
        for seq in first..first + n {
            if seq != first {
                out.extend_from_slice(b", ");
            }
            self.write_event(&mut out, seq);
        }
        out.push(b']');
        Bytes::from(out)
    }
}

// ---------------------------------------------------------------------------
// /proc sampling
// ---------------------------------------------------------------------------

/// utime + stime of a process, all threads, in clock ticks (USER_HZ, 100 on Linux).
fn proc_cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// utime + stime of every process named `postgres` (all clusters on the machine: other
/// users of a shared server count too).
fn postgres_cpu_ticks() -> Option<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
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
            total += proc_cpu_ticks(pid).unwrap_or(0);
        }
    }
    Some(total)
}

/// (busy, total) jiffies of the whole machine.
fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|s| s.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// A `/proc/<pid>/status` field in kB (e.g. `VmHWM`).
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct CpuSample {
    at: Instant,
    generator: Option<u64>,
    server: Option<u64>,
    postgres: Option<u64>,
    machine: Option<(u64, u64)>,
}

impl CpuSample {
    fn take(server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            generator: proc_cpu_ticks("self"),
            server: server_pid.and_then(|p| proc_cpu_ticks(&p.to_string())),
            postgres: postgres_cpu_ticks(),
            machine: machine_cpu(),
        }
    }
}

/// CPU use between two samples, in percent of one core (2 cores = 200 %).
struct CpuUse {
    generator: Option<f64>,
    server: Option<f64>,
    postgres: Option<f64>,
    machine: Option<f64>,
}

fn cpu_use(a: &CpuSample, b: &CpuSample, cores: f64) -> CpuUse {
    let secs = b.at.duration_since(a.at).as_secs_f64().max(1e-3);
    let pct = |x: Option<u64>, y: Option<u64>| Some(y?.saturating_sub(x?) as f64 / secs);
    let machine = match (a.machine, b.machine) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
            Some((b1 - b0) as f64 / (t1 - t0) as f64 * 100.0 * cores)
        }
        _ => None,
    };
    CpuUse {
        generator: pct(a.generator, b.generator),
        server: pct(a.server, b.server),
        postgres: pct(a.postgres, b.postgres),
        machine,
    }
}

// ---------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Batch,
    Single,
    Duplicate,
}

struct Target {
    addr: SocketAddr,
    host: String,
    path: String,
    auth: String,
    timeout: Duration,
}

/// Everything one scenario's connection tasks share.
struct Scenario {
    target: Arc<Target>,
    factory: Arc<EventFactory>,
    kind: Kind,
    batch_size: u64,
    next_seq: Arc<AtomicU64>,
    /// Stop allocating new events at this seq (seeding); `u64::MAX` otherwise.
    seq_limit: u64,
    dup_pool: Arc<Vec<Bytes>>,
    dup_next: AtomicU64,
    warm_end: Instant,
    end: Instant,
}

impl Scenario {
    /// The next body to send and how many events it carries; `None` when exhausted.
    fn next_body(&self) -> Option<(Bytes, u64)> {
        match self.kind {
            Kind::Batch => {
                let first = self.next_seq.fetch_add(self.batch_size, Ordering::Relaxed);
                if first >= self.seq_limit {
                    return None;
                }
                let n = self.batch_size.min(self.seq_limit - first);
                Some((self.factory.batch(first, n), n))
            }
            Kind::Single => {
                let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
                Some((self.factory.single(seq), 1))
            }
            Kind::Duplicate => {
                let i = self.dup_next.fetch_add(1, Ordering::Relaxed) % self.dup_pool.len() as u64;
                Some((self.dup_pool[i as usize].clone(), 1))
            }
        }
    }
}

#[derive(Deserialize)]
struct Ack {
    #[serde(default)]
    accepted: u64,
    #[serde(default)]
    duplicates: u64,
    #[serde(default)]
    quarantined: u64,
}

struct Stats {
    hist: Histogram<u64>,
    requests: u64,
    events: u64,
    errors: u64,
    warmup_errors: u64,
    accepted: u64,
    duplicates: u64,
    quarantined: u64,
    /// 202s whose ack did not say what the scenario expects (all accepted / all duplicates).
    unexpected: u64,
    reconnects: u64,
    samples: Vec<String>,
}

impl Stats {
    fn new() -> Self {
        Self {
            // 1 µs .. 120 s, 3 significant digits.
            hist: Histogram::new_with_bounds(1, 120_000_000, 3)
                .unwrap_or_else(|e| panic!("histogram bounds: {e}")),
            requests: 0,
            events: 0,
            errors: 0,
            warmup_errors: 0,
            accepted: 0,
            duplicates: 0,
            quarantined: 0,
            unexpected: 0,
            reconnects: 0,
            samples: Vec::new(),
        }
    }

    fn merge(&mut self, o: Stats) {
        let _ = self.hist.add(&o.hist);
        self.requests += o.requests;
        self.events += o.events;
        self.errors += o.errors;
        self.warmup_errors += o.warmup_errors;
        self.accepted += o.accepted;
        self.duplicates += o.duplicates;
        self.quarantined += o.quarantined;
        self.unexpected += o.unexpected;
        self.reconnects += o.reconnects;
        for s in o.samples {
            if self.samples.len() < 5 && !self.samples.contains(&s) {
                self.samples.push(s);
            }
        }
    }

    fn error(&mut self, in_window: bool, what: impl FnOnce() -> String) {
        if in_window {
            self.errors += 1;
        } else {
            self.warmup_errors += 1;
        }
        if self.samples.len() < 3 {
            self.samples.push(what());
        }
    }
}

type Sender = SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

fn request(target: &Target, method: Method, path: &str, body: Bytes) -> Request<Full<Bytes>> {
    let mut req = Request::new(Full::new(body));
    *req.method_mut() = method;
    *req.uri_mut() = path
        .parse()
        .unwrap_or_else(|e| panic!("bad --path {path:?}: {e}"));
    let h = req.headers_mut();
    h.insert(
        HOST,
        target
            .host
            .parse()
            .unwrap_or_else(|e| panic!("bad host: {e}")),
    );
    h.insert(
        AUTHORIZATION,
        target
            .auth
            .parse()
            .unwrap_or_else(|e| panic!("bad secret: {e}")),
    );
    h.insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    req
}

async fn send(
    sender: &mut Sender,
    req: Request<Full<Bytes>>,
    timeout: Duration,
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
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("timeout after {timeout:?}"))?
}

/// One keep-alive connection sending requests back to back until the scenario ends.
async fn connection_task(scn: Arc<Scenario>) -> Stats {
    let mut st = Stats::new();
    let mut sender: Option<Sender> = None;
    let mut connected_once = false;
    while Instant::now() < scn.end {
        if sender.as_ref().is_none_or(SendRequest::is_closed) {
            match connect(scn.target.addr).await {
                Ok(s) => {
                    if connected_once {
                        st.reconnects += 1;
                    }
                    connected_once = true;
                    sender = Some(s);
                }
                Err(e) => {
                    sender = None;
                    st.error(Instant::now() >= scn.warm_end, || e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        let Some(s) = sender.as_mut() else { continue };
        let Some((body, n)) = scn.next_body() else {
            break;
        };
        let req = request(&scn.target, Method::POST, &scn.target.path, body);
        let t0 = Instant::now();
        let outcome = send(s, req, scn.target.timeout).await;
        let t1 = Instant::now();
        let in_window = t1 >= scn.warm_end && t1 < scn.end;
        match outcome {
            Ok((StatusCode::ACCEPTED, ack)) => {
                if !in_window {
                    continue;
                }
                st.requests += 1;
                st.events += n;
                let micros = u64::try_from(t1.duration_since(t0).as_micros()).unwrap_or(u64::MAX);
                st.hist.saturating_record(micros.max(1));
                match serde_json::from_slice::<Ack>(&ack) {
                    Ok(a) => {
                        st.accepted += a.accepted;
                        st.duplicates += a.duplicates;
                        st.quarantined += a.quarantined;
                        let expected = match scn.kind {
                            Kind::Duplicate => a.duplicates == n,
                            Kind::Batch | Kind::Single => a.accepted == n,
                        };
                        if !expected {
                            st.unexpected += 1;
                            if st.samples.len() < 3 {
                                st.samples.push(format!(
                                    "202 with unexpected ack: {}",
                                    String::from_utf8_lossy(&ack[..ack.len().min(300)])
                                ));
                            }
                        }
                    }
                    Err(_) => st.unexpected += 1,
                }
            }
            Ok((status, body)) => {
                if in_window {
                    st.requests += 1;
                }
                st.error(in_window, || {
                    format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    )
                });
            }
            Err(e) => {
                sender = None;
                st.error(in_window, || e);
            }
        }
    }
    st
}

struct Outcome {
    stats: Stats,
    window: f64,
    cpu: CpuUse,
    rss_kb: Option<u64>,
    hwm_kb: Option<u64>,
}

#[allow(clippy::too_many_arguments)]
async fn run_scenario(
    target: &Arc<Target>,
    factory: &Arc<EventFactory>,
    next_seq: &Arc<AtomicU64>,
    kind: Kind,
    conns: usize,
    batch_size: u64,
    seq_limit: u64,
    dup_pool: Arc<Vec<Bytes>>,
    warmup: Duration,
    duration: Duration,
    server_pid: Option<u32>,
) -> Outcome {
    let start = Instant::now();
    let scn = Arc::new(Scenario {
        target: target.clone(),
        factory: factory.clone(),
        kind,
        batch_size,
        next_seq: next_seq.clone(),
        seq_limit,
        dup_pool,
        dup_next: AtomicU64::new(0),
        warm_end: start + warmup,
        end: start + warmup + duration,
    });
    let tasks: Vec<_> = (0..conns)
        .map(|_| tokio::spawn(connection_task(scn.clone())))
        .collect();
    tokio::time::sleep_until(scn.warm_end.into()).await;
    let cpu0 = CpuSample::take(server_pid);
    // Seeding (bounded by seq_limit) ends when its events are sent, not at `end`.
    let bounded = seq_limit != u64::MAX;
    if !bounded {
        tokio::time::sleep_until(scn.end.into()).await;
    }
    let mut cpu1 = CpuSample::take(server_pid);
    let mut stats = Stats::new();
    for t in tasks {
        match t.await {
            Ok(s) => stats.merge(s),
            Err(e) => stats.error(true, || format!("connection task failed: {e}")),
        }
    }
    if bounded {
        cpu1 = CpuSample::take(server_pid);
    }
    let window = cpu1.at.duration_since(cpu0.at).as_secs_f64();
    Outcome {
        stats,
        window,
        cpu: cpu_use(&cpu0, &cpu1, cores()),
        rss_kb: server_pid.and_then(|p| proc_status_kb(p, "VmRSS")),
        hwm_kb: server_pid.and_then(|p| proc_status_kb(p, "VmHWM")),
    }
}

fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}%"))
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or_else(
        || "n/a".to_string(),
        |kb| format!("{:.1} MB", kb as f64 / 1024.0),
    )
}

fn report(name: &str, label: &str, o: &Outcome, results: &mut Vec<String>) {
    let s = &o.stats;
    let eps = s.events as f64 / o.window;
    let (p50, p90, p99, p999, max) = if s.hist.is_empty() {
        (0, 0, 0, 0, 0)
    } else {
        (
            s.hist.value_at_quantile(0.50),
            s.hist.value_at_quantile(0.90),
            s.hist.value_at_quantile(0.99),
            s.hist.value_at_quantile(0.999),
            s.hist.max(),
        )
    };
    println!(
        "scenario {name}: {label}: {eps:.0} events/s, p50 {:.1} ms, p99 {:.1} ms, errors {}",
        ms(p50),
        ms(p99),
        s.errors
    );
    println!(
        "    {:.1} s measured, {} requests ({:.0}/s), p90 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms; \
         ack: accepted {}, duplicates {}, quarantined {}, unexpected {}; \
         warm-up errors {}, reconnects {}",
        o.window,
        s.requests,
        s.requests as f64 / o.window,
        ms(p90),
        ms(p999),
        ms(max),
        s.accepted,
        s.duplicates,
        s.quarantined,
        s.unexpected,
        s.warmup_errors,
        s.reconnects
    );
    println!(
        "    cpu ({:.0}% = all cores): generator {}, server {}, postgres {}, whole machine {}; \
         server VmRSS {}, VmHWM {}",
        cores() * 100.0,
        pct(o.cpu.generator),
        pct(o.cpu.server),
        pct(o.cpu.postgres),
        pct(o.cpu.machine),
        mb(o.rss_kb),
        mb(o.hwm_kb)
    );
    for sample in &s.samples {
        println!("    e.g. {sample}");
    }
    let mut kv = |k: &str, v: String| results.push(format!("{name}.{k}={v}"));
    kv("label", label.to_string());
    kv("events_per_s", format!("{eps:.0}"));
    kv(
        "requests_per_s",
        format!("{:.0}", s.requests as f64 / o.window),
    );
    kv("p50_ms", format!("{:.1}", ms(p50)));
    kv("p90_ms", format!("{:.1}", ms(p90)));
    kv("p99_ms", format!("{:.1}", ms(p99)));
    kv("max_ms", format!("{:.1}", ms(max)));
    kv("errors", s.errors.to_string());
    kv("warmup_errors", s.warmup_errors.to_string());
    kv("unexpected", s.unexpected.to_string());
    kv("accepted", s.accepted.to_string());
    kv("duplicates", s.duplicates.to_string());
    kv("quarantined", s.quarantined.to_string());
    kv(
        "cpu_generator_pct",
        format!("{:.0}", o.cpu.generator.unwrap_or(-1.0)),
    );
    kv(
        "cpu_server_pct",
        format!("{:.0}", o.cpu.server.unwrap_or(-1.0)),
    );
    kv(
        "cpu_postgres_pct",
        format!("{:.0}", o.cpu.postgres.unwrap_or(-1.0)),
    );
    kv(
        "cpu_machine_pct",
        format!("{:.0}", o.cpu.machine.unwrap_or(-1.0)),
    );
    kv("vmhwm_kb", o.hwm_kb.unwrap_or(0).to_string());
}

fn parse_url(url: &str) -> Result<(SocketAddr, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--url must start with http:// (got {url:?})"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let with_port = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority} resolves to nothing"))?;
    Ok((addr, authority.to_string()))
}

async fn load(args: Args) -> Result<(), String> {
    let (addr, host) = parse_url(&args.url)?;
    let target = Arc::new(Target {
        addr,
        host,
        path: args.path.clone(),
        auth: format!("Bearer {}", args.secret),
        timeout: Duration::from_secs_f64(args.timeout),
    });
    let run_id = splitmix64(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_nanos() as u64
            ^ u64::from(std::process::id()),
    );
    let factory = Arc::new(EventFactory::new(run_id, args.customers)?);
    let next_seq = Arc::new(AtomicU64::new(0));
    let warmup = Duration::from_secs_f64(args.warmup);
    let duration = Duration::from_secs_f64(args.duration);
    let scenarios: Vec<String> = args
        .scenarios
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = scenarios
        .iter()
        .find(|s| !matches!(s.as_str(), "a" | "b" | "c"))
    {
        return Err(format!("unknown scenario {bad:?} (use a, b, c)"));
    }

    // Pre-flight: is anybody answering?
    match connect(addr).await {
        Ok(mut s) => match send(
            &mut s,
            request(&target, Method::GET, "/readyz", Bytes::new()),
            target.timeout,
        )
        .await
        {
            Ok((status, _)) if status.is_success() => {}
            Ok((status, _)) => println!("warning: GET /readyz answered {status}"),
            Err(e) => println!("warning: GET /readyz failed: {e}"),
        },
        Err(e) => return Err(format!("{e}: is Tollgate running?")),
    }
    println!(
        "ingest_load: {} -> {}{}; events {} bytes (Python json.dumps layout, {} models, {} customers); \
         {} s warm-up + {} s measured per scenario",
        args.scenarios,
        args.url,
        args.path,
        factory.max_event_len(),
        MODELS.len(),
        args.customers,
        args.warmup,
        args.duration
    );

    let mut results = vec![format!("run_id={run_id:016x}")];
    let empty = Arc::new(Vec::new());
    for (i, name) in scenarios.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_secs_f64(args.pause)).await;
        }
        let (kind, conns, label, pool) = match name.as_str() {
            "a" => (
                Kind::Batch,
                args.batch_conns,
                format!(
                    "{}-event batches, {} conns",
                    args.batch_size, args.batch_conns
                ),
                empty.clone(),
            ),
            "b" => (
                Kind::Single,
                args.single_conns,
                format!("single events, {} conns", args.single_conns),
                empty.clone(),
            ),
            _ => {
                let stored = next_seq.load(Ordering::Relaxed);
                if stored < args.dup_pool {
                    let seed = args.dup_pool - stored;
                    println!("seeding {seed} events for scenario c ...");
                    let o = run_scenario(
                        &target,
                        &factory,
                        &next_seq,
                        Kind::Batch,
                        args.batch_conns.max(1),
                        args.batch_size,
                        args.dup_pool,
                        empty.clone(),
                        Duration::ZERO,
                        Duration::from_secs(600),
                        args.server_pid,
                    )
                    .await;
                    let s = &o.stats;
                    println!(
                        "    seeded in {:.1} s: accepted {}, duplicates {}, quarantined {}, errors {}",
                        o.window, s.accepted, s.duplicates, s.quarantined, s.errors
                    );
                    next_seq.store(args.dup_pool, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_secs_f64(args.pause)).await;
                }
                // Re-send stored events spread over everything sent so far (a's and b's).
                let stored = next_seq.load(Ordering::Relaxed);
                let n = args.dup_pool.min(stored).max(1);
                let pool: Vec<Bytes> = (0..n).map(|i| factory.single(i * stored / n)).collect();
                (
                    Kind::Duplicate,
                    args.single_conns,
                    format!("100% duplicate single events, {} conns", args.single_conns),
                    Arc::new(pool),
                )
            }
        };
        let o = run_scenario(
            &target,
            &factory,
            &next_seq,
            kind,
            conns,
            args.batch_size,
            u64::MAX,
            pool,
            warmup,
            duration,
            args.server_pid,
        )
        .await;
        report(name, &label, &o, &mut results);
    }
    if let Some(pid) = args.server_pid {
        let hwm = proc_status_kb(pid, "VmHWM");
        println!("server (pid {pid}) peak RSS (VmHWM): {}", mb(hwm));
        results.push(format!("vmhwm_kb={}", hwm.unwrap_or(0)));
    }
    if let Some(path) = &args.results {
        results.push(String::new());
        std::fs::write(path, results.join("\n")).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Stub receiver (measures the generator alone)
// ---------------------------------------------------------------------------

fn stub_ack(body: &[u8], seen: &Mutex<HashSet<[u8; 36]>>) -> String {
    const KEY: &[u8] = b"\"litellm_call_id\": \"";
    let mut seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (mut accepted, mut duplicates) = (0, 0);
    for at in find_all(body, KEY) {
        let start = at + KEY.len();
        let mut id = [0u8; 36];
        if let Some(src) = body.get(start..start + 36) {
            id.copy_from_slice(src);
        }
        if seen.insert(id) {
            accepted += 1;
        } else {
            duplicates += 1;
        }
    }
    format!(r#"{{"accepted":{accepted},"duplicates":{duplicates},"quarantined":0,"errors":[]}}"#)
}

async fn serve_stub(addr: &str) -> Result<(), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("bind {addr}: {e}"))?;
    println!(
        "stub receiver on {}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let seen = Arc::new(Mutex::new(HashSet::new()));
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let seen = seen.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let seen = seen.clone();
                async move {
                    let post = req.method() == Method::POST;
                    let body = req.into_body().collect().await?.to_bytes();
                    let (status, text) = if post {
                        (StatusCode::ACCEPTED, stub_ack(&body, &seen))
                    } else {
                        (StatusCode::OK, "ok".to_string())
                    };
                    let mut resp = Response::new(Full::new(Bytes::from(text)));
                    *resp.status_mut() = status;
                    Ok::<_, hyper::Error>(resp)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Whether we were asked to do something (`cargo bench`, run.sh, a person). `cargo test
/// --benches`/`--all-targets` also runs this binary, with no such flag (and maybe with test
/// harness flags it does not know): it then only checks the event templates, never sends load.
fn invoked_for_load() -> bool {
    std::env::var_os("TOLLGATE_BENCH_URL").is_some()
        || std::env::args().skip(1).any(|arg| {
            let flag = arg.split('=').next().unwrap_or_default();
            matches!(
                flag,
                "--bench" | "--url" | "--serve-stub" | "--dump-event" | "--help" | "-h"
            )
        })
}

/// Checks that the fixture still yields valid, unique, correctly rotated events.
fn self_check() -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failed = Vec::new();
    let mut check = |name: &str, result: Result<(), String>| match result {
        Ok(()) => passed += 1,
        Err(e) => failed.push(format!("{name}: {e}")),
    };
    let factory = match EventFactory::new(7, 20) {
        Ok(f) => f,
        Err(e) => return (0, vec![format!("templates: {e}")]),
    };
    check(
        "single events",
        (|| {
            let mut ids = HashSet::new();
            for seq in 0..400 {
                let body = factory.single(seq);
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
        })(),
    );
    check(
        "batch",
        (|| {
            let batch = factory.batch(100, 100);
            let v: Vec<serde_json::Value> =
                serde_json::from_slice(&batch).map_err(|e| e.to_string())?;
            let single: serde_json::Value =
                serde_json::from_slice(&factory.single(150)).map_err(|e| e.to_string())?;
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
        match EventFactory::new(0, args.customers) {
            Ok(f) => println!("{}", String::from_utf8_lossy(&f.single(seq))),
            Err(e) => {
                eprintln!("ingest_load: {e}");
                std::process::exit(2);
            }
        }
        return;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ingest_load: tokio runtime: {e}");
            std::process::exit(2);
        }
    };
    let result = match args.serve_stub.clone() {
        Some(addr) => rt.block_on(serve_stub(&addr)),
        None => rt.block_on(load(args)),
    };
    if let Err(e) = result {
        eprintln!("ingest_load: {e}");
        std::process::exit(1);
    }
}
