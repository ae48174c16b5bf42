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
        [Some("dev-admin admin".to_owned())]
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
    assert_eq!(body["actor"], "user:dev-admin");
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

    // Refused: a customer role without its customer, an unknown role; nothing on stdout.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_dev_token_never_changes_what_an_earlier_one_may_do() {
    let app = TestApp::spawn().await;
    let mint = |args: &'static [&'static str]| tollgate(&app.db_url, app.data_dir(), args);
    let token = |output: &std::process::Output| {
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout.clone())
            .expect("UTF-8")
            .trim()
            .to_owned()
    };
    let owner = token(&mint(&["dev-token", "--org", "demo", "--role", "owner"]).await);
    let viewer = token(&mint(&["dev-token", "--org", "demo", "--role", "viewer"]).await);

    // Each role has its own subject: the owner's token keeps its rights.
    let settings = |token: &str| call(&app, reqwest::Method::GET, "/api/settings", token);
    let (_, body) = expect_status(me(&app, &owner).await, 200).await;
    assert_eq!(body["role"], "owner");
    assert_eq!(body["actor"], "user:dev-owner");
    expect_status(send(settings(&owner)).await, 200).await;
    expect_error(send(settings(&viewer)).await, 403, "forbidden").await;
    let demo = org_id(&app, "demo").await;
    assert_eq!(
        app.texts(&format!(
            "SELECT subject || ' ' || role AS value FROM memberships
             WHERE organization_id = '{demo}' ORDER BY subject"
        ))
        .await,
        [
            Some("dev-owner owner".to_owned()),
            Some("dev-viewer viewer".to_owned())
        ]
    );

    // Naming the owner's subject with another role is refused, and changes nothing.
    let refused = mint(&[
        "dev-token",
        "--org",
        "demo",
        "--role",
        "viewer",
        "--subject",
        "dev-owner",
    ])
    .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("already owner"), "{stderr}");
    assert!(stderr.contains("--change-role"), "{stderr}");
    expect_status(send(settings(&owner)).await, 200).await;

    // Asked for explicitly: changed, said on stderr, audited.
    let changed = mint(&[
        "dev-token",
        "--org",
        "demo",
        "--role",
        "viewer",
        "--subject",
        "dev-owner",
        "--change-role",
    ])
    .await;
    token(&changed);
    let stderr = String::from_utf8_lossy(&changed.stderr);
    assert!(stderr.contains("owner -> viewer"), "{stderr}");
    assert_eq!(
        app.texts(&format!(
            "SELECT target AS value FROM audit_log
             WHERE organization_id = '{demo}' AND action = 'membership.role_change'"
        ))
        .await,
        [Some("user:dev-owner (owner -> viewer)".to_owned())]
    );
    expect_error(send(settings(&owner)).await, 403, "forbidden").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_dev_token_sees_its_customer_only() {
    let app = TestApp::spawn().await;
    let output = tollgate(
        &app.db_url,
        app.data_dir(),
        &[
            "dev-token",
            "--org",
            "demo",
            "--role",
            "customer",
            "--customer",
            "acme",
        ],
    )
    .await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).expect("UTF-8");
    let demo = org_id(&app, "demo").await;
    assert_eq!(
        app.texts(&format!(
            "SELECT subject || ' ' || role || ' ' || customer_id AS value FROM memberships
             WHERE organization_id = '{demo}'"
        ))
        .await,
        [Some("dev-customer-acme customer acme".to_owned())]
    );
    let usage = call(
        &app,
        reqwest::Method::GET,
        "/api/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&customer=acme",
        token.trim(),
    );
    expect_status(send(usage).await, 200).await;
    // Another customer's usage is not its to read.
    let other = call(
        &app,
        reqwest::Method::GET,
        "/api/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&customer=globex",
        token.trim(),
    );
    expect_error(send(other).await, 403, "forbidden").await;
    // Staff routes stay closed to it.
    expect_error(
        send(call(
            &app,
            reqwest::Method::GET,
            "/api/settings",
            token.trim(),
        ))
        .await,
        403,
        "forbidden",
    )
    .await;
}
