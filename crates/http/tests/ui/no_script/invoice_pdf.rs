//! An invoice's PDF downloaded with JavaScript off: the link on the invoice page, saved by
//! Chromium, read back with `pdftotext`.

use super::{
    dom::{self, arrive, open, text},
    download::download,
    no_script_ran,
};
use crate::{app::App, audit::check_page_without_script, browser::Tab, steps::pdf_to_text};

/// Signs `role` in by a `dev-login` link and downloads the PDF of the finalized invoice at
/// `path`: its number, from the page's heading, must be in the file.
pub async fn invoice_pdf(
    app: &App,
    tab: &Tab,
    path: &str,
    role: &str,
) -> Result<Vec<String>, String> {
    dom::scripts_off(tab).await?;
    let link = app.dev_link(&["--org", "default", "--role", role]).await;
    let was = dom::go(tab, &link).await?;
    arrive(tab, &was, "/").await?;
    open(tab, &app.url(path), path).await?;
    let heading = text(tab, "h1").await?;
    let number = heading.trim_start_matches("Invoice ").to_owned();
    if !number.starts_with("DEFAULT-") {
        return Err(format!("the finalized invoice is titled {heading:?}"));
    }
    no_script_ran(tab).await?;
    let found = check_page_without_script(tab, "billing-invoice-no-script", role).await;
    let (file, pdf) = download(tab, "a[href$='/pdf']").await?;
    let shown = pdf_to_text(&pdf)?;
    if !file.ends_with(".pdf") || !shown.contains(&number) {
        return Err(format!("the PDF {file} does not show {number}: {shown:?}"));
    }
    Ok(found)
}
