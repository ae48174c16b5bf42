//! The real binary, as a container runs it: JSON logs whose lines never repeat a key,
//! `tollgate healthcheck`, a secret from a `_FILE` variable, and SIGTERM's drain and clean exit.

mod json_lines;

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::helpers::{TestDatabase, USAGE_BATCH};

/// A free port of 127.0.0.1 (free when asked: nothing else here binds ports by number).
pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a port")
        .port()
}

/// The binary with nothing of this process's configuration, on `db_url`.
pub(super) fn tollgate(db_url: &str, data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TOLLGATE__DATABASE__URL", db_url)
        .env("TOLLGATE__DATABASE__CREATE_IF_MISSING", "false")
        .env("TOLLGATE__DATA_DIR", data_dir)
        .env("NO_COLOR", "1");
    command
}

pub(super) struct TempDir(pub PathBuf);

impl TempDir {
    pub(super) fn new() -> Self {
        let path = std::env::temp_dir().join(format!("tollgate-process-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Kills the child if the test fails before it exits.
pub(super) struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn exit_of(command: &mut Command) -> (ExitStatus, String) {
    let output = command.output().expect("the binary runs");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub(super) async fn wait_for_exit(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("the child can be polled") {
            return status;
        }
        assert!(Instant::now() < deadline, "the process did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_json_without_repeated_keys_probes_itself_and_drains_on_sigterm() {
    let db = TestDatabase::create().await;
    let temp = TempDir::new();
    let secret = format!("whsec_{}", Uuid::new_v4().simple());
    let secret_file = temp.0.join("litellm-secret");
    std::fs::write(&secret_file, format!("{secret}\n")).expect("the secret file");
    let log_file = temp.0.join("stderr.log");
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let data_dir = temp.0.join("data");
    let configure = |command: &mut Command| {
        command
            .env("TOLLGATE__SERVER__BIND", &bind)
            .env("TOLLGATE__SERVER__SHUTDOWN_DELAY_SECS", "2")
            .env("TOLLGATE__LOG__FORMAT", "json")
            .env("TOLLGATE__LITELLM__WEBHOOK_SECRETS_FILE", &secret_file)
            .env("TOLLGATE__INGEST__MAX_EVENT_AGE_DAYS", "36500");
    };
    let mut serve = tollgate(&db.url, &data_dir);
    configure(&mut serve);
    serve
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_file).expect("a log file"));
    let mut child = Running(serve.spawn().expect("the server starts"));
    let healthcheck = |args: &[&str]| {
        let mut command = tollgate(&db.url, &data_dir);
        configure(&mut command);
        command.arg("healthcheck").args(args);
        command
    };

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, _) = exit_of(&mut healthcheck(&[]));
        if status.success() {
            break;
        }
        assert!(Instant::now() < deadline, "never healthy");
        assert!(
            child.0.try_wait().expect("polled").is_none(),
            "the server exited"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, stderr) = exit_of(&mut healthcheck(&["--ready"]));
    assert!(status.success(), "{stderr}");

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let base = format!("http://{bind}");
    let usage = client
        .post(format!("{base}/v1/webhooks/litellm"))
        .bearer_auth(&secret)
        .header("content-type", "application/json")
        .body(USAGE_BATCH)
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        usage.status().as_u16(),
        202,
        "the secret came from its file"
    );
    for (path, status) in [("/api/me", 401), ("/nope", 404), ("/metrics", 200)] {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status().as_u16(), status, "{path}");
    }
    let bad = client
        .post(format!("{base}/v1/webhooks/litellm"))
        .bearer_auth(&secret)
        .header("content-type", "application/json")
        .body("[{")
        .send()
        .await
        .expect("an answer");
    assert_eq!(bad.status().as_u16(), 400);

    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    // Draining: unready, still alive and serving.
    let deadline = Instant::now() + Duration::from_secs(2);
    let readyz = loop {
        let response = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("served");
        if response.status().as_u16() == 503 {
            break response.json::<serde_json::Value>().await.expect("JSON");
        }
        assert!(Instant::now() < deadline, "never unready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(readyz["error"]["code"], "shutting_down", "{readyz}");
    let (status, _) = exit_of(&mut healthcheck(&["--ready"]));
    assert_eq!(
        status.code(),
        Some(1),
        "healthcheck --ready fails while draining"
    );
    let (status, stderr) = exit_of(&mut healthcheck(&[]));
    assert!(status.success(), "still alive: {stderr}");

    let status = wait_for_exit(&mut child.0, Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "SIGTERM ends in a clean exit");
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "the delay was kept"
    );
    let (status, _) = exit_of(&mut healthcheck(&[]));
    assert_eq!(status.code(), Some(1), "nothing answers once stopped");
    assert_eq!(db.count("usage_events").await, 11);

    let logs = std::fs::read_to_string(&log_file).expect("the logs");
    let lines = json_lines::check(&logs);
    assert!(lines >= 5, "{lines} lines:\n{logs}");
    assert!(
        logs.lines()
            .any(|line| line.contains("\"outbox dispatcher started\"")
                && line.contains("\"delivery_target\":\"embedded_meter\"")),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_given_both_ways_stops_the_start_naming_it() {
    let temp = TempDir::new();
    let file = temp.0.join("url");
    std::fs::write(&file, "postgres://elsewhere/x\n").expect("a file");
    let (status, stderr) = exit_of(
        tollgate("postgres://127.0.0.1:1/x", &temp.0)
            .env("TOLLGATE__DATABASE__URL_FILE", &file)
            .arg("migrate"),
    );
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("both TOLLGATE__DATABASE__URL and TOLLGATE__DATABASE__URL_FILE are set"),
        "{stderr}"
    );
}
