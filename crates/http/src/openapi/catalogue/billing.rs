//! Customers, plans and subscriptions.

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{dto, page_of, parses},
    routes::api::{
        customers::{CreateCustomerRequest, CustomerResponse, UpdateCustomerRequest},
        plans::{PlanResponse, PlanVersionBody, dto::PlanRequest},
        subscriptions::{CreateSubscriptionRequest, PlanChangeRequest, SubscriptionResponse},
    },
};

const CUSTOMER_REQUEST: &str = r#"{"external_id": "cust-002", "name": "Globex GmbH",
    "billing_email": "ap@globex.example", "currency": "EUR",
    "address": {"line1": "Friedrichstrasse 1", "line2": null, "city": "Berlin",
        "postal_code": "10117", "state": null, "country": "DE"},
    "tax_id": "DE123456789", "tax_rate": "19", "timezone": "Europe/Berlin",
    "metadata": {"crm": "0061x00000AbCdE"}}"#;

const CUSTOMER: &str = r#"{"id": "3b0c8f0e-5d6a-4e2b-9c1d-7f8e9a0b1c2d",
    "external_id": "cust-002", "name": "Globex GmbH", "billing_email": "ap@globex.example",
    "currency": "EUR", "currency_minor_units": 2,
    "address": {"line1": "Friedrichstrasse 1", "line2": null, "city": "Berlin",
        "postal_code": "10117", "state": null, "country": "DE"},
    "tax_id": "DE123456789", "tax_rate": "19", "timezone": "Europe/Berlin",
    "metadata": {"crm": "0061x00000AbCdE"}, "created_at": "2026-12-06T09:00:00Z",
    "updated_at": "2026-12-06T09:00:00Z"}"#;

/// A plan with a graduated token charge and a cost-plus charge: the first day of docs/api.md.
const PLAN_REQUEST: &str = r#"{"code": "pro", "name": "Pro", "description": "Usage-based",
    "interval": "monthly", "currency": "EUR",
    "base_fee": {"amount": "49.00", "timing": "in_advance"}, "trial_days": 0,
    "minimum_commitment": null,
    "charges": [
        {"meter": "input_tokens", "free_units": "100000", "minimum": null,
         "model": {"type": "graduated", "tiers": [
            {"from": "0", "up_to": "1000000", "unit_price": "0.000002"},
            {"from": "1000000", "up_to": null, "unit_price": "0.0000015"}]}},
        {"meter": "cost_usd", "free_units": null, "minimum": null,
         "model": {"type": "percentage_markup", "percent": "20"}}]}"#;

const PLAN: &str = r#"{"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "version": 1,
    "code": "pro", "name": "Pro", "description": "Usage-based", "interval": "monthly",
    "currency": "EUR", "base_fee": {"amount": "49.00", "timing": "in_advance"},
    "trial_days": 0, "minimum_commitment": null, "charges": [],
    "version_created_at": "2026-12-06T09:00:00Z", "created_at": "2026-12-06T09:00:00Z",
    "updated_at": "2026-12-06T09:00:00Z", "archived_at": null,
    "versions": [{"version": 1, "name": "Pro", "created_at": "2026-12-06T09:00:00Z"}]}"#;

const SUBSCRIPTION: &str = r#"{"id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    "customer_id": "3b0c8f0e-5d6a-4e2b-9c1d-7f8e9a0b1c2d", "external_id": "sub-globex",
    "status": "active",
    "plan": {"plan_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "plan_code": "pro",
        "plan_version": 1, "starts_at": "2026-12-01T00:00:00Z", "ends_at": null,
        "reason": "created"},
    "billing_anchor": "2026-12-01T00:00:00Z", "started_at": "2026-12-01T00:00:00Z",
    "trial_ends_at": null, "terminated_at": null,
    "invoiced_through": "2026-12-01T00:00:00Z",
    "current_period": {"start": "2026-12-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"},
    "pending_change": null, "phases": [], "created_at": "2026-12-06T09:00:00Z",
    "updated_at": "2026-12-06T09:00:00Z"}"#;

fn billing(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    id: &'static str,
    summary: &'static str,
    answer: Answer,
) -> Operation {
    Operation {
        method,
        path,
        id,
        tag,
        summary,
        query: None,
        paged: false,
        request: None,
        answer,
    }
}

fn customer(status: u16) -> Answer {
    Answer::Json {
        status,
        schema: dto::<CustomerResponse>,
        example: CUSTOMER,
    }
}

fn plan(status: u16) -> Answer {
    Answer::Json {
        status,
        schema: dto::<PlanResponse>,
        example: PLAN,
    }
}

fn subscription(status: u16) -> Answer {
    Answer::Json {
        status,
        schema: dto::<SubscriptionResponse>,
        example: SUBSCRIPTION,
    }
}

fn plan_change() -> Option<Request> {
    Some(Request {
        schema: dto::<PlanChangeRequest>,
        example: r#"{"plan_code": "scale", "effective_at": null}"#,
        parses: parses::<PlanChangeRequest>,
    })
}

pub fn operations() -> Vec<Operation> {
    let customers = "/api/billing/customers";
    let plans = "/api/billing/plans";
    let subscriptions = "/api/billing/subscriptions";
    vec![
        Operation {
            paged: true,
            query: Some(|| {
                vec![serde_json::json!({
                    "name": "search", "in": "query", "required": false,
                    "description": "Only customers whose external id, name or billing e-mail \
                        contains this text, in any case (at most 254 characters).",
                    "schema": { "type": "string", "maxLength": 254 },
                })]
            }),
            ..billing(
                "GET",
                customers,
                "customers",
                "listCustomers",
                "The customers, by id",
                Answer::Json {
                    status: 200,
                    schema: page_of::<CustomerResponse>,
                    example: r#"{"data": [], "next_cursor": null}"#,
                },
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<CreateCustomerRequest>,
                example: CUSTOMER_REQUEST,
                parses: parses::<CreateCustomerRequest>,
            }),
            ..billing(
                "POST",
                customers,
                "customers",
                "createCustomer",
                "Creates a customer (its `external_id` is what LiteLLM reports)",
                customer(201),
            )
        },
        billing(
            "GET",
            "/api/billing/customers/{id}",
            "customers",
            "showCustomer",
            "One customer",
            customer(200),
        ),
        Operation {
            request: Some(Request {
                schema: dto::<UpdateCustomerRequest>,
                example: r#"{"billing_email": "invoices@globex.example", "tax_rate": null}"#,
                parses: parses::<UpdateCustomerRequest>,
            }),
            ..billing(
                "PATCH",
                "/api/billing/customers/{id}",
                "customers",
                "updateCustomer",
                "Changes the fields given; `null` clears an optional one",
                customer(200),
            )
        },
        Operation {
            paged: true,
            ..billing(
                "GET",
                plans,
                "plans",
                "listPlans",
                "The plans, each at its latest version",
                Answer::Json {
                    status: 200,
                    schema: page_of::<PlanResponse>,
                    example: r#"{"data": [], "next_cursor": null}"#,
                },
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<PlanRequest>,
                example: PLAN_REQUEST,
                parses: parses::<PlanRequest>,
            }),
            ..billing(
                "POST",
                plans,
                "plans",
                "createPlan",
                "Creates a plan (version 1); every amount a decimal string",
                plan(201),
            )
        },
        billing(
            "GET",
            "/api/billing/plans/{id}",
            "plans",
            "showPlan",
            "One plan (by id or code) with its versions",
            plan(200),
        ),
        Operation {
            request: Some(Request {
                schema: dto::<PlanRequest>,
                example: PLAN_REQUEST,
                parses: parses::<PlanRequest>,
            }),
            ..billing(
                "PUT",
                "/api/billing/plans/{id}",
                "plans",
                "updatePlan",
                "A new version stating every charge; running subscriptions move onto it at \
                 renewal",
                plan(200),
            )
        },
        Operation {
            paged: true,
            ..billing(
                "GET",
                "/api/billing/plans/{id}/versions",
                "plans",
                "planVersions",
                "A plan's versions, oldest first",
                Answer::Json {
                    status: 200,
                    schema: page_of::<PlanVersionBody>,
                    example: r#"{"data": [], "next_cursor": null}"#,
                },
            )
        },
        billing(
            "POST",
            "/api/billing/plans/{id}/archive",
            "plans",
            "archivePlan",
            "Takes no new subscriptions from now on",
            plan(200),
        ),
        Operation {
            paged: true,
            query: Some(|| {
                vec![serde_json::json!({
                    "name": "customer_id", "in": "query", "required": false,
                    "description": "Only this customer's.",
                    "schema": { "type": "string", "format": "uuid" },
                })]
            }),
            ..billing(
                "GET",
                subscriptions,
                "subscriptions",
                "listSubscriptions",
                "The subscriptions, by id",
                Answer::Json {
                    status: 200,
                    schema: page_of::<SubscriptionResponse>,
                    example: r#"{"data": [], "next_cursor": null}"#,
                },
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<CreateSubscriptionRequest>,
                example: r#"{"customer_id": "3b0c8f0e-5d6a-4e2b-9c1d-7f8e9a0b1c2d",
                    "plan_code": "pro", "external_id": "sub-globex",
                    "starts_at": "2026-12-01T00:00:00Z"}"#,
                parses: parses::<CreateSubscriptionRequest>,
            }),
            ..billing(
                "POST",
                subscriptions,
                "subscriptions",
                "createSubscription",
                "Subscribes a customer to a plan, now or backdated (`billing.max_backdate_days`)",
                subscription(201),
            )
        },
        billing(
            "GET",
            "/api/billing/subscriptions/{id}",
            "subscriptions",
            "showSubscription",
            "One subscription with its phases",
            subscription(200),
        ),
        Operation {
            request: plan_change(),
            ..billing(
                "POST",
                "/api/billing/subscriptions/{id}/upgrade",
                "subscriptions",
                "upgradeSubscription",
                "Moves to a dearer plan now, prorated",
                subscription(200),
            )
        },
        Operation {
            request: plan_change(),
            ..billing(
                "POST",
                "/api/billing/subscriptions/{id}/downgrade",
                "subscriptions",
                "downgradeSubscription",
                "Moves to a cheaper plan at the period's end",
                subscription(200),
            )
        },
        billing(
            "POST",
            "/api/billing/subscriptions/{id}/terminate",
            "subscriptions",
            "terminateSubscription",
            "Ends it now; the final invoice follows",
            subscription(200),
        ),
    ]
}
