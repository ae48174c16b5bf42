//! Tollgate under test: a fresh database, a free port, the real application.

use std::{net::SocketAddr, path::PathBuf, process::Command};

use secrecy::SecretString;
use tokio::task::JoinHandle;
use tollgate_http::{Application, Settings};

use crate::database::TestDatabase;

pub struct App {
    pub address: String,
    pub socket: SocketAddr,
    /// The LiteLLM webhook secret this app accepts.
    #[allow(dead_code, reason = "for the page flows that seed data")]
    pub webhook_secret: String,
    db: TestDatabase,
    data_dir: PathBuf,
    handle: actix_web::dev::ServerHandle,
    server: JoinHandle<std::io::Result<()>>,
}

impl App {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`App::spawn`], with `configure` applied last to the settings.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDatabase::create().await;
        let secret = format!("whsec_ui_{}", uuid::Uuid::new_v4().simple());
        let data_dir = std::env::temp_dir().join(format!("tollgate-ui-{}", db.name));
        let mut settings = Settings::load().expect("the embedded defaults load");
        settings.database.url = SecretString::from(db.url.clone());
        settings.database.create_if_missing = false;
        settings.server.bind = "127.0.0.1:0".parse().expect("an address");
        settings.server.workers = 2;
        settings.litellm.webhook_secrets = vec![SecretString::from(secret.clone())];
        settings.data_dir.clone_from(&data_dir);
        configure(&mut settings);
        let application = Application::build(settings)
            .await
            .expect("the application starts");
        let socket = SocketAddr::from(([127, 0, 0, 1], application.port()));
        let handle = application.handle();
        let server = tokio::spawn(application.run_until_stopped());
        Self {
            address: format!("http://{socket}"),
            socket,
            webhook_secret: secret,
            db,
            data_dir,
            handle,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `tollgate dev-login` of the real binary for this app: the one-time link.
    pub async fn dev_link(&self, args: &[&str]) -> String {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
        command
            .arg("dev-login")
            .args(args)
            .env_remove("TOLLGATE_CONFIG")
            .env("TOLLGATE__DATABASE__URL", &self.db.url)
            .env("TOLLGATE__DATABASE__CREATE_IF_MISSING", "false")
            .env("TOLLGATE__DATA_DIR", &self.data_dir)
            .env("TOLLGATE__SERVER__BIND", self.socket.to_string());
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the command thread does not panic")
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "dev-login: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("text")
            .trim()
            .to_owned()
    }

    /// An access token of the embedded issuer for a member made as `dev-token` makes them.
    pub async fn dev_token(&self, args: &[&str]) -> String {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
        command
            .arg("dev-token")
            .args(args)
            .env_remove("TOLLGATE_CONFIG")
            .env("TOLLGATE__DATABASE__URL", &self.db.url)
            .env("TOLLGATE__DATABASE__CREATE_IF_MISSING", "false")
            .env("TOLLGATE__DATA_DIR", &self.data_dir);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the command thread does not panic")
            .expect("the binary runs");
        assert!(output.status.success(), "dev-token failed");
        String::from_utf8(output.stdout)
            .expect("text")
            .trim()
            .to_owned()
    }

    #[allow(
        dead_code,
        reason = "for the page flows that seed data; not every binary state uses it"
    )]
    /// Calls the JSON API as a member with `role` of the default organization (a token from
    /// `dev-token`), to set up what a flow needs: `(status, body)`.
    pub async fn api(
        &self,
        role: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let token = self.dev_token(&["--org", "default", "--role", role]).await;
        let mut request = client().request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the app answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    #[allow(
        dead_code,
        reason = "for the page flows that seed data; not every binary state uses it"
    )]
    /// Posts LiteLLM events (a JSON array as LiteLLM sends it) to the webhook, as LiteLLM.
    pub async fn send_events(&self, events: &serde_json::Value) -> u16 {
        client()
            .post(self.url("/v1/webhooks/litellm"))
            .bearer_auth(&self.webhook_secret)
            .json(events)
            .send()
            .await
            .expect("the app answers")
            .status()
            .as_u16()
    }

    #[allow(
        dead_code,
        reason = "for the page flows that seed data; not every binary state uses it"
    )]
    /// `tollgate billing close` of the real binary on this app's database, leaving drafts
    /// (`billing.auto_finalize` off): what it printed (its report as JSON).
    pub async fn close_billing_periods_as_drafts(&self) -> serde_json::Value {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
        command
            .args(["billing", "close"])
            .env_remove("TOLLGATE_CONFIG")
            .env("TOLLGATE__DATABASE__URL", &self.db.url)
            .env("TOLLGATE__DATABASE__CREATE_IF_MISSING", "false")
            .env("TOLLGATE__DATA_DIR", &self.data_dir)
            .env("TOLLGATE__BILLING__AUTO_FINALIZE", "false");
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the command thread does not panic")
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "billing close: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the close's report")
    }

    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        self.db.count_where(table, condition).await
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.server.await;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

#[allow(dead_code, reason = "for the page flows that seed data")]
/// A client that never goes through a proxy from the environment.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client")
}
