//! Downloads as a browser without JavaScript makes them: a click on a link whose answer is an
//! attachment, saved by Chromium itself into a folder of the test's. Nothing is fetched on the
//! page's behalf, so the file is what the link gives (its cookie, its headers, its bytes).

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use chromiumoxide::cdp::browser_protocol::browser::{
    SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
};

use super::dom::{cdp, click};
use crate::browser::Tab;

/// How long a download may take; the files here are a few kilobytes from loopback.
const PATIENCE: Duration = Duration::from_secs(10);

/// Clicks the link `selector` and answers the file Chromium saved and the bytes in it.
pub async fn download(tab: &Tab, selector: &str) -> Result<(String, Vec<u8>), String> {
    let folder =
        std::env::temp_dir().join(format!("tollgate-ui-download-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let saved = save_into(tab, &folder, selector).await;
    let _ = std::fs::remove_dir_all(&folder);
    saved
}

async fn save_into(tab: &Tab, folder: &Path, selector: &str) -> Result<(String, Vec<u8>), String> {
    // Per download a fresh folder of the tab's browser context: the file found there can only
    // be this click's.
    let behavior = SetDownloadBehaviorParams::builder()
        .behavior(SetDownloadBehaviorBehavior::Allow)
        .browser_context_id(tab.context.clone())
        .download_path(folder.to_string_lossy())
        .build()
        .map_err(|e| format!("download behavior: {e}"))?;
    cdp(tab, "Browser.setDownloadBehavior", behavior).await?;
    click(tab, selector).await?;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if let Some(file) = finished(folder)? {
            let name = file
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&file).map_err(|e| format!("{name}: {e}"))?;
            return Ok((name, bytes));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "clicking {selector} saved no file within {PATIENCE:?}"
    ))
}

/// The folder's file once Chromium has finished writing it (until then it is `*.crdownload`).
fn finished(folder: &Path) -> Result<Option<PathBuf>, String> {
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    let writing = files
        .iter()
        .any(|file| file.extension().is_some_and(|ext| ext == "crdownload"));
    if writing {
        return Ok(None);
    }
    Ok(files.into_iter().next())
}
