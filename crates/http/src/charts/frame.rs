//! The plot area shared by the line and stacked-bar charts: a value axis with grid lines on
//! the left, category labels below (thinned so they never overlap), the series' legend under
//! them.

use rust_decimal::Decimal;

use super::{
    Series,
    axis::Scale,
    format::format_decimal,
    series_class,
    svg::{Svg, escape},
};

pub const WIDTH: f64 = 640.0;
const PLOT_HEIGHT: f64 = 200.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
/// Room for the category labels under the plot.
const LABELS: f64 = 24.0;
const LEGEND_ROW: f64 = 20.0;
/// About how wide a character of a label is, to wrap the legend and thin the labels.
const CHAR: f64 = 7.0;
/// Category labels shown at most (every n-th one beyond that).
const MAX_LABELS: usize = 8;

pub struct Frame {
    pub scale: Scale,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub height: f64,
    legend: Vec<(f64, f64, usize)>,
}

impl Frame {
    /// A frame for `series` over values in `low..=high` (zero included).
    pub fn new(series: &[Series], low: Decimal, high: Decimal) -> Self {
        let legend = legend_layout(series);
        let rows = legend.last().map_or(0.0, |(_, y, _)| *y + 1.0);
        let bottom = TOP + PLOT_HEIGHT;
        Self {
            scale: Scale::covering(low, high),
            left: LEFT,
            right: WIDTH - RIGHT,
            top: TOP,
            bottom,
            height: bottom + LABELS + rows * LEGEND_ROW + 4.0,
            legend,
        }
    }

    pub fn y(&self, value: Decimal) -> f64 {
        self.scale.position(value, self.bottom, self.top)
    }

    /// The band of category `index` of `count`: its left edge and width.
    pub fn band(&self, index: usize, count: usize) -> (f64, f64) {
        let width = (self.right - self.left) / count.max(1) as f64;
        (self.left + width * index as f64, width)
    }

    /// Grid lines and tick labels of the value axis, and the zero baseline.
    pub fn axis(&self, svg: &mut Svg) {
        svg.push("<g class=\"chart-axis\" aria-hidden=\"true\">");
        for tick in &self.scale.ticks {
            let y = self.y(*tick);
            svg.hline("chart-grid", self.left, self.right, y);
            svg.text(
                "chart-tick",
                self.left - 6.0,
                y + 4.0,
                &format_decimal(tick),
            );
        }
        svg.hline(
            "chart-baseline",
            self.left,
            self.right,
            self.y(Decimal::ZERO),
        );
        svg.push("</g>");
    }

    /// The category labels under their bands, every n-th when there are many.
    pub fn categories(&self, svg: &mut Svg, categories: &[String]) {
        let every = categories.len().div_ceil(MAX_LABELS).max(1);
        svg.push("<g class=\"chart-categories\" aria-hidden=\"true\">");
        for (index, category) in categories.iter().enumerate() {
            if index % every != 0 {
                continue;
            }
            let (x, width) = self.band(index, categories.len());
            svg.text(
                "chart-category",
                x + width / 2.0,
                self.bottom + 16.0,
                category,
            );
        }
        svg.push("</g>");
    }

    /// A swatch and the name of each series (none for a lone unnamed series).
    pub fn legend(&self, svg: &mut Svg, series: &[Series]) {
        if self.legend.is_empty() {
            return;
        }
        svg.push("<g class=\"chart-legend\" aria-hidden=\"true\">");
        let base = self.bottom + LABELS + 4.0;
        for (x, row, index) in &self.legend {
            let y = base + row * LEGEND_ROW;
            let name = series.get(*index).map_or("", |s| s.name.as_str());
            svg.push(&format!(
                "<rect class=\"chart-swatch {}\" x=\"{}\" y=\"{}\" width=\"10\" height=\"10\"/>",
                series_class(*index),
                super::svg::coord(*x),
                super::svg::coord(y),
            ));
            svg.push(&format!(
                "<text class=\"chart-legend-name\" x=\"{}\" y=\"{}\">{}</text>",
                super::svg::coord(x + 14.0),
                super::svg::coord(y + 9.0),
                escape(name)
            ));
        }
        svg.push("</g>");
    }
}

/// (x, row, series index) of each legend entry, wrapped to the chart's width.
fn legend_layout(series: &[Series]) -> Vec<(f64, f64, usize)> {
    if series.len() < 2 && series.iter().all(|s| s.name.is_empty()) {
        return Vec::new();
    }
    let (mut x, mut row) = (LEFT, 0.0);
    let mut entries = Vec::with_capacity(series.len());
    for (index, s) in series.iter().enumerate() {
        let width = 14.0 + s.name.chars().count() as f64 * CHAR + 16.0;
        if x + width > WIDTH - RIGHT && x > LEFT {
            x = LEFT;
            row += 1.0;
        }
        entries.push((x, row, index));
        x += width;
    }
    entries
}
