//! `/billing/...`: invoices (list, detail, their PDFs, finalize and void), card payment
//! attempts (the list, and each invoice's on its page), subscriptions with
//! their phases, plans with their versions and tier tables, and the plan form. Every figure
//! comes from the services the JSON API calls (`routes/api/{invoices,subscriptions,plans}`).
//!
//! Write controls are shown to the roles the access table lets post them, and the table
//! refuses the others anyway. A failing billing engine (Lago) degrades the section that reads
//! it to its 502/503/504 message; the rest of the page is still served.

mod invoice_actions;
mod invoice_list;
mod invoices;
mod labels;
mod payments;
mod plan_form;
mod plans;
mod subscriptions;

use std::collections::HashMap;

use actix_web::{HttpRequest, http::Method, web};

use super::{Visitor, i18n::catalog, i18n::key};
use crate::access::requirement_for;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/billing/invoices", web::get().to(invoice_list::list))
        .route("/billing/invoices/{id}", web::get().to(invoices::show))
        .route("/billing/invoices/{id}/pdf", web::get().to(invoices::pdf))
        .route(
            "/billing/invoices/{id}/receipt",
            web::get().to(invoices::receipt),
        )
        .route(
            "/billing/invoices/{id}/finalize",
            web::post().to(invoice_actions::finalize),
        )
        .route(
            "/billing/invoices/{id}/void",
            web::post().to(invoice_actions::void),
        )
        .route(
            "/billing/credit-notes/{id}/pdf",
            web::get().to(invoices::credit_note_pdf),
        )
        .route("/billing/payments", web::get().to(payments::list))
        .route("/billing/subscriptions", web::get().to(subscriptions::list))
        .route("/billing/plans", web::get().to(plans::list))
        .route("/billing/plans", web::post().to(plan_form::create))
        // Before `/billing/plans/{id}`, which would take `new` for an id.
        .route("/billing/plans/new", web::get().to(plan_form::blank))
        .route("/billing/plans/{id}", web::get().to(plans::show))
        .route(
            "/billing/plans/{id}/versions",
            web::post().to(plan_form::add_version),
        )
        .route(
            "/billing/plans/{id}/versions/new",
            web::get().to(plan_form::next_version),
        );
}

/// The billing section's own menu: path, label key.
const SECTIONS: &[(&str, &str)] = &[
    ("/billing/invoices", key("billing-invoices")),
    ("/billing/payments", key("billing-payments")),
    ("/billing/subscriptions", key("billing-subscriptions")),
    ("/billing/plans", key("billing-plans")),
];

pub struct Section {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// The section menu, `current` marked.
fn sections(current: &str) -> Vec<Section> {
    let t = catalog();
    SECTIONS
        .iter()
        .map(|(href, label)| Section {
            href,
            label: t.tr(label),
            current: *href == current,
        })
        .collect()
}

/// Whether the visitor's role may use the route `pattern` with `method` (its row in the
/// access table): write controls are rendered only for those who may.
fn may(visitor: &Visitor, method: &Method, pattern: &str) -> bool {
    requirement_for(method, pattern).is_some_and(|rule| rule.roles.contains(&visitor.role))
}

/// The query's parameters; of a repeated one the last (the pages' own links repeat none).
fn params(request: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(request.query_string().as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The parameter `name` of `params`, trimmed; empty when absent (a filter left blank).
fn param(params: &HashMap<String, String>, name: &str) -> String {
    params
        .get(name)
        .map(|value| value.trim().to_owned())
        .unwrap_or_default()
}

/// A query string of the non-empty `pairs`, for links that keep a view's filters.
fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        query.append_pair(name, value);
    }
    let text = query.finish();
    if text.is_empty() {
        text
    } else {
        format!("?{text}")
    }
}

#[cfg(test)]
mod tests;
