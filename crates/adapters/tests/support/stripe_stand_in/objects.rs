//! What each call does to the stand-in's objects, answered as Stripe's example objects
//! (`fixtures/stripe/fixtures.json`) with the request's values written in.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{error, shapes::Node};

#[path = "objects/payments.rs"]
mod payments;
#[path = "objects/webhooks.rs"]
mod webhooks;

const FIXTURES: &str = include_str!("../../fixtures/stripe/fixtures.json");

/// Stripe's test payment methods (docs.stripe.com/testing).
pub const VISA: &str = "pm_card_visa";
pub const DECLINED: &str = "pm_card_chargeDeclined";
pub const AUTHENTICATION_REQUIRED: &str = "pm_card_authenticationRequired";

/// A checkout link may expire 30 minutes to 24 hours ahead; a little slack for clocks.
const MIN_EXPIRY: i64 = 30 * 60 - 60;
const MAX_EXPIRY: i64 = 24 * 3600 + 60;

pub struct World {
    fixtures: Value,
    next: u64,
    customers: BTreeMap<String, Value>,
    /// Attached payment method id → its customer and the test card it copies.
    methods: BTreeMap<String, (String, String)>,
    intents: BTreeMap<String, Value>,
    sessions: BTreeMap<String, Value>,
    events: Vec<Value>,
}

impl Default for World {
    fn default() -> Self {
        let fixtures: Value = serde_json::from_str(FIXTURES).expect("fixtures.json is JSON");
        Self {
            fixtures: fixtures["resources"].clone(),
            next: 0,
            customers: BTreeMap::new(),
            methods: BTreeMap::new(),
            intents: BTreeMap::new(),
            sessions: BTreeMap::new(),
            events: Vec::new(),
        }
    }
}

type Answer = (u16, Value);

fn missing(param: &str, id: &str) -> Answer {
    let message = format!("No such {param}: '{id}'");
    (
        404,
        error(
            "invalid_request_error",
            Some("resource_missing"),
            Some(param),
            &message,
        ),
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl World {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_standin{:06}", self.next)
    }

    fn fixture(&self, name: &str) -> Value {
        self.fixtures[name].clone()
    }

    pub fn call(&mut self, template: &str, ids: &[String], params: &Node) -> Answer {
        let id = ids.first().map(String::as_str).unwrap_or_default();
        match template {
            "/v1/customers" => {
                let metadata = strings(params.branch("metadata"));
                let id = self.new_customer(&metadata);
                let customer = self.customers.get_mut(&id).expect("just made");
                for field in ["email", "name"] {
                    if let Some(value) = params.leaf(&[field]) {
                        customer[field] = json!(value);
                    }
                }
                if let Some(locale) = params.leaf(&["preferred_locales", "0"]) {
                    customer["preferred_locales"] = json!([locale]);
                }
                (200, customer.clone())
            }
            "/v1/customers/{customer}" => self.update_customer(id, params),
            "/v1/customers/{customer}/payment_methods" => self.list_methods(id),
            "/v1/payment_methods/{payment_method}/detach" => self.detach(id),
            "/v1/checkout/sessions" => self.create_session(params),
            "/v1/checkout/sessions/{session}/expire" => self.expire_session(id),
            "/v1/payment_intents" => self.create_intent(params),
            "/v1/payment_intents/{intent}/cancel" => self.cancel_intent(id, params),
            "/v1/refunds" => self.refund(params),
            "/v1/events" => self.list_events(params),
            "/v1/webhook_endpoints" => self.create_endpoint(params),
            other => (
                400,
                error(
                    "invalid_request_error",
                    None,
                    None,
                    &format!("{other} is not stood in"),
                ),
            ),
        }
    }

    pub fn new_customer(&mut self, metadata: &BTreeMap<String, String>) -> String {
        let id = self.id("cus");
        let mut customer = self.fixture("customer");
        customer["id"] = json!(id);
        customer["created"] = json!(now());
        customer["discount"] = Value::Null;
        customer["metadata"] = json!(metadata);
        self.customers.insert(id.clone(), customer);
        id
    }

    pub fn attach(&mut self, customer: &str, card: &str) -> String {
        let id = self.id("pm");
        self.methods
            .insert(id.clone(), (customer.to_owned(), card.to_owned()));
        id
    }

    pub fn add_event(&mut self, kind: &str, created: i64) -> String {
        let id = self.id("evt");
        let mut event = self.fixture("event");
        event["id"] = json!(id);
        event["type"] = json!(kind);
        event["created"] = json!(created);
        self.events.push(event);
        id
    }

    fn method_object(&self, id: &str, customer: Option<&str>) -> Value {
        let mut method = self.fixture("payment_method");
        method["id"] = json!(id);
        method["customer"] = json!(customer);
        method
    }

    fn update_customer(&mut self, id: &str, params: &Node) -> Answer {
        let default = params.leaf(&["invoice_settings", "default_payment_method"]);
        if let Some(method) = default
            && self.methods.get(method).map(|(owner, _)| owner.as_str()) != Some(id)
        {
            let message =
                format!("The customer does not have a payment method with the ID {method}.");
            return (
                400,
                error(
                    "invalid_request_error",
                    Some("resource_missing"),
                    Some("invoice_settings[default_payment_method]"),
                    &message,
                ),
            );
        }
        let Some(customer) = self.customers.get_mut(id) else {
            return missing("customer", id);
        };
        if let Some(method) = default {
            customer["invoice_settings"]["default_payment_method"] = json!(method);
        }
        (200, customer.clone())
    }

    fn list_methods(&self, customer: &str) -> Answer {
        if !self.customers.contains_key(customer) {
            return missing("customer", customer);
        }
        let data: Vec<Value> = self
            .methods
            .iter()
            .filter(|(_, (owner, _))| owner == customer)
            .map(|(id, _)| self.method_object(id, Some(customer)))
            .collect();
        let url = format!("/v1/customers/{customer}/payment_methods");
        (
            200,
            json!({"object": "list", "data": data, "has_more": false, "url": url}),
        )
    }

    fn detach(&mut self, id: &str) -> Answer {
        match self.methods.remove(id) {
            Some(_) => (200, self.method_object(id, None)),
            None => (
                400,
                error(
                    "invalid_request_error",
                    Some("payment_method_unexpected_state"),
                    None,
                    "The payment method you provided is not attached to a customer so detachment is impossible.",
                ),
            ),
        }
    }

    fn create_session(&mut self, params: &Node) -> Answer {
        let customer = params.leaf(&["customer"]).unwrap_or_default();
        if !self.customers.contains_key(customer) {
            return missing("customer", customer);
        }
        let mode = params.leaf(&["mode"]).unwrap_or_default();
        if mode == "setup" && params.leaf(&["currency"]).is_none() {
            return (
                400,
                error(
                    "invalid_request_error",
                    Some("parameter_missing"),
                    Some("currency"),
                    "currency is required in setup mode with dynamic payment methods",
                ),
            );
        }
        if mode == "payment" && params.branch("line_items").is_none() {
            return (
                400,
                error(
                    "invalid_request_error",
                    Some("parameter_missing"),
                    Some("line_items"),
                    "line_items is required in payment mode",
                ),
            );
        }
        let expires_at = match params.leaf(&["expires_at"]).map(str::parse::<i64>) {
            Some(Ok(at)) if !(MIN_EXPIRY..=MAX_EXPIRY).contains(&(at - now())) => {
                return (
                    400,
                    error(
                        "invalid_request_error",
                        Some("parameter_invalid_integer"),
                        Some("expires_at"),
                        "expires_at must be 30 minutes to 24 hours ahead",
                    ),
                );
            }
            Some(Ok(at)) => at,
            _ => now() + 24 * 3600,
        };
        let id = self.id("cs_test");
        let mut session = self.fixture("checkout.session");
        session["id"] = json!(id);
        session["mode"] = json!(mode);
        session["customer"] = json!(customer);
        session["status"] = json!("open");
        session["url"] = json!(format!("https://checkout.stripe.com/c/pay/{id}"));
        session["expires_at"] = json!(expires_at);
        session["metadata"] = json!(strings(params.branch("metadata")));
        if let Some(amount) = params.leaf(&["line_items", "0", "price_data", "unit_amount"]) {
            let quantity: i64 = params
                .leaf(&["line_items", "0", "quantity"])
                .and_then(|q| q.parse().ok())
                .unwrap_or(1);
            session["amount_total"] = json!(amount.parse::<i64>().unwrap_or_default() * quantity);
            session["currency"] =
                json!(params.leaf(&["line_items", "0", "price_data", "currency"]));
        }
        self.sessions.insert(id, session.clone());
        (200, session)
    }

    fn expire_session(&mut self, id: &str) -> Answer {
        let Some(session) = self.sessions.get_mut(id) else {
            return missing("checkout.session", id);
        };
        if session["status"] != "open" {
            return (
                400,
                error(
                    "invalid_request_error",
                    Some("checkout_session_unexpected_state"),
                    None,
                    "Only Checkout Sessions with a status in [\"open\"] can be expired.",
                ),
            );
        }
        session["status"] = json!("expired");
        session["url"] = Value::Null;
        (200, session.clone())
    }

    fn list_events(&self, params: &Node) -> Answer {
        let since: i64 = params
            .leaf(&["created", "gte"])
            .and_then(|t| t.parse().ok())
            .unwrap_or(i64::MIN);
        let limit: usize = params
            .leaf(&["limit"])
            .and_then(|l| l.parse().ok())
            .unwrap_or(10);
        // Newest first, as Stripe lists them; `starting_after` continues after that event.
        let mut events: Vec<&Value> = self
            .events
            .iter()
            .filter(|e| e["created"].as_i64() >= Some(since))
            .collect();
        events.sort_by_key(|event| {
            std::cmp::Reverse((
                event["created"].as_i64(),
                event["id"].as_str().map(str::to_owned),
            ))
        });
        if let Some(after) = params.leaf(&["starting_after"]) {
            match events.iter().position(|event| event["id"] == after) {
                Some(at) => events.drain(..=at).for_each(drop),
                None => return missing("event", after),
            }
        }
        let has_more = events.len() > limit;
        events.truncate(limit);
        (
            200,
            json!({"object": "list", "data": events, "has_more": has_more, "url": "/v1/events"}),
        )
    }
}

fn strings(branch: Option<&BTreeMap<String, Node>>) -> BTreeMap<String, String> {
    branch
        .into_iter()
        .flatten()
        .filter_map(|(key, node)| match node {
            Node::Leaf(value) => Some((key.clone(), value.clone())),
            Node::Branch(_) => None,
        })
        .collect()
}
