//! A stand-in for Ory Kratos's public API, enough for a browser to sign in through the
//! dashboard and out again, checking the documented shapes of what it is sent:
//!
//! - `GET /self-service/login/browser?return_to=` (the browser): sets the flow's CSRF cookie and
//!   sends the browser to the login UI with `?flow=<id>`;
//! - `GET /self-service/login/flows?id=` (Tollgate): the flow, only with the browser's CSRF
//!   cookie forwarded (else 403 `security_csrf_violation`, as Kratos); 410
//!   `self_service_flow_expired` once expired; 404 for an unknown id;
//! - `POST /self-service/login?flow=` (the browser's form): checks the CSRF token and the
//!   password, sets `ory_kratos_session` and goes to `return_to`; a wrong password goes back
//!   to the flow, which then carries Kratos's error message;
//! - `GET /sessions/whoami` (Tollgate): the session the forwarded cookie names, else 401;
//! - `GET /self-service/logout/browser?return_to=` (Tollgate) and `GET /self-service/logout`
//!   (the browser).
//!
//! Anything off the documented shape (a missing cookie, Tollgate's own cookie forwarded, a
//! `return_to` elsewhere) is recorded in `problems`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

pub const EMAIL: &str = "ada@example.com";
pub const PASSWORD: &str = "correct horse battery staple";
pub const IDENTITY: &str = "5f0c2a4e-8b1d-4c3e-9a7f-2d6b1e0c9a11";
const CSRF_COOKIE: &str = "csrf_token_standin";
const SESSION_COOKIE: &str = "ory_kratos_session";

#[derive(Default)]
struct Flow {
    csrf: String,
    return_to: String,
    failed: bool,
    expired: bool,
}

#[derive(Default)]
struct State {
    /// Where the login UI is (`http://127.0.0.1:<port>/login`): Kratos's `ui_url`.
    ui_url: String,
    /// The dashboard's origin: the only `return_to` Kratos allows.
    allowed_origin: String,
    flows: HashMap<String, Flow>,
    sessions: Vec<String>,
    /// Sessions still waiting for their second factor.
    first_factor_only: Vec<String>,
    problems: Vec<String>,
    aal2_asked: bool,
}

#[derive(Clone)]
pub struct KratosStandIn {
    pub server: Arc<MockServer>,
    state: Arc<Mutex<State>>,
}

fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn error(status: u16, id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"id": id, "code": status, "status": "error", "message": id, "reason": id}
    }))
}

fn see_other(location: &str) -> ResponseTemplate {
    ResponseTemplate::new(303).insert_header("location", location)
}

/// One endpoint: the state, the stand-in's base URL, the request; the answer.
type Route = fn(&mut State, &str, &Request) -> ResponseTemplate;

struct Handler {
    state: Arc<Mutex<State>>,
    base: String,
    handle: Route,
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().expect("the stand-in's state");
        if request
            .headers
            .get_all("cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| value.contains("tollgate_session") || value.contains("__Host-tollgate"))
        {
            state.problems.push(format!(
                "{} carried Tollgate's session cookie",
                request.url.path()
            ));
        }
        (self.handle)(&mut state, &self.base, request)
    }
}

fn begin(state: &mut State, _: &str, request: &Request) -> ResponseTemplate {
    let return_to = query(request, "return_to").unwrap_or_default();
    if !return_to.starts_with(&state.allowed_origin) || state.allowed_origin.is_empty() {
        state
            .problems
            .push(format!("return_to {return_to:?} is not the dashboard's"));
        return error(400, "self_service_flow_return_to_forbidden");
    }
    if query(request, "aal").as_deref() == Some("aal2") {
        state.aal2_asked = true;
    }
    let id = uuid::Uuid::new_v4().to_string();
    let csrf = uuid::Uuid::new_v4().simple().to_string();
    state.flows.insert(
        id.clone(),
        Flow {
            csrf: csrf.clone(),
            return_to,
            ..Flow::default()
        },
    );
    see_other(&format!("{}?flow={id}", state.ui_url)).insert_header(
        "set-cookie",
        format!("{CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Lax").as_str(),
    )
}

fn node(name: &str, kind: &str, value: Value, label: Option<&str>, group: &str) -> Value {
    json!({
        "type": "input",
        "group": group,
        "attributes": {
            "name": name, "type": kind, "value": value, "required": kind != "submit",
            "disabled": false, "node_type": "input",
            "autocomplete": match name { "identifier" => "username", "password" => "current-password", _ => "" },
        },
        "messages": [],
        "meta": label.map_or(json!({}), |text| json!({"label": {"id": 1_070_004, "type": "info", "text": text}})),
    })
}

fn fetch(state: &mut State, base: &str, request: &Request) -> ResponseTemplate {
    let accepts_json = request
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if !accepts_json {
        state
            .problems
            .push("a flow was fetched without Accept: application/json".into());
    }
    let Some(id) = query(request, "id") else {
        state
            .problems
            .push("a flow was fetched without its id".into());
        return error(400, "bad_request");
    };
    let forwarded = cookie(request, CSRF_COOKIE);
    let Some(flow) = state.flows.get(&id) else {
        return error(404, "self_service_flow_not_found");
    };
    if flow.expired {
        return error(410, "self_service_flow_expired");
    }
    if forwarded.as_deref() != Some(flow.csrf.as_str()) {
        state
            .problems
            .push("a flow was fetched without the browser's CSRF cookie".into());
        return error(403, "security_csrf_violation");
    }
    let messages = if flow.failed {
        json!([{"id": 4_000_006, "type": "error", "text": "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number."}])
    } else {
        json!([])
    };
    ResponseTemplate::new(200).set_body_json(json!({
        "id": id,
        "type": "browser",
        "state": "choose_method",
        "expires_at": "2099-01-01T00:00:00Z",
        "issued_at": "2026-01-01T00:00:00Z",
        "request_url": format!("{base}/self-service/login/browser"),
        "return_to": flow.return_to,
        "ui": {
            "action": format!("{base}/self-service/login?flow={id}"),
            "method": "POST",
            "messages": messages,
            "nodes": [
                node("csrf_token", "hidden", json!(flow.csrf), None, "default"),
                node("identifier", "email", json!(""), Some("E-Mail"), "default"),
                node("password", "password", Value::Null, Some("Password"), "password"),
                node("method", "submit", json!("password"), Some("Sign in"), "password"),
                {"type": "script", "group": "webauthn", "messages": [], "meta": {},
                 "attributes": {"src": format!("{base}/.well-known/ory/webauthn.js"), "id": "webauthn_script", "node_type": "script", "async": true, "referrerpolicy": "", "crossorigin": "", "integrity": "", "type": "", "nonce": ""}}
            ]
        }
    }))
}

fn submit(state: &mut State, _: &str, request: &Request) -> ResponseTemplate {
    let Some(id) = query(request, "flow") else {
        state
            .problems
            .push("the login form posted without its flow".into());
        return error(400, "bad_request");
    };
    let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let browser_csrf = cookie(request, CSRF_COOKIE);
    let ui_url = state.ui_url.clone();
    let Some(flow) = state.flows.get_mut(&id) else {
        return error(404, "self_service_flow_not_found");
    };
    if form.get("csrf_token") != Some(&flow.csrf) || browser_csrf.as_ref() != Some(&flow.csrf) {
        state
            .problems
            .push("the login form's CSRF token or cookie is wrong".into());
        return error(403, "security_csrf_violation");
    }
    if form.get("method").map(String::as_str) != Some("password") {
        state.problems.push(format!(
            "the login form posted method {:?}",
            form.get("method")
        ));
    }
    if form.get("identifier").map(String::as_str) != Some(EMAIL)
        || form.get("password").map(String::as_str) != Some(PASSWORD)
    {
        flow.failed = true;
        return see_other(&format!("{ui_url}?flow={id}"));
    }
    let return_to = flow.return_to.clone();
    let session = uuid::Uuid::new_v4().simple().to_string();
    state.sessions.push(session.clone());
    see_other(&return_to).insert_header(
        "set-cookie",
        format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax").as_str(),
    )
}

fn whoami(state: &mut State, _: &str, request: &Request) -> ResponseTemplate {
    match cookie(request, SESSION_COOKIE) {
        Some(session) if state.sessions.contains(&session) => {
            let expires = chrono::Utc::now() + chrono::TimeDelta::hours(1);
            ResponseTemplate::new(200)
                .insert_header("x-kratos-authenticated-identity-id", IDENTITY)
                .set_body_json(json!({
                    "id": session,
                    "active": true,
                    "expires_at": expires.to_rfc3339(),
                    "authenticator_assurance_level": "aal1",
                    "identity": {
                        "id": IDENTITY, "schema_id": "default", "schema_url": "", "state": "active",
                        "traits": {"email": EMAIL}
                    }
                }))
        }
        Some(session) if state.first_factor_only.contains(&session) => {
            error(403, "session_aal2_required")
        }
        _ => error(401, "session_inactive"),
    }
}

fn logout_flow(state: &mut State, base: &str, request: &Request) -> ResponseTemplate {
    let return_to = query(request, "return_to").unwrap_or_default();
    if !return_to.starts_with(&state.allowed_origin) {
        state.problems.push(format!(
            "logout return_to {return_to:?} is not the dashboard's"
        ));
    }
    match cookie(request, SESSION_COOKIE) {
        Some(session) if state.sessions.contains(&session) => {
            let to: String = url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "logout_token": session,
                "logout_url": format!("{base}/self-service/logout?token={session}&return_to={to}"),
            }))
        }
        _ => error(401, "session_inactive"),
    }
}

fn logout(state: &mut State, _: &str, request: &Request) -> ResponseTemplate {
    let token = query(request, "token").unwrap_or_default();
    state.sessions.retain(|session| *session != token);
    see_other(&query(request, "return_to").unwrap_or_default()).insert_header(
        "set-cookie",
        format!("{SESSION_COOKIE}=; Path=/; Max-Age=0").as_str(),
    )
}

impl KratosStandIn {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        let base = server.uri();
        let routes: [(&str, &str, Route); 6] = [
            ("GET", "/self-service/login/browser", begin),
            ("GET", "/self-service/login/flows", fetch),
            ("POST", "/self-service/login", submit),
            ("GET", "/sessions/whoami", whoami),
            ("GET", "/self-service/logout/browser", logout_flow),
            ("GET", "/self-service/logout", logout),
        ];
        for (method, path, handle) in routes {
            Mock::given(matchers::method(method))
                .and(matchers::path(path))
                .respond_with(Handler {
                    state: Arc::clone(&state),
                    base: base.clone(),
                    handle,
                })
                .mount(&server)
                .await;
        }
        Self {
            server: Arc::new(server),
            state,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The dashboard at `origin` is Kratos's login UI (`<origin>/login`).
    pub fn serve(&self, origin: &str) {
        let mut state = self.state.lock().expect("the stand-in's state");
        state.ui_url = format!("{origin}/login");
        state.allowed_origin = origin.to_owned();
    }

    /// Every flow begun so far expires.
    pub fn expire_flows(&self) {
        let mut state = self.state.lock().expect("the stand-in's state");
        for flow in state.flows.values_mut() {
            flow.expired = true;
        }
    }

    /// A flow begun as a browser would, for tests without one: its id and CSRF cookie.
    pub fn flow_for_test(&self, return_to: &str) -> (String, String) {
        let mut state = self.state.lock().expect("the stand-in's state");
        let id = uuid::Uuid::new_v4().to_string();
        let csrf = uuid::Uuid::new_v4().simple().to_string();
        state.flows.insert(
            id.clone(),
            Flow {
                csrf: csrf.clone(),
                return_to: return_to.to_owned(),
                ..Flow::default()
            },
        );
        (id, format!("{CSRF_COOKIE}={csrf}"))
    }

    /// A live Kratos session, as after a sign-in: its cookie.
    pub fn session_for_test(&self) -> String {
        let mut state = self.state.lock().expect("the stand-in's state");
        let session = uuid::Uuid::new_v4().simple().to_string();
        state.sessions.push(session.clone());
        format!("{SESSION_COOKIE}={session}")
    }

    /// A session that still needs its second factor: its cookie.
    pub fn first_factor_session_for_test(&self) -> String {
        let mut state = self.state.lock().expect("the stand-in's state");
        let session = uuid::Uuid::new_v4().simple().to_string();
        state.first_factor_only.push(session.clone());
        format!("{SESSION_COOKIE}={session}")
    }

    pub fn live_sessions(&self) -> usize {
        self.state
            .lock()
            .expect("the stand-in's state")
            .sessions
            .len()
    }

    pub fn aal2_asked(&self) -> bool {
        self.state.lock().expect("the stand-in's state").aal2_asked
    }

    /// What was sent off the documented shape.
    pub fn problems(&self) -> Vec<String> {
        self.state
            .lock()
            .expect("the stand-in's state")
            .problems
            .clone()
    }
}
