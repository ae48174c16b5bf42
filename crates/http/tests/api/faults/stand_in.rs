//! A local stand-in for OpenMeter's and Lago's event APIs that answers from a script and keeps
//! a ledger: every event id it was sent, how often, by whom, and which it accepted.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

/// How the stand-in answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 204 (OpenMeter) or 200 (Lago): the events are stored.
    Accept,
    /// Stored, but the answer comes after `delay` (a hung or slow target).
    Slow(Duration),
    /// This status (5xx) and a plain-text body; nothing stored.
    Fail(u16),
    /// 429 with `Retry-After: <seconds>`; nothing stored.
    Throttle(u64),
    /// 400 `application/problem+json` with this `detail`; nothing stored.
    Refuse(String),
}

/// One request, as the script sees it.
pub struct Call<'a> {
    /// 0 for the first request this stand-in receives.
    pub index: usize,
    /// CloudEvent `id`s (OpenMeter) or `transaction_id`s (Lago), in batch order.
    pub ids: &'a [String],
}

type Script = Arc<dyn Fn(&Call<'_>) -> Reply + Send + Sync>;

#[derive(Default)]
struct Ledger {
    requests: usize,
    received: HashMap<String, usize>,
    accepted: HashMap<String, usize>,
    /// Path prefix (before `/api/v1/events`) of each request that carried an id.
    senders: HashMap<String, Vec<String>>,
}

struct Shared {
    ledger: Mutex<Ledger>,
    script: Mutex<Script>,
    accepted_status: u16,
}

pub struct StandIn {
    server: MockServer,
    shared: Arc<Shared>,
}

impl StandIn {
    /// OpenMeter: `POST …/api/v1/events`, a CloudEvents batch; 204 when accepted.
    pub async fn openmeter(script: impl Fn(&Call<'_>) -> Reply + Send + Sync + 'static) -> Self {
        Self::start(r"/api/v1/events$", 204, Arc::new(script)).await
    }

    /// Lago: `POST …/api/v1/events/batch`, `{"events": […]}`; 200 when accepted.
    pub async fn lago(script: impl Fn(&Call<'_>) -> Reply + Send + Sync + 'static) -> Self {
        Self::start(r"/api/v1/events/batch$", 200, Arc::new(script)).await
    }

    async fn start(path: &str, accepted_status: u16, script: Script) -> Self {
        let shared = Arc::new(Shared {
            ledger: Mutex::new(Ledger::default()),
            script: Mutex::new(script),
            accepted_status,
        });
        let server = MockServer::start().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path_regex(path))
            .respond_with(Responder(Arc::clone(&shared)))
            .mount(&server)
            .await;
        Self { server, shared }
    }

    /// The base URL a target is configured with.
    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// Answers from now on with `script` (request indices keep counting).
    pub fn set_script(&self, script: impl Fn(&Call<'_>) -> Reply + Send + Sync + 'static) {
        *self.shared.script.lock().unwrap() = Arc::new(script);
    }

    pub fn requests(&self) -> usize {
        self.ledger(|l| l.requests)
    }

    /// How many requests carried each id, whatever the answer.
    pub fn received(&self) -> HashMap<String, usize> {
        self.ledger(|l| l.received.clone())
    }

    /// How many times each id was stored (what a receiver without dedup would count).
    pub fn accepted(&self) -> HashMap<String, usize> {
        self.ledger(|l| l.accepted.clone())
    }

    /// The distinct ids stored: what a receiver that deduplicates on the id keeps.
    pub fn stored(&self) -> BTreeSet<String> {
        self.ledger(|l| l.accepted.keys().cloned().collect())
    }

    /// The path prefixes of the requests that carried each id.
    pub fn senders(&self) -> HashMap<String, Vec<String>> {
        self.ledger(|l| l.senders.clone())
    }

    fn ledger<T>(&self, read: impl FnOnce(&Ledger) -> T) -> T {
        read(&self.shared.ledger.lock().unwrap())
    }
}

struct Responder(Arc<Shared>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids = ids(&request.body);
        let sender = request
            .url
            .path()
            .split("/api/v1/events")
            .next()
            .unwrap_or_default()
            .to_owned();
        let script = Arc::clone(&self.0.script.lock().unwrap());
        let mut ledger = self.0.ledger.lock().unwrap();
        let reply = script(&Call {
            index: ledger.requests,
            ids: &ids,
        });
        ledger.requests += 1;
        let stored = matches!(reply, Reply::Accept | Reply::Slow(_));
        for id in ids {
            *ledger.received.entry(id.clone()).or_default() += 1;
            if stored {
                *ledger.accepted.entry(id.clone()).or_default() += 1;
            }
            ledger.senders.entry(id).or_default().push(sender.clone());
        }
        match reply {
            Reply::Accept => ResponseTemplate::new(self.0.accepted_status),
            Reply::Slow(delay) => ResponseTemplate::new(self.0.accepted_status).set_delay(delay),
            Reply::Fail(status) => {
                ResponseTemplate::new(status).set_body_string("upstream unavailable")
            }
            Reply::Throttle(seconds) => ResponseTemplate::new(429)
                .insert_header("retry-after", seconds.to_string().as_str())
                .set_body_string("slow down"),
            Reply::Refuse(detail) => ResponseTemplate::new(400).set_body_raw(
                json!({"type": "about:blank", "title": "Bad Request", "status": 400,
                       "detail": detail})
                .to_string(),
                "application/problem+json",
            ),
        }
    }
}

/// The event ids of an OpenMeter batch (`[{"id"…}]`) or a Lago batch
/// (`{"events": [{"transaction_id"…}]}`).
fn ids(body: &[u8]) -> Vec<String> {
    let body: Value = serde_json::from_slice(body).unwrap_or_default();
    let (events, field) = match &body {
        Value::Array(events) => (events.as_slice(), "id"),
        other => (
            other["events"].as_array().map_or(&[][..], Vec::as_slice),
            "transaction_id",
        ),
    };
    events
        .iter()
        .filter_map(|event| event[field].as_str().map(str::to_owned))
        .collect()
}
