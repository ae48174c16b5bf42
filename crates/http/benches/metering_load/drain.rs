//! `--mode drain`: a backlog already in the outbox (`--expect` rows, built by SQL) is
//! delivered by the children (`tollgate worker`) to the fake OpenMeter inside this process;
//! timed from spawning them until no outbox row is pending. The count is only asked for once
//! the fake has seen every event (unless `--poll-db-always`), so that a `count(*)` over a
//! million rows every `--poll-ms` does not take CPU from the drain it measures.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::BoxError;
use crate::args::Args;
use crate::children::Children;
use crate::db::{self, wait_drained};
use crate::fake_openmeter::start_fake;
use crate::figures::{cpu_sample, report_cpu};
use crate::support::results::Results;

pub async fn drain(args: &Args, out: &mut Results) -> Result<(), BoxError> {
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
    let cpu0 = cpu_sample(&pids);
    let mut next_report = spawned + Duration::from_secs(5);
    let poll_always = args.poll_db_always;
    let fake_gate = fake.clone();
    let fake_progress = fake.clone();
    let outcome = wait_drained(
        &mut db,
        &mut children,
        args,
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
    let cpu1 = cpu_sample(&pids);
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
    report_cpu(out, "d", &cpu1.since(&cpu0), "worker");
    Ok(())
}
