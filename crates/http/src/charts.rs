//! Charts for the dashboard, rendered on the server as SVG text: an area or line chart, stacked
//! bars, horizontal bars and a sparkline, each with the figures it shows as table rows.
//!
//! Pure functions, no I/O. The figures come in as exact decimals and every figure a person
//! reads (axis ticks, a point's `<title>`, the table) is formatted from the decimal itself;
//! only pixel positions go through `f64`. The SVG carries no `style` or colour attribute (the
//! page's CSP forbids inline styles, and dark mode must restyle it): everything is a CSS
//! class, a series' colour being `chart-series-<n>`. Words (title, description, the empty
//! state's message) are the caller's, from the page's message catalog.

mod axis;
mod bars;
mod format;
mod frame;
mod line;
mod sparkline;
mod svg;
mod table;

use rust_decimal::Decimal;

pub use self::{
    bars::{horizontal_bars, stacked_bars},
    format::{format_decimal, parse_values},
    line::{Fill, line},
    sparkline::sparkline,
    table::{Table, ranked_table, series_table},
};

/// The words of one chart: its accessible name and description, and what to show when there
/// is nothing to draw. `id` makes the `<title>`/`<desc>` ids unique on the page.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub empty: &'a str,
}

/// One named series: a value per category, in the categories' order. A category the series
/// has no value for (a shorter list) counts as zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Decimal>,
}

impl Series {
    pub fn new(name: impl Into<String>, values: Vec<Decimal>) -> Self {
        Self {
            name: name.into(),
            values,
        }
    }

    /// The value for category `index` (zero where the series stops short).
    fn at(&self, index: usize) -> Decimal {
        self.values.get(index).copied().unwrap_or(Decimal::ZERO)
    }
}

/// The rules for the classes the charts use, for the page's stylesheet to include.
pub const STYLESHEET: &str = include_str!("charts/charts.css");

/// How many colours the stylesheet defines (`chart-series-0` to `chart-series-7`); more
/// series reuse them in turn.
pub const PALETTE: usize = 8;

fn series_class(index: usize) -> String {
    format!("chart-series-{}", index % PALETTE)
}

#[cfg(test)]
mod tests;
