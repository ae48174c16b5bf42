//! The reads and writes the dashboard added to the API (issue 12): the billing summary, the
//! event list, a subscription's usage to date, portal links and the team's memberships.

use tollgate_application::services::access::Requirement;
use tollgate_domain::access::Scope;

use super::{BILLING_STAFF, OWNER_ADMIN, Rule, STAFF, STAFF_OR_CUSTOMER};

pub(super) const RULES: &[Rule] = &[
    (
        "GET",
        "/api/billing/summary",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/subscriptions/{id}/current-usage",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "POST",
        "/api/billing/customers/{id}/portal-links",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/settings/members",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/members",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "PATCH",
        "/api/settings/members/{subject}",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "DELETE",
        "/api/settings/members/{subject}",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/usage/events",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
    (
        "GET",
        "/api/usage/events/{id}",
        Requirement {
            scope: Scope::UsageRead,
            roles: STAFF_OR_CUSTOMER,
        },
    ),
];
