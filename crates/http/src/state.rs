//! What handlers share: the services, built once in the composition root.

use std::sync::Arc;

use tollgate_adapters::{litellm::CustomerFallback, postgres::PgPool};
use tollgate_application::services::WebhookService;

use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub webhooks: Arc<WebhookService>,
    pub metrics: Arc<Metrics>,
    pub pool: PgPool,
    pub customer_fallback: CustomerFallback,
    pub body_limit_bytes: usize,
}
