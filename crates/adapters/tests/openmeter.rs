//! The OpenMeter target and query client against a local stand-in (wiremock) for OpenMeter's
//! API. Each test checks the request as OpenMeter documents it (method, path, the exact
//! `Content-Type`, auth, CloudEvents fields, exact numbers) and maps the answers OpenMeter
//! documents (204, 400 problem+json, 401, 429, 5xx) to delivery outcomes.

#[path = "openmeter/building_blocks.rs"]
mod building_blocks;
#[path = "support/nonsense.rs"]
mod nonsense;
#[path = "support/outbox_item.rs"]
mod outbox_item;

// By subject: the delivery target (`request`, `batching`, `retries`), the `query` client and
// OpenMeter's own meter definitions (`meters_yaml`).
#[path = "openmeter/batching.rs"]
mod batching;
#[path = "openmeter/meters_yaml.rs"]
mod meters_yaml;
#[path = "openmeter/query.rs"]
mod query;
#[path = "openmeter/request.rs"]
mod request;
#[path = "openmeter/retries.rs"]
mod retries;
#[path = "openmeter/unusable.rs"]
mod unusable;
