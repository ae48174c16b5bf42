//! A sparkline: the trend of one figure in a card, no axis, a marker per value carrying its
//! figure as `<title>`.

use rust_decimal::Decimal;

use super::{
    Text,
    axis::Scale,
    format::format_decimal,
    svg::{Svg, coord, point_title},
};

const WIDTH: f64 = 120.0;
const HEIGHT: f64 = 32.0;
const PAD: f64 = 3.0;

/// `values` (labelled by `labels`, the same length: a missing label is left blank) as a line.
/// Empty: the empty message. One value: a single marker. All equal (zeros included): a flat
/// line across the bottom.
pub fn sparkline(text: &Text<'_>, labels: &[String], values: &[Decimal]) -> String {
    let mut svg = Svg::open("sparkline", text, WIDTH, HEIGHT);
    if values.is_empty() {
        return svg.empty(text, WIDTH, HEIGHT);
    }
    let low = values.iter().copied().min().unwrap_or(Decimal::ZERO);
    let high = values.iter().copied().max().unwrap_or(Decimal::ZERO);
    // Its own range, not from zero: a sparkline shows the trend.
    let scale = Scale {
        min: low,
        max: if low == high {
            low + Decimal::ONE
        } else {
            high
        },
        ticks: Vec::new(),
    };
    let step = if values.len() > 1 {
        (WIDTH - 2.0 * PAD) / (values.len() - 1) as f64
    } else {
        0.0
    };
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let x = if values.len() > 1 {
                PAD + step * index as f64
            } else {
                WIDTH / 2.0
            };
            (x, scale.position(*value, HEIGHT - PAD, PAD))
        })
        .collect();
    if points.len() > 1 {
        let list: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", coord(*x), coord(*y)))
            .collect();
        svg.push(&format!(
            "<polyline class=\"chart-stroke\" points=\"{}\"/>",
            list.join(" ")
        ));
    }
    for (index, ((x, y), value)) in points.iter().zip(values).enumerate() {
        let label = labels.get(index).map_or("", String::as_str);
        svg.point(
            "chart-point",
            *x,
            *y,
            1.5,
            &point_title(label, None, &format_decimal(value)),
        );
    }
    svg.finish()
}
