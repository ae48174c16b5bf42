//! The load run: a pre-flight `GET /readyz`, then the scenarios in the order asked for, each
//! reported as it ends (scenario c first seeds the events it re-sends when a and b did not
//! store enough of them).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use hyper::Method;

use crate::args::Args;
use crate::events::Events;
use crate::report::{mb, report};
use crate::scenario::{Kind, Webhook, proc_status_kb, run_scenario};
use crate::support::events::{MODELS, fresh_run_id};
use crate::support::http::{Target, bearer};
use crate::support::results::Results;

pub async fn load(args: Args) -> Result<(), String> {
    let webhook = Arc::new(Webhook {
        target: Target::parse(&args.url, Duration::from_secs_f64(args.timeout))?,
        path: args.path.clone(),
        authorization: bearer(&args.secret),
    });
    let target = &webhook.target;
    // A --path or --secret that cannot be sent fails here, not in every connection.
    target.request(
        Method::POST,
        &webhook.path,
        &webhook.authorization,
        Bytes::new(),
    )?;
    let run_id = fresh_run_id();
    let events = Arc::new(Events::new(run_id, args.customers)?);
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
    match target.connect().await {
        Ok(mut s) => {
            let readyz =
                target.request(Method::GET, "/readyz", &webhook.authorization, Bytes::new())?;
            match target.send(&mut s, readyz).await {
                Ok((status, _)) if status.is_success() => {}
                Ok((status, _)) => println!("warning: GET /readyz answered {status}"),
                Err(e) => println!("warning: GET /readyz failed: {e}"),
            }
        }
        Err(e) => return Err(format!("{e}: is Tollgate running?")),
    }
    println!(
        "ingest_load: {} -> {}{}; events {} bytes (Python json.dumps layout, {} models, {} customers); \
         {} s warm-up + {} s measured per scenario",
        args.scenarios,
        args.url,
        args.path,
        events.max_event_len(),
        MODELS.len(),
        args.customers,
        args.warmup,
        args.duration
    );

    let mut results = Results::default();
    results.put("run_id", format!("{run_id:016x}"));
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
                        &webhook,
                        &events,
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
                let pool: Vec<Bytes> = (0..n).map(|i| events.single(i * stored / n)).collect();
                (
                    Kind::Duplicate,
                    args.single_conns,
                    format!("100% duplicate single events, {} conns", args.single_conns),
                    Arc::new(pool),
                )
            }
        };
        let o = run_scenario(
            &webhook,
            &events,
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
        results.put("vmhwm_kb", hwm.unwrap_or(0));
    }
    results.write(args.results.as_deref())
}
