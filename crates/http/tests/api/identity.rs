//! `/api` identity and access: who may call (embedded issuer, Ory Hydra, API keys), what they
//! may do (memberships or Ory Keto, scopes), in which organization, and what the audit log
//! keeps of it. Also the `dev-token` and `audit verify` commands of the real binary.

mod api_keys;
mod audit;
mod authentication;
// The same fixed test keys as the adapters' Ory tests (one copy in the repository).
#[path = "../../../adapters/tests/support/ory_keys.rs"]
#[allow(dead_code, reason = "the adapters' tests use keys these tests do not")]
mod keys;
mod litellm_secrets;
mod me;
mod ory;
mod portal;
mod requests;
mod settings;
mod startup;
pub(crate) mod support;
mod tenancy;
