//! The dashboard's pages, in the same shape as the API's rows: what each needs. A page missing
//! here is refused (fail closed). Sign-in, sign-out and static files serve people not signed
//! in yet and are not here (`web::PUBLIC_ROUTES`).

use tollgate_application::services::access::Requirement;
use tollgate_domain::access::{Role, Scope};

use super::{BILLING_STAFF, OWNER_ADMIN, STAFF, STAFF_OR_CUSTOMER};

/// Pages where a person deals with their own data, whatever their role (a customer member and
/// a viewer too): the notice (also served to people not signed in) and their export. The
/// export's POST changes nothing of the organization's, so a read scope is enough. The tests
/// hold the table to these exceptions.
#[cfg(test)]
pub(super) const SELF_SERVICE: &[&str] = &[
    "/privacy",
    "/privacy/export",
    "/privacy/export/{id}/download",
];

/// A person's own privacy pages: any role, a read scope.
const OWN_DATA: Requirement = Requirement {
    scope: Scope::UsageRead,
    roles: STAFF_OR_CUSTOMER,
};

/// Reading a customer's pages: staff, viewers included.
const CUSTOMERS_READ: Requirement = Requirement {
    scope: Scope::BillingRead,
    roles: STAFF,
};

/// Settings pages that only read what the API's `usage:read` settings reads show: owners and
/// admins.
const SETTINGS_READ: Requirement = Requirement {
    scope: Scope::UsageRead,
    roles: OWNER_ADMIN,
};

/// The other settings pages and every settings form: owners and admins with `settings:write`.
const SETTINGS_WRITE: Requirement = Requirement {
    scope: Scope::SettingsWrite,
    roles: OWNER_ADMIN,
};

/// Creating and changing customers, their subscriptions, portal links and the Stripe page
/// where a card is saved.
const CUSTOMERS_WRITE: Requirement = Requirement {
    scope: Scope::BillingWrite,
    roles: BILLING_STAFF,
};

/// A customer's own portal: its members and portal-link visitors only (staff see the customer
/// pages instead).
const PORTAL: Requirement = Requirement {
    scope: Scope::BillingRead,
    roles: &[Role::Customer],
};

/// (method, route pattern as registered, requirement).
pub(super) const PAGES: &[(&str, &str, Requirement)] = &[
    (
        "GET",
        "/",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF,
        },
    ),
    (
        "GET",
        "/usage",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF,
        },
    ),
    (
        "GET",
        "/usage/export",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF,
        },
    ),
    (
        "GET",
        "/usage/events",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF,
        },
    ),
    (
        "GET",
        "/usage/events/export",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF,
        },
    ),
    (
        "GET",
        "/usage/events/{id}",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF,
        },
    ),
    ("GET", "/customers", CUSTOMERS_READ),
    ("POST", "/customers", CUSTOMERS_WRITE),
    ("GET", "/customers/new", CUSTOMERS_WRITE),
    ("GET", "/customers/{id}", CUSTOMERS_READ),
    ("POST", "/customers/{id}", CUSTOMERS_WRITE),
    ("GET", "/customers/{id}/edit", CUSTOMERS_WRITE),
    ("POST", "/customers/{id}/portal-links", CUSTOMERS_WRITE),
    ("POST", "/customers/{id}/setup-link", CUSTOMERS_WRITE),
    (
        "POST",
        "/customers/{id}/subscriptions/{subscription}/upgrade",
        CUSTOMERS_WRITE,
    ),
    (
        "POST",
        "/customers/{id}/subscriptions/{subscription}/downgrade",
        CUSTOMERS_WRITE,
    ),
    (
        "POST",
        "/customers/{id}/subscriptions/{subscription}/terminate",
        CUSTOMERS_WRITE,
    ),
    ("GET", "/settings", SETTINGS_READ),
    ("POST", "/settings", SETTINGS_WRITE),
    ("POST", "/settings/debug", SETTINGS_WRITE),
    ("GET", "/settings/api-keys", SETTINGS_WRITE),
    ("POST", "/settings/api-keys", SETTINGS_WRITE),
    ("POST", "/settings/api-keys/{id}/revoke", SETTINGS_WRITE),
    ("GET", "/settings/secrets", SETTINGS_WRITE),
    ("POST", "/settings/secrets", SETTINGS_WRITE),
    ("POST", "/settings/secrets/{id}/rotate", SETTINGS_WRITE),
    ("POST", "/settings/secrets/{id}/revoke", SETTINGS_WRITE),
    ("GET", "/settings/team", SETTINGS_WRITE),
    ("POST", "/settings/team", SETTINGS_WRITE),
    ("POST", "/settings/team/{subject}/role", SETTINGS_WRITE),
    ("POST", "/settings/team/{subject}/remove", SETTINGS_WRITE),
    ("GET", "/settings/audit", SETTINGS_WRITE),
    ("GET", "/settings/delivery", SETTINGS_READ),
    ("POST", "/settings/delivery/retry", SETTINGS_WRITE),
    (
        "POST",
        "/settings/delivery/dead-letters/{id}/retry",
        SETTINGS_WRITE,
    ),
    ("GET", "/portal", PORTAL),
    ("GET", "/portal/invoices/{id}/pdf", PORTAL),
    ("GET", "/portal/invoices/{id}/receipt", PORTAL),
    (
        "GET",
        "/portal/events/export",
        Requirement {
            scope: Scope::UsageRead,
            roles: &[Role::Customer],
        },
    ),
    ("GET", "/privacy", OWN_DATA),
    ("GET", "/privacy/export", OWN_DATA),
    ("POST", "/privacy/export", OWN_DATA),
    ("GET", "/privacy/export/{id}/download", OWN_DATA),
    billing_read("/billing/invoices"),
    billing_read("/billing/invoices/{id}"),
    billing_read("/billing/invoices/{id}/pdf"),
    billing_read("/billing/invoices/{id}/receipt"),
    billing_write("/billing/invoices/{id}/finalize"),
    billing_write("/billing/invoices/{id}/void"),
    billing_read("/billing/credit-notes/{id}/pdf"),
    billing_read("/billing/payments"),
    billing_read("/billing/subscriptions"),
    billing_read("/billing/plans"),
    billing_write("/billing/plans"),
    // The form itself writes nothing, but only those who may post it are shown it.
    (
        "GET",
        "/billing/plans/new",
        Requirement {
            scope: Scope::BillingRead,
            roles: BILLING_STAFF,
        },
    ),
    billing_read("/billing/plans/{id}"),
    billing_write("/billing/plans/{id}/versions"),
    (
        "GET",
        "/billing/plans/{id}/versions/new",
        Requirement {
            scope: Scope::BillingRead,
            roles: BILLING_STAFF,
        },
    ),
];

/// A billing page every staff role reads (viewers included), as the API's billing reads.
const fn billing_read(pattern: &'static str) -> (&'static str, &'static str, Requirement) {
    (
        "GET",
        pattern,
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    )
}

/// A billing form's post: the staff in charge of billing, as the API's billing writes.
const fn billing_write(pattern: &'static str) -> (&'static str, &'static str, Requirement) {
    (
        "POST",
        pattern,
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    )
}
