//! Kratos's browser login flow, for a login UI rendered by Tollgate: the browser begins it at
//! `GET <public>/self-service/login/browser?return_to=` (Kratos sets its CSRF cookie and sends
//! the browser to the configured UI URL with `?flow=<id>`); the UI fetches the flow with
//! `GET <public>/self-service/login/flows?id=` and the browser's `Cookie` header forwarded,
//! renders `ui.nodes` and `ui.messages`, and posts to `ui.action`. Logging out:
//! `GET <public>/self-service/logout/browser` with the cookie answers the `logout_url` to send
//! the browser to.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use reqwest::{StatusCode, header};
use serde::Deserialize;
use serde_json::Value;
use tollgate_application::ports::{
    AuthError, FlowFetch, FlowNode, FlowText, LoginFlow, LoginFlows,
};
use url::Url;

use super::{OrySetupError, http};
use crate::upstream::Upstream;

const SERVICE: &str = "kratos";
const KRATOS: Upstream = Upstream(SERVICE);

pub struct KratosLoginFlows {
    http: reqwest::Client,
    begin: Url,
    flows: Url,
    logout: Url,
}

impl KratosLoginFlows {
    /// Flows of the Kratos whose public API is `public_url`.
    ///
    /// # Errors
    /// When the public URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(public_url: &Url, timeout: Duration) -> Result<Self, OrySetupError> {
        Ok(Self {
            http: http::client(SERVICE, timeout)?,
            begin: http::endpoint(SERVICE, public_url, "self-service/login/browser")?,
            flows: http::endpoint(SERVICE, public_url, "self-service/login/flows")?,
            logout: http::endpoint(SERVICE, public_url, "self-service/logout/browser")?,
        })
    }

    async fn get(&self, url: Url, cookie: &str) -> Result<reqwest::Response, AuthError> {
        let mut request = self
            .http
            .get(url)
            .header(header::ACCEPT, "application/json");
        if !cookie.is_empty() {
            let mut value = header::HeaderValue::from_str(cookie)
                .map_err(|_| AuthError::Unauthenticated("malformed cookie header".to_owned()))?;
            value.set_sensitive(true);
            request = request.header(header::COOKIE, value);
        }
        Ok(KRATOS
            .send(request)
            .await
            .map_err(|error| KRATOS.failed(error))?)
    }
}

#[async_trait]
impl LoginFlows for KratosLoginFlows {
    fn begin_url(&self, return_to: &str, aal2: bool) -> String {
        let mut url = self.begin.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("return_to", return_to);
            if aal2 {
                query.append_pair("aal", "aal2");
            }
        }
        url.to_string()
    }

    #[tracing::instrument(name = "kratos.login_flow", skip_all)]
    async fn login_flow(&self, id: &str, cookie: &str) -> Result<FlowFetch, AuthError> {
        let mut url = self.flows.clone();
        url.query_pairs_mut().append_pair("id", id);
        let response = self.get(url, cookie).await?;
        let status = response.status();
        if status == StatusCode::OK {
            let bytes = response.bytes().await.map_err(|e| KRATOS.failed(e))?;
            let flow: WireFlow = KRATOS.decode(&bytes)?;
            return Ok(FlowFetch::Ready(flow.into_flow()));
        }
        if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
            let id = error_id(response).await;
            tracing::info!(%status, error = %id, "Kratos refused the login flow: a new one begins");
            return Ok(if id == "session_already_available" {
                FlowFetch::SignedIn
            } else {
                FlowFetch::Restart
            });
        }
        Err(KRATOS.status(status, response.headers(), Utc::now()).into())
    }

    #[tracing::instrument(name = "kratos.logout_url", skip_all)]
    async fn logout_url(&self, cookie: &str, return_to: &str) -> Result<Option<String>, AuthError> {
        let mut url = self.logout.clone();
        url.query_pairs_mut().append_pair("return_to", return_to);
        let response = self.get(url, cookie).await?;
        match response.status() {
            StatusCode::OK => {
                let bytes = response.bytes().await.map_err(|e| KRATOS.failed(e))?;
                let flow: WireLogout = KRATOS.decode(&bytes)?;
                Ok(Some(flow.logout_url))
            }
            StatusCode::UNAUTHORIZED => Ok(None),
            status => Err(KRATOS.status(status, response.headers(), Utc::now()).into()),
        }
    }
}

/// `errorGeneric`'s `error.id`, or the empty text.
async fn error_id(response: reqwest::Response) -> String {
    response
        .json::<Value>()
        .await
        .ok()
        .and_then(|body| body["error"]["id"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct WireLogout {
    logout_url: String,
}

#[derive(Deserialize)]
struct WireFlow {
    id: String,
    ui: WireUi,
}

#[derive(Deserialize)]
struct WireUi {
    action: String,
    method: String,
    nodes: Vec<WireNode>,
    #[serde(default)]
    messages: Vec<WireText>,
}

#[derive(Deserialize)]
struct WireNode {
    #[serde(rename = "type")]
    kind: String,
    attributes: Value,
    #[serde(default)]
    messages: Vec<WireText>,
    #[serde(default)]
    meta: WireMeta,
}

#[derive(Deserialize, Default)]
struct WireMeta {
    label: Option<WireText>,
}

#[derive(Deserialize, Clone)]
struct WireText {
    #[serde(default)]
    id: i64,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: String,
}

impl From<WireText> for FlowText {
    fn from(text: WireText) -> Self {
        Self {
            id: text.id,
            kind: text.kind,
            text: text.text,
        }
    }
}

fn text_of(value: &Value, field: &str) -> String {
    match &value[field] {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl WireNode {
    fn into_node(self) -> FlowNode {
        let a = &self.attributes;
        match self.kind.as_str() {
            "input" => FlowNode::Input {
                name: text_of(a, "name"),
                input_type: text_of(a, "type"),
                // Values come as strings, booleans or numbers; the form posts them as text.
                value: (!a["value"].is_null()).then(|| text_of(a, "value")),
                required: a["required"].as_bool().unwrap_or(false),
                disabled: a["disabled"].as_bool().unwrap_or(false),
                autocomplete: a["autocomplete"].as_str().map(str::to_owned),
                label: self.meta.label.map(|label| label.text),
                messages: self.messages.into_iter().map(FlowText::from).collect(),
            },
            "text" => FlowNode::Text {
                id: text_of(a, "id"),
                text: text_of(&a["text"], "text"),
            },
            "a" => FlowNode::Anchor {
                href: text_of(a, "href"),
                title: text_of(&a["title"], "text"),
            },
            "img" => FlowNode::Image {
                src: text_of(a, "src"),
                width: a["width"].as_i64().unwrap_or(0),
                height: a["height"].as_i64().unwrap_or(0),
            },
            other => FlowNode::Unsupported {
                kind: other.to_owned(),
            },
        }
    }
}

impl WireFlow {
    fn into_flow(self) -> LoginFlow {
        LoginFlow {
            id: self.id,
            action: self.ui.action,
            method: self.ui.method,
            nodes: self.ui.nodes.into_iter().map(WireNode::into_node).collect(),
            messages: self.ui.messages.into_iter().map(FlowText::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn a_flow_becomes_its_form() {
        let wire: WireFlow = serde_json::from_value(serde_json::json!({
            "id": "f1",
            "type": "browser",
            "ui": {
                "action": "https://auth.example/self-service/login?flow=f1",
                "method": "POST",
                "messages": [{"id": 4000006, "type": "error", "text": "The provided credentials are invalid."}],
                "nodes": [
                    {"type": "input", "group": "default", "messages": [], "meta": {},
                     "attributes": {"name": "csrf_token", "type": "hidden", "value": "tok", "required": true, "disabled": false, "node_type": "input"}},
                    {"type": "input", "group": "default", "messages": [], "meta": {"label": {"id": 1070004, "type": "info", "text": "ID"}},
                     "attributes": {"name": "identifier", "type": "text", "value": "", "required": true, "disabled": false, "autocomplete": "username", "node_type": "input"}},
                    {"type": "input", "group": "password", "messages": [], "meta": {"label": {"id": 1010001, "type": "info", "text": "Sign in"}},
                     "attributes": {"name": "method", "type": "submit", "value": "password", "disabled": false, "node_type": "input"}},
                    {"type": "script", "group": "webauthn", "messages": [], "meta": {},
                     "attributes": {"src": "https://auth.example/webauthn.js", "id": "webauthn", "node_type": "script"}}
                ]
            }
        }))
        .unwrap();
        let flow = wire.into_flow();
        assert_eq!(flow.messages[0].id, 4_000_006);
        assert_eq!(flow.nodes.len(), 4);
        match &flow.nodes[1] {
            FlowNode::Input {
                name,
                label,
                autocomplete,
                required,
                ..
            } => {
                assert_eq!(name, "identifier");
                assert_eq!(label.as_deref(), Some("ID"));
                assert_eq!(autocomplete.as_deref(), Some("username"));
                assert!(required);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            flow.nodes[3],
            FlowNode::Unsupported {
                kind: "script".into()
            }
        );
    }

    #[test]
    fn the_flow_begins_with_its_return_address() {
        let flows = KratosLoginFlows::new(
            &Url::parse("https://auth.example/kratos/").unwrap(),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            flows.begin_url("https://billing.example/login?next=%2F", true),
            "https://auth.example/kratos/self-service/login/browser?return_to=https%3A%2F%2Fbilling.example%2Flogin%3Fnext%3D%252F&aal=aal2"
        );
    }
}
