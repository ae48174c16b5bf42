//! What one connection counts while it sends, merged per scenario.

use hdrhistogram::Histogram;
use serde::Deserialize;

use crate::support::latency;

/// Tollgate's answer to an accepted POST.
#[derive(Deserialize)]
pub struct Ack {
    #[serde(default)]
    pub accepted: u64,
    #[serde(default)]
    pub duplicates: u64,
    #[serde(default)]
    pub quarantined: u64,
}

pub struct Stats {
    pub hist: Histogram<u64>,
    pub requests: u64,
    pub events: u64,
    pub errors: u64,
    pub warmup_errors: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    /// 202s whose ack did not say what the scenario expects (all accepted / all duplicates).
    pub unexpected: u64,
    pub reconnects: u64,
    pub samples: Vec<String>,
}

impl Stats {
    pub fn new() -> Self {
        Self {
            // Up to 120 s.
            hist: latency::histogram(120_000_000),
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

    pub fn merge(&mut self, o: Stats) {
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

    pub fn error(&mut self, in_window: bool, what: impl FnOnce() -> String) {
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
