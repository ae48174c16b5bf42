//! The reads and writes the dashboard added to the API (issue 12): the billing summary, the
//! event list, a subscription's usage to date, portal links and the team's memberships.

use tollgate_application::services::access::Requirement;
use tollgate_domain::access::Scope;

use super::{Rule, STAFF_OR_CUSTOMER};

pub(super) const RULES: &[Rule] = &[
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
