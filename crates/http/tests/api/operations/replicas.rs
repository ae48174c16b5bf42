//! Replicas share the database and nothing else: the embedded issuer's key is kept there, made
//! once however many replicas start together, so a token minted through one works on all.

use secrecy::SecretString;

use crate::{
    helpers::{TestApp, TestDatabase},
    identity::support::{me, tollgate},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_minted_on_one_replica_works_on_another_with_its_own_data_dir() {
    let shared = TestDatabase::create().await;
    let on_shared = |settings: &mut tollgate_http::Settings| {
        settings.database.url = SecretString::from(shared.url.clone());
        settings.delivery.run_in_server = false;
    };
    // Both start at once on a database neither has used: one key must come out of the race.
    let (one, two) = tokio::join!(
        TestApp::spawn_with(on_shared),
        TestApp::spawn_with(on_shared)
    );
    assert_ne!(one.data_dir(), two.data_dir());

    let minted = tollgate(
        &shared.url,
        one.data_dir(),
        &["dev-token", "--org", "default", "--role", "owner"],
    )
    .await;
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let token = String::from_utf8(minted.stdout).expect("UTF-8");
    let token = token.trim();
    for replica in [&one, &two] {
        let response = me(replica, token).await;
        assert_eq!(response.status().as_u16(), 200, "{}", replica.address);
    }
    assert_eq!(
        shared
            .count_where(
                "installation_secrets",
                "name = 'embedded_issuer_signing_key'"
            )
            .await,
        1
    );
    assert!(
        !one.data_dir().join("identity-signing-key.pem").exists(),
        "no key file is written any more"
    );
}
