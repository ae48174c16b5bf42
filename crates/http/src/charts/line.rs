//! Line and area charts: one line per series over the categories (days, hours), each point a
//! marker with its figure as `<title>`.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::{
    Series, Text,
    format::format_decimal,
    frame::{Frame, WIDTH},
    series_class,
    svg::{Svg, coord, point_title},
};

/// Whether the area under each line is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    Line,
    Area,
}

/// An area or line chart of `series` over `categories`. No categories or no series: the
/// empty message instead. One category: a marker per series in the middle (no line to
/// draw). All zeros: flat lines on the baseline of a `0..1` axis.
pub fn line(text: &Text<'_>, categories: &[String], series: &[Series], fill: Fill) -> String {
    let kind = match fill {
        Fill::Line => "line",
        Fill::Area => "area",
    };
    let values = || {
        series
            .iter()
            .flat_map(|s| (0..categories.len()).map(move |i| s.at(i)))
    };
    let low = values().min().unwrap_or(Decimal::ZERO);
    let high = values().max().unwrap_or(Decimal::ZERO);
    let frame = Frame::new(series, low, high);
    let mut svg = Svg::open(kind, text, WIDTH, frame.height);
    if categories.is_empty() || series.is_empty() {
        return svg.empty(text, WIDTH, frame.height);
    }
    frame.axis(&mut svg);
    let x = |index: usize| {
        let (left, width) = frame.band(index, categories.len());
        left + width / 2.0
    };
    for (index, s) in series.iter().enumerate() {
        let class = series_class(index);
        svg.push(&format!("<g class=\"chart-series {class}\">"));
        let points: Vec<(f64, f64)> = (0..categories.len())
            .map(|i| (x(i), frame.y(s.at(i))))
            .collect();
        if points.len() > 1 {
            let path = polyline(&points);
            if fill == Fill::Area {
                let baseline = frame.y(Decimal::ZERO);
                let (first, last) = (points[0].0, points[points.len() - 1].0);
                svg.push(&format!(
                    "<path class=\"chart-fill\" d=\"{path} L{} {} L{} {} Z\"/>",
                    coord(last),
                    coord(baseline),
                    coord(first),
                    coord(baseline)
                ));
            }
            svg.push(&format!("<path class=\"chart-stroke\" d=\"{path}\"/>"));
        }
        for (i, (px, py)) in points.iter().enumerate() {
            let title = point_title(
                &categories[i],
                Some(s.name.as_str()),
                &format_decimal(&s.at(i)),
            );
            svg.point("chart-point", *px, *py, 3.0, &title);
        }
        svg.push("</g>");
    }
    frame.categories(&mut svg, categories);
    frame.legend(&mut svg, series);
    svg.finish()
}

/// `M x y L x y ...` through `points`.
fn polyline(points: &[(f64, f64)]) -> String {
    let mut path = String::with_capacity(points.len() * 16);
    for (index, (x, y)) in points.iter().enumerate() {
        let command = if index == 0 { 'M' } else { 'L' };
        let _ = write!(path, "{command}{} {} ", coord(*x), coord(*y));
    }
    path.trim_end().to_owned()
}
