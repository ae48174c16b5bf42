//! Sending one Standard Webhooks delivery, safely. The target is checked again at each send
//! (an endpoint saved while its name pointed at a public address may point inside the
//! network now: DNS rebinding): the name is resolved, every address must be public, and the
//! connection goes only to the addresses checked. No proxy, no redirects (3xx is a failed
//! attempt), a whole-attempt timeout, and at most 64 KB of the answer read.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Instant,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::CONTENT_TYPE;
use tollgate_application::ports::{HostResolver, OutboundWebhook, SendReport, WebhookSender};
use tollgate_domain::{
    outbound_webhook::{
        ANSWER_EXCERPT_CHARS, ATTEMPT_TIMEOUT, MAX_ANSWER_READ, check_resolved, endpoint_target,
    },
    settings::is_public_address,
};

use crate::{
    outbound_http,
    signing::standard_webhooks::{self, EndpointSecret},
};

pub struct HttpWebhookSender {
    resolver: Arc<dyn HostResolver>,
    /// `outbound_webhooks.allow_private_targets`: for tests and labs only.
    allow_private: bool,
}

impl HttpWebhookSender {
    pub fn new(resolver: Arc<dyn HostResolver>, allow_private: bool) -> Self {
        Self {
            resolver,
            allow_private,
        }
    }

    /// The addresses the attempt may connect to, or why it may not.
    async fn addresses(&self, url: &str) -> Result<(String, Vec<SocketAddr>), String> {
        let target = endpoint_target(url, self.allow_private).map_err(|e| e.to_string())?;
        let ips: Vec<IpAddr> = match target.literal {
            Some(ip) => vec![ip],
            None => self
                .resolver
                .resolve(&target.host, target.port)
                .await
                .map_err(|e| format!("the host name does not resolve: {e}"))?,
        };
        check_resolved(url, &ips, self.allow_private).map_err(|e| e.to_string())?;
        if ips.iter().any(|ip| !is_public_address(*ip)) {
            tracing::warn!(
                host = target.host,
                "sending a webhook to a non-public address: outbound_webhooks.allow_private_targets \
                 is on, which is for tests and labs only"
            );
        }
        let addresses = ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, target.port))
            .collect();
        Ok((target.host, addresses))
    }

    async fn post(
        &self,
        webhook: &OutboundWebhook,
        now: DateTime<Utc>,
    ) -> Result<(u16, Option<std::time::Duration>, String), String> {
        let (host, addresses) = self.addresses(&webhook.url).await?;
        let secrets = webhook
            .secrets
            .iter()
            .map(|s| EndpointSecret::parse(&s.0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let refs: Vec<&EndpointSecret> = secrets.iter().collect();
        let signed =
            standard_webhooks::sign(&refs, &webhook.message_id, now, webhook.body.as_bytes())
                .map_err(|e| e.to_string())?;
        // One client per attempt, pinned to the checked addresses: reqwest resolves nothing
        // itself, so what is connected to is what was checked.
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("tollgate-webhooks/", env!("CARGO_PKG_VERSION")))
            .resolve_to_addrs(&host, &addresses)
            .build()
            .map_err(outbound_http::describe)?;
        let mut request = client
            .post(&webhook.url)
            .header(CONTENT_TYPE, "application/json")
            .body(webhook.body.clone());
        for (name, value) in signed.pairs() {
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(outbound_http::describe)?;
        let status = response.status().as_u16();
        let retry_after = outbound_http::retry_after(response.headers(), now);
        let mut answer = Vec::new();
        while answer.len() < MAX_ANSWER_READ {
            match response.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
                // What was read is enough; the status is what counts.
                Ok(None) | Err(_) => break,
            }
        }
        answer.truncate(MAX_ANSWER_READ);
        let excerpt: String = String::from_utf8_lossy(&answer)
            .chars()
            .take(ANSWER_EXCERPT_CHARS)
            .collect();
        Ok((status, retry_after, excerpt))
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, webhook: &OutboundWebhook, now: DateTime<Utc>) -> SendReport {
        let started = Instant::now();
        let result = self.post(webhook, now).await;
        let duration = started.elapsed();
        match result {
            Ok((status, retry_after, excerpt)) => SendReport {
                status: Some(status),
                retry_after,
                duration,
                error: None,
                excerpt: (!excerpt.is_empty()).then_some(excerpt),
            },
            Err(error) => SendReport {
                status: None,
                retry_after: None,
                duration,
                error: Some(error),
                excerpt: None,
            },
        }
    }
}
