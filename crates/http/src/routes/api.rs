//! The JSON API under `/api`: every handler takes a [`Caller`](crate::access::Caller), so
//! nothing here runs for an unauthenticated or unauthorized request.

pub(crate) mod analytics;
pub(crate) mod api_keys;
pub(crate) mod audit;
pub(crate) mod credit_notes;
pub(crate) mod current_usage;
pub(crate) mod customers;
pub(crate) mod events;
pub(crate) mod export;
pub(crate) mod invoices;
pub(crate) mod me;
pub(crate) mod members;
pub(crate) mod outbox;
pub(crate) mod paging;
pub(crate) mod payments;
pub(crate) mod plans;
pub(crate) mod portal_links;
pub(crate) mod privacy;
pub(crate) mod settings;
pub(crate) mod subscriptions;
pub(crate) mod summary;
pub(crate) mod usage;
pub(crate) mod webhooks;

use actix_web::web;

pub fn configure(config: &mut web::ServiceConfig) {
    config.configure(webhooks::configure);
    config
        .route("/api/me", web::get().to(me::show))
        .route("/api/settings/api-keys", web::get().to(api_keys::list))
        .route("/api/settings/api-keys", web::post().to(api_keys::create))
        .route(
            "/api/settings/api-keys/{id}",
            web::delete().to(api_keys::revoke),
        )
        .route("/api/settings/members", web::get().to(members::list))
        .route("/api/settings/members", web::post().to(members::add))
        .route(
            "/api/settings/members/{subject}",
            web::patch().to(members::change),
        )
        .route(
            "/api/settings/members/{subject}",
            web::delete().to(members::remove),
        )
        .route("/api/audit", web::get().to(audit::page))
        .route("/api/privacy/records", web::get().to(privacy::records))
        .route(
            "/api/privacy/consents",
            web::get().to(privacy::consents::list),
        )
        .route(
            "/api/privacy/consents",
            web::post().to(privacy::consents::grant),
        )
        .route(
            "/api/privacy/consents/withdraw",
            web::post().to(privacy::consents::withdraw),
        )
        .route(
            "/api/me/export",
            web::post().to(privacy::exports::request_own),
        )
        .route(
            "/api/privacy/exports/{id}",
            web::get().to(privacy::exports::show),
        )
        .route(
            "/api/privacy/exports/{id}/download",
            web::get().to(privacy::exports::download),
        )
        .route("/api/billing/customers", web::get().to(customers::list))
        .route("/api/billing/customers", web::post().to(customers::create))
        .route(
            "/api/billing/customers/{id}",
            web::get().to(customers::show),
        )
        .route(
            "/api/billing/customers/{id}",
            web::patch().to(customers::update),
        )
        .route(
            "/api/billing/customers/{id}/portal-links",
            web::post().to(portal_links::create),
        )
        .route(
            "/api/billing/customers/{id}/payment-methods",
            web::get().to(payments::cards),
        )
        .route(
            "/api/billing/customers/{id}/payment-methods/setup-link",
            web::post().to(payments::setup_link),
        )
        .route(
            "/api/billing/customers/{id}/payment-methods/{pm}/default",
            web::put().to(payments::set_default_card),
        )
        .route(
            "/api/billing/customers/{id}/payment-methods/{pm}",
            web::delete().to(payments::remove_card),
        )
        .route("/api/billing/payments", web::get().to(payments::list))
        .route(
            "/api/billing/invoices/{id}/pay",
            web::post().to(payments::pay),
        )
        .route("/api/billing/plans", web::get().to(plans::list))
        .route("/api/billing/plans", web::post().to(plans::create))
        .route("/api/billing/plans/{id}", web::get().to(plans::show))
        .route("/api/billing/plans/{id}", web::put().to(plans::update))
        .route(
            "/api/billing/plans/{id}/versions",
            web::get().to(plans::versions),
        )
        .route(
            "/api/billing/plans/{id}/archive",
            web::post().to(plans::archive),
        )
        .route(
            "/api/billing/subscriptions",
            web::get().to(subscriptions::list),
        )
        .route(
            "/api/billing/subscriptions",
            web::post().to(subscriptions::create),
        )
        .route(
            "/api/billing/subscriptions/{id}",
            web::get().to(subscriptions::show),
        )
        .route(
            "/api/billing/subscriptions/{id}/current-usage",
            web::get().to(current_usage::show),
        )
        .route(
            "/api/billing/subscriptions/{id}/upgrade",
            web::post().to(subscriptions::upgrade),
        )
        .route(
            "/api/billing/subscriptions/{id}/downgrade",
            web::post().to(subscriptions::downgrade),
        )
        .route(
            "/api/billing/subscriptions/{id}/terminate",
            web::post().to(subscriptions::terminate),
        )
        .route("/api/billing/summary", web::get().to(summary::show))
        .route("/api/billing/invoices", web::get().to(invoices::list))
        .route("/api/billing/invoices/{id}", web::get().to(invoices::show))
        .route(
            "/api/billing/invoices/{id}/finalize",
            web::post().to(invoices::finalize),
        )
        .route(
            "/api/billing/invoices/{id}/void",
            web::post().to(invoices::void),
        )
        .route(
            "/api/billing/invoices/{id}/mark-paid",
            web::post().to(invoices::mark_paid),
        )
        .route(
            "/api/billing/invoices/{id}/pdf",
            web::get().to(invoices::pdf),
        )
        .route(
            "/api/billing/invoices/{id}/receipt",
            web::get().to(invoices::receipt),
        )
        .route(
            "/api/billing/invoices/{id}/credit-notes",
            web::get().to(credit_notes::of_invoice),
        )
        .route(
            "/api/billing/credit-notes/{id}",
            web::get().to(credit_notes::show),
        )
        .route(
            "/api/billing/credit-notes/{id}/pdf",
            web::get().to(credit_notes::pdf),
        )
        .route("/api/usage", web::get().to(usage::show))
        .route("/api/usage/export", web::get().to(export::stream_rows))
        .route("/api/usage/events", web::get().to(events::list))
        .route("/api/usage/events/{id}", web::get().to(events::show))
        .route("/api/analytics", web::get().to(analytics::show))
        .route("/api/admin/outbox", web::get().to(outbox::depth))
        .route("/api/admin/outbox/retry", web::post().to(outbox::retry))
        .route(
            "/api/admin/outbox/dead-letters",
            web::get().to(outbox::dead_letters),
        )
        .route(
            "/api/admin/outbox/dead-letters/{id}/retry",
            web::post().to(outbox::retry_dead_letter),
        )
        .route("/api/settings", web::get().to(settings::show))
        .route("/api/settings", web::put().to(settings::replace))
        .route("/api/settings", web::patch().to(settings::patch))
        .route(
            "/api/settings/litellm-secrets",
            web::get().to(settings::list_secrets),
        )
        .route(
            "/api/settings/litellm-secrets",
            web::post().to(settings::create_secret),
        )
        .route(
            "/api/settings/litellm-secrets/{id}/rotate",
            web::post().to(settings::rotate_secret),
        )
        .route(
            "/api/settings/litellm-secrets/{id}",
            web::delete().to(settings::revoke_secret),
        );
}
