//! `make fuzz`: millions of generated and mutated webhook bodies through the LiteLLM decoder
//! on the stable toolchain (no nightly, so no cargo-fuzz here). Every input must decode
//! without a panic, and what comes out must be storable: no kept text with a NUL, no time
//! outside the plausible window, no negative count, quarantine content that is JSON without
//! a NUL escape. Prints the count and the rate.
//!
//! Usage: `cargo run --release -p tollgate-adapters --example fuzz_webhook_decoder -- [INPUTS]
//! [SEED]` (default 10,000,000 inputs, seed from the clock); a failing input is written to
//! `target/fuzz-failure.json` and the run exits 1.

use std::{
    io::Write,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use chrono::{TimeZone, Utc};
use tollgate_adapters::litellm::{CustomerFallback, DecodeOptions, decode_usage_body};
use tollgate_application::services::ingest::DecodedEvent;

const SAMPLES: [&[u8]; 9] = [
    include_bytes!("../../../tests/fixtures/litellm/01-usage-batch.json_array.body.json"),
    include_bytes!("../../../tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json"),
    include_bytes!("../../../tests/fixtures/litellm/03-usage-single.success-streaming.body.json"),
    include_bytes!("../../../tests/fixtures/litellm/04-usage-single.success-cache-hit.body.json"),
    include_bytes!(
        "../../../tests/fixtures/litellm/05-usage-single.failure-provider-500.body.json"
    ),
    include_bytes!("../../../tests/fixtures/litellm/06-usage-single.failure-auth-401.body.json"),
    include_bytes!(
        "../../../tests/fixtures/litellm/07-usage-single.fallback-failed-attempt.body.json"
    ),
    include_bytes!(
        "../../../tests/fixtures/litellm/08-usage-single.fallback-served-attempt.body.json"
    ),
    include_bytes!("../../../tests/fixtures/litellm/09-usage-batch.ndjson.body.ndjson"),
];

const FIELDS: [&str; 22] = [
    "litellm_call_id",
    "status",
    "end_user",
    "model_group",
    "model",
    "model_id",
    "custom_llm_provider",
    "call_type",
    "trace_id",
    "startTime",
    "endTime",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "response_cost",
    "cache_hit",
    "stream",
    "request_tags",
    "metadata",
    "error_information",
    "messages",
    "response",
];

/// JSON values (as text) that have broken decoders: NUL, unpaired surrogates, control
/// characters, numbers past i64 and Decimal, floats that round up, wrong types, nesting.
const HOSTILE: [&str; 34] = [
    r#""x\u0000y""#,
    r#""\ud800""#,
    r#""\udfff\ud800""#,
    r#""\ud83d\ude00""#,
    r#""\u0001\t\n""#,
    r#""""#,
    r#""   ""#,
    "null",
    "true",
    "false",
    "0",
    "-1",
    "-0",
    "1.5",
    "1e400",
    "-1e400",
    "1e-400",
    "99999999999999999999999999999999",
    "18446744073709551616",
    "9223372036854775808",
    "-9223372036854775809",
    "1764028802.9999998",
    "1764028802.9999993",
    "4102444800",
    "1.7640288e9",
    r#""1764028800""#,
    "[]",
    "{}",
    r#"["a","\u0000"]"#,
    r#"[null,1,"User-Agent: x"]"#,
    r#"{"user_api_key_hash":"\ud800"}"#,
    r#"{"error_code":"\u0000"}"#,
    "NaN",
    "-Infinity",
];

/// splitmix64: fast, and each worker's stream is reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn deep(rng: &mut Rng) -> String {
    let depth = 1 + rng.below(200);
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn hostile_value(rng: &mut Rng) -> String {
    match rng.below(20) {
        0 => deep(rng),
        1 => format!("\"{}\"", "m".repeat(rng.below(4096))),
        2 => format!("{}.{}", rng.next() % 2_000_000_000, rng.next()),
        _ => (*rng.pick(&HOSTILE)).to_owned(),
    }
}

/// An event of a few known fields, each normal or hostile.
fn generated_event(rng: &mut Rng) -> String {
    let mut fields = vec![
        r#""litellm_call_id":"c""#.to_owned(),
        r#""status":"success""#.to_owned(),
        r#""endTime":1764028800.5"#.to_owned(),
    ];
    for _ in 0..1 + rng.below(6) {
        let field = rng.pick(&FIELDS);
        let value = if *field == "metadata" && rng.below(2) == 0 {
            format!(
                r#"{{"user_api_key_hash":{},"user_api_key_alias":{},"user_api_key_team_id":{},"usage_object":{{"prompt_tokens_details":{{"cached_tokens":{}}}}}}}"#,
                hostile_value(rng),
                hostile_value(rng),
                hostile_value(rng),
                hostile_value(rng)
            )
        } else {
            hostile_value(rng)
        };
        fields.push(format!("\"{field}\":{value}"));
    }
    format!("{{{}}}", fields.join(","))
}

const TOKENS: [&[u8]; 16] = [
    b"\\u0000",
    b"\\ud800",
    b"NaN",
    b"1e400",
    b"\"",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b"null",
    b"\\",
    b"\n",
    b"-",
    b"99999999999999999999999",
];

/// A captured sample with a few byte-level edits.
fn mutated_sample(rng: &mut Rng) -> Vec<u8> {
    let mut body = rng.pick(&SAMPLES).to_vec();
    for _ in 0..1 + rng.below(4) {
        if body.is_empty() {
            break;
        }
        let at = rng.below(body.len());
        match rng.below(4) {
            0 => body[at] = rng.next() as u8,
            1 => {
                let token = rng.pick(&TOKENS);
                body.splice(at..at, token.iter().copied());
            }
            2 => {
                let end = (at + rng.below(64)).min(body.len());
                body.drain(at..end);
            }
            _ => body.truncate(at),
        }
    }
    body
}

fn input(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => mutated_sample(rng),
        1..=3 => {
            let events: Vec<String> = (0..1 + rng.below(4))
                .map(|_| generated_event(rng))
                .collect();
            format!("[{}]", events.join(",")).into_bytes()
        }
        4 | 5 => {
            let events: Vec<String> = (0..1 + rng.below(4))
                .map(|_| generated_event(rng))
                .collect();
            events.join("\n").into_bytes()
        }
        _ => generated_event(rng).into_bytes(),
    }
}

/// What a decoded body must satisfy for the store to take it.
fn check(body: &[u8], options: &DecodeOptions) -> Result<(), String> {
    let Ok(events) = decode_usage_body(body, options) else {
        return Ok(());
    };
    let oldest = options.received_at - options.max_event_age;
    let latest = options.received_at + options.max_clock_skew;
    for event in events {
        match event {
            DecodedEvent::Valid(e) => {
                let texts = [
                    Some(e.idempotency_key.as_str()),
                    e.customer.as_ref().map(|c| c.as_str()),
                    e.model_group.as_ref().map(|l| l.as_str()),
                    e.provider.as_ref().map(|l| l.as_str()),
                    e.provider_model.as_ref().map(|l| l.as_str()),
                    e.api_key_alias.as_ref().map(|l| l.as_str()),
                    e.team_id.as_ref().map(|l| l.as_str()),
                    e.call_type.as_ref().map(|l| l.as_str()),
                    e.trace_id.as_ref().map(|l| l.as_str()),
                ];
                if texts.iter().flatten().any(|t| t.contains('\0'))
                    || e.request_tags.iter().any(|t| t.as_str().contains('\0'))
                {
                    return Err("a kept text holds NUL".into());
                }
                if e.occurred_at < oldest || e.occurred_at > latest {
                    return Err(format!("implausible time kept: {}", e.occurred_at));
                }
                if e.cost.amount().is_sign_negative() {
                    return Err("negative cost kept".into());
                }
            }
            DecodedEvent::Rejected(r) => {
                if r.content.contains("\\u0000") {
                    return Err("quarantine content holds a NUL escape".into());
                }
                // As raw JSON: PostgreSQL's jsonb takes numbers (1e400) serde_json's f64 cannot.
                serde_json::from_str::<Box<serde_json::value::RawValue>>(&r.content)
                    .map_err(|e| format!("quarantine content is not JSON: {e}"))?;
            }
        }
    }
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let inputs: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let seed: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let options = DecodeOptions::new(
        CustomerFallback::User,
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("a date"),
    );
    // The panic hook would print every caught panic: the failing input is what matters.
    std::panic::set_hook(Box::new(|_| {}));
    let done = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let (options, done, failed) = (&options, &done, &failed);
            scope.spawn(move || {
                let mut rng = Rng(seed ^ worker.wrapping_mul(0xA076_1D64_78BD_642F));
                let share = inputs / workers + u64::from(worker < inputs % workers);
                for _ in 0..share {
                    if failed.load(Ordering::Relaxed) > 0 {
                        return;
                    }
                    let body = input(&mut rng);
                    let outcome = catch_unwind(AssertUnwindSafe(|| check(&body, options)))
                        .unwrap_or_else(|_| Err("panicked".into()));
                    if let Err(why) = outcome {
                        failed.fetch_add(1, Ordering::Relaxed);
                        let _ = std::fs::write("target/fuzz-failure.json", &body);
                        let _ = writeln!(
                            std::io::stderr(),
                            "fuzz: {why} (input in target/fuzz-failure.json, seed {seed})"
                        );
                        return;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let count = done.load(Ordering::Relaxed);
    let _ = writeln!(
        std::io::stdout(),
        "fuzz: {count} webhook bodies decoded in {elapsed:.1} s ({:.0} inputs/s, {workers} threads, seed {seed}), {} failures",
        count as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );
    if failed.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
