//! The page: what goes where on an invoice or a receipt, in genpdf's elements.
//!
//! One A4 column, top to bottom: title, the document's facts (number, dates, status), seller
//! and buyer side by side, one table row per invoice line, the totals, a closing sentence.
//! Everything is synchronous and CPU-bound: the caller runs it off the async executor.

use genpdf::{
    Alignment, Document, Element, SimplePageDecorator,
    elements::{Break, FrameCellDecorator, LinearLayout, Paragraph, TableLayout},
    error::Error,
    fonts::{FontData, FontFamily},
    style::{Color, Style},
};
use tollgate_application::ports::{InvoiceDocument, Seller};
use tollgate_domain::billing::{Address, Customer, Invoice, InvoiceLine, InvoiceStatus};

use super::format::{self, Dates};

const MARGIN_MM: u8 = 18;
const TITLE_SIZE: u8 = 20;
const BODY_SIZE: u8 = 10;
const SMALL_SIZE: u8 = 8;
const CELL_PADDING_MM: u8 = 1;
const GREY: Color = Color::Greyscale(100);

/// Which document to lay out. Both show the invoice's lines and totals; a receipt adds when
/// it was paid and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Invoice,
    Receipt,
}

impl Kind {
    pub(super) fn title(self) -> &'static str {
        match self {
            Self::Invoice => "Invoice",
            Self::Receipt => "Receipt",
        }
    }
}

/// The whole PDF file.
///
/// # Errors
/// When genpdf cannot fit an element on a page or write the file.
pub(super) fn render(
    fonts: FontFamily<FontData>,
    document: &InvoiceDocument,
    kind: Kind,
) -> Result<Vec<u8>, Error> {
    let invoice = document.invoice();
    let dates = Dates::of(document.customer().timezone());
    let number = invoice
        .number()
        .map_or_else(|| "draft".to_owned(), ToString::to_string);

    let mut pdf = Document::new(fonts);
    pdf.set_title(format!("{} {number}", kind.title()));
    // No ICC profile or XMP metadata: smaller files, and nothing a reader of an invoice needs.
    pdf.set_minimal_conformance();
    pdf.set_font_size(BODY_SIZE);
    pdf.set_line_spacing(1.25);
    let mut decorator = SimplePageDecorator::new();
    decorator.set_margins(MARGIN_MM);
    pdf.set_page_decorator(decorator);

    let title = match (kind, invoice.status()) {
        (Kind::Invoice, InvoiceStatus::Draft) => "Invoice (draft)",
        (Kind::Invoice, InvoiceStatus::Voided) => "Invoice (void)",
        _ => kind.title(),
    };
    pdf.push(Paragraph::new(title).styled(Style::new().bold().with_font_size(TITLE_SIZE)));
    pdf.push(Break::new(0.5));
    pdf.push(facts(invoice, kind, &number, dates)?);
    pdf.push(Break::new(1));
    pdf.push(parties(document.seller(), document.customer())?);
    pdf.push(Break::new(1));
    pdf.push(lines(invoice)?);
    pdf.push(Break::new(0.5));
    pdf.push(totals(invoice)?);
    pdf.push(Break::new(1.5));
    pdf.push(Paragraph::new(closing(
        invoice,
        kind,
        &number,
        dates,
        document.seller(),
    )));

    let mut bytes = Vec::new();
    pdf.render(&mut bytes)?;
    Ok(bytes)
}

/// Label and value pairs: number, dates, period, status.
fn facts(invoice: &Invoice, kind: Kind, number: &str, dates: Dates) -> Result<TableLayout, Error> {
    let date_or =
        |at: Option<_>, missing: &str| at.map_or_else(|| missing.to_owned(), |at| dates.date(at));
    let issued = date_or(invoice.finalized_at(), "not issued");
    let period = format::invoice_period(invoice).map_or_else(String::new, format::period);
    let rows: Vec<(&str, String)> = match kind {
        Kind::Invoice => vec![
            ("Invoice number", number.to_owned()),
            ("Issue date", issued),
            ("Period", period),
            ("Status", status(invoice, dates)),
        ],
        Kind::Receipt => vec![
            ("Receipt for invoice", number.to_owned()),
            ("Invoice issued", issued),
            ("Period", period),
            ("Status", "Paid".to_owned()),
            ("Paid on", date_or(invoice.paid_at(), "not paid")),
            ("Amount paid", format::money(invoice.total())),
        ],
    };
    let mut table = TableLayout::new(vec![1, 3]);
    for (label, value) in rows {
        table
            .row()
            .element(Paragraph::new(label).styled(Style::new().with_color(GREY)))
            .element(Paragraph::new(value))
            .push()?;
    }
    Ok(table)
}

fn status(invoice: &Invoice, dates: Dates) -> String {
    let on = |at: Option<_>| at.map_or_else(String::new, |at| format!(" on {}", dates.date(at)));
    match invoice.status() {
        InvoiceStatus::Draft => "Draft: not issued, not payable".to_owned(),
        InvoiceStatus::Finalized => "Awaiting payment".to_owned(),
        InvoiceStatus::Paid => format!("Paid{}", on(invoice.paid_at())),
        InvoiceStatus::Voided => format!(
            "Void{}: cancelled by a credit note",
            on(invoice.voided_at())
        ),
    }
}

/// Seller and buyer side by side.
fn parties(seller: &Seller, customer: &Customer) -> Result<TableLayout, Error> {
    let from = party(
        "From",
        &seller.name,
        seller.address.as_ref(),
        seller.tax_id.as_ref().map(|id| id.as_str()),
        seller.billing_email.as_ref().map(|email| email.as_str()),
    );
    let to = party(
        "Bill to",
        customer.name(),
        customer.address(),
        customer.tax_id().map(|id| id.as_str()),
        Some(customer.billing_email().as_str()),
    );
    let mut table = TableLayout::new(vec![1, 1]);
    table.row().element(from).element(to).push()?;
    Ok(table)
}

fn party(
    heading: &str,
    name: &str,
    address: Option<&Address>,
    tax_id: Option<&str>,
    email: Option<&str>,
) -> LinearLayout {
    let mut block = LinearLayout::vertical()
        .element(Paragraph::new(heading).styled(Style::new().with_color(GREY)))
        .element(Paragraph::new(name).styled(Style::new().bold()));
    let mut lines: Vec<String> = Vec::new();
    if let Some(address) = address {
        lines.push(address.line1.clone());
        lines.extend(address.line2.clone());
        let city = [address.postal_code.as_deref(), Some(address.city.as_str())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        lines.push(city);
        lines.extend(address.state.clone());
        lines.push(address.country.as_str().to_owned());
    }
    lines.extend(tax_id.map(|id| format!("Tax ID: {id}")));
    lines.extend(email.map(str::to_owned));
    for line in lines {
        block.push(Paragraph::new(line));
    }
    block
}

/// One row per invoice line, with a header row; the line's own period under its description.
fn lines(invoice: &Invoice) -> Result<TableLayout, Error> {
    let currency = invoice.currency();
    let mut table = TableLayout::new(vec![14, 6, 7, 6]);
    table.set_cell_decorator(FrameCellDecorator::new(false, true, false));
    let bold = Style::new().bold();
    table
        .row()
        .element(cell(Paragraph::new("Description").styled(bold)))
        .element(cell(right("Quantity").styled(bold)))
        .element(cell(right(format!("Unit price ({currency})")).styled(bold)))
        .element(cell(right(format!("Amount ({currency})")).styled(bold)))
        .push()?;
    for line in invoice.lines() {
        table
            .row()
            .element(cell(description(line)))
            .element(cell(right(format::quantity(line.quantity()))))
            .element(cell(right(format::unit_price(line.unit_price(), currency))))
            .element(cell(right(format::amount(line.amount()))))
            .push()?;
    }
    Ok(table)
}

fn description(line: &InvoiceLine) -> LinearLayout {
    let period = Style::new().with_font_size(SMALL_SIZE).with_color(GREY);
    LinearLayout::vertical()
        .element(Paragraph::new(format::description(line)))
        .element(Paragraph::new(format::period(line.period())).styled(period))
}

/// Subtotal, tax and total, right-aligned under the amounts.
fn totals(invoice: &Invoice) -> Result<TableLayout, Error> {
    let rows = [
        ("Subtotal".to_owned(), invoice.subtotal(), false),
        (
            format!("Tax ({})", format::percent(invoice.tax_rate())),
            invoice.tax(),
            false,
        ),
        ("Total".to_owned(), invoice.total(), true),
    ];
    let mut table = TableLayout::new(vec![12, 6]);
    for (label, money, strong) in rows {
        let style = if strong {
            Style::new().bold()
        } else {
            Style::new()
        };
        table
            .row()
            .element(cell(right(label).styled(style)))
            .element(cell(right(format::money(money)).styled(style)))
            .push()?;
    }
    Ok(table)
}

/// What the reader is to do with the document.
fn closing(invoice: &Invoice, kind: Kind, number: &str, dates: Dates, seller: &Seller) -> String {
    let total = format::money(invoice.total());
    let mut text = match (kind, invoice.status()) {
        (Kind::Receipt, _) => {
            let paid = invoice
                .paid_at()
                .map_or_else(String::new, |at| format!(" on {}", dates.date(at)));
            format!("Received with thanks: {total}, paid in full{paid}, for invoice {number}.")
        }
        (Kind::Invoice, InvoiceStatus::Draft) => {
            "Draft for review: this is not an invoice and is not payable.".to_owned()
        }
        (Kind::Invoice, InvoiceStatus::Finalized) => {
            format!("Please pay {total}, quoting invoice number {number}.")
        }
        (Kind::Invoice, InvoiceStatus::Paid) => format!("Paid in full: {total}. Thank you."),
        (Kind::Invoice, InvoiceStatus::Voided) => {
            "This invoice was voided and is no longer payable.".to_owned()
        }
    };
    if let Some(email) = &seller.billing_email {
        text.push_str(&format!(" Questions: {email}."));
    }
    text
}

fn right(text: impl Into<String>) -> Paragraph {
    Paragraph::new(text.into()).aligned(Alignment::Right)
}

fn cell(element: impl Element) -> impl Element {
    element.padded(CELL_PADDING_MM)
}
