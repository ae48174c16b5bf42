//! Tollgate's adapters: the wire formats it receives (LiteLLM) and the systems it talks to
//! (PostgreSQL today), each implementing ports of `tollgate-application`.

pub mod dns;
pub mod embedded_identity;
pub mod json_text;
pub mod lago;
pub mod litellm;
pub mod openmeter;
pub mod ory;
mod outbound_http;
pub mod outbound_webhooks;
pub mod pdf;
pub mod postgres;
pub mod probe;
pub mod signing;
pub mod stripe;
mod upstream;
pub mod upstream_calls;
