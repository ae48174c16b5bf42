//! The table every document shows, an invoice's or a credit note's: one row per line, then
//! subtotal, tax and total.

use tollgate_domain::billing::{CreditNote, Currency, Invoice, InvoiceLine, Money, TaxRate};

use super::{
    format,
    layout::{BODY_SIZE, CELL_PADDING_MM, GREY, SMALL_SIZE},
    page::{Align, Block, Faces, Pages, Span, Style, mm},
};

/// The figures a document tabulates, an invoice's or a credit note's: its lines and totals.
pub(super) struct Figures<'a> {
    lines: &'a [InvoiceLine],
    currency: Currency,
    tax_rate: TaxRate,
    subtotal: Money,
    tax: Money,
    total: Money,
    /// The lines' words.
    describe: &'a dyn Fn(&InvoiceLine) -> String,
}

impl<'a> Figures<'a> {
    pub(super) fn of_invoice(invoice: &'a Invoice) -> Self {
        Self {
            lines: invoice.lines(),
            currency: invoice.currency(),
            tax_rate: invoice.tax_rate(),
            subtotal: invoice.subtotal(),
            tax: invoice.tax(),
            total: invoice.total(),
            describe: &format::description,
        }
    }

    pub(super) fn of_credit_note(
        note: &'a CreditNote,
        describe: &'a dyn Fn(&InvoiceLine) -> String,
    ) -> Self {
        Self {
            lines: note.lines(),
            currency: note.currency(),
            tax_rate: note.tax_rate(),
            subtotal: note.subtotal(),
            tax: note.tax(),
            total: note.total(),
            describe,
        }
    }
}

/// One row per line under a header row, each line's own period under its description; the
/// header starts every page the table continues on.
pub(super) fn lines(faces: &Faces<'_>, span: Span, figures: &Figures<'_>, pages: &mut Pages) {
    let currency = figures.currency;
    let columns = span
        .columns([14.0, 6.0, 7.0, 6.0])
        .map(|c| c.inset(mm(CELL_PADDING_MM)));
    let [description_column, ..] = columns;
    let row = |first: Block, style: Style, figures: [&str; 3]| {
        let figures = columns[1..]
            .iter()
            .zip(figures)
            .map(|(column, text)| Block::text(faces, *column, style, Align::Right, text));
        Block::beside(std::iter::once(first).chain(figures)).padded(mm(CELL_PADDING_MM))
    };
    let bold = Style::new(BODY_SIZE).bold();
    let header = row(
        Block::text(faces, description_column, bold, Align::Left, "Description"),
        bold,
        [
            "Quantity",
            &format!("Unit price ({currency})"),
            &format!("Amount ({currency})"),
        ],
    )
    .ruled(span, 0.75, 0.0);
    let mut rows = figures
        .lines
        .iter()
        .map(|line| {
            row(
                description(faces, description_column, line, figures.describe),
                Style::new(BODY_SIZE),
                [
                    &format::quantity(line.quantity()),
                    &format::unit_price(line.unit_price(), currency),
                    &format::amount(line.amount()),
                ],
            )
            .ruled(span, 0.25, GREY)
        })
        .peekable();
    // The header never ends a page on its own.
    let first = rows.peek().map_or(0.0, Block::height);
    if !pages.fits(header.height() + first) {
        pages.break_page();
    }
    pages.place(header.clone());
    for row in rows {
        if !pages.fits(row.height()) {
            pages.break_page();
            pages.place(header.clone());
        }
        pages.place(row);
    }
}

fn description(
    faces: &Faces<'_>,
    span: Span,
    line: &InvoiceLine,
    describe: &dyn Fn(&InvoiceLine) -> String,
) -> Block {
    let period = Style::new(SMALL_SIZE).gray(GREY);
    let text = describe(line);
    Block::text(faces, span, Style::new(BODY_SIZE), Align::Left, &text).above(Block::text(
        faces,
        span,
        period,
        Align::Left,
        &format::period(line.period()),
    ))
}

/// Subtotal, tax and total (under `total_label`), right-aligned under the amounts.
pub(super) fn totals(
    faces: &Faces<'_>,
    span: Span,
    figures: &Figures<'_>,
    total_label: &str,
) -> Block {
    let rows = [
        ("Subtotal".to_owned(), figures.subtotal, false),
        (
            format!("Tax ({})", format::percent(figures.tax_rate)),
            figures.tax,
            false,
        ),
        (total_label.to_owned(), figures.total, true),
    ];
    let [labels, amounts] = span
        .columns([12.0, 6.0])
        .map(|c| c.inset(mm(CELL_PADDING_MM)));
    rows.into_iter()
        .fold(Block::default(), |block, (label, money, strong)| {
            let style = if strong {
                Style::new(BODY_SIZE).bold()
            } else {
                Style::new(BODY_SIZE)
            };
            block.above(
                Block::beside([
                    Block::text(faces, labels, style, Align::Right, &label),
                    Block::text(faces, amounts, style, Align::Right, &format::money(money)),
                ])
                .padded(mm(CELL_PADDING_MM)),
            )
        })
}
