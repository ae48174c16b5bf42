//! PostgreSQL over TLS: a private cluster (Debian's server binaries, a free port, a temporary
//! directory) that accepts TLS connections only, with a certificate for `localhost` signed by
//! a CA made here. `sslmode` and `sslrootcert` in `database.url` decide what is checked.

mod cluster;

use std::{process::Command, time::Duration};

use secrecy::SecretString;

use self::cluster::{Certificates, Cluster};
use crate::helpers::{TestApp, USAGE_BATCH, status_and_json};

fn url(cluster: &Cluster, host: &str, query: &str) -> String {
    format!(
        "postgres://postgres@{host}:{}/tollgate_tls?{query}",
        cluster.port
    )
}

/// `tollgate serve` on `url`, which must fail to start: its exit code and stderr.
fn start(url: &str, data_dir: &std::path::Path) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("serve")
        .env_clear()
        .env("TOLLGATE__DATABASE__URL", url)
        .env("TOLLGATE__SERVER__BIND", "127.0.0.1:0")
        .env("TOLLGATE__DATA_DIR", data_dir)
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_and_sslrootcert_decide_what_is_checked_and_a_wrong_ca_fails_clearly() {
    let certificates = Certificates::make();
    let mut cluster = Cluster::start(&certificates.server).await;
    let ca = certificates.ca_file(&cluster.dir);
    let wrong_ca = certificates.other_ca_file(&cluster.dir);

    // verify-full: the chain and the name are checked; the server takes TLS only.
    let app = TestApp::spawn_with(|settings| {
        settings.database.url = SecretString::from(url(
            &cluster,
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ));
        settings.database.create_if_missing = true;
    })
    .await;
    let (status, body) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(status, 200, "{body}");
    let response = app.post_usage(USAGE_BATCH, "application/json").await;
    assert_eq!(response.status().as_u16(), 202);

    let data_dir = cluster.dir.join("data-dir");
    // The certificate names localhost, not 127.0.0.1: verify-full refuses the address,
    // verify-ca (chain only) and require (encryption only) take it.
    let (code, stderr) = start(
        &url(
            &cluster,
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        &data_dir,
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("not valid for name \"127.0.0.1\""),
        "{stderr}"
    );
    for query in [
        format!("sslmode=verify-ca&sslrootcert={ca}"),
        "sslmode=require".to_owned(),
    ] {
        let probe = TestApp::spawn_with(|settings| {
            settings.database.url = SecretString::from(url(&cluster, "127.0.0.1", &query));
        })
        .await;
        let (status, body) = status_and_json(probe.get("/readyz").await).await;
        assert_eq!(status, 200, "{query}: {body}");
    }

    // A CA that did not sign the server's certificate: no start, exit 2, saying why.
    let (code, stderr) = start(
        &url(
            &cluster,
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={wrong_ca}"),
        ),
        &data_dir,
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot start"), "{stderr}");
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    assert!(stderr.contains("sslmode=verify-full"), "{stderr}");
    // Without sslmode the connection is plain, which this server refuses.
    let (code, stderr) = start(&url(&cluster, "localhost", ""), &data_dir);
    assert_eq!(code, Some(2), "{stderr}");

    // The server comes back with a certificate of another CA: the running app's new
    // connections fail their check, and /readyz says so.
    cluster.restart_with(&certificates.other_server).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let response = app.get("/readyz").await;
        if response.status().as_u16() == 503 {
            let (_, body) = status_and_json(response).await;
            assert_eq!(body["error"]["code"], "unavailable", "{body}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
