//! What every `/api` route needs: kept in one table so a review sees all of it at once. A
//! route missing here is refused (fail closed).

use actix_web::http::Method;
use tollgate_application::services::access::Requirement;
use tollgate_domain::access::{Role, Scope};

mod dashboard;
mod payments;
mod webhooks;

/// One rule: (method, route pattern as registered, requirement).
type Rule = (&'static str, &'static str, Requirement);

pub(super) const OWNER_ADMIN: &[Role] = &[Role::Owner, Role::Admin];
/// Who may change billing: staff in charge of it.
pub(super) const BILLING_STAFF: &[Role] = &[Role::Owner, Role::Admin, Role::Billing];
/// Who may read billing: staff, viewers included.
pub(super) const STAFF: &[Role] = &[Role::Owner, Role::Admin, Role::Billing, Role::Viewer];
/// Staff, and a customer's members for that customer only (the portal: the request names the
/// customer and every answer is limited to it).
pub(super) const STAFF_OR_CUSTOMER: &[Role] = &[
    Role::Owner,
    Role::Admin,
    Role::Billing,
    Role::Viewer,
    Role::Customer,
];

/// (method, route pattern as registered, requirement).
const TABLE: &[Rule] = &[
    (
        "GET",
        "/api/me",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/settings",
        Requirement {
            scope: Scope::UsageRead,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "PUT",
        "/api/settings",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "PATCH",
        "/api/settings",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/settings/api-keys",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/api-keys",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "DELETE",
        "/api/settings/api-keys/{id}",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/settings/litellm-secrets",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/litellm-secrets",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/litellm-secrets/{id}/rotate",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "DELETE",
        "/api/settings/litellm-secrets/{id}",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/usage",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/admin/outbox",
        Requirement {
            scope: Scope::UsageRead,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/admin/outbox/retry",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/admin/outbox/dead-letters",
        Requirement {
            scope: Scope::UsageRead,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/admin/outbox/dead-letters/{id}/retry",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/usage/export",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/analytics",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/audit",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/privacy/records",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    // Operators record consents collected elsewhere; a person answers the banner instead.
    (
        "GET",
        "/api/privacy/consents",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/privacy/consents",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/privacy/consents/withdraw",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    // Anyone who signs in may export their own data (a viewer too: it changes nothing of the
    // organization's); a request is visible to its subject and to owners and admins only.
    (
        "POST",
        "/api/me/export",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/privacy/exports/{id}",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/privacy/exports/{id}/download",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/billing/customers",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/customers",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/customers/{id}",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "PATCH",
        "/api/billing/customers/{id}",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/plans",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/plans",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/plans/{id}",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "PUT",
        "/api/billing/plans/{id}",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/plans/{id}/versions",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/plans/{id}/archive",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/subscriptions",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/subscriptions",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/subscriptions/{id}",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/subscriptions/{id}/upgrade",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/subscriptions/{id}/downgrade",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/subscriptions/{id}/terminate",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/invoices",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/billing/invoices/{id}",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/billing/invoices/{id}/pdf",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/billing/invoices/{id}/receipt",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "POST",
        "/api/billing/invoices/{id}/finalize",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/invoices/{id}/void",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/invoices/{id}/mark-paid",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/invoices/{id}/credit-notes",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/credit-notes/{id}",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/credit-notes/{id}/pdf",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
];

/// Every rule: the API's, the dashboard's reads and writes, then the outbound webhooks'.
fn rules() -> impl Iterator<Item = &'static Rule> {
    TABLE
        .iter()
        .chain(dashboard::RULES)
        .chain(payments::RULES)
        .chain(webhooks::RULES)
}

pub fn requirement_for(method: &Method, pattern: &str) -> Option<Requirement> {
    rules()
        .chain(PAGES)
        .find(|(m, p, _)| *m == method.as_str() && *p == pattern)
        .map(|(_, _, requirement)| *requirement)
}

/// Every `/api` route with what it needs, in the table's order (the OpenAPI document's).
pub fn routes() -> impl Iterator<Item = (&'static str, &'static str, Requirement)> {
    rules().map(|(method, pattern, requirement)| (*method, *pattern, *requirement))
}

/// Every page of the dashboard with what it needs.
pub fn pages() -> impl Iterator<Item = (&'static str, &'static str, Requirement)> {
    PAGES
        .iter()
        .map(|(method, pattern, requirement)| (*method, *pattern, *requirement))
}

/// The methods registered for `pattern`, for a 405's `Allow`.
pub fn methods_for(pattern: &str) -> impl Iterator<Item = &'static str> + '_ {
    rules()
        .chain(PAGES)
        .filter(move |(_, p, _)| *p == pattern)
        .map(|(method, _, _)| *method)
}

mod pages;
use pages::PAGES;
#[cfg(test)]
use pages::SELF_SERVICE;

/// API routes where a person acts on their own data only, whatever their role: a read scope
/// suffices though they are not GETs (asking for one's own export changes nothing of the
/// organization's). The tests hold the table to these exceptions.
#[cfg(test)]
const SELF_SERVICE_API: &[&str] = &["/api/me/export"];

#[cfg(test)]
mod tests;
