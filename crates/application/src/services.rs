//! The use cases, grouped by bounded context as the domain is: `ingest` (LiteLLM's webhooks
//! become stored events), `metering` (stored events reach the meters; usage is read back),
//! `billing` (customers, plans, subscriptions, invoices, the period close) and `access` (who
//! may do what, API keys, settings). Each context reaches another only through its services.

pub mod access;
pub mod billing;
pub mod compliance;
pub mod ingest;
pub mod metering;
pub mod outbound_webhooks;
pub mod payments;
