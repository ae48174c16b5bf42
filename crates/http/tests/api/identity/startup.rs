//! The embedded issuer's guard on where the server listens, and `tollgate dev-token`.

use secrecy::SecretString;
use tollgate_http::{Application, Settings, StartupError};

use super::support::{ORG_HEADER, call, expect_error, expect_status, me, org_id, send, tollgate};
use crate::helpers::{TestApp, TestDatabase};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_issuer_refuses_a_non_loopback_address_unless_forced() {
    let db = TestDatabase::create().await;
    let data_dir = std::env::temp_dir().join(format!("tollgate-test-{}", db.name));
    let mut settings = Settings::load().expect("the embedded defaults load");
    settings.database.url = SecretString::from(db.url.clone());
    settings.database.create_if_missing = false;
    settings.server.bind = "0.0.0.0:0".parse().expect("an address");
    settings.server.workers = 1;
    settings.litellm.webhook_secrets = vec![SecretString::from("whsec_startup_guard")];
    settings.data_dir.clone_from(&data_dir);
    assert!(!settings.identity.allow_non_loopback, "the default is off");

    let refused = Application::build(settings.clone()).await;
    let _ = std::fs::remove_dir_all(&data_dir);
    match refused {
        Err(StartupError::Invalid(message)) => {
            assert!(message.contains("0.0.0.0"), "{message}");
            assert!(message.contains("loopback"), "{message}");
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("the embedded issuer started on 0.0.0.0"),
    }
    settings.server.bind = "[::]:0".parse().expect("an address");
    assert!(matches!(
        Application::build(settings).await,
        Err(StartupError::Invalid(_))
    ));
    let _ = std::fs::remove_dir_all(&data_dir);
    drop(db);

    // Forced: it starts, and serves (on loopback too).
    let app = TestApp::spawn_with(|settings| {
        settings.server.bind = "0.0.0.0:0".parse().expect("an address");
        settings.identity.allow_non_loopback = true;
    })
    .await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    expect_error(me(&app, "no-token").await, 401, "unauthorized").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_creates_the_organization_and_membership_and_prints_a_working_token() {
    let app = TestApp::spawn().await;
    let args = ["dev-token", "--org", "gamma", "--role", "admin"];

    let output = tollgate(&app.db_url, app.data_dir(), &args).await;
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout is the token alone: {stdout:?}");
    assert!(stdout.ends_with('\n'));
    let token = lines[0];
    assert_eq!(token.split('.').count(), 3, "{token}");
    assert!(token.split('.').all(|part| !part.is_empty()), "{token}");

    let gamma = org_id(&app, "gamma").await;
    assert_eq!(
        app.texts(&format!(
            "SELECT subject || ' ' || role AS value FROM memberships
             WHERE organization_id = '{gamma}'"
        ))
        .await,
        [Some("dev-user admin".to_owned())]
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!(
                "organization_id = '{gamma}' AND action = 'membership.grant'
                 AND actor = 'system:dev-token'"
            )
        )
        .await,
        1
    );

    // The running app (same data directory, same database) accepts it.
    let (_, body) = expect_status(me(&app, token).await, 200).await;
    assert_eq!(body["actor"], "user:dev-user");
    assert_eq!(body["role"], "admin");
    assert_eq!(body["organization"], gamma.to_string());
    let request = call(&app, reqwest::Method::GET, "/api/me", token).header(ORG_HEADER, "default");
    expect_error(send(request).await, 403, "forbidden").await;

    // Again: the same organization, the same single membership.
    let output = tollgate(&app.db_url, app.data_dir(), &args).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(app.count_where("organizations", "slug = 'gamma'").await, 1);
    assert_eq!(
        app.count_where("memberships", &format!("organization_id = '{gamma}'"))
            .await,
        1
    );

    // Refused: a customer role (not for dev tokens), an unknown role; nothing on stdout.
    for role in ["customer", "superuser"] {
        let output = tollgate(
            &app.db_url,
            app.data_dir(),
            &["dev-token", "--org", "delta", "--role", role],
        )
        .await;
        assert_eq!(output.status.code(), Some(1), "{role}");
        assert!(output.stdout.is_empty(), "{role}");
    }
    assert_eq!(app.count_where("organizations", "slug = 'delta'").await, 0);
}
