//! The Ory adapters against local stand-ins for Hydra, Kratos and Keto (wiremock). Each
//! stand-in answers the JSON that Ory documents, and each test checks the request as Ory
//! documents it: method, path, forwarded headers, form or JSON body.

#[path = "support/ory_keys.rs"]
mod keys;
#[path = "support/nonsense.rs"]
mod nonsense;
#[path = "support/ory_stand_ins.rs"]
mod stand_ins;
#[path = "support/ory_support.rs"]
mod support;

// By subject: access tokens (`jwt`, `introspection`, and the `router` between them), sessions
// (`kratos`), relation checks (`keto`), and answers none of them can use (`unusable`).
#[path = "ory/introspection.rs"]
mod introspection;
#[path = "ory/jwt.rs"]
mod jwt;
#[path = "ory/keto.rs"]
mod keto;
#[path = "ory/keto_team.rs"]
mod keto_team;
#[path = "ory/kratos.rs"]
mod kratos;
#[path = "ory/kratos_directory.rs"]
mod kratos_directory;
#[path = "ory/router.rs"]
mod router;
#[path = "ory/unusable.rs"]
mod unusable;
