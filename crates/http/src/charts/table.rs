//! The figures a chart draws, as the rows of the table printed beside it (for screen readers,
//! for copying, and for anyone who reads numbers rather than shapes).

use rust_decimal::Decimal;

use super::{Series, format::format_decimal};

/// A header row and body rows of formatted figures, ready for a template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A row per category: its label, then each series' figure. A last column with the row's
/// total when there is more than one series (`total` is the caller's word for it).
pub fn series_table(
    category_header: &str,
    total: &str,
    categories: &[String],
    series: &[Series],
) -> Table {
    let with_total = series.len() > 1;
    let mut header = Vec::with_capacity(series.len() + 2);
    header.push(category_header.to_owned());
    header.extend(series.iter().map(|s| s.name.clone()));
    if with_total {
        header.push(total.to_owned());
    }
    let rows = categories
        .iter()
        .enumerate()
        .map(|(index, category)| {
            let mut row = Vec::with_capacity(header.len());
            row.push(category.clone());
            let mut sum = Decimal::ZERO;
            for s in series {
                let value = s.at(index);
                sum += value;
                row.push(format_decimal(&value));
            }
            if with_total {
                row.push(format_decimal(&sum));
            }
            row
        })
        .collect();
    Table { header, rows }
}

/// A row per item of a horizontal bar chart or a sparkline: label and figure.
pub fn ranked_table(label_header: &str, value_header: &str, items: &[(String, Decimal)]) -> Table {
    Table {
        header: vec![label_header.to_owned(), value_header.to_owned()],
        rows: items
            .iter()
            .map(|(label, value)| vec![label.clone(), format_decimal(value)])
            .collect(),
    }
}
