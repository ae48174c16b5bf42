//! Answers no upstream should give, for the stand-ins of every upstream adapter (OpenMeter,
//! Lago, Hydra, Kratos, Keto), and the `PortError` kind each must become: a wrong JSON shape
//! or a cut-off body is `InvalidAnswer`, a 503 `Unavailable`, a 429 `Unavailable` with the
//! upstream's `Retry-After`, an answer later than the client's timeout `TimedOut`. Delivery
//! targets read the same answers by the dispatcher's rules instead: never a dead letter.
#![allow(
    dead_code,
    reason = "each test crate uses the checks for its kind of adapter: reads or deliveries"
)]

use std::time::Duration;

use tollgate_application::{PortError, ports::DeliveryOutcome};
use wiremock::ResponseTemplate;

/// The client timeout the adapters under test get; [`Nonsense::Hung`] answers well after it.
pub const TIMEOUT: Duration = Duration::from_millis(300);

/// What a throttling stand-in asks for, in seconds.
pub const RETRY_AFTER_SECS: u64 = 42;

/// Text no error may carry to a client: every nonsense body contains it.
pub const UPSTREAM_SECRET: &str = "upstream-secret-7f3a";

/// Every contract's fields at once (OpenMeter's `data`, Lago's `invoice` and `invoices`,
/// Hydra's `active` and `keys`, Kratos's `identity`, Keto's `allowed`), each of the wrong
/// type, so one body breaks every upstream's contract while being valid JSON.
const WRONG_SHAPE: &str = r#"{"data": "not rows", "invoice": "upstream-secret-7f3a",
    "invoices": "none", "meta": "none", "active": "yes", "keys": "not keys",
    "identity": "nobody", "active_session": 1, "allowed": "maybe"}"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nonsense {
    /// 200, valid JSON of the wrong shape.
    WrongShape,
    /// 200, JSON cut off in the middle.
    Truncated,
    /// 503 with a body.
    Failing,
    /// 429 with `Retry-After`.
    Throttled,
    /// 200, but only after the client gave up.
    Hung,
}

pub const ALL: [Nonsense; 5] = [
    Nonsense::WrongShape,
    Nonsense::Truncated,
    Nonsense::Failing,
    Nonsense::Throttled,
    Nonsense::Hung,
];

impl Nonsense {
    pub fn answer(self) -> ResponseTemplate {
        let json = |status| {
            ResponseTemplate::new(status).insert_header("content-type", "application/json")
        };
        match self {
            Self::WrongShape => json(200).set_body_string(WRONG_SHAPE),
            Self::Truncated => {
                json(200).set_body_string(format!(r#"{{"data": [{{"value": 1, "{UPSTREAM_SECRET}"#))
            }
            Self::Failing => ResponseTemplate::new(503)
                .set_body_string(format!("overloaded, see {UPSTREAM_SECRET}")),
            Self::Throttled => ResponseTemplate::new(429)
                .insert_header("retry-after", RETRY_AFTER_SECS.to_string().as_str())
                .set_body_string(UPSTREAM_SECRET),
            Self::Hung => json(200)
                .set_body_string(WRONG_SHAPE)
                .set_delay(TIMEOUT * 7),
        }
    }

    /// Panics unless `error` is the kind this answer must become, from `service`.
    pub fn assert_becomes(self, service: &str, error: &PortError) {
        let fits = match (self, error) {
            (Self::WrongShape | Self::Truncated, PortError::InvalidAnswer { service: s, .. }) => {
                *s == service
            }
            (Self::Failing, PortError::Unavailable { service: s, .. }) => *s == service,
            (
                Self::Throttled,
                PortError::Unavailable {
                    service: s,
                    retry_after,
                    ..
                },
            ) => *s == service && *retry_after == Some(Duration::from_secs(RETRY_AFTER_SECS)),
            (Self::Hung, PortError::TimedOut { service: s, .. }) => *s == service,
            _ => false,
        };
        assert!(fits, "{service} answering {self:?} became {error:?}");
    }

    /// Panics unless a delivery answered this way settles as the dispatcher's rules say: a
    /// 2xx is the target's verdict that it stored the events (its body is not read), anything
    /// else is tried again later, and none of it makes a dead letter.
    pub fn assert_delivery(self, outcome: &DeliveryOutcome) {
        let fits = match (self, outcome) {
            (Self::WrongShape | Self::Truncated, DeliveryOutcome::Delivered) => true,
            (Self::Failing | Self::Hung, DeliveryOutcome::Retry { .. }) => true,
            (Self::Throttled, DeliveryOutcome::Retry { retry_after, .. }) => {
                *retry_after == Some(Duration::from_secs(RETRY_AFTER_SECS))
            }
            _ => false,
        };
        assert!(fits, "a delivery answered {self:?} settled as {outcome:?}");
    }
}
