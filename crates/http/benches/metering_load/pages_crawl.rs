//! Which pages `--mode pages` measures: the signed-in dashboard, the links of its menu, and
//! the links on those pages, one page per route shape (`/customers/{id}`: ids folded), so
//! every page the dashboard has is timed without this bench knowing their routes.

use std::collections::{BTreeSet, VecDeque};
use std::io::Write;

use crate::{BoxError, err};

/// A page found, with the HTML of its first answer.
pub struct Page {
    /// The route shape, e.g. `/billing/invoices/{id}` (`?query` dropped).
    pub shape: String,
    /// The path and query first seen with that shape.
    pub path: String,
    pub html: String,
}

/// Links that are not pages to time: sign-out, sign-in links, static files, downloads, and
/// the redemption of one-time links.
fn is_page_link(href: &str) -> bool {
    let skipped_prefixes = [
        "/static/",
        "/login",
        "/logout",
        "/portal/links/",
        "/api/",
        "/v1/",
    ];
    let download_markers = [
        "format=csv",
        "format=json",
        "/pdf",
        "/receipt",
        "/download",
        ".pdf",
    ];
    href.starts_with('/')
        && !href.starts_with("//")
        && !skipped_prefixes.iter().any(|p| href.starts_with(p))
        && !download_markers.iter().any(|m| href.contains(m))
}

/// The values of `attribute="..."` in `html`, entity `&amp;` decoded.
fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].replace("&amp;", "&"))
        })
        .collect()
}

/// `/customers/0193c9a2-...` → `/customers/{id}`: a segment with a digit, or longer than 24
/// characters, stands for an id.
pub fn shape_of(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.split('/')
        .map(|segment| {
            if segment.chars().any(|c| c.is_ascii_digit()) || segment.len() > 24 {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Static files a page loads: stylesheets, scripts, images and icons under `/static/`.
pub fn assets_of(html: &str) -> BTreeSet<String> {
    attribute_values(html, "href")
        .into_iter()
        .chain(attribute_values(html, "src"))
        .filter(|url| url.starts_with("/static/"))
        .collect()
}

/// Page links on a page, in document order, fragments dropped.
pub fn page_links(html: &str) -> Vec<String> {
    attribute_values(html, "href")
        .into_iter()
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .filter(|href| is_page_link(href))
        .collect()
}

/// Bytes once gzip-compressed (level 6, what a proxy typically sends).
pub fn gzip_len(body: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(body);
    encoder
        .finish()
        .map(|compressed| compressed.len())
        .unwrap_or(0)
}

/// Breadth first from `start`, up to `max` shapes; only 200 HTML answers count.
pub async fn crawl(
    client: &reqwest::Client,
    base: &str,
    start: &str,
    cookie: &str,
    max: usize,
) -> Result<Vec<Page>, BoxError> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if pages.len() >= max {
            break;
        }
        let shape = shape_of(&path);
        if !seen.insert(shape.clone()) {
            continue;
        }
        let answer = client
            .get(format!("{base}{path}"))
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .map_err(|e| err(format!("{path}: {e}")))?;
        let html_answer = answer
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !answer.status().is_success() || !html_answer {
            println!("    (skipped {path}: {})", answer.status());
            continue;
        }
        let html = answer.text().await?;
        queue.extend(page_links(&html));
        pages.push(Page { shape, path, html });
    }
    Ok(pages)
}
