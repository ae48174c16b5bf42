//! The dashboard's pages, in the same shape as the API's rows: what each needs. A page missing
//! here is refused (fail closed). Sign-in, sign-out and static files serve people not signed
//! in yet and are not here (`web::PUBLIC_ROUTES`).

use tollgate_application::services::access::Requirement;
use tollgate_domain::access::Scope;

use super::STAFF;

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
];
