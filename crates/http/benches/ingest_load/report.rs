//! A scenario's figures: printed, and as `<scenario>.<key>=value` result lines.

use crate::scenario::Outcome;
use crate::support::latency::ms;
use crate::support::proc::cores;
use crate::support::results::Results;

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}%"))
}

pub fn mb(kb: Option<u64>) -> String {
    kb.map_or_else(
        || "n/a".to_string(),
        |kb| format!("{:.1} MB", kb as f64 / 1024.0),
    )
}

pub fn report(name: &str, label: &str, o: &Outcome, results: &mut Results) {
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
    let mut kv = |k: &str, v: String| results.put(&format!("{name}.{k}"), v);
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
    let or_minus_one = |v: Option<f64>| format!("{:.0}", v.unwrap_or(-1.0));
    kv("cpu_generator_pct", or_minus_one(o.cpu.generator));
    kv("cpu_server_pct", or_minus_one(o.cpu.server));
    kv("cpu_postgres_pct", or_minus_one(o.cpu.postgres));
    kv("cpu_machine_pct", or_minus_one(o.cpu.machine));
    kv("vmhwm_kb", o.hwm_kb.unwrap_or(0).to_string());
}
