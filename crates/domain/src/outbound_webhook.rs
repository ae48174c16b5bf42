//! Outbound webhooks (Standard Webhooks): the events Tollgate sends operators, which targets
//! it may send them to, and when a failed delivery is tried again. The signing and the HTTP
//! call are adapters'; the rules are here so the service and the worker share them.

use std::{net::IpAddr, time::Duration};

use crate::{DomainError, settings::is_public_address};

/// Declares the event types with their wire names, and `ALL`, so a type cannot be added
/// without its name nor missed by the filter check.
macro_rules! event_types {
    ($($variant:ident = $name:literal,)+) => {
        /// Every event an endpoint may subscribe to. Later work (payments, credits,
        /// checkout) emits through the same outbox; a filter may name a type before Tollgate
        /// emits it, so operators can subscribe ahead of a release.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $($variant,)+
        }

        impl EventType {
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The `type` of the body, as operators filter on it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }
    };
}

event_types! {
    InvoiceCreated = "invoice.created",
    InvoiceFinalized = "invoice.finalized",
    InvoicePaid = "invoice.paid",
    InvoiceVoided = "invoice.voided",
    InvoicePaymentFailed = "invoice.payment_failed",
    InvoicePaymentActionRequired = "invoice.payment_action_required",
    InvoicePaymentExhausted = "invoice.payment_exhausted",
    PaymentSucceeded = "payment.succeeded",
    PaymentFailed = "payment.failed",
    RefundSucceeded = "refund.succeeded",
    RefundFailed = "refund.failed",
    DisputeCreated = "dispute.created",
    DisputeClosed = "dispute.closed",
    PaymentMethodAdded = "payment_method.added",
    PaymentMethodRemoved = "payment_method.removed",
    CheckoutCompleted = "checkout.completed",
    CheckoutExpired = "checkout.expired",
    CreditsGranted = "credits.granted",
    CreditsLowBalance = "credits.low_balance",
    CreditsDepleted = "credits.depleted",
    CreditsRecovered = "credits.recovered",
    CreditsExpired = "credits.expired",
    SubscriptionCreated = "subscription.created",
    SubscriptionUpdated = "subscription.updated",
    SubscriptionTerminated = "subscription.terminated",
    UsageThresholdCrossed = "usage.threshold_crossed",
    WebhookTest = "webhook.test",
}

impl EventType {
    /// # Errors
    /// `DomainError::UnknownEventType` for a name not in [`EventType::ALL`].
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| DomainError::UnknownEventType(name.to_owned()))
    }
}

/// Whether an endpoint filtering on `filter` receives `event`: an empty filter takes every
/// type. `webhook.test` is sent to the endpoint asked, whatever its filter.
pub fn accepts(filter: &[EventType], event: EventType) -> bool {
    event == EventType::WebhookTest || filter.is_empty() || filter.contains(&event)
}

/// The largest body Tollgate sends: receivers (and their proxies) need not buffer more, and
/// an event that does not fit names its objects by id rather than embedding them.
pub const MAX_BODY_BYTES: usize = 20 * 1024;

/// The most of a receiver's answer Tollgate reads, and the part of it it keeps per attempt.
pub const MAX_ANSWER_READ: usize = 64 * 1024;
pub const ANSWER_EXCERPT_CHARS: usize = 200;

/// How long one attempt may take, connection included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// Delays before each attempt after a failure (the first attempt is immediate): Svix's
/// schedule, about 28 hours in all; then the delivery has failed.
pub const RETRY_SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// An endpoint whose every delivery has failed this long is disabled.
pub const DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);

/// How long a rotated secret keeps signing alongside the new one.
pub const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);

/// How a receiver answered one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx.
    Delivered,
    /// 410: the receiver asks never to be called again; the endpoint is disabled.
    Gone,
    /// Anything else (3xx included: redirects are not followed), a timeout or no connection.
    Failed,
}

impl AttemptOutcome {
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=299 => Self::Delivered,
            410 => Self::Gone,
            _ => Self::Failed,
        }
    }
}

/// When a delivery that has failed `attempts` times is tried next: the schedule's step plus
/// `jitter` (a fraction in 0..1 of a tenth of the step, so receivers coming back are not hit
/// by every retry at once), or the receiver's `Retry-After` when it asks for longer. `None`:
/// the schedule is exhausted.
pub fn next_delay(attempts: u32, retry_after: Option<Duration>, jitter: f64) -> Option<Duration> {
    let step = *RETRY_SCHEDULE.get(usize::try_from(attempts).ok()?)?;
    let spread = step.mul_f64(jitter.clamp(0.0, 1.0) / 10.0);
    Some((step + spread).max(retry_after.unwrap_or(Duration::ZERO)))
}

/// Where an endpoint's URL points, after the checks that need no network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTarget {
    pub host: String,
    pub port: u16,
    /// An address literal in the URL: nothing to resolve.
    pub literal: Option<IpAddr>,
}

/// Checks an endpoint URL. Outside `allow_private` (a test or lab setting) only `https://`
/// to a name or a public address is taken: plain http would let anyone on the path read and
/// replay events, and private addresses would let an operator make Tollgate call inside its
/// own network (SSRF). Credentials in the URL are always refused (they would be logged and
/// shown). Names are resolved and checked again at each send.
///
/// # Errors
/// `DomainError::UnsafeUrl` with the reason.
pub fn endpoint_target(text: &str, allow_private: bool) -> Result<EndpointTarget, DomainError> {
    let unsafe_url = |reason: &str| DomainError::UnsafeUrl {
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(text).map_err(|e| unsafe_url(&e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(unsafe_url("only https:// URLs are allowed")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(unsafe_url("credentials in the URL are not allowed"));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let private = |ip: IpAddr| !allow_private && !is_public_address(ip);
    let (host, literal) = match url.host() {
        Some(url::Host::Domain(domain)) => {
            let domain = domain.to_ascii_lowercase();
            if !allow_private && (domain == "localhost" || domain.ends_with(".localhost")) {
                return Err(unsafe_url("the address is not public"));
            }
            (domain, None)
        }
        Some(url::Host::Ipv4(ip)) => (ip.to_string(), Some(IpAddr::V4(ip))),
        Some(url::Host::Ipv6(ip)) => (ip.to_string(), Some(IpAddr::V6(ip))),
        None => return Err(unsafe_url("the URL names no host")),
    };
    if literal.is_some_and(private) {
        return Err(unsafe_url("the address is not public"));
    }
    Ok(EndpointTarget {
        host,
        port,
        literal,
    })
}

/// Checks what a name resolved to at send time: every address must be public (one private
/// address among public ones is how DNS rebinding slips through), unless `allow_private`.
///
/// # Errors
/// `DomainError::UnsafeUrl` naming the first refused address.
pub fn check_resolved(
    url: &str,
    addresses: &[IpAddr],
    allow_private: bool,
) -> Result<(), DomainError> {
    if addresses.is_empty() {
        return Err(DomainError::UnsafeUrl {
            url: url.to_owned(),
            reason: "the host name does not resolve".to_owned(),
        });
    }
    match addresses.iter().find(|ip| !is_public_address(**ip)) {
        Some(ip) if !allow_private => Err(DomainError::UnsafeUrl {
            url: url.to_owned(),
            reason: format!("the host resolves to a non-public address ({ip})"),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
