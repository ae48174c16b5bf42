//! Ory: Hydra access tokens (JWTs verified locally against the JWKS, opaque `ory_at_` tokens
//! introspected), Kratos sessions (`/sessions/whoami`), browser login flows and identities
//! (the admin API, to find people by e-mail), and Keto relation checks, each behind
//! its port in `tollgate_application::ports`.
//!
//! Every adapter fails closed: when Ory gives no usable answer and nothing cached can answer,
//! the answer is `AuthError::Upstream` (503 unreachable or failing, 504 too slow, 502 an answer
//! that cannot be read), never a guess; only a credential Ory calls invalid is a 401. Tokens, cookies and API keys are
//! never logged; caches key on the SHA-256 of a credential, never on the credential itself.
//! Time comes from the injected [`Clock`](tollgate_application::ports::Clock) so that token
//! lifetimes and cache expiry can be tested without sleeping.

mod cache;
mod http;
mod introspection;
mod jwks;
mod jwt;
mod keto;
mod keto_team;
mod kratos;
mod kratos_directory;
mod kratos_flows;
mod tokens;

pub use http::OrySetupError;
pub use introspection::{HydraIntrospection, HydraIntrospectionConfig};
pub use jwt::{HydraJwtConfig, HydraJwtVerifier};
pub use keto::{KetoConfig, KetoPermissions};
pub use keto_team::{KetoTeam, KetoTeamConfig};
pub use kratos::{KratosConfig, KratosSessions};
pub use kratos_directory::{IDS_PER_CALL, KratosDirectory, KratosDirectoryConfig};
pub use kratos_flows::KratosLoginFlows;
pub use tokens::OryAccessTokens;
