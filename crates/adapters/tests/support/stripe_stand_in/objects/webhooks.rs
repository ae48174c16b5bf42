//! Webhook endpoints.

use serde_json::json;

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
}
