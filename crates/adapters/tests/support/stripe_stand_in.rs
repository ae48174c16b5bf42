//! A local stand-in for Stripe's v1 API, for the calls the payments adapter makes
//! (contracts: `fixtures/stripe/request_shapes.json`, copied from the Stripe Python SDK's
//! parameter types, and Stripe's own example objects in `fixtures/stripe/fixtures.json`).
//!
//! Like Stripe it checks, in this order: the `Bearer` secret key (401), `Stripe-Version`
//! (400), the route (404), an `Idempotency-Key` on every POST (a rule of Tollgate's, 400), the
//! parameters against the SDK's shapes (400 `invalid_request_error`, nothing stored), then the
//! key: the same key with the same body replays the first answer (`Idempotent-Replayed:
//! true`), with another body answers 400 `idempotency_error`. Test cards: `pm_card_visa`
//! succeeds, `pm_card_chargeDeclined` answers 402 `card_declined`,
//! `pm_card_authenticationRequired` 402 `authentication_required`, each failed PaymentIntent
//! left in `requires_payment_method`.
//!
//! Faults ([`Fault`]) are answered before any check, as an overloaded edge would: they are
//! recorded but not stored under their key. Every request is recorded ([`Seen`]).
//!
//! `POST /v1/webhook_endpoints` answers a `whsec_…` secret, and the events Stripe would send
//! about a PaymentIntent the stand-in made can be built ([`StripeStandIn::event_for_payment_intent`])
//! and signed for delivery ([`signed_delivery`]).
//!
//! Self-contained for other crates' tests: `#[path = ".../support/stripe_stand_in.rs"] mod
//! stripe_stand_in;` (it needs `tollgate-adapters`, `secrecy`, `serde_json`, `wiremock`, `url`
//! and `chrono` only).

#[path = "stripe_stand_in/deliveries.rs"]
mod deliveries;
#[path = "stripe_stand_in/objects.rs"]
mod objects;
#[path = "stripe_stand_in/shapes.rs"]
pub mod shapes;

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

pub use deliveries::{signed_delivery, stripe_signature};
pub use objects::{AUTHENTICATION_REQUIRED, DECLINED, VISA};

/// The secret key the stand-in accepts.
pub const SECRET_KEY: &str = "sk_test_51TollgateStandIn";

/// A failure answered instead of the next request.
#[derive(Debug, Clone, Default)]
pub struct Fault {
    status: u16,
    should_retry: Option<bool>,
    retry_after: Option<u64>,
    delay: Option<Duration>,
}

impl Fault {
    /// Stripe's `api_error` with `status` (500, 503) or a 429 `rate_limit`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    /// An answer later than any client waits.
    pub fn timeout(delay: Duration) -> Self {
        Self {
            status: 500,
            delay: Some(delay),
            ..Self::default()
        }
    }

    /// With `Stripe-Should-Retry`.
    pub fn should_retry(mut self, retry: bool) -> Self {
        self.should_retry = Some(retry);
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub stripe_version: Option<String>,
    pub content_type: Option<String>,
    /// The decoded pairs of the body (POST) or the query (GET), in order.
    pub form: Vec<(String, String)>,
}

impl Seen {
    /// The value sent under `key` (`line_items[0][quantity]`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The keys sent, sorted.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.form.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys
    }
}

pub struct StripeStandIn {
    server: MockServer,
    state: Arc<Mutex<State>>,
    /// The version the stand-in pins, and so renders its events in.
    api_version: String,
}

struct Stored {
    fingerprint: String,
    status: u16,
    body: Value,
}

#[derive(Default)]
struct State {
    seen: Vec<Seen>,
    faults: VecDeque<Fault>,
    idempotency: BTreeMap<String, Stored>,
    world: objects::World,
}

impl StripeStandIn {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        let shapes = Arc::new(shapes::Shapes::load());
        let api_version = shapes.api_version.clone();
        Mock::given(matchers::any())
            .respond_with(Responder {
                state: Arc::clone(&state),
                shapes,
            })
            .mount(&server)
            .await;
        Self {
            server,
            state,
            api_version,
        }
    }

    /// The base URL to configure (`http://127.0.0.1:port`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The requests so far, faults included.
    pub fn requests(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// Answers `fault` to the next request that arrives (queued in order).
    pub fn fail_next(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// A customer made directly, as if by an earlier call.
    pub fn customer(&self) -> String {
        self.lock().world.new_customer(&BTreeMap::new())
    }

    /// Attaches a test card (`pm_card_visa`) to `customer`, as a completed setup would;
    /// the attached copy's id is returned.
    pub fn attach(&self, customer: &str, card: &str) -> String {
        self.lock().world.attach(customer, card)
    }

    /// An event of `kind` created at `created` (unix seconds), for `GET /v1/events`.
    pub fn add_event(&self, kind: &str, created: i64) -> String {
        self.lock().world.add_event(kind, created)
    }

    /// The event of `kind` (`payment_intent.succeeded`) Stripe would send about the
    /// PaymentIntent `id` the stand-in made, its metadata included, as the intent is now; it
    /// is listed by `GET /v1/events` from then on.
    ///
    /// # Panics
    /// When the stand-in never made `id`: the test is wrong, not Stripe.
    pub fn event_for_payment_intent(&self, id: &str, kind: &str) -> Value {
        self.lock()
            .world
            .intent_event(id, kind, &self.api_version)
            .unwrap_or_else(|| panic!("the stand-in made no PaymentIntent {id}"))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Responder {
    state: Arc<Mutex<State>>,
    shapes: Arc<shapes::Shapes>,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let seen = seen(request);
        state.seen.push(seen.clone());
        if let Some(fault) = state.faults.pop_front() {
            return fault_answer(&fault);
        }
        let (status, body, replayed) = self.answer(&mut state, request, &seen);
        let mut template = ResponseTemplate::new(status)
            .set_body_json(body)
            .insert_header("request-id", format!("req_{}", state.seen.len()));
        if replayed {
            template = template.insert_header("idempotent-replayed", "true");
        }
        template
    }
}

impl Responder {
    fn answer(&self, state: &mut State, request: &Request, seen: &Seen) -> (u16, Value, bool) {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        if header("authorization") != Some(&format!("Bearer {SECRET_KEY}")) {
            return (
                401,
                error(
                    "invalid_request_error",
                    None,
                    None,
                    "Invalid API Key provided",
                ),
                false,
            );
        }
        if seen.stripe_version.as_deref() != Some(self.shapes.api_version.as_str()) {
            let message = format!("Stripe-Version must be {}", self.shapes.api_version);
            return (
                400,
                error("invalid_request_error", None, None, &message),
                false,
            );
        }
        let Some((endpoint, ids)) = self.shapes.find(&seen.method, &seen.path) else {
            let message = format!("Unrecognized request URL ({} {})", seen.method, seen.path);
            return (
                404,
                error("invalid_request_error", None, None, &message),
                false,
            );
        };
        let post = seen.method == "POST";
        if post && seen.content_type.as_deref() != Some("application/x-www-form-urlencoded") {
            let message = "Stripe takes form-encoded bodies";
            return (
                400,
                error("invalid_request_error", None, None, message),
                false,
            );
        }
        if post && seen.idempotency_key.is_none() {
            let message = "Tollgate sends an Idempotency-Key on every POST";
            return (
                400,
                error("invalid_request_error", None, None, message),
                false,
            );
        }
        let params = match shapes::tree(&seen.form)
            .and_then(|params| shapes::check(endpoint, &params).map(|()| params))
        {
            Ok(params) => params,
            Err(problem) => {
                let body = error(
                    "invalid_request_error",
                    Some(problem.code),
                    Some(&problem.param),
                    &problem.message,
                );
                return (400, body, false);
            }
        };
        let fingerprint = format!("{} {} {:?}", seen.method, seen.path, seen.form);
        if let Some(key) = &seen.idempotency_key
            && let Some(stored) = state.idempotency.get(key)
        {
            if stored.fingerprint == fingerprint {
                return (stored.status, stored.body.clone(), true);
            }
            let message = format!(
                "Keys for idempotent requests can only be used with the same parameters \
                     they were first used with. Try using a key other than '{key}' if you \
                     meant to execute a different request."
            );
            return (400, error("idempotency_error", None, None, &message), false);
        }
        let (status, body) = state.world.call(&endpoint.template(), &ids, &params);
        if let (Some(key), true) = (&seen.idempotency_key, post) {
            state.idempotency.insert(
                key.clone(),
                Stored {
                    fingerprint,
                    status,
                    body: body.clone(),
                },
            );
        }
        (status, body, false)
    }
}

fn seen(request: &Request) -> Seen {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let method = request.method.as_str().to_owned();
    let raw = if method == "GET" {
        request.url.query().unwrap_or_default().as_bytes().to_vec()
    } else {
        request.body.clone()
    };
    Seen {
        method,
        path: request.url.path().to_owned(),
        idempotency_key: header("idempotency-key"),
        stripe_version: header("stripe-version"),
        content_type: header("content-type"),
        form: url::form_urlencoded::parse(&raw).into_owned().collect(),
    }
}

fn fault_answer(fault: &Fault) -> ResponseTemplate {
    let body = if fault.status == 429 {
        error(
            "invalid_request_error",
            Some("rate_limit"),
            None,
            "Too many requests",
        )
    } else {
        error(
            "api_error",
            None,
            None,
            "Something went wrong on Stripe's end.",
        )
    };
    let mut template = ResponseTemplate::new(fault.status).set_body_json(body);
    if let Some(retry) = fault.should_retry {
        template = template.insert_header("stripe-should-retry", retry.to_string());
    }
    if let Some(seconds) = fault.retry_after {
        template = template.insert_header("retry-after", seconds.to_string());
    }
    if let Some(delay) = fault.delay {
        template = template.set_delay(delay);
    }
    template
}

/// Stripe's error body.
pub fn error(kind: &str, code: Option<&str>, param: Option<&str>, message: &str) -> Value {
    let mut error = json!({"type": kind, "message": message});
    if let Some(code) = code {
        error["code"] = json!(code);
    }
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    json!({ "error": error })
}
