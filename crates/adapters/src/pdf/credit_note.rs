//! The credit note's page: the invoice's layout (parties, the table of lines, totals) under
//! facts of its own: its number, the invoice it credits, why, and what becomes of the money.

use tollgate_application::{
    ports::CreditNoteDocument,
    services::billing::credit_notes::{describe_credited, reason_text},
};
use tollgate_domain::billing::{InvoiceLine, Settlement};

use super::{
    fonts::Fonts,
    format::{self, Dates},
    layout::{BODY_SIZE, GREY, MARGIN_MM, SMALL_SIZE, TITLE_SIZE, facts_block, parties},
    page::{Align, Block, Faces, Pages, Style, mm},
    table::{Figures, lines, totals},
    write,
};

/// The whole PDF file.
///
/// # Errors
/// When a font file no longer parses or cannot be subset: checked at startup, so only for a
/// bug.
pub(super) fn render(fonts: &Fonts, document: &CreditNoteDocument) -> Result<Vec<u8>, String> {
    let faces = Faces {
        regular: fonts.regular.face()?,
        bold: fonts.bold.face()?,
    };
    let name = format!("Credit note {}", document.number());
    let pages = compose(&faces, document).finish(&faces, Style::new(SMALL_SIZE).gray(GREY), &name);
    write::pdf(fonts, &faces, &pages, &name)
}

fn compose(faces: &Faces<'_>, document: &CreditNoteDocument) -> Pages {
    let note = document.credit_note();
    let dates = Dates::of(document.customer().timezone());
    let mut pages = Pages::new(mm(MARGIN_MM));
    let span = pages.span();
    let body = Style::new(BODY_SIZE);
    pages.place(Block::text(
        faces,
        span,
        Style::new(TITLE_SIZE).bold(),
        Align::Left,
        "Credit note",
    ));
    pages.space(BODY_SIZE * 0.5);
    let invoice = note.invoice_number().to_string();
    pages.place(facts_block(
        faces,
        span,
        vec![
            ("Credit note number", document.number().to_string()),
            ("Issue date", dates.date(note.issued_at())),
            ("Credits invoice", invoice.clone()),
            ("Reason", reason_text(note.reason()).to_owned()),
            ("Settlement", settlement(note.settlement()).to_owned()),
        ],
    ));
    pages.space(BODY_SIZE);
    pages.place(parties(faces, span, document.seller(), document.customer()));
    pages.space(BODY_SIZE);
    let reason = note.reason();
    let describe = move |line: &InvoiceLine| describe_credited(reason, line);
    let figures = Figures::of_credit_note(note, &describe);
    lines(faces, span, &figures, &mut pages);
    pages.space(BODY_SIZE * 0.5);
    pages.place(totals(faces, span, &figures, "Total credited"));
    pages.space(BODY_SIZE * 1.5);
    let mut closing = format!(
        "This credit note credits {} against invoice {invoice}. {}",
        format::money(note.total()),
        settlement(note.settlement())
    );
    if let Some(email) = &document.seller().billing_email {
        closing.push_str(&format!(" Questions: {email}."));
    }
    pages.place(Block::text(faces, span, body, Align::Left, &closing));
    pages
}

fn settlement(settlement: Settlement) -> &'static str {
    match settlement {
        Settlement::CancelsBalance => "It reduces what is due on that invoice.",
        Settlement::RefundDue => "That invoice was paid: the amount is owed back to the customer.",
    }
}
