//! The catalog keys of the billing vocabulary: statuses, phase reasons, meters, pricing
//! models, intervals. Named with `key(..)` so the catalog test sees every one.

use tollgate_domain::{
    billing::{FeeTiming, Interval, InvoiceStatus, PhaseReason, Settlement, SubscriptionStatus},
    metering::Meter,
    payment::AttemptStatus,
};

use crate::web::i18n::key;

pub const INVOICE_STATUSES: [InvoiceStatus; 4] = [
    InvoiceStatus::Draft,
    InvoiceStatus::Finalized,
    InvoiceStatus::Paid,
    InvoiceStatus::Voided,
];

pub fn invoice_status(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Draft => key("invoice-status-draft"),
        InvoiceStatus::Finalized => key("invoice-status-finalized"),
        InvoiceStatus::Paid => key("invoice-status-paid"),
        InvoiceStatus::Voided => key("invoice-status-voided"),
    }
}

/// The statuses the payments list filters by, in the order its links offer them: the
/// outcomes people look for, and the two that are still waiting.
pub const ATTEMPT_FILTERS: [AttemptStatus; 4] = [
    AttemptStatus::Succeeded,
    AttemptStatus::Failed,
    AttemptStatus::RequiresAction,
    AttemptStatus::Processing,
];

pub fn attempt_status(status: AttemptStatus) -> &'static str {
    match status {
        AttemptStatus::Pending => key("payment-status-pending"),
        AttemptStatus::Processing => key("payment-status-processing"),
        AttemptStatus::RequiresAction => key("payment-status-requires_action"),
        AttemptStatus::Succeeded => key("payment-status-succeeded"),
        AttemptStatus::Failed => key("payment-status-failed"),
        AttemptStatus::Canceled => key("payment-status-canceled"),
    }
}

pub fn subscription_status(status: SubscriptionStatus) -> &'static str {
    match status {
        SubscriptionStatus::Pending => key("subscription-status-pending"),
        SubscriptionStatus::Active => key("subscription-status-active"),
        SubscriptionStatus::Terminated => key("subscription-status-terminated"),
    }
}

pub fn phase_reason(reason: PhaseReason) -> &'static str {
    match reason {
        PhaseReason::Created => key("phase-reason-created"),
        PhaseReason::Upgrade => key("phase-reason-upgrade"),
        PhaseReason::Downgrade => key("phase-reason-downgrade"),
        PhaseReason::Renewal => key("phase-reason-renewal"),
    }
}

pub fn settlement(settlement: Settlement) -> &'static str {
    match settlement {
        Settlement::RefundDue => key("credit-note-refund"),
        Settlement::CancelsBalance => key("credit-note-cancellation"),
    }
}

pub fn meter(meter: Meter) -> &'static str {
    match meter {
        Meter::InputTokens => key("meter-input_tokens"),
        Meter::OutputTokens => key("meter-output_tokens"),
        Meter::CachedTokens => key("meter-cached_tokens"),
        Meter::ReasoningTokens => key("meter-reasoning_tokens"),
        Meter::Requests => key("meter-requests"),
        Meter::CostUsd => key("meter-cost_usd"),
        Meter::CacheHits => key("meter-cache_hits"),
    }
}

pub fn interval(interval: Interval) -> &'static str {
    match interval {
        Interval::Monthly => key("interval-monthly"),
        Interval::Yearly => key("interval-yearly"),
    }
}

pub fn fee_timing(timing: FeeTiming) -> &'static str {
    match timing {
        FeeTiming::Advance => key("fee-timing-in-advance"),
        FeeTiming::Arrears => key("fee-timing-in-arrears"),
    }
}

/// The pricing models as the plan form offers them: form value, label key.
pub const MODELS: [(&str, &str); 5] = [
    ("per_unit", key("model-per-unit")),
    ("graduated", key("model-graduated")),
    ("volume", key("model-volume")),
    ("package", key("model-package")),
    ("percentage_markup", key("model-percentage-markup")),
];

/// The label key of the model a form value names.
pub fn model(value: &str) -> &'static str {
    MODELS
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(key("model-per-unit"), |(_, label)| label)
}
