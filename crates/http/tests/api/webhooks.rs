//! `POST /v1/webhooks/litellm`: LiteLLM's usage events.

mod body_limit;
mod concurrency;
mod hostile;
mod ingest;
mod privacy;
mod rejections;
mod slow_clients;
