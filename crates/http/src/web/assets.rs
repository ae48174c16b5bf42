//! The dashboard's static files, embedded in the binary and served under names that carry a
//! hash of their content (`/static/app.3f2a9c1d7e.css`), so they can be cached for a year: a
//! changed file is a new URL. Templates get the hashed URLs from [`url`].

use std::sync::LazyLock;

use actix_web::{HttpResponse, http::header, web};
use sha2::{Digest, Sha256};

use super::error_page::WebError;

struct Asset {
    /// The name templates use: `app.css`.
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../../web/static/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        // The charts' rules travel in the one stylesheet: no second request.
        bytes: concat!(
            include_str!("../../web/static/app.css"),
            "\n",
            include_str!("../charts/charts.css")
        )
        .as_bytes(),
    },
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("logo.svg", "image/svg+xml"),
];

/// Each asset with the path it is served at.
static SERVED: LazyLock<Vec<(String, &'static Asset)>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| (hashed_path(asset), asset))
        .collect()
});

fn hashed_path(asset: &Asset) -> String {
    let hash = hex::encode(&Sha256::digest(asset.bytes)[..5]);
    let (stem, extension) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
    format!("/static/{stem}.{hash}.{extension}")
}

/// The URL `name` (`app.css`) is served at; `name` itself for an unknown asset (a test checks
/// that templates name only known ones).
pub fn url(name: &str) -> String {
    SERVED
        .iter()
        .find(|(_, asset)| asset.name == name)
        .map_or_else(|| name.to_owned(), |(path, _)| path.clone())
}

/// `GET /static/{file}`: the asset under its hashed name, cached for good.
pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, WebError> {
    let path = format!("/static/{file}");
    let (_, asset) = SERVED
        .iter()
        .find(|(served, _)| *served == path)
        .ok_or(WebError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(asset.bytes))
}

#[cfg(test)]
mod tests;
