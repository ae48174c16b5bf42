//! What each unique or exclusion constraint means to a client, in one place: a request that
//! breaks one is answered 409 with this code and sentence, never the stored values.
//!
//! Most of these clashes are caught earlier (`ON CONFLICT DO NOTHING` and a precise answer by
//! the service); this table answers the ones that arrive as errors, from races and from paths
//! that insert without it. A test checks every name against the migrated schema.

use tollgate_domain::ErrorCode;

/// (constraint or unique index, code, meaning).
pub(super) const CONFLICTS: &[(&str, ErrorCode, &str)] = &[
    (
        "usage_events_idempotency",
        ErrorCode::Conflict,
        "an event with this idempotency key is already stored",
    ),
    (
        "organizations_slug_key",
        ErrorCode::Conflict,
        "an organization with this slug exists",
    ),
    (
        "billing_customers_organization_id_external_id_key",
        ErrorCode::CustomerExists,
        "a customer with this external id exists",
    ),
    (
        "billing_plans_organization_id_code_key",
        ErrorCode::PlanExists,
        "a plan with this code exists",
    ),
    (
        "billing_plan_versions_organization_id_plan_id_version_key",
        ErrorCode::PlanChanged,
        "the plan changed meanwhile; read it again",
    ),
    (
        "billing_subscriptions_one_live_per_customer",
        ErrorCode::SubscriptionExists,
        "the customer has a live subscription",
    ),
    (
        "billing_subscriptions_organization_id_external_id_key",
        ErrorCode::ExternalIdTaken,
        "a subscription with this external id exists",
    ),
    (
        "billing_invoices_one_per_period",
        ErrorCode::Conflict,
        "the subscription already has an invoice for this period",
    ),
    (
        "billing_invoices_organization_id_number_key",
        ErrorCode::Conflict,
        "an invoice with this number exists",
    ),
    (
        "billing_credit_notes_one_per_reason",
        ErrorCode::Conflict,
        "the invoice already has a credit note for this reason",
    ),
    (
        "billing_credit_notes_number",
        ErrorCode::Conflict,
        "a credit note with this number exists",
    ),
];

/// The code and meaning of a clash with `constraint`; an unnamed one is a plain conflict.
pub(super) fn conflict(constraint: Option<&str>) -> (ErrorCode, &'static str) {
    CONFLICTS
        .iter()
        .find(|(name, _, _)| Some(*name) == constraint)
        .map_or(
            (
                ErrorCode::Conflict,
                "the change clashes with a stored record",
            ),
            |(_, code, meaning)| (*code, *meaning),
        )
}
