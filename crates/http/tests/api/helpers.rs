//! The application under test: real PostgreSQL (one fresh database per test), real HTTP on an
//! ephemeral port.

mod database;
mod fixtures;
pub mod kratos;
mod proxy;
mod raw_http;

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use actix_web::dev::ServerHandle;
use reqwest::{Body, Response, header};
use secrecy::SecretString;
use serde_json::Value;
use tokio::task::JoinHandle;
use tollgate_http::{Application, Settings};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};
use uuid::Uuid;

pub use self::{
    database::{TestDatabase, admin_url, host_port, with_host_port},
    fixtures::*,
    proxy::PgProxy,
    raw_http::RawRequest,
};

/// Every log line (`info` and up) of every app in this process, kept so tests can check what
/// reaches the logs. With `TEST_LOG` set they are also shown for failing tests (all with
/// `--nocapture`), filtered by `RUST_LOG` (default `info`).
static LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(|| {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&logs);
    let captured = fmt::layer()
        .with_ansi(false)
        .with_writer(move || LogSink(Arc::clone(&sink)))
        .with_filter(EnvFilter::new("info,actix_server=warn"));
    let shown = std::env::var_os("TEST_LOG").is_some().then(|| {
        fmt::layer().with_test_writer().with_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn")),
        )
    });
    let _ = tracing_subscriber::registry()
        .with(captured)
        .with(shown)
        .try_init();
    logs
});

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What every app of this test process has logged so far.
pub fn captured_logs() -> String {
    let logs = LOGS.lock().expect("log buffer");
    String::from_utf8_lossy(&logs).into_owned()
}

pub const USAGE_PATH: &str = "/v1/webhooks/litellm";

pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    pub socket: SocketAddr,
    /// The LiteLLM webhook secret the app accepts.
    pub secret: String,
    /// The test database, reached directly (never through a test proxy).
    pub db: TestDatabase,
    pub db_url: String,
    pub handle: ServerHandle,
    /// Begins the drain SIGTERM would.
    pub draining: Arc<tollgate_http::probes::Draining>,
    pub client: reqwest::Client,
    server: Option<JoinHandle<std::io::Result<()>>>,
    data_dir: PathBuf,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with `configure` applied last to the settings.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        LazyLock::force(&LOGS);
        let db = TestDatabase::create().await;
        let secret = format!("whsec_test_{}", Uuid::new_v4().simple());
        let data_dir = std::env::temp_dir().join(format!("tollgate-test-{}", db.name));

        let mut settings = Settings::load().expect("the embedded defaults load");
        settings.database.url = SecretString::from(db.url.clone());
        settings.database.create_if_missing = false;
        settings.server.bind = "127.0.0.1:0".parse().expect("an address");
        settings.server.workers = 2;
        settings.litellm.webhook_secrets = vec![SecretString::from(secret.clone())];
        settings.data_dir.clone_from(&data_dir);
        // The captured LiteLLM fixtures keep the times they were captured at (November 2026):
        // they must not age into `implausible_time`. `webhooks::hostile` tests the default.
        settings.ingest.max_event_age_days = 36_500;
        configure(&mut settings);

        let application = Application::build(settings)
            .await
            .expect("the application starts");
        let port = application.port();
        let handle = application.handle();
        let draining = application.draining();
        let server = tokio::spawn(application.run_until_stopped());
        let socket = SocketAddr::from(([127, 0, 0, 1], port));
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a client");
        let db_url = db.url.clone();
        Self {
            address: format!("http://{socket}"),
            socket,
            secret,
            db,
            db_url,
            handle,
            draining,
            client,
            server: Some(server),
            data_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A usage webhook as LiteLLM sends it, with the right secret.
    pub async fn post_usage(&self, body: impl Into<Body>, content_type: &str) -> Response {
        self.client
            .post(self.url(USAGE_PATH))
            .bearer_auth(&self.secret)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("the usage webhook answers")
    }

    /// A JSON usage webhook with `authorization` as the whole `Authorization` header, or none.
    pub async fn post_usage_with_auth(
        &self,
        body: impl Into<Body>,
        authorization: Option<&str>,
    ) -> Response {
        let mut request = self
            .client
            .post(self.url(USAGE_PATH))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        request.send().await.expect("the usage webhook answers")
    }

    pub async fn post_alert(&self, secret_in_path: &str, body: impl Into<Body>) -> Response {
        self.client
            .post(self.url(&format!("{USAGE_PATH}/alerts/{secret_in_path}")))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .expect("the alert webhook answers")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the app answers")
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.db.count(table).await
    }

    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        self.db.count_where(table, condition).await
    }

    pub async fn scalar_text(&self, sql: &str) -> Option<String> {
        self.db.scalar_text(sql).await
    }

    pub async fn texts(&self, sql: &str) -> Vec<Option<String>> {
        self.db.texts(sql).await
    }

    /// Waits for `run_until_stopped` to return (after `handle.stop`).
    pub async fn stopped(&mut self) -> std::io::Result<()> {
        let server = self.server.take().expect("the server is awaited once");
        tokio::time::timeout(Duration::from_secs(20), server)
            .await
            .expect("the server stops in time")
            .expect("the server task does not panic")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Ask the workers to stop so their pooled connections close before the database goes.
        drop(self.handle.stop(false));
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Status and JSON body of a response.
pub async fn status_and_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("a readable body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("body is not JSON ({e}), status {status}: {text}"));
    (status, json)
}

/// The body a successful ingest answers with.
pub fn ingest_report(accepted: usize, duplicates: usize) -> Value {
    serde_json::json!({
        "accepted": accepted,
        "duplicates": duplicates,
        "quarantined": 0,
        "errors": [],
    })
}

impl TestApp {
    /// The app's `data_dir` (the embedded issuer's signing key lives there); removed on drop.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The 32-byte secret of the embedded issuer's key, kept in the database (made here as
    /// the app would when it has none: with Ory it never makes one).
    pub async fn issuer_seed(&self) -> Vec<u8> {
        let hex = self
            .scalar_text(
                "WITH made AS (INSERT INTO installation_secrets (name, value) \
                   VALUES ('embedded_issuer_signing_key', \
                           decode(md5(random()::text) || md5(random()::text), 'hex')) \
                   ON CONFLICT DO NOTHING RETURNING value) \
                 SELECT encode(value, 'hex') AS value FROM made UNION ALL \
                 SELECT encode(value, 'hex') AS value FROM installation_secrets \
                 WHERE name = 'embedded_issuer_signing_key'",
            )
            .await
            .expect("the embedded issuer's key is kept in the database");
        hex::decode(hex).expect("hex")
    }
}
