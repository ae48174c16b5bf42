//! Invoices and receipts as PDF files, laid out with genpdf (the `InvoiceRenderer` port).
//!
//! genpdf 0.2 (on printpdf 0.3 and rusttype) is pure Rust and needs no system library but the
//! font files; it is also unmaintained, which is why it stays behind the port: replacing it
//! touches this module only.
//!
//! The fonts are read and parsed once, when the renderer is built ([`FontConfig`]: DejaVu
//! Sans from Debian's `fonts-dejavu-core` unless configured otherwise), so a missing font is a
//! startup error rather than a failed invoice later. Laying out and writing a PDF is
//! CPU-bound: it runs on tokio's blocking pool, never on an executor thread other requests are
//! waiting on.
//!
//! Cost: printpdf 0.3 embeds each of the four faces whole (no subsetting) and, for each, scans
//! every Unicode code point to map glyphs back to text. With DejaVu Sans an invoice is about
//! 3 MB and takes about 120 ms of one core in a release build (1.6 s in a debug build); see
//! the ignored timing test in `tests/pdf.rs`. Callers rendering in bulk should bound how many
//! run at once.

mod fonts;
mod format;
mod layout;

use std::{fmt, sync::Arc};

use async_trait::async_trait;
use genpdf::fonts::{FontData, FontFamily};
use tollgate_application::{
    PortError,
    ports::{InvoiceDocument, InvoiceRenderer},
};
use tollgate_domain::billing::InvoiceStatus;

pub use fonts::{DEFAULT_FONT_DIRECTORY, DEFAULT_FONT_FAMILY, FontConfig, FontError};
use layout::Kind;

const SERVICE: &str = "pdf renderer";

/// Renders [`InvoiceDocument`]s with genpdf, in the configured font family.
#[derive(Clone)]
pub struct GenPdfInvoiceRenderer {
    config: FontConfig,
    /// Parsed once; each document gets its own copy, since genpdf's `Document` takes its fonts
    /// by value.
    fonts: Arc<FontFamily<FontData>>,
}

impl GenPdfInvoiceRenderer {
    /// Reads the family's regular, bold, italic and bold italic files from the directory.
    ///
    /// # Errors
    /// [`FontError`] naming the directory and the files looked for when one is missing, or a
    /// file that cannot be read or is not a TrueType font.
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
        let rendered = tokio::task::spawn_blocking(move || {
            layout::render(FontFamily::clone(&fonts), &document, kind)
        })
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
impl InvoiceRenderer for GenPdfInvoiceRenderer {
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
}

impl fmt::Debug for GenPdfInvoiceRenderer {
    // By hand: the derived form would print the fonts' megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenPdfInvoiceRenderer")
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
