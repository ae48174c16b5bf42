//! Stacked bars (cost per day by model) and horizontal bars (top customers, top models).

use rust_decimal::Decimal;

use super::{
    Series, Text,
    axis::Scale,
    format::format_decimal,
    frame::{Frame, WIDTH},
    series_class,
    svg::{Svg, point_title},
};

/// Room between bars, as a share of a category's band.
const GAP: f64 = 0.2;

/// One bar per category, the series stacked on it: positive values upward from zero,
/// negative ones (credits) downward, so a stack's height is what the parts add up to. Each
/// segment has its figure as `<title>`; a zero segment is not drawn. No categories or no
/// series: the empty message.
pub fn stacked_bars(text: &Text<'_>, categories: &[String], series: &[Series]) -> String {
    let (mut low, mut high) = (Decimal::ZERO, Decimal::ZERO);
    for index in 0..categories.len() {
        let (down, up) = stack_extent(series, index);
        low = low.min(down);
        high = high.max(up);
    }
    let frame = Frame::new(series, low, high);
    let mut svg = Svg::open("stacked-bars", text, WIDTH, frame.height);
    if categories.is_empty() || series.is_empty() {
        return svg.empty(text, WIDTH, frame.height);
    }
    frame.axis(&mut svg);
    for (index, category) in categories.iter().enumerate() {
        let (left, band) = frame.band(index, categories.len());
        let (x, width) = (left + band * GAP / 2.0, band * (1.0 - GAP));
        let (mut up, mut down) = (Decimal::ZERO, Decimal::ZERO);
        svg.push("<g class=\"chart-stack\">");
        for (position, s) in series.iter().enumerate() {
            let value = s.at(index);
            if value.is_zero() {
                continue;
            }
            let (from, to) = if value > Decimal::ZERO {
                let from = up;
                up += value;
                (from, up)
            } else {
                let from = down;
                down += value;
                (from, down)
            };
            let (y1, y2) = (frame.y(from), frame.y(to));
            let title = point_title(category, Some(&s.name), &format_decimal(&value));
            let class = format!("chart-bar {}", series_class(position));
            svg.rect(&class, x, y1.min(y2), width, (y1 - y2).abs(), &title);
        }
        svg.push("</g>");
    }
    frame.categories(&mut svg, categories);
    frame.legend(&mut svg, series);
    svg.finish()
}

/// The lowest and highest point of the stack for category `index`.
fn stack_extent(series: &[Series], index: usize) -> (Decimal, Decimal) {
    series
        .iter()
        .map(|s| s.at(index))
        .fold((Decimal::ZERO, Decimal::ZERO), |(down, up), value| {
            if value < Decimal::ZERO {
                (down + value, up)
            } else {
                (down, up + value)
            }
        })
}

const ROW: f64 = 28.0;
const BAR: f64 = 18.0;
const LABEL_WIDTH: f64 = 168.0;
const VALUE_WIDTH: f64 = 96.0;
const PAD: f64 = 8.0;

/// A bar per item, longest for the largest, in the order given (rank them first), its label
/// on the left and its figure on the right. All zeros: labels and figures with no bars.
/// Negative values draw leftward from the zero line.
pub fn horizontal_bars(text: &Text<'_>, items: &[(String, Decimal)]) -> String {
    let height = PAD * 2.0 + ROW * items.len().max(2) as f64;
    let mut svg = Svg::open("horizontal-bars", text, WIDTH, height);
    if items.is_empty() {
        return svg.empty(text, WIDTH, height);
    }
    let low = items.iter().map(|(_, v)| *v).min().unwrap_or(Decimal::ZERO);
    let high = items.iter().map(|(_, v)| *v).max().unwrap_or(Decimal::ZERO);
    // The bars fill the space: no rounding of the scale to ticks (there is no axis).
    let scale = Scale {
        min: low.min(Decimal::ZERO),
        max: if high.max(Decimal::ZERO) == low.min(Decimal::ZERO) {
            Decimal::ONE
        } else {
            high.max(Decimal::ZERO)
        },
        ticks: Vec::new(),
    };
    let (start, end) = (LABEL_WIDTH + PAD, WIDTH - VALUE_WIDTH - PAD);
    let zero = scale.position(Decimal::ZERO, start, end);
    for (index, (label, value)) in items.iter().enumerate() {
        let top = PAD + ROW * index as f64;
        let figure = format_decimal(value);
        svg.push("<g class=\"chart-row\">");
        svg.text("chart-row-label", LABEL_WIDTH, top + ROW / 2.0 + 4.0, label);
        let tip = scale.position(*value, start, end);
        if !value.is_zero() {
            svg.rect(
                &format!("chart-bar {}", series_class(0)),
                zero.min(tip),
                top + (ROW - BAR) / 2.0,
                (tip - zero).abs(),
                BAR,
                &point_title(label, None, &figure),
            );
        }
        svg.text("chart-row-value", end + PAD, top + ROW / 2.0 + 4.0, &figure);
        svg.push("</g>");
    }
    svg.finish()
}
