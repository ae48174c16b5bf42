//! Hydra (introspection and its key set), Kratos and Keto answering something unusable: each
//! answer becomes its upstream kind (`tests/support/nonsense.rs`), never a 401 and never a
//! caller let in.

use jsonwebtoken::Algorithm;
use tollgate_adapters::ory::{
    HydraIntrospection, HydraIntrospectionConfig, HydraJwtConfig, HydraJwtVerifier, KetoConfig,
    KetoPermissions, KratosConfig, KratosSessions,
};
use tollgate_application::ports::{
    AccessTokenVerifier, PermissionChecker, SessionCredential, SessionResolver,
};
use wiremock::{Mock, MockServer, matchers};

use crate::nonsense::{self, Nonsense};
use crate::stand_ins::*;
use crate::support::*;

/// A stand-in answering `nonsense` to every request.
async fn answering(nonsense: Nonsense) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::any())
        .respond_with(nonsense.answer())
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn hydra_introspection() -> TestResult {
    let clock = ManualClock::new();
    for nonsense in nonsense::ALL {
        let server = answering(nonsense).await;
        let mut config = HydraIntrospectionConfig::new(base_url(&server)?);
        config.timeout = nonsense::TIMEOUT;
        let hydra = HydraIntrospection::with_clock(config, clock.clone())?;
        nonsense.assert_becomes("hydra", &upstream(hydra.verify(OPAQUE).await));
    }
    Ok(())
}

#[tokio::test]
async fn hydra_key_set() -> TestResult {
    let clock = ManualClock::new();
    let token = mint(Algorithm::RS256, "rsa-1", &hydra_claims(clock.seconds()))?;
    for nonsense in nonsense::ALL {
        let server = answering(nonsense).await;
        let mut config = HydraJwtConfig::new(ISSUER, base_url(&server)?.join(JWKS_PATH)?, AUDIENCE);
        config.timeout = nonsense::TIMEOUT;
        let hydra = HydraJwtVerifier::with_clock(config, clock.clone())?;
        nonsense.assert_becomes("hydra", &upstream(hydra.verify(&token).await));
    }
    Ok(())
}

#[tokio::test]
async fn kratos_whoami() -> TestResult {
    let clock = ManualClock::new();
    let cookie = SessionCredential::Cookie(COOKIE.to_owned());
    for nonsense in nonsense::ALL {
        let server = answering(nonsense).await;
        let mut config = KratosConfig::new(base_url(&server)?);
        config.timeout = nonsense::TIMEOUT;
        let kratos = KratosSessions::with_clock(config, clock.clone())?;
        nonsense.assert_becomes("kratos", &upstream(kratos.whoami(&cookie).await));
    }
    Ok(())
}

#[tokio::test]
async fn keto_check() -> TestResult {
    for nonsense in nonsense::ALL {
        let server = answering(nonsense).await;
        let mut config = KetoConfig::new(base_url(&server)?);
        config.timeout = nonsense::TIMEOUT;
        let keto = KetoPermissions::new(config)?;
        nonsense.assert_becomes("keto", &upstream(keto.check(&question()).await));
    }
    Ok(())
}
