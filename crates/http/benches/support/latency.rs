//! Latencies are recorded in microseconds (1 µs up to a bound each generator picks, 3
//! significant digits; longer ones count as the bound) and reported in milliseconds.

use std::time::Duration;

use hdrhistogram::Histogram;

pub fn histogram(highest_micros: u64) -> Histogram<u64> {
    Histogram::new_with_bounds(1, highest_micros, 3)
        .unwrap_or_else(|e| panic!("histogram bounds: {e}"))
}

pub fn record(hist: &mut Histogram<u64>, elapsed: Duration) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    hist.saturating_record(micros.max(1));
}

pub fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}
