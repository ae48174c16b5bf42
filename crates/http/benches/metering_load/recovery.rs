//! `--mode recovery`: the fault harness. The child (`tollgate serve`, default delivery
//! settings) delivers to the fake OpenMeter through a TCP proxy while this process posts
//! `--rate` events/s: `--warmup` s up, then the fake answers 503 for half of `--outage` and
//! the proxy refuses connections for the other half, then both are up for `--duration` s.
//! Figures: the rows waiting at recovery and how far ahead their retries were, the calls the
//! dead target got, the child's WARN lines during the outage, the time from recovery to the
//! first success, and from there until every row stored before recovery was delivered.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::args::Args;
use crate::children::Children;
use crate::db::{self, backlog, wait_all_delivered};
use crate::fake_openmeter::start_fake;
use crate::lag::Poster;
use crate::support::events::{EventFactory, fresh_run_id, unix_seconds};
use crate::support::http::{Target, bearer};
use crate::support::results::Results;
use crate::{BoxError, err};

/// Forwards to the fake; `down` cuts open connections and closes new ones on accept.
struct Proxy {
    addr: SocketAddr,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    refused: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(to: SocketAddr) -> Result<Self, BoxError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let proxy = Self {
            addr: listener.local_addr()?,
            down: Arc::default(),
            links: Arc::default(),
            refused: Arc::default(),
        };
        let (down, links, refused) = (
            proxy.down.clone(),
            proxy.links.clone(),
            proxy.refused.clone(),
        );
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if down.load(Ordering::SeqCst) {
                    refused.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(to).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                if let Ok(mut links) = links.lock() {
                    links.retain(|l| !l.is_finished());
                    links.push(link.abort_handle());
                }
            }
        });
        Ok(proxy)
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down && let Ok(mut links) = self.links.lock() {
            for link in links.drain(..) {
                link.abort();
            }
        }
    }
}

fn warn_lines(args: &Args) -> usize {
    args.child_log
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .map_or(0, |log| log.lines().filter(|l| l.contains("WARN")).count())
}

pub async fn recovery(args: &Args, out: &mut Results) -> Result<(), BoxError> {
    let target = Target::parse(&args.url, Duration::from_secs_f64(args.timeout))?;
    let (fake_addr, fake) = start_fake(&args.fake_bind).await?;
    let proxy = Proxy::start(fake_addr).await?;
    let env = vec![("TOLLGATE__OPENMETER__URL", format!("http://{}", proxy.addr))];
    let mut children = Children::spawn(args, &env)?;
    children.wait_ready(&target).await?;
    let mut db = db::connect(&args.db_url).await?;
    let factory = EventFactory::new(fresh_run_id(), args.customers)?;
    let poster = Arc::new(Poster::new(target, bearer(&args.secret)));
    let batch = args.batch_size.max(1);
    let period = Duration::from_secs_f64(batch as f64 / args.rate);
    let half = Duration::from_secs_f64(args.outage / 2.0);
    println!(
        "recovery: {} events/s in {batch}-event POSTs; {} s up, {} s of 503, {} s refused, \
         then {} s up",
        args.rate,
        args.warmup,
        half.as_secs_f64(),
        half.as_secs_f64(),
        args.duration
    );
    let start = Instant::now();
    let outage_from = start + Duration::from_secs_f64(args.warmup);
    let refused_from = outage_from + half;
    let recovered_at = refused_from + half;
    let end = recovered_at + Duration::from_secs_f64(args.duration);
    let mut ticker = tokio::time::interval(period);
    let (mut seq, mut tasks, mut tick) = (0, Vec::new(), 0u64);
    let (mut calls_before, mut warns_before) = (0, 0);
    let mut at_recovery = None;
    let (mut first_success, mut drained) = (None, None);
    let mut events_at_recovery = 0;
    let mut recovery_ts = String::new();
    loop {
        ticker.tick().await;
        let now = Instant::now();
        tick += 1;
        if now >= outage_from && calls_before == 0 && at_recovery.is_none() {
            calls_before = fake.requests.load(Ordering::Relaxed).max(1);
            warns_before = warn_lines(args);
            fake.failing.store(true, Ordering::SeqCst);
        }
        if now >= refused_from && !proxy.down.load(Ordering::SeqCst) && at_recovery.is_none() {
            proxy.set_down(true);
        }
        if now >= recovered_at && at_recovery.is_none() {
            recovery_ts = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
            let waiting = backlog(&mut db, &recovery_ts).await?;
            let calls = fake.requests.load(Ordering::Relaxed) - calls_before
                + proxy.refused.load(Ordering::Relaxed);
            at_recovery = Some((waiting, calls, warn_lines(args) - warns_before));
            events_at_recovery = fake.events.load(Ordering::Relaxed);
            fake.failing.store(false, Ordering::SeqCst);
            proxy.set_down(false);
        }
        if at_recovery.is_some() {
            if first_success.is_none() && fake.events.load(Ordering::Relaxed) > events_at_recovery {
                first_success = Some(now);
            }
            if first_success.is_some()
                && drained.is_none()
                && tick % 5 == 0
                && backlog(&mut db, &recovery_ts).await?.rows == 0
            {
                drained = Some(now);
            }
        }
        if now >= end {
            break;
        }
        let now_s = unix_seconds();
        let body = factory.batch(seq, batch, |_| now_s);
        seq += batch;
        let poster = poster.clone();
        tasks.push(tokio::spawn(async move {
            poster.post(body, batch, true).await;
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    while drained.is_none() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if backlog(&mut db, &recovery_ts).await?.rows == 0 {
            drained = Some(Instant::now());
        }
    }
    wait_all_delivered(&mut db, &mut children, args).await?;
    children.stop().await;
    let (waiting, calls, warns) = at_recovery.ok_or_else(|| err("never recovered"))?;
    let first_success = first_success.ok_or_else(|| err("no success after recovery"))?;
    let drained = drained.ok_or_else(|| err("not drained"))?;
    let (posted, errors) = poster.counts();
    let span = db::delivered_span(&mut db).await?;
    let lost = posted.saturating_sub(fake.distinct());
    let first_s = first_success.duration_since(recovered_at).as_secs_f64();
    let drain_s = drained.duration_since(first_success).as_secs_f64();
    println!(
        "recovery: at recovery {} rows waited, the furthest due {:.1} s ahead; during the {} s \
         outage the target got {calls} calls and the child logged {warns} WARN lines; first \
         success {first_s:.2} s after recovery, backlog delivered {drain_s:.2} s after it; \
         {posted} events posted ({errors} failed POSTs), {lost} not in OpenMeter, {} dead",
        waiting.rows, waiting.ahead_s, args.outage, span.dead
    );
    out.put("i.rate", args.rate);
    out.put("i.outage_s", args.outage);
    out.put("i.backlog", waiting.rows);
    out.put("i.ahead_s", format!("{:.1}", waiting.ahead_s));
    out.put("i.calls", calls);
    out.put("i.warn_lines", warns);
    out.put("i.first_success_s", format!("{first_s:.2}"));
    out.put("i.drain_s", format!("{drain_s:.2}"));
    out.put("i.posted", posted);
    out.put("i.errors", errors);
    out.put("i.lost", lost);
    out.put("i.dead", span.dead);
    Ok(())
}
