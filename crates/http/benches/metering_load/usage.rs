//! `--mode usage`: times `GET /api/usage` of the child (`tollgate serve`, embedded meters) over
//! the rollups already in the database, round robin over the query shapes (a DAY window over
//! `--from`..`--to` and an HOUR window over the last `--hour-days`, each ungrouped, by every
//! `group_by`, for one customer, and for one customer by key), and prints p50/p95/max per
//! shape. With `--wait-pending` it first waits
//! for the child's embedded dispatcher to drain the outbox (the real-event cross-check that
//! `metering.sh` compares with the SQL-built rollups).

use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use hdrhistogram::Histogram;
use hyper::{Method, StatusCode};

use crate::args::Args;
use crate::children::Children;
use crate::db::{self, wait_all_delivered};
use crate::figures::{cpu_sample, new_hist, report_cpu};
use crate::support::http::{Target, bearer};
use crate::support::latency::{self, ms};
use crate::support::results::Results;
use crate::{BoxError, err};

struct Shape {
    name: String,
    path: String,
    hist: Histogram<u64>,
    bytes: usize,
    errors: u64,
    cold_ms: f64,
}

/// Sum of the `requests` meter's points in a /api/usage answer.
pub fn requests_total(body: &[u8]) -> Option<u128> {
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

pub async fn usage(args: &Args, out: &mut Results) -> Result<(), BoxError> {
    let target = Target::parse(&args.url, Duration::from_secs_f64(args.timeout))?;
    let authorization = bearer(&args.api_key);
    let from: DateTime<Utc> = DateTime::parse_from_rfc3339(&args.from)
        .map_err(|e| err(format!("--from: {e}")))?
        .into();
    let to: DateTime<Utc> = DateTime::parse_from_rfc3339(&args.to)
        .map_err(|e| err(format!("--to: {e}")))?
        .into();
    let hour_from = to - chrono::Duration::days(args.hour_days);
    let z = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let day = format!("/api/usage?from={}&to={}&window=DAY", z(from), z(to));
    let hour = format!("/api/usage?from={}&to={}&window=HOUR", z(hour_from), z(to));
    let days = (to - from).num_days();
    let mut shapes: Vec<Shape> = [("day", &day), ("hour", &hour)]
        .into_iter()
        .flat_map(|(window, base)| {
            let group = |g: &str| (format!("{window}_by_{g}"), format!("{base}&group_by={g}"));
            [
                (format!("{window}_total"), base.clone()),
                group("model"),
                group("customer"),
                group("key"),
                group("team"),
                group("provider"),
                group("status"),
                (
                    format!("{window}_one_customer"),
                    format!("{base}&customer={}", args.customer),
                ),
                (
                    format!("{window}_one_customer_by_key"),
                    format!("{base}&customer={}&group_by=key", args.customer),
                ),
            ]
        })
        .collect::<Vec<_>>()
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
    children.wait_ready(&target).await?;
    if args.wait_pending {
        let mut db = db::connect(&args.db_url).await?;
        let backlog = db::pending(&mut db).await?;
        let t0 = Instant::now();
        let done = wait_all_delivered(&mut db, &mut children, args).await?;
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
        let req = target.request(Method::GET, &shape.path, &authorization, Bytes::new())?;
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
    let cpu0 = cpu_sample(&pids);
    let n = shapes.len();
    for i in 0..args.requests {
        let shape = &mut shapes[i % n];
        if sender.is_closed() {
            sender = target.connect().await?;
        }
        let req = target.request(Method::GET, &shape.path, &authorization, Bytes::new())?;
        let t0 = Instant::now();
        match target.send(&mut sender, req).await {
            Ok((StatusCode::OK, _)) => {
                latency::record(&mut shape.hist, t0.elapsed());
            }
            Ok(_) | Err(_) => shape.errors += 1,
        }
    }
    let cpu1 = cpu_sample(&pids);
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
        "    {:<26} {:>6} {:>9} {:>9} {:>9} {:>9} {:>10} {:>6}",
        "shape", "n", "p50 ms", "p95 ms", "max ms", "cold ms", "bytes", "errors"
    );
    for s in &shapes {
        let q = |v: f64| ms(s.hist.value_at_quantile(v));
        println!(
            "    {:<26} {:>6} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10} {:>6}",
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
    report_cpu(out, "f", &cpu1.since(&cpu0), "serve");
    Ok(())
}
