//! Card payments (issue 13): reading attempts and cards is billing staff's and viewers';
//! asking a customer to save a card changes what will be charged, so it is billing staff's.

use tollgate_application::services::access::Requirement;
use tollgate_domain::access::Scope;

use super::{BILLING_STAFF, Rule, STAFF};

pub(super) const RULES: &[Rule] = &[
    (
        "GET",
        "/api/billing/payments",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/customers/{id}/payment-methods/setup-link",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "POST",
        "/api/billing/invoices/{id}/pay",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "GET",
        "/api/billing/customers/{id}/payment-methods",
        Requirement {
            scope: Scope::BillingRead,
            roles: STAFF,
        },
    ),
    (
        "PUT",
        "/api/billing/customers/{id}/payment-methods/{pm}/default",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
    (
        "DELETE",
        "/api/billing/customers/{id}/payment-methods/{pm}",
        Requirement {
            scope: Scope::BillingWrite,
            roles: BILLING_STAFF,
        },
    ),
];
