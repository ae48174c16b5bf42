//! The fake OpenMeter: answers `POST /api/v1/events` with 204 when the content type is
//! exactly `application/cloudevents-batch+json` (else 400, as OpenMeter does), counting events
//! by their `"specversion"` key and distinct ids by a 64-bit hash of each `"id"`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;

use crate::support::http::{respond, serve};
use crate::{BoxError, err};

const CLOUDEVENTS_BATCH: &str = "application/cloudevents-batch+json";

#[derive(Default)]
pub struct FakeStats {
    pub requests: AtomicU64,
    pub events: AtomicU64,
    pub bytes: AtomicU64,
    pub refused: AtomicU64,
    /// Events whose id the fake had already seen (re-sent after a lost answer or lease).
    pub resent: AtomicU64,
    /// While set, every request is answered 503 and nothing is stored (`--mode recovery`).
    pub failing: AtomicBool,
    /// Requests answered 503.
    pub failed: AtomicU64,
    ids: Mutex<HashSet<u64>>,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
}

impl FakeStats {
    pub fn distinct(&self) -> u64 {
        self.ids.lock().map_or(0, |ids| ids.len() as u64)
    }
    pub fn first(&self) -> Option<Instant> {
        self.first.lock().ok().and_then(|f| *f)
    }
    pub fn last(&self) -> Option<Instant> {
        self.last.lock().ok().and_then(|f| *f)
    }
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Events in a CloudEvents batch (by their `"specversion"` key) and the ids' hashes.
pub fn scan_batch(body: &[u8]) -> (u64, Vec<u64>) {
    const SPEC: &[u8] = b"\"specversion\"";
    const ID: &[u8] = b"\"id\":\"";
    let mut events = 0;
    let mut ids = Vec::new();
    let mut i = 0;
    while i + SPEC.len() <= body.len() {
        if body[i] != b'"' || &body[i..i + SPEC.len()] != SPEC {
            i += 1;
            continue;
        }
        events += 1;
        i += SPEC.len();
        // Tollgate writes `{"specversion":"1.0","id":"...`: the id follows within a few bytes.
        let window = &body[i..body.len().min(i + 32)];
        if let Some(at) = window.windows(ID.len()).position(|w| w == ID) {
            let start = i + at + ID.len();
            if let Some(len) = body[start..].iter().position(|b| *b == b'"') {
                ids.push(fnv1a(&body[start..start + len]));
                i = start + len;
            }
        }
    }
    (events, ids)
}

async fn fake_answer(
    req: Request<Incoming>,
    stats: Arc<FakeStats>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    if req.method() != Method::POST {
        return Ok(respond(StatusCode::OK, "fake openmeter"));
    }
    if req.uri().path() != "/api/v1/events" {
        return Ok(respond(StatusCode::NOT_FOUND, "{\"title\":\"not found\"}"));
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = req.into_body().collect().await?.to_bytes();
    if stats.failing.load(Ordering::Relaxed) {
        stats.failed.fetch_add(1, Ordering::Relaxed);
        return Ok(respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "upstream unavailable",
        ));
    }
    let now = Instant::now();
    if let Ok(mut first) = stats.first.lock() {
        first.get_or_insert(now);
    }
    stats.requests.fetch_add(1, Ordering::Relaxed);
    stats.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    if content_type != CLOUDEVENTS_BATCH {
        stats.refused.fetch_add(1, Ordering::Relaxed);
        return Ok(respond(
            StatusCode::BAD_REQUEST,
            format!("{{\"detail\":\"invalid content type: {content_type}\"}}"),
        ));
    }
    let (events, ids) = scan_batch(&body);
    stats.events.fetch_add(events, Ordering::Relaxed);
    if let Ok(mut seen) = stats.ids.lock() {
        let resent = ids.into_iter().filter(|id| !seen.insert(*id)).count();
        stats.resent.fetch_add(resent as u64, Ordering::Relaxed);
    }
    if let Ok(mut last) = stats.last.lock() {
        *last = Some(Instant::now());
    }
    Ok(respond(StatusCode::NO_CONTENT, ""))
}

pub async fn start_fake(bind: &str) -> Result<(SocketAddr, Arc<FakeStats>), BoxError> {
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| err(format!("fake OpenMeter: bind {bind}: {e}")))?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(FakeStats::default());
    let shared = stats.clone();
    let answer = move |req: Request<Incoming>| fake_answer(req, shared.clone());
    tokio::spawn(async move {
        // Accepting fails when file descriptors run out: go on as they come back.
        loop {
            let _ = serve(&listener, answer.clone()).await;
        }
    });
    Ok((addr, stats))
}
