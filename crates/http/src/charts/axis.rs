//! The value axis: round ticks (1, 2 or 5 times a power of ten) computed in decimals, so a
//! tick reads `0.3`, never `0.30000000000000004`; positions in pixels are the only floats.

use rust_decimal::{Decimal, prelude::ToPrimitive};

/// Ticks wanted along an axis, about.
const TICKS: i64 = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    pub min: Decimal,
    pub max: Decimal,
    /// From `min` to `max`, evenly spaced, normalized (`0.5`, not `0.50`).
    pub ticks: Vec<Decimal>,
}

impl Scale {
    /// A scale covering `low..=high` and zero (bars and areas grow from zero). All zeros, or
    /// nothing at all, get `0..1` so a flat line sits on the baseline with a readable axis.
    pub fn covering(low: Decimal, high: Decimal) -> Self {
        let low = low.min(Decimal::ZERO);
        let high = high.max(Decimal::ZERO);
        let high = if low == high { Decimal::ONE } else { high };
        nice(low, high).unwrap_or_else(|| Self {
            min: low,
            max: high,
            ticks: vec![low.normalize(), high.normalize()],
        })
    }

    /// Where `value` sits between `bottom` (at `min`) and `top` (at `max`), in pixels.
    pub fn position(&self, value: Decimal, bottom: f64, top: f64) -> f64 {
        let span = (self.max - self.min).to_f64().unwrap_or(1.0);
        let offset = (value - self.min).to_f64().unwrap_or(0.0);
        let fraction = if span > 0.0 { offset / span } else { 0.0 };
        bottom + (top - bottom) * fraction.clamp(0.0, 1.0)
    }
}

/// `None` only when the arithmetic would overflow (figures beyond any real bill).
fn nice(low: Decimal, high: Decimal) -> Option<Scale> {
    let raw = high.checked_sub(low)?.checked_div(Decimal::from(TICKS))?;
    let exponent = raw.to_f64()?.log10().floor();
    let magnitude = power_of_ten(exponent.to_i32()?)?;
    let normalized = raw.checked_div(magnitude)?;
    let factor = [1, 2, 5, 10]
        .into_iter()
        .map(Decimal::from)
        .find(|factor| *factor >= normalized)
        .unwrap_or(Decimal::TEN);
    let step = magnitude.checked_mul(factor)?;
    let min = low.checked_div(step)?.floor().checked_mul(step)?;
    let max = high.checked_div(step)?.ceil().checked_mul(step)?;
    let mut ticks = Vec::new();
    let mut tick = min;
    while tick <= max && ticks.len() <= 2 * TICKS as usize + 2 {
        ticks.push(tick.normalize());
        tick = tick.checked_add(step)?;
    }
    Some(Scale { min, max, ticks })
}

fn power_of_ten(exponent: i32) -> Option<Decimal> {
    if exponent >= 0 {
        let exponent = u32::try_from(exponent).ok().filter(|e| *e <= 27)?;
        Some(Decimal::from_i128_with_scale(
            10_i128.checked_pow(exponent)?,
            0,
        ))
    } else {
        let scale = exponent.unsigned_abs();
        (scale <= 28).then(|| Decimal::new(1, scale))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test assertions")]

    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn ticks_are_round_decimals() {
        // In floats, 3 × 0.1 is 0.30000000000000004.
        let scale = Scale::covering(Decimal::ZERO, d("0.3"));
        let ticks: Vec<String> = scale.ticks.iter().map(ToString::to_string).collect();
        assert_eq!(ticks, ["0", "0.1", "0.2", "0.3"].map(String::from));
        let scale = Scale::covering(Decimal::ZERO, d("0.9"));
        let ticks: Vec<String> = scale.ticks.iter().map(ToString::to_string).collect();
        assert_eq!(ticks, ["0", "0.5", "1"].map(String::from));
        let scale = Scale::covering(Decimal::ZERO, d("1234.5"));
        assert_eq!(scale.max, d("1500"));
        assert_eq!(scale.ticks.first(), Some(&Decimal::ZERO));
    }

    #[test]
    fn all_zero_and_negative_ranges_are_usable() {
        let flat = Scale::covering(Decimal::ZERO, Decimal::ZERO);
        assert_eq!((flat.min, flat.max), (Decimal::ZERO, Decimal::ONE));
        assert_eq!(flat.position(Decimal::ZERO, 100.0, 0.0), 100.0);
        let credit = Scale::covering(d("-20"), d("35"));
        assert!(credit.min <= d("-20") && credit.max >= d("35"));
        assert!(credit.ticks.contains(&Decimal::ZERO));
    }
}
