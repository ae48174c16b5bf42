//! Invoices, receipts and credit notes as PDF files (the `InvoiceRenderer` port).
//!
//! Laid out here (`layout`, `page`, `text`) and written with typst's `pdf-writer`, each face
//! embedded as the subset of glyphs the document uses (typst's `subsetter`), glyph metrics
//! from `ttf-parser`: pure Rust, no system library but the font files. genpdf 0.2 did this
//! before; it was dropped because its printpdf 0.3 embeds every face whole and scans all
//! 1.1 million Unicode code points of each for every document (120 ms and 3 MB an invoice),
//! and because it pulls unmaintained crates (stdweb, encoding) flagged by RustSec.
//!
//! The fonts are read and checked once, when the renderer is built ([`FontConfig`]: DejaVu
//! Sans from Debian's `fonts-dejavu-core` unless configured otherwise), so a missing or
//! unusable font is a startup error rather than a failed invoice later. Laying out and writing
//! a PDF is CPU-bound: it runs on tokio's blocking pool, never on an executor thread other
//! requests are waiting on.
//!
//! Cost: an invoice of 20 lines is about 30 KB and a couple of milliseconds of one core in a
//! release build; `cargo bench -p tollgate-adapters --bench pdf_render` prints the figures.

mod credit_note;
mod fonts;
mod format;
mod layout;
mod page;
mod table;
mod text;
mod write;

use std::{fmt, sync::Arc};

use async_trait::async_trait;
use tollgate_application::{
    PortError,
    ports::{CreditNoteDocument, InvoiceDocument, InvoiceRenderer},
};
use tollgate_domain::billing::InvoiceStatus;

pub use fonts::{DEFAULT_FONT_DIRECTORY, DEFAULT_FONT_FAMILY, FontConfig, FontError};
use layout::Kind;

const SERVICE: &str = "pdf renderer";

/// Renders [`InvoiceDocument`]s as PDF, in the configured font family.
#[derive(Clone)]
pub struct PdfInvoiceRenderer {
    config: FontConfig,
    /// Read once; each document parses its faces from these bytes and embeds a subset.
    fonts: Arc<fonts::Fonts>,
}

impl PdfInvoiceRenderer {
    /// Reads the family's regular and bold files from the directory and checks that
    /// documents can be set in them.
    ///
    /// # Errors
    /// [`FontError`] naming the directory and the files looked for when one is missing, or a
    /// file that cannot be read, is not a TrueType font, or lacks digits or Latin capitals.
    pub fn new(config: FontConfig) -> Result<Self, FontError> {
        let fonts = fonts::load(&config)?;
        Ok(Self {
            config,
            fonts: Arc::new(fonts),
        })
    }

    async fn render(&self, document: &InvoiceDocument, kind: Kind) -> Result<Vec<u8>, PortError> {
        let fonts = Arc::clone(&self.fonts);
        // The blocking task outlives this borrow as far as the compiler knows: it gets its own
        // copy (a few lines and addresses).
        let document = document.clone();
        let rendered = tokio::task::spawn_blocking(move || layout::render(&fonts, &document, kind))
            .await
            .map_err(|error| internal(format!("the rendering task failed: {error}")))?;
        rendered.map_err(|error| {
            internal(format!(
                "cannot render the {}: {error}",
                kind.title().to_ascii_lowercase()
            ))
        })
    }
}

#[async_trait]
impl InvoiceRenderer for PdfInvoiceRenderer {
    async fn render_invoice(&self, document: &InvoiceDocument) -> Result<Vec<u8>, PortError> {
        self.render(document, Kind::Invoice).await
    }

    async fn render_receipt(&self, document: &InvoiceDocument) -> Result<Vec<u8>, PortError> {
        let status = document.invoice().status();
        if status != InvoiceStatus::Paid {
            return Err(internal(format!(
                "a receipt is for a paid invoice, not a {} one",
                status.as_str()
            )));
        }
        self.render(document, Kind::Receipt).await
    }

    async fn render_credit_note(
        &self,
        document: &CreditNoteDocument,
    ) -> Result<Vec<u8>, PortError> {
        let fonts = Arc::clone(&self.fonts);
        let document = document.clone();
        let rendered = tokio::task::spawn_blocking(move || credit_note::render(&fonts, &document))
            .await
            .map_err(|error| internal(format!("the rendering task failed: {error}")))?;
        rendered.map_err(|error| internal(format!("cannot render the credit note: {error}")))
    }
}

impl fmt::Debug for PdfInvoiceRenderer {
    // By hand: the derived form would print the fonts' megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PdfInvoiceRenderer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn internal(reason: String) -> PortError {
    PortError::Internal {
        service: SERVICE,
        reason,
    }
}
