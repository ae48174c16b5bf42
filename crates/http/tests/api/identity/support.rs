//! What the identity tests share: tokens from the app's own embedded issuer, members, calls to
//! `/api` with a credential, SQL on the test database, and the real `tollgate` binary.

use std::{path::Path, process::Output, time::Duration};

use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use reqwest::{Method, RequestBuilder, Response, header::HeaderMap};
use secrecy::SecretString;
use serde_json::Value;
use tollgate_adapters::{
    embedded_identity::EmbeddedIssuer,
    postgres::{self, PgMemberships, PgPool, PoolSettings},
};
use tollgate_application::ports::{AuditContext, AuditEntry, Membership, MembershipStore};
use tollgate_domain::{access::Role, organization::OrganizationId};
use tollgate_http::Settings;
use uuid::Uuid;

use crate::helpers::{TestApp, status_and_json};

pub const ORG_HEADER: &str = "Tollgate-Organization";
pub const TOKEN_TTL: Duration = Duration::from_secs(600);

/// The issuer the app verifies with: its key (kept in the database), issuer name and audience.
pub async fn issuer(app: &TestApp) -> EmbeddedIssuer {
    let settings = Settings::load().expect("the embedded defaults load");
    EmbeddedIssuer::from_seed(
        &app.issuer_seed().await,
        settings.identity.issuer,
        settings.ory.audience,
    )
    .expect("the app's signing key loads")
}

pub fn scopes_of(role: Role) -> Vec<String> {
    role.scopes()
        .iter()
        .map(|scope| scope.as_str().to_owned())
        .collect()
}

/// A token for `subject` as `role` in `org` (a slug), carrying the role's scopes. It makes
/// nobody a member: see [`member`].
pub async fn token(app: &TestApp, subject: &str, org: &str, role: Role) -> String {
    issuer(app)
        .await
        .issue(subject, org, role.as_str(), &scopes_of(role), TOKEN_TTL)
        .expect("the issuer mints a token")
}

/// A pool on the test database, for the adapters the tests call directly.
pub fn pool(app: &TestApp) -> PgPool {
    postgres::connect(&PoolSettings {
        url: SecretString::from(app.db_url.clone()),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(10),
    })
    .expect("a pool")
}

pub async fn execute(app: &TestApp, sql: &str) -> Result<usize, diesel::result::Error> {
    diesel::sql_query(sql)
        .execute(&mut app.db.connect().await)
        .await
}

/// Several statements at once (the simple query protocol).
pub async fn batch(app: &TestApp, sql: &str) -> Result<(), diesel::result::Error> {
    app.db.connect().await.batch_execute(sql).await
}

pub async fn org_id(app: &TestApp, slug: &str) -> Uuid {
    let id = app
        .scalar_text(&format!(
            "SELECT id::text AS value FROM organizations WHERE slug = '{slug}'"
        ))
        .await
        .expect("the organization has an id");
    Uuid::parse_str(&id).expect("a UUID")
}

/// A new organization, inserted as an operator would; its id.
pub async fn create_org(app: &TestApp, slug: &str) -> Uuid {
    let id = Uuid::new_v4();
    execute(
        app,
        &format!("INSERT INTO organizations (id, slug, name) VALUES ('{id}', '{slug}', '{slug}')"),
    )
    .await
    .expect("the organization is inserted");
    id
}

/// Makes `subject` a member of `org` (a slug) as `role`, the way `tollgate dev-token` does
/// (with a `membership.grant` audit record by `system:test`).
pub async fn grant(app: &TestApp, org: &str, subject: &str, role: Role) {
    let organization = OrganizationId::from_uuid(org_id(app, org).await);
    let context = AuditContext {
        actor: "system:test".into(),
        ..AuditContext::default()
    };
    let entry = AuditEntry::success(
        &context,
        "membership.grant",
        Some(format!("user:{subject}")),
    );
    PgMemberships::new(pool(app))
        .grant(
            organization,
            subject,
            &Membership {
                role,
                customer: None,
            },
            &entry,
        )
        .await
        .expect("the membership is granted");
}

/// A member's token: `subject` is granted `role` in `org`, then gets a token for it.
pub async fn member(app: &TestApp, org: &str, subject: &str, role: Role) -> String {
    grant(app, org, subject, role).await;
    token(app, subject, org, role).await
}

/// A request to the app carrying `bearer`.
pub fn call(app: &TestApp, method: Method, path: &str, bearer: &str) -> RequestBuilder {
    app.client
        .request(method, app.url(path))
        .bearer_auth(bearer)
}

pub async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("the app answers")
}

pub async fn me(app: &TestApp, bearer: &str) -> Response {
    send(call(app, Method::GET, "/api/me", bearer)).await
}

/// Checks an answer's status, then returns its headers and JSON body.
pub async fn expect_status(response: Response, status: u16) -> (HeaderMap, Value) {
    let headers = response.headers().clone();
    let (got, body) = status_and_json(response).await;
    assert_eq!(got, status, "unexpected answer: {body}");
    (headers, body)
}

/// Checks an error answer's status and `error.code`; returns its headers.
pub async fn expect_error(response: Response, status: u16, code: &str) -> HeaderMap {
    let (headers, body) = expect_status(response, status).await;
    assert_eq!(body["error"]["code"], code, "unexpected error: {body}");
    headers
}

/// Creates an API key in the caller's organization; its (id, secret).
pub async fn create_api_key(app: &TestApp, bearer: &str, scopes: &[&str]) -> (String, String) {
    let request = call(app, Method::POST, "/api/settings/api-keys", bearer)
        .json(&serde_json::json!({ "name": "ci", "scopes": scopes }));
    let (_, body) = expect_status(send(request).await, 201).await;
    let id = body["id"].as_str().expect("an id").to_owned();
    let secret = body["secret"].as_str().expect("the secret").to_owned();
    (id, secret)
}

/// Runs the real binary with `args`, on the app's database and data directory.
pub async fn tollgate(db_url: &str, data_dir: &Path, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command
        .args(args)
        .env_remove("TOLLGATE_CONFIG")
        .env("TOLLGATE__DATABASE__URL", db_url)
        .env("TOLLGATE__DATABASE__CREATE_IF_MISSING", "false")
        .env("TOLLGATE__DATA_DIR", data_dir)
        .env("NO_COLOR", "1");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the command thread does not panic")
        .expect("the binary runs")
}
