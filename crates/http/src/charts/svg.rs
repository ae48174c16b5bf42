//! Writing SVG text: escaping, the accessible frame every chart shares, coordinates.

use std::fmt::Write as _;

use super::Text;

/// `text` safe inside an element or a double- or single-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            // Not allowed in XML 1.0 at all: dropped rather than breaking the document.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// A coordinate with one decimal: enough for a pixel grid, and short.
pub fn coord(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    // `-0` would read oddly in the markup.
    if rounded == 0.0 {
        "0".to_owned()
    } else {
        format!("{rounded}")
    }
}

/// A chart being written: the `<svg>` element with its accessible name and description
/// (`role="img"`, `aria-labelledby` the `<title>` and `<desc>`), closed by [`Svg::finish`].
pub struct Svg {
    out: String,
}

impl Svg {
    pub fn open(kind: &str, text: &Text<'_>, width: f64, height: f64) -> Self {
        let id = escape(text.id);
        let mut out = String::with_capacity(4096);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-{kind}\" \
             viewBox=\"0 0 {} {}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\
             <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
            coord(width),
            coord(height),
            escape(text.title),
            escape(text.desc),
        );
        Self { out }
    }

    /// Appends markup already escaped.
    pub fn push(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// `<text>` at (x, y) with `class`, its content escaped.
    pub fn text(&mut self, class: &str, x: f64, y: f64, content: &str) {
        let _ = write!(
            self.out,
            "<text class=\"{class}\" x=\"{}\" y=\"{}\">{}</text>",
            coord(x),
            coord(y),
            escape(content)
        );
    }

    /// A horizontal line from `x1` to `x2` at `y`.
    pub fn hline(&mut self, class: &str, x1: f64, x2: f64, y: f64) {
        let _ = write!(
            self.out,
            "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            coord(x1),
            coord(y),
            coord(x2),
            coord(y)
        );
    }

    /// A rectangle with a `<title>` (its figure, for a pointer or a screen reader).
    pub fn rect(&mut self, class: &str, x: f64, y: f64, width: f64, height: f64, title: &str) {
        let _ = write!(
            self.out,
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
            coord(x),
            coord(y),
            coord(width.max(0.0)),
            coord(height.max(0.0)),
            escape(title)
        );
    }

    /// A point's marker with its `<title>`.
    pub fn point(&mut self, class: &str, x: f64, y: f64, radius: f64, title: &str) {
        let _ = write!(
            self.out,
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"{}\"><title>{}</title></circle>",
            coord(x),
            coord(y),
            coord(radius),
            escape(title)
        );
    }

    /// The message shown instead of a chart when there is nothing to draw, centred.
    pub fn empty(mut self, text: &Text<'_>, width: f64, height: f64) -> String {
        self.text("chart-empty", width / 2.0, height / 2.0, text.empty);
        self.finish()
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// A figure's `<title>`: `<category> · <series>: <value>` (no words of ours to translate).
pub fn point_title(category: &str, series: Option<&str>, value: &str) -> String {
    match series {
        Some(series) if !series.is_empty() => format!("{category} · {series}: {value}"),
        _ => format!("{category}: {value}"),
    }
}
