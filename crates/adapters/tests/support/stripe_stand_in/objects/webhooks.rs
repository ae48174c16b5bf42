//! Webhook endpoints, and the events Stripe would deliver to them about the stand-in's own
//! objects.

use serde_json::{Value, json};

use super::{
    super::{error, shapes::Node},
    Answer, World, now, strings,
};

impl World {
    /// Stripe answers the new endpoint once with its signing secret; later reads omit it.
    pub(super) fn create_endpoint(&mut self, params: &Node) -> Answer {
        let url = params.leaf(&["url"]).unwrap_or_default();
        let usable = url::Url::parse(url)
            .is_ok_and(|url| ["http", "https"].contains(&url.scheme()) && url.has_host());
        if !usable {
            return (
                400,
                error(
                    "invalid_request_error",
                    Some("url_invalid"),
                    Some("url"),
                    "Invalid URL: must be an http(s) URL",
                ),
            );
        }
        let events: Vec<&str> = params
            .branch("enabled_events")
            .into_iter()
            .flat_map(|events| events.values())
            .filter_map(|event| match event {
                Node::Leaf(value) => Some(value.as_str()),
                Node::Branch(_) => None,
            })
            .collect();
        let id = self.id("we");
        let mut endpoint = self.fixture("webhook_endpoint");
        endpoint["id"] = json!(id);
        endpoint["created"] = json!(now());
        endpoint["url"] = json!(url);
        endpoint["enabled_events"] = json!(events);
        endpoint["api_version"] = json!(params.leaf(&["api_version"]));
        endpoint["description"] = json!(params.leaf(&["description"]));
        endpoint["metadata"] = json!(strings(params.branch("metadata")));
        endpoint["secret"] = json!(format!("whsec_standin{:026}", self.next));
        (200, endpoint)
    }

    /// An event of `kind` about the PaymentIntent `id` as it is now, listed by
    /// `GET /v1/events` from then on; `None` for an intent the stand-in never made.
    pub fn intent_event(&mut self, id: &str, kind: &str, api_version: &str) -> Option<Value> {
        let intent = self.intents.get(id)?.clone();
        let event_id = self.id("evt");
        let mut event = self.fixture("event");
        event["id"] = json!(event_id);
        event["type"] = json!(kind);
        event["created"] = json!(now());
        event["api_version"] = json!(api_version);
        event["livemode"] = intent["livemode"].clone();
        event["pending_webhooks"] = json!(1);
        event["data"] = json!({ "object": intent });
        self.events.push(event.clone());
        Some(event)
    }
}
