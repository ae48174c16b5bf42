//! `OryAccessTokens`: which verifier each kind of token goes to, and what is no access token.

use std::sync::Arc;

use jsonwebtoken::Algorithm;
use tollgate_adapters::ory::OryAccessTokens;
use tollgate_application::ports::AccessTokenVerifier;

use crate::stand_ins::*;
use crate::support::*;

#[tokio::test]
async fn router_sends_each_token_kind_to_its_verifier() -> TestResult {
    let clock = ManualClock::new();
    let (hydra_public, _jwks) = hydra_with_keys().await;
    let hydra_admin = hydra_admin(active_answer(clock.seconds())).await;
    let tokens = OryAccessTokens::new()
        .with_jwt(Arc::new(jwt_verifier(&hydra_public, &clock)?))
        .with_introspection(Arc::new(introspection(&hydra_admin, &clock)?));

    let jwt = mint(Algorithm::EdDSA, "ed-1", &hydra_claims(clock.seconds()))?;
    assert!(tokens.verify(&jwt).await.is_ok());
    assert!(tokens.verify(OPAQUE).await.is_ok());
    for not_an_access_token in ["", "ory_rt_refresh.token", "ory_st_session", "with space.x"] {
        assert!(
            unauthenticated(tokens.verify(not_an_access_token).await),
            "{not_an_access_token}"
        );
    }
    assert_eq!(request_count(&hydra_public).await, 1);
    assert_eq!(request_count(&hydra_admin).await, 1);

    let jwt_only = OryAccessTokens::new().with_jwt(Arc::new(jwt_verifier(&hydra_public, &clock)?));
    assert!(unauthenticated(jwt_only.verify(OPAQUE).await));
    Ok(())
}
