//! Outbound webhook endpoints (issue 13 section 6). Reads need what `GET /api/settings`
//! needs; changes need `settings:write`. Revealing a secret is a GET but needs
//! `settings:write` too: it hands out the key that signs the organization's events.

use tollgate_application::services::access::Requirement;
use tollgate_domain::access::Scope;

use super::{OWNER_ADMIN, Rule};

pub(super) const RULES: &[Rule] = &[
    (
        "GET",
        "/api/settings/webhooks",
        Requirement {
            scope: Scope::UsageRead,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/webhooks",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/settings/webhooks/messages/{id}",
        Requirement {
            scope: Scope::UsageRead,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/settings/webhooks/{id}",
        Requirement {
            scope: Scope::UsageRead,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "PATCH",
        "/api/settings/webhooks/{id}",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "DELETE",
        "/api/settings/webhooks/{id}",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/webhooks/{id}/rotate-secret",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/settings/webhooks/{id}/secret",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/webhooks/{id}/test",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/webhooks/{id}/enable",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "GET",
        "/api/settings/webhooks/{id}/deliveries",
        Requirement {
            scope: Scope::UsageRead,
            roles: OWNER_ADMIN,
        },
    ),
    (
        "POST",
        "/api/settings/webhooks/{id}/resend",
        Requirement {
            scope: Scope::SettingsWrite,
            roles: OWNER_ADMIN,
        },
    ),
];
