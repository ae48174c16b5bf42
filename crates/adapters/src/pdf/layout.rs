//! The page: what goes where on an invoice or a receipt.
//!
//! One A4 column, top to bottom: title, the document's facts (number, dates, status), seller
//! and buyer side by side, one table row per invoice line (the header repeated on each page
//! the table runs onto), the totals, a closing sentence. Everything is synchronous and
//! CPU-bound: the caller runs it off the async executor.

use tollgate_application::ports::{InvoiceDocument, Seller};
use tollgate_domain::billing::{Address, Customer, Invoice, InvoiceStatus};

use super::{
    fonts::Fonts,
    format::{self, Dates},
    page::{Align, Block, Faces, Pages, Span, Style, mm},
    table::{Figures, lines, totals},
    write,
};

pub(super) const MARGIN_MM: f32 = 18.0;
pub(super) const TITLE_SIZE: f32 = 20.0;
pub(super) const BODY_SIZE: f32 = 10.0;
pub(super) const SMALL_SIZE: f32 = 8.0;
pub(super) const CELL_PADDING_MM: f32 = 1.0;
/// Labels, a line's period and the page numbers: 100/255, genpdf's grey before.
pub(super) const GREY: f32 = 0.39;

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
/// When a font file no longer parses or cannot be subset: checked at startup, so only for a
/// bug.
pub(super) fn render(
    fonts: &Fonts,
    document: &InvoiceDocument,
    kind: Kind,
) -> Result<Vec<u8>, String> {
    let faces = Faces {
        regular: fonts.regular.face()?,
        bold: fonts.bold.face()?,
    };
    let invoice = document.invoice();
    let number = invoice
        .number()
        .map_or_else(|| "draft".to_owned(), ToString::to_string);
    let name = format!("{} {number}", kind.title());
    let pages = compose(&faces, document, kind, &number).finish(
        &faces,
        Style::new(SMALL_SIZE).gray(GREY),
        &name,
    );
    write::pdf(fonts, &faces, &pages, &name)
}

fn compose(faces: &Faces<'_>, document: &InvoiceDocument, kind: Kind, number: &str) -> Pages {
    let invoice = document.invoice();
    let dates = Dates::of(document.customer().timezone());
    let mut pages = Pages::new(mm(MARGIN_MM));
    let span = pages.span();
    let title = match (kind, invoice.status()) {
        (Kind::Invoice, InvoiceStatus::Draft) => "Invoice (draft)",
        (Kind::Invoice, InvoiceStatus::Voided) => "Invoice (void)",
        _ => kind.title(),
    };
    let body = Style::new(BODY_SIZE);
    pages.place(Block::text(
        faces,
        span,
        Style::new(TITLE_SIZE).bold(),
        Align::Left,
        title,
    ));
    pages.space(BODY_SIZE * 0.5);
    let period = document
        .period()
        .or_else(|| format::invoice_period(invoice))
        .map_or_else(String::new, format::span);
    pages.place(facts(faces, span, invoice, (kind, number, period), dates));
    pages.space(BODY_SIZE);
    pages.place(parties(faces, span, document.seller(), document.customer()));
    pages.space(BODY_SIZE);
    let figures = Figures::of_invoice(invoice);
    lines(faces, span, &figures, &mut pages);
    pages.space(BODY_SIZE * 0.5);
    pages.place(totals(faces, span, &figures, "Total"));
    pages.space(BODY_SIZE * 1.5);
    let closing = closing(invoice, kind, number, dates, document.seller());
    pages.place(Block::text(faces, span, body, Align::Left, &closing));
    pages
}

/// Label and value pairs: number, dates, period, status.
fn facts(
    faces: &Faces<'_>,
    span: Span,
    invoice: &Invoice,
    (kind, number, period): (Kind, &str, String),
    dates: Dates,
) -> Block {
    let date_or =
        |at: Option<_>, missing: &str| at.map_or_else(|| missing.to_owned(), |at| dates.date(at));
    let issued = date_or(invoice.finalized_at(), "not issued");
    let mut rows: Vec<(&str, String)> = match kind {
        Kind::Invoice => vec![
            ("Invoice number", number.to_owned()),
            ("Issue date", issued),
        ],
        Kind::Receipt => vec![
            ("Receipt for invoice", number.to_owned()),
            ("Invoice issued", issued),
        ],
    };
    match kind {
        Kind::Invoice => {
            if let Some(due) = invoice.due_at() {
                rows.push(("Due date", dates.date(due)));
            }
            rows.extend([("Period", period), ("Status", status(invoice, dates))]);
        }
        Kind::Receipt => {
            rows.extend([
                ("Period", period),
                ("Status", "Paid".to_owned()),
                ("Paid on", date_or(invoice.paid_at(), "not paid")),
                ("Amount paid", format::money(invoice.total())),
            ]);
            if let Some(payment) = invoice.payment() {
                rows.push(("Payment method", payment.method().label().to_owned()));
                if let Some(reference) = payment.reference() {
                    rows.push(("Reference", reference.to_owned()));
                }
            }
        }
    }
    facts_block(faces, span, rows)
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
pub(super) fn parties(
    faces: &Faces<'_>,
    span: Span,
    seller: &Seller,
    customer: &Customer,
) -> Block {
    let [from, to] = span.columns([1.0, 1.0]);
    let seller_address = match (&seller.address, &seller.postal_address) {
        (Some(address), _) => address_lines(address),
        (None, Some(text)) => text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
        (None, None) => Vec::new(),
    };
    let from = party(
        faces,
        from.inset(mm(CELL_PADDING_MM)),
        ("From", &seller.name),
        seller_address,
        seller.tax_id.as_ref().map(|id| id.as_str()),
        seller.billing_email.as_ref().map(|email| email.as_str()),
    );
    let to = party(
        faces,
        to.inset(mm(CELL_PADDING_MM)),
        ("Bill to", customer.name()),
        customer.address().map(address_lines).unwrap_or_default(),
        customer.tax_id().map(|id| id.as_str()),
        Some(customer.billing_email().as_str()),
    );
    Block::beside([from, to])
}

fn address_lines(address: &Address) -> Vec<String> {
    let mut lines = vec![address.line1.clone()];
    lines.extend(address.line2.clone());
    let city = [address.postal_code.as_deref(), Some(address.city.as_str())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    lines.push(city);
    lines.extend(address.state.clone());
    lines.push(address.country.as_str().to_owned());
    lines
}

fn party(
    faces: &Faces<'_>,
    span: Span,
    (heading, name): (&str, &str),
    address: Vec<String>,
    tax_id: Option<&str>,
    email: Option<&str>,
) -> Block {
    let body = Style::new(BODY_SIZE);
    let mut lines = address;
    lines.extend(tax_id.map(|id| format!("Tax ID: {id}")));
    lines.extend(email.map(str::to_owned));
    let heading = Block::text(faces, span, body.gray(GREY), Align::Left, heading)
        .above(Block::text(faces, span, body.bold(), Align::Left, name));
    lines.iter().fold(heading, |block, line| {
        block.above(Block::text(faces, span, body, Align::Left, line))
    })
}

/// Label and value pairs, labels grey.
pub(super) fn facts_block(faces: &Faces<'_>, span: Span, rows: Vec<(&str, String)>) -> Block {
    let [labels, values] = span.columns([1.0, 3.0]);
    let body = Style::new(BODY_SIZE);
    rows.into_iter()
        .fold(Block::default(), |block, (label, value)| {
            block.above(Block::beside([
                Block::text(faces, labels, body.gray(GREY), Align::Left, label),
                Block::text(faces, values, body, Align::Left, &value),
            ]))
        })
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
            let by = invoice
                .due_at()
                .map_or_else(String::new, |due| format!(" by {}", dates.date(due)));
            format!("Please pay {total}{by}, quoting invoice number {number}.")
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
