//! A trivial receiver (`--serve-stub ADDR`): 202 and a plausible ack per POST, counting each
//! `litellm_call_id` as accepted the first time and as a duplicate after. Driving it instead
//! of Tollgate measures the generator alone (`TOLLGATE_BENCH_STUB=1 tests/bench/run.sh`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use tokio::net::TcpListener;

use crate::support::events::find_all;
use crate::support::http::{respond, serve};

fn stub_ack(body: &[u8], seen: &Mutex<HashSet<[u8; 36]>>) -> String {
    const KEY: &[u8] = b"\"litellm_call_id\": \"";
    let mut seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (mut accepted, mut duplicates) = (0, 0);
    for at in find_all(body, KEY) {
        let start = at + KEY.len();
        let mut id = [0u8; 36];
        if let Some(src) = body.get(start..start + 36) {
            id.copy_from_slice(src);
        }
        if seen.insert(id) {
            accepted += 1;
        } else {
            duplicates += 1;
        }
    }
    format!(r#"{{"accepted":{accepted},"duplicates":{duplicates},"quarantined":0,"errors":[]}}"#)
}

pub async fn serve_stub(addr: &str) -> Result<(), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("bind {addr}: {e}"))?;
    println!(
        "stub receiver on {}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let answer = move |req: Request<Incoming>| {
        let seen = seen.clone();
        async move {
            let post = req.method() == Method::POST;
            let body = req.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>(if post {
                respond(StatusCode::ACCEPTED, stub_ack(&body, &seen))
            } else {
                respond(StatusCode::OK, "ok")
            })
        }
    };
    Err(serve(&listener, answer).await.to_string())
}
