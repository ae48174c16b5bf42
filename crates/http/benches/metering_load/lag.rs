//! `--mode lag`: drives `POST /v1/webhooks/litellm` of the child (`tollgate serve`, delivering
//! to the fake OpenMeter, or with `--target embedded_meter` to the embedded meters) open-loop
//! at `--rate` events/s in JSON-array batches of `--batch-size` LiteLLM events (the captured
//! 13 KB fixture, as `ingest_load` sends it), waits until the outbox is drained, then reads
//! p50/p90/p99/max of `delivered_at - created_at` over the rows created in the measured
//! window with `percentile_cont`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use hdrhistogram::Histogram;
use hyper::{Method, StatusCode};

use crate::args::Args;
use crate::children::Children;
use crate::db::{self, wait_all_delivered};
use crate::fake_openmeter::start_fake;
use crate::figures::{cpu_sample, new_hist, report_cpu};
use crate::support::events::{EventFactory, fresh_run_id, unix_seconds};
use crate::support::http::{Sender, Target, bearer};
use crate::support::latency::{self, ms};
use crate::support::results::Results;
use crate::{BoxError, err};

struct LagStats {
    hist: Histogram<u64>,
    requests: u64,
    events: u64,
    accepted: u64,
    errors: u64,
    samples: Vec<String>,
}

impl LagStats {
    fn error(&mut self, sample: String) {
        self.errors += 1;
        if self.samples.len() < 3 {
            self.samples.push(sample);
        }
    }

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

#[derive(serde::Deserialize)]
struct Ack {
    #[serde(default)]
    accepted: u64,
}

/// What the POST tasks share: where they post, the connections idle between two POSTs (the
/// open loop needs more than one when Tollgate is slower than the rate), and the figures.
/// Also `--mode recovery`'s.
pub(crate) struct Poster {
    target: Target,
    authorization: String,
    idle: Mutex<Vec<Sender>>,
    stats: Mutex<LagStats>,
}

impl Poster {
    pub(crate) fn new(target: Target, authorization: String) -> Self {
        Self {
            target,
            authorization,
            idle: Mutex::new(Vec::new()),
            stats: Mutex::new(LagStats {
                hist: new_hist(),
                requests: 0,
                events: 0,
                accepted: 0,
                errors: 0,
                samples: Vec::new(),
            }),
        }
    }

    /// Events acked 202 (of measured posts), and failed posts.
    pub(crate) fn counts(&self) -> (u64, u64) {
        self.stats
            .lock()
            .map_or((0, 0), |st| (st.events, st.errors))
    }

    /// Posts one batch of `events` on an idle connection or a new one; counted when `measured`.
    pub(crate) async fn post(&self, body: Bytes, events: u64, measured: bool) {
        let existing = self.idle.lock().ok().and_then(|mut p| p.pop());
        let mut sender = match existing {
            Some(s) if !s.is_closed() => s,
            _ => match self.target.connect().await {
                Ok(s) => s,
                Err(e) => {
                    if let Ok(mut st) = self.stats.lock() {
                        st.error(e);
                    }
                    return;
                }
            },
        };
        let t0 = Instant::now();
        let outcome = match self.target.request(
            Method::POST,
            "/v1/webhooks/litellm",
            &self.authorization,
            body,
        ) {
            Ok(req) => self.target.send(&mut sender, req).await,
            Err(e) => Err(e),
        };
        let elapsed = t0.elapsed();
        let Ok(mut st) = self.stats.lock() else {
            return;
        };
        match outcome {
            Ok((StatusCode::ACCEPTED, ack)) => {
                if measured {
                    st.requests += 1;
                    st.events += events;
                    latency::record(&mut st.hist, elapsed);
                    st.accepted += serde_json::from_slice::<Ack>(&ack).map_or(0, |a| a.accepted);
                }
                if let Ok(mut p) = self.idle.lock() {
                    p.push(sender);
                }
            }
            Ok((status, body)) => st.error(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
            Err(e) => st.error(e),
        }
    }
}

pub async fn lag(args: &Args, out: &mut Results) -> Result<(), BoxError> {
    let target = Target::parse(&args.url, Duration::from_secs_f64(args.timeout))?;
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
    children.wait_ready(&target).await?;
    let mut db = db::connect(&args.db_url).await?;
    let factory = EventFactory::new(fresh_run_id(), args.customers)?;
    let batch = args.batch_size.max(1);
    let period = Duration::from_secs_f64(batch as f64 / args.rate);
    println!(
        "lag: {} events/s = one {batch}-event JSON array ({:.1} MB) every {:.1} ms to {}/v1/webhooks/litellm, \
         target {}; {} s warm-up + {} s measured",
        args.rate,
        (factory.max_event_len() as u64 * batch) as f64 / 1e6,
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
    let poster = Arc::new(Poster::new(target, bearer(&args.secret)));
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
            cpu0 = Some(cpu_sample(&pids));
        }
        if now.duration_since(scheduled.into_std()) > period {
            late_ticks += 1;
        }
        let now_s = unix_seconds();
        let body = factory.batch(seq, batch, |_| now_s);
        seq += batch;
        let measured = now >= warm_end;
        let poster = poster.clone();
        tasks.push(tokio::spawn(async move {
            poster.post(body, batch, measured).await;
        }));
    }
    let window_to = Utc::now();
    let cpu1 = cpu_sample(&pids);
    for t in tasks {
        let _ = t.await;
    }
    let sent_done = Instant::now();
    let drained = wait_all_delivered(&mut db, &mut children, args).await;
    children.stop().await;
    let drained = drained?;
    let window_from = window_from.unwrap_or(window_to);
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    let lag = db::lag(&mut db, &args.target, &rfc(window_from), &rfc(window_to)).await?;
    let st = poster
        .stats
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
        report_cpu(out, "e", &cpu1.since(&cpu0), "serve");
    }
    Ok(())
}
