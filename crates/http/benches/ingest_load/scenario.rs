//! One scenario: `conns` keep-alive connections posting back to back for the warm-up and the
//! measured window; throughput and latencies count the requests that complete inside the
//! window. Any answer other than 202 (and any transport error or timeout) is an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, StatusCode};

use crate::events::Events;
use crate::stats::{Ack, Stats};
use crate::support::http::{Sender, Target};
use crate::support::latency;
use crate::support::proc::{CpuSample, CpuUse, postgres_cpu_ticks, proc_cpu_ticks};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Batch,
    Single,
    Duplicate,
}

/// Where the scenarios post, and with which `Authorization` value.
pub struct Webhook {
    pub target: Target,
    pub path: String,
    pub authorization: String,
}

/// Everything one scenario's connection tasks share.
struct Scenario {
    webhook: Arc<Webhook>,
    events: Arc<Events>,
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
                Some((self.events.batch(first, n), n))
            }
            Kind::Single => {
                let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
                Some((self.events.single(seq), 1))
            }
            Kind::Duplicate => {
                let i = self.dup_next.fetch_add(1, Ordering::Relaxed) % self.dup_pool.len() as u64;
                Some((self.dup_pool[i as usize].clone(), 1))
            }
        }
    }
}

/// One keep-alive connection sending requests back to back until the scenario ends.
async fn connection_task(scn: Arc<Scenario>) -> Stats {
    let mut st = Stats::new();
    let mut sender: Option<Sender> = None;
    let mut connected_once = false;
    let webhook = &scn.webhook;
    while Instant::now() < scn.end {
        if sender.as_ref().is_none_or(SendRequest::is_closed) {
            match webhook.target.connect().await {
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
        let req =
            match webhook
                .target
                .request(Method::POST, &webhook.path, &webhook.authorization, body)
            {
                Ok(req) => req,
                // Checked before the scenarios start: cannot happen.
                Err(e) => {
                    st.error(true, || e);
                    break;
                }
            };
        let t0 = Instant::now();
        let outcome = webhook.target.send(s, req).await;
        let t1 = Instant::now();
        let in_window = t1 >= scn.warm_end && t1 < scn.end;
        match outcome {
            Ok((StatusCode::ACCEPTED, ack)) => {
                if !in_window {
                    continue;
                }
                st.requests += 1;
                st.events += n;
                latency::record(&mut st.hist, t1.duration_since(t0));
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

pub struct Outcome {
    pub stats: Stats,
    /// Seconds measured.
    pub window: f64,
    pub cpu: CpuUse,
    pub rss_kb: Option<u64>,
    pub hwm_kb: Option<u64>,
}

fn cpu_sample(server_pid: Option<u32>) -> CpuSample {
    CpuSample::take(
        server_pid.and_then(|p| proc_cpu_ticks(&p.to_string())),
        postgres_cpu_ticks(proc_cpu_ticks),
    )
}

#[allow(clippy::too_many_arguments)]
pub async fn run_scenario(
    webhook: &Arc<Webhook>,
    events: &Arc<Events>,
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
        webhook: webhook.clone(),
        events: events.clone(),
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
    let cpu0 = cpu_sample(server_pid);
    // Seeding (bounded by seq_limit) ends when its events are sent, not at `end`.
    let bounded = seq_limit != u64::MAX;
    if !bounded {
        tokio::time::sleep_until(scn.end.into()).await;
    }
    let mut cpu1 = cpu_sample(server_pid);
    let mut stats = Stats::new();
    for t in tasks {
        match t.await {
            Ok(s) => stats.merge(s),
            Err(e) => stats.error(true, || format!("connection task failed: {e}")),
        }
    }
    if bounded {
        cpu1 = cpu_sample(server_pid);
    }
    Outcome {
        stats,
        window: cpu1.at.duration_since(cpu0.at).as_secs_f64(),
        cpu: cpu1.since(&cpu0),
        rss_kb: server_pid.and_then(|p| proc_status_kb(p, "VmRSS")),
        hwm_kb: server_pid.and_then(|p| proc_status_kb(p, "VmHWM")),
    }
}

/// A `/proc/<pid>/status` field in kB (e.g. `VmHWM`).
pub fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
