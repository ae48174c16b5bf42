#![allow(clippy::unwrap_used, reason = "test assertions")]

use std::str::FromStr;

use roxmltree::{Document, Node};
use rust_decimal::Decimal;

use super::*;

const TEXT: Text<'static> = Text {
    id: "cost",
    title: "Cost per day",
    desc: "LLM cost per day, stacked by model",
    empty: "No usage in this period",
};

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn days(n: usize) -> Vec<String> {
    (1..=n).map(|day| format!("2026-12-{day:02}")).collect()
}

/// Parses `svg` (panicking when it is not well-formed XML) and checks what every chart must
/// be: an image with its name and description, styled by classes only.
fn checked(svg: &str) -> Document<'_> {
    let document = Document::parse(svg).unwrap_or_else(|e| panic!("not XML ({e}): {svg}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(
        root.attribute("aria-labelledby"),
        Some("cost-title cost-desc")
    );
    let first: Vec<_> = root.children().filter(Node::is_element).take(2).collect();
    assert_eq!(first[0].tag_name().name(), "title");
    assert_eq!(first[0].attribute("id"), Some("cost-title"));
    assert_eq!(first[0].text(), Some(TEXT.title));
    assert_eq!(first[1].tag_name().name(), "desc");
    assert_eq!(first[1].text(), Some(TEXT.desc));
    for node in document.descendants().filter(Node::is_element) {
        assert_ne!(node.tag_name().name(), "style", "a <style> element");
        for forbidden in ["style", "fill", "stroke", "color"] {
            assert!(
                node.attribute(forbidden).is_none(),
                "{forbidden} attribute on <{}>",
                node.tag_name().name()
            );
        }
    }
    document
}

fn elements<'a>(document: &'a Document<'_>, name: &str) -> Vec<Node<'a, 'a>> {
    document
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .collect()
}

/// The `<title>` of each figure (every title but the chart's own).
fn point_titles(document: &Document<'_>) -> Vec<String> {
    elements(document, "title")
        .into_iter()
        .filter(|t| t.attribute("id").is_none())
        .map(|t| t.text().unwrap_or_default().to_owned())
        .collect()
}

fn has_class(node: &Node<'_, '_>, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split(' ').any(|c| c == class))
}

fn empty_message(document: &Document<'_>) -> Option<String> {
    elements(document, "text")
        .into_iter()
        .find(|t| has_class(t, "chart-empty"))
        .and_then(|t| t.text().map(str::to_owned))
}

#[test]
fn a_line_chart_titles_every_point_with_its_exact_figure() {
    let series = [
        Series::new("gpt-4o", vec![d("0.1"), d("0.2"), d("1234567.891")]),
        Series::new("claude", vec![d("12.50"), d("0"), d("0.30")]),
    ];
    for fill in [Fill::Line, Fill::Area] {
        let svg = line(&TEXT, &days(3), &series, fill);
        let document = checked(&svg);
        let titles = point_titles(&document);
        assert_eq!(titles.len(), 6, "{titles:?}");
        assert!(titles.contains(&"2026-12-01 · gpt-4o: 0.1".to_owned()));
        assert!(titles.contains(&"2026-12-03 · gpt-4o: 1,234,567.891".to_owned()));
        assert!(titles.contains(&"2026-12-01 · claude: 12.50".to_owned()));
        let paths = elements(&document, "path");
        let fills = paths.iter().filter(|p| has_class(p, "chart-fill")).count();
        assert_eq!(fills, if fill == Fill::Area { 2 } else { 0 });
        assert_eq!(
            paths
                .iter()
                .filter(|p| has_class(p, "chart-stroke"))
                .count(),
            2
        );
        assert!(empty_message(&document).is_none());
        // Both series in the legend, each with its own colour class.
        let legend: Vec<_> = elements(&document, "text")
            .into_iter()
            .filter(|t| has_class(t, "chart-legend-name"))
            .filter_map(|t| t.text().map(str::to_owned))
            .collect();
        assert_eq!(legend, ["gpt-4o", "claude"]);
        assert!(svg.contains("chart-series-0") && svg.contains("chart-series-1"));
    }
}

#[test]
fn axis_ticks_read_as_decimals_not_floats() {
    let series = [Series::new("", vec![d("0.25"), d("0.3")])];
    let svg = line(&TEXT, &days(2), &series, Fill::Line);
    let document = checked(&svg);
    let ticks: Vec<_> = elements(&document, "text")
        .into_iter()
        .filter(|t| has_class(t, "chart-tick"))
        .filter_map(|t| t.text().map(str::to_owned))
        .collect();
    assert_eq!(ticks, ["0", "0.1", "0.2", "0.3"]);
}

#[test]
fn empty_input_renders_the_message_and_nothing_else() {
    let documents = [
        line(&TEXT, &[], &[], Fill::Area),
        line(&TEXT, &days(3), &[], Fill::Line),
        stacked_bars(&TEXT, &[], &[Series::new("a", vec![])]),
        horizontal_bars(&TEXT, &[]),
        sparkline(&TEXT, &[], &[]),
    ];
    for svg in &documents {
        let document = checked(svg);
        assert_eq!(empty_message(&document).as_deref(), Some(TEXT.empty));
        assert!(point_titles(&document).is_empty(), "{svg}");
        assert!(elements(&document, "path").is_empty());
    }
}

#[test]
fn one_point_is_a_marker_without_a_line() {
    let one = [Series::new("gpt-4o", vec![d("42")])];
    let svg = line(&TEXT, &days(1), &one, Fill::Area);
    let document = checked(&svg);
    assert!(elements(&document, "path").is_empty());
    let points = elements(&document, "circle");
    assert_eq!(points.len(), 1);
    // In the middle of the plot, on the 42 of the axis.
    let cx: f64 = points[0].attribute("cx").unwrap().parse().unwrap();
    assert!((cx - (64.0 + 624.0) / 2.0).abs() < 1.0, "{cx}");
    assert_eq!(point_titles(&document), ["2026-12-01 · gpt-4o: 42"]);

    let svg = sparkline(&TEXT, &days(1), &[d("7.5")]);
    let document = checked(&svg);
    assert!(elements(&document, "polyline").is_empty());
    assert_eq!(point_titles(&document), ["2026-12-01: 7.5"]);
}

#[test]
fn all_zero_series_lie_on_the_baseline() {
    let zeros = [Series::new("gpt-4o", vec![Decimal::ZERO; 4])];
    let svg = line(&TEXT, &days(4), &zeros, Fill::Line);
    let document = checked(&svg);
    let baseline = elements(&document, "line")
        .into_iter()
        .find(|l| has_class(l, "chart-baseline"))
        .unwrap();
    let y = baseline.attribute("y1").unwrap();
    let points = elements(&document, "circle");
    assert_eq!(points.len(), 4);
    assert!(points.iter().all(|p| p.attribute("cy") == Some(y)));

    // Bars of zero are not drawn; their figures still are in the table.
    let svg = stacked_bars(&TEXT, &days(4), &zeros);
    let document = checked(&svg);
    assert!(
        elements(&document, "rect")
            .iter()
            .all(|r| !has_class(r, "chart-bar"))
    );
    assert!(empty_message(&document).is_none());
    let items = [("acme".to_owned(), Decimal::ZERO)];
    let svg = horizontal_bars(&TEXT, &items);
    let document = checked(&svg);
    assert!(elements(&document, "rect").is_empty());
    let figures: Vec<_> = elements(&document, "text")
        .into_iter()
        .filter(|t| has_class(t, "chart-row-value"))
        .filter_map(|t| t.text().map(str::to_owned))
        .collect();
    assert_eq!(figures, ["0"]);

    let svg = sparkline(&TEXT, &days(3), &[Decimal::ZERO; 3]);
    let document = checked(&svg);
    let points = elements(&document, "circle");
    let ys: Vec<_> = points.iter().map(|p| p.attribute("cy").unwrap()).collect();
    assert!(ys.windows(2).all(|w| w[0] == w[1]), "{ys:?}");
}

#[test]
fn stacked_bars_add_up_and_credits_go_below_zero() {
    let series = [
        Series::new("gpt-4o", vec![d("10"), d("5")]),
        Series::new("claude", vec![d("30"), d("-5")]),
    ];
    let svg = stacked_bars(&TEXT, &days(2), &series);
    let document = checked(&svg);
    let bars: Vec<_> = elements(&document, "rect")
        .into_iter()
        .filter(|r| has_class(r, "chart-bar"))
        .collect();
    assert_eq!(bars.len(), 4);
    let height = |r: &Node<'_, '_>| -> f64 { r.attribute("height").unwrap().parse().unwrap() };
    let y = |r: &Node<'_, '_>| -> f64 { r.attribute("y").unwrap().parse().unwrap() };
    // Day one: 30 sits on top of 10, three times as tall.
    assert!((height(&bars[1]) - 3.0 * height(&bars[0])).abs() < 0.5);
    assert!((y(&bars[1]) + height(&bars[1]) - y(&bars[0])).abs() < 0.2);
    // Day two: the credit hangs from the baseline, the charge stands on it.
    assert!(y(&bars[3]) >= y(&bars[2]) + height(&bars[2]) - 0.2);
    let titles = point_titles(&document);
    assert!(titles.contains(&"2026-12-02 · claude: -5".to_owned()));
}

#[test]
fn horizontal_bars_are_proportional_and_keep_the_order_given() {
    let items = [
        ("acme".to_owned(), d("200.00")),
        ("globex".to_owned(), d("50.00")),
    ];
    let svg = horizontal_bars(&TEXT, &items);
    let document = checked(&svg);
    let bars = elements(&document, "rect");
    let width = |r: &Node<'_, '_>| -> f64 { r.attribute("width").unwrap().parse().unwrap() };
    assert!((width(&bars[0]) - 4.0 * width(&bars[1])).abs() < 0.5);
    assert_eq!(point_titles(&document), ["acme: 200.00", "globex: 50.00"]);
}

#[test]
fn text_from_outside_is_escaped() {
    let hostile = "<script>alert('x')</script> & \"q\"\u{1}";
    let text = Text {
        id: "cost",
        title: TEXT.title,
        desc: TEXT.desc,
        empty: TEXT.empty,
    };
    let series = [Series::new(hostile, vec![d("1"), d("2")])];
    let categories = vec![hostile.to_owned(), "b".to_owned()];
    for svg in [
        line(&text, &categories, &series, Fill::Area),
        stacked_bars(&text, &categories, &series),
        horizontal_bars(&text, &[(hostile.to_owned(), d("1"))]),
        sparkline(&text, &categories, &[d("1"), d("2")]),
    ] {
        let document = checked(&svg);
        assert!(elements(&document, "script").is_empty());
        assert!(
            document
                .descendants()
                .filter_map(|n| n.text())
                .any(|t| t.contains("<script>alert('x')</script> & \"q\"")),
            "{svg}"
        );
    }
}

#[test]
fn tables_carry_the_same_figures() {
    let series = [
        Series::new("gpt-4o", vec![d("0.10"), d("1000")]),
        Series::new("claude", vec![d("0.20")]),
    ];
    let table = series_table("Day", "Total", &days(2), &series);
    assert_eq!(table.header, ["Day", "gpt-4o", "claude", "Total"]);
    assert_eq!(
        table.rows,
        [
            ["2026-12-01", "0.10", "0.20", "0.30"],
            ["2026-12-02", "1,000", "0", "1,000"],
        ]
    );
    let single = series_table("Day", "Total", &days(1), &series[..1]);
    assert_eq!(single.header, ["Day", "gpt-4o"]);
    let ranked = ranked_table("Customer", "Cost", &[("acme".to_owned(), d("-3.5"))]);
    assert_eq!(ranked.rows, [["acme", "-3.5"]]);
    assert!(series_table("Day", "Total", &[], &series).rows.is_empty());
}

#[test]
fn decimals_format_exactly_with_grouping() {
    let cases = [
        ("0", "0"),
        ("999", "999"),
        ("1000", "1,000"),
        ("-1234567.8900", "-1,234,567.8900"),
        ("0.30000000000000004", "0.30000000000000004"),
        ("100000", "100,000"),
    ];
    for (input, shown) in cases {
        assert_eq!(format_decimal(&d(input)), shown, "{input}");
    }
    assert_eq!(parse_values(&["1.5", "2"]).unwrap(), [d("1.5"), d("2")]);
    assert_eq!(parse_values(&["1.5", "NaN"]).unwrap_err(), "NaN");
}
