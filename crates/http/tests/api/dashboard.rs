//! The web dashboard's frame over plain HTTP (the browser tests in `tests/ui` look at the same
//! pages in Chromium): signing in with a `dev-login` link or a pasted token, sessions ending,
//! CSRF refusals, the headers every page carries, errors as pages.

pub(crate) mod billing;
mod compression;
mod debug;
mod delivery;
mod frame;
mod home;
mod kratos;
mod portal;
mod sessions;
mod team;
mod usage;

use reqwest::{Client, Response, header};

use crate::{helpers::TestApp, identity::support::org_id};

/// A client that shows redirects instead of following them, and keeps no cookies.
pub fn browser() -> Client {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// `tollgate dev-login` of the real binary, on this app's database and address: the link.
pub async fn dev_link(app: &TestApp, args: &[&str]) -> String {
    let bind = app.socket.to_string();
    let mut all = vec!["dev-login"];
    all.extend_from_slice(args);
    let output = tollgate_with_bind(app, &bind, &all).await;
    assert!(
        output.status.success(),
        "dev-login: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let link = String::from_utf8(output.stdout)
        .expect("text")
        .trim()
        .to_owned();
    assert!(
        link.starts_with(&format!("http://{bind}/login/dev/")),
        "{link}"
    );
    link
}

/// The real binary with the app's database, data directory and listening address.
async fn tollgate_with_bind(app: &TestApp, bind: &str, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command
        .args(args)
        .env_remove("TOLLGATE_CONFIG")
        .env("TOLLGATE__DATABASE__URL", &app.db_url)
        .env("TOLLGATE__DATABASE__CREATE_IF_MISSING", "false")
        .env("TOLLGATE__DATA_DIR", app.data_dir())
        .env("TOLLGATE__SERVER__BIND", bind)
        .env("NO_COLOR", "1");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the command thread does not panic")
        .expect("the binary runs")
}

/// The session cookie a sign-in answer sets (`name=value`).
pub fn session_cookie(response: &Response) -> String {
    let set = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("tollgate_session="))
        .expect("a session cookie is set");
    set.split(';').next().expect("name=value").to_owned()
}

/// Signs in through a fresh `dev-login` link: the cookie to send.
pub async fn sign_in(app: &TestApp, args: &[&str]) -> String {
    let link = dev_link(app, args).await;
    let response = browser().get(&link).send().await.expect("an answer");
    assert_eq!(response.status(), 303);
    session_cookie(&response)
}

pub async fn page(app: &TestApp, cookie: &str, path: &str) -> Response {
    browser()
        .get(app.url(path))
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .expect("an answer")
}

/// The CSRF token a page's forms carry.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let end = html[at..].find('"').expect("the field's closing quote");
    html[at..at + end].to_owned()
}

pub async fn organization(app: &TestApp) -> uuid::Uuid {
    org_id(app, "default").await
}
