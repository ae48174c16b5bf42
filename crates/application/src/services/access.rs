//! Identity and access: who is calling and what they may do, API keys, the organization's
//! settings.

pub mod api_keys;
mod authorization;
pub mod idempotency;
pub mod memberships;
pub mod settings;
pub mod web_sessions;

pub use authorization::{
    AccessService, CUSTOMERS_NAMESPACE, Credential, ORGANIZATIONS_NAMESPACE, OrganizationName,
    Principal, PrincipalKind, Requirement,
};
