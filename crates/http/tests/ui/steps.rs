//! Small steps the flows share: open a page and wait for it, read text, click, sign in.

use std::time::Duration;

use serde_json::Value;

use crate::{app::App, browser::Tab};

/// Waits until the tab shows a loaded document whose path is `path`.
pub async fn arrive(tab: &Tab, path: &str) -> Result<(), String> {
    for _ in 0..100 {
        let url = tab.page.url().await.ok().flatten().unwrap_or_default();
        let ready: String = tab
            .page
            .evaluate("document.readyState")
            .await
            .ok()
            .and_then(|value| value.into_value().ok())
            .unwrap_or_default();
        let here = url::Url::parse(&url)
            .map(|url| match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            })
            .unwrap_or_default();
        if here == path && ready == "complete" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = tab.page.url().await.ok().flatten().unwrap_or_default();
    Err(format!("expected to arrive at {path}, the tab shows {url}"))
}

pub async fn open(tab: &Tab, url: &str, path: &str) -> Result<(), String> {
    tab.page
        .goto(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    arrive(tab, path).await
}

pub async fn text(tab: &Tab, selector: &str) -> String {
    match tab.page.find_element(selector).await {
        Ok(element) => element
            .inner_text()
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

pub fn status_is(tab: &Tab, expected: i64) -> Result<(), String> {
    match tab.last_document_status() {
        Some(status) if status == expected => Ok(()),
        other => Err(format!("the page answered {other:?}, not {expected}")),
    }
}

pub async fn click(tab: &Tab, selector: &str) -> Result<(), String> {
    tab.page
        .find_element(selector)
        .await
        .map_err(|e| format!("no {selector}: {e}"))?
        .click()
        .await
        .map_err(|e| format!("cannot click {selector}: {e}"))?;
    Ok(())
}

/// Signs in as `role` of the default organization through a `dev-login` link and lands on
/// the dashboard (a customer member lands on its 403).
pub async fn sign_in(app: &App, tab: &Tab, role: &str) -> Result<(), String> {
    let link = app.dev_link(&["--org", "default", "--role", role]).await;
    open(tab, &link, "/").await
}

/// Fills the field `selector` with `value` by typing, as a person would.
pub async fn fill(tab: &Tab, selector: &str, value: &str) -> Result<(), String> {
    let field = tab
        .page
        .find_element(selector)
        .await
        .map_err(|e| format!("no {selector}: {e}"))?;
    field.click().await.map_err(|e| e.to_string())?;
    field.type_str(value).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Runs `script` in the page and answers its value as text (JSON for anything else), asking
/// again for a moment when the page was between documents.
pub async fn js(tab: &Tab, script: &str) -> Result<String, String> {
    let mut last = String::new();
    for _ in 0..20 {
        match tab.page.evaluate(script).await {
            Ok(value) => {
                return Ok(match value.into_value::<Value>() {
                    Ok(Value::String(text)) => text,
                    Ok(other) => other.to_string(),
                    Err(_) => String::new(),
                });
            }
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{script}: {last}"))
}

/// The text of `selector`, asked again for a moment while it is empty: just after a
/// navigation the first query can miss the new document.
pub async fn read(tab: &Tab, selector: &str) -> String {
    for _ in 0..10 {
        let found = text(tab, selector).await;
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    String::new()
}

/// Clicks `selector` and waits for the next document to load, even one at the same address
/// (a form that posts and comes back to the page it was on).
pub async fn click_through(tab: &Tab, selector: &str) -> Result<(), String> {
    js(tab, "window.__before = true").await?;
    let documents = tab.documents_seen();
    // A node found just after a navigation can be gone by the time it is clicked.
    let mut clicked = click(tab, selector).await;
    for _ in 0..5 {
        if clicked.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        clicked = click(tab, selector).await;
    }
    clicked?;
    for _ in 0..100 {
        let loaded: bool = tab
            .page
            .evaluate("window.__before !== true && document.readyState === 'complete'")
            .await
            .ok()
            .and_then(|value| value.into_value().ok())
            .unwrap_or(false);
        // The new document's answer reaches the tab's listener on its own schedule: its
        // status is read only once it has been recorded.
        if loaded && tab.documents_seen() > documents {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("clicking {selector} loaded no page"))
}

/// The text of a PDF by `pdftotext` (poppler-utils), to find an invoice's number in it.
pub fn pdf_to_text(pdf: &[u8]) -> Result<String, String> {
    if !pdf.starts_with(b"%PDF") {
        return Err("the download is not a PDF".into());
    }
    let file = std::env::temp_dir().join(format!("tollgate-ui-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&file, pdf).map_err(|e| e.to_string())?;
    let output = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .map_err(|e| format!("pdftotext (poppler-utils) runs: {e}"));
    let _ = std::fs::remove_file(&file);
    Ok(String::from_utf8_lossy(&output?.stdout).into_owned())
}
