//! `tollgate stripe register-webhook --url …` and `tollgate stripe replay --since …`.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Subcommand;
use sha2::{Digest, Sha256};
use tollgate_adapters::stripe::{HANDLED_EVENTS, read_event};
use tollgate_application::ports::{IdempotencyKey, PaymentGateway};
use tollgate_http::Settings;

use super::{CliResult, prepare_database};

#[derive(Subcommand)]
pub enum StripeCommand {
    /// Create Tollgate's webhook endpoint at Stripe (the events Tollgate handles, at the pinned
    /// API version) and print its signing secret, once: set it as
    /// TOLLGATE__STRIPE__WEBHOOK_SECRETS.
    RegisterWebhook {
        /// Where Stripe sends events: Tollgate's public `https://…/v1/webhooks/stripe`.
        #[arg(long)]
        url: String,
    },
    /// Apply Stripe's events since a time (RFC 3339; Stripe lists 30 days) through the same
    /// path as its webhooks: what a downtime missed. Events applied before change nothing.
    Replay {
        #[arg(long)]
        since: String,
    },
}

pub async fn stripe(settings: &Settings, command: &StripeCommand) -> CliResult {
    let gateway = tollgate_http::bootstrap::payments::gateway(settings)?
        .ok_or("Stripe is not configured: set TOLLGATE__STRIPE__SECRET_KEY")?;
    match command {
        StripeCommand::RegisterWebhook { url } => register(settings, &gateway, url).await,
        StripeCommand::Replay { since } => replay(settings, &gateway, since).await,
    }
}

async fn register(settings: &Settings, gateway: &dyn PaymentGateway, url: &str) -> CliResult {
    let parsed = url::Url::parse(url)?;
    if parsed.scheme() != "https" {
        return Err("--url must be https: Stripe sends live events to https endpoints only".into());
    }
    // The same URL within Stripe's idempotency window answers the same endpoint and secret,
    // so running this twice by mistake makes one endpoint.
    let digest = hex::encode(Sha256::digest(url.as_bytes()));
    let key = IdempotencyKey::new("we", &[&digest])?;
    let endpoint = gateway
        .register_webhook_endpoint(url, HANDLED_EVENTS, &settings.stripe.api_version, &key)
        .await?;
    let mut out = io::stdout();
    writeln!(out, "endpoint: {}", endpoint.id)?;
    writeln!(
        out,
        "secret (shown once; set TOLLGATE__STRIPE__WEBHOOK_SECRETS): {}",
        endpoint.secret
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn replay(settings: &Settings, gateway: &dyn PaymentGateway, since: &str) -> CliResult {
    let since = chrono::DateTime::parse_from_rfc3339(since)?.with_timezone(&chrono::Utc);
    let pool = prepare_database(settings).await?;
    let payments = tollgate_http::bootstrap::payments::wire(settings, &pool)?
        .ok_or("Stripe is not configured: set TOLLGATE__STRIPE__SECRET_KEY")?;
    // Stripe lists newest first; applied oldest first, as they happened (the outcome does
    // not depend on it: every status moves forward only).
    let mut events = Vec::new();
    let mut after = None;
    loop {
        let page = gateway.events_since(since, after.clone()).await?;
        after = page.events.last().map(|event| event.id.clone());
        events.extend(page.events);
        if !page.has_more || after.is_none() {
            break;
        }
    }
    let mut counts = std::collections::BTreeMap::<&'static str, u64>::new();
    for event in events.iter().rev() {
        let outcome = match read_event(event.json.as_bytes()) {
            Ok(received) => payments
                .service
                .apply_event(&received, settings.stripe.livemode())
                .await?
                .as_str(),
            Err(error) => {
                tracing::warn!(event = %event.id, %error, "a listed Stripe event cannot be read");
                "unreadable"
            }
        };
        *counts.entry(outcome).or_default() += 1;
    }
    let report = serde_json::json!({ "events": events.len(), "outcomes": counts });
    writeln!(io::stdout(), "{report}")?;
    Ok(ExitCode::SUCCESS)
}
