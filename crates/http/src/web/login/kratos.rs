//! The dashboard as Ory Kratos's login UI. `GET /login` without a flow sends the browser to
//! Kratos to begin one (returning here once signed in); Kratos sends it back with `?flow=<id>`,
//! whose form (`ui.nodes`, `ui.messages`) is fetched with the browser's cookies and rendered
//! here, posting to Kratos. An expired or unknown flow begins again. Back from Kratos with its
//! session cookie, the session is read (`/sessions/whoami`), the person's membership found, and
//! a dashboard session begins. Tollgate's own cookie is never forwarded to Kratos.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use askama::Template;
use tollgate_application::ports::{
    AuthError, FlowFetch, FlowNode, FlowText, LoginFlow, LoginFlows, SessionCredential,
    SignInMethod,
};

use super::signed_in;
use crate::{
    state::AppState,
    web::{
        Layout, WebError, i18n::catalog, layout::render, privacy::anonymous_banner,
        session::audit_context,
    },
};

/// A message of Kratos's, with the class it shows with.
pub struct Message {
    pub class: &'static str,
    pub text: String,
}

/// One control of the form, as the template draws it.
pub struct Field {
    /// `hidden`, `input`, `checkbox`, `submit`, `text`, `anchor`, `image`.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub input_type: &'static str,
    pub value: String,
    pub required: bool,
    pub disabled: bool,
    pub autocomplete: String,
    pub label: String,
    pub messages: Vec<Message>,
}

pub struct FlowForm {
    pub action: String,
    pub method: String,
    pub fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "login_kratos.html")]
struct KratosLoginPage {
    layout: Layout,
    messages: Vec<Message>,
    form: Option<FlowForm>,
    error: Option<String>,
}

fn message(text: FlowText) -> Message {
    Message {
        class: if text.kind == "error" {
            "notice error"
        } else {
            "notice"
        },
        text: text.text,
    }
}

/// Input types drawn as they are; anything else is a text field.
fn input_type(kind: &str) -> &'static str {
    const KNOWN: [&str; 11] = [
        "text",
        "email",
        "password",
        "number",
        "tel",
        "url",
        "date",
        "datetime-local",
        "checkbox",
        "hidden",
        "submit",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == kind)
        .unwrap_or(if kind == "button" { "submit" } else { "text" })
}

fn field(index: usize, node: FlowNode) -> Option<Field> {
    let blank = |kind| Field {
        kind,
        id: format!("kratos-{index}"),
        name: String::new(),
        input_type: "text",
        value: String::new(),
        required: false,
        disabled: false,
        autocomplete: String::new(),
        label: String::new(),
        messages: Vec::new(),
    };
    Some(match node {
        FlowNode::Input {
            name,
            input_type: kind,
            value,
            required,
            disabled,
            autocomplete,
            label,
            messages,
        } => {
            let input_type = input_type(&kind);
            let kind = match input_type {
                "hidden" => "hidden",
                "submit" => "submit",
                "checkbox" => "checkbox",
                _ => "input",
            };
            Field {
                input_type,
                label: label.unwrap_or_else(|| name.clone()),
                name,
                value: value.unwrap_or_default(),
                required,
                disabled,
                autocomplete: autocomplete.unwrap_or_default(),
                messages: messages.into_iter().map(message).collect(),
                ..blank(kind)
            }
        }
        FlowNode::Text { text, .. } => Field {
            label: text,
            ..blank("text")
        },
        FlowNode::Anchor { href, title } => Field {
            value: href,
            label: title,
            ..blank("anchor")
        },
        FlowNode::Image { src, .. } => Field {
            value: src,
            ..blank("image")
        },
        FlowNode::Unsupported { kind } => {
            tracing::debug!(%kind, "a Kratos login node needs its script: left out");
            return None;
        }
    })
}

fn flow_form(flow: LoginFlow) -> (FlowForm, Vec<Message>) {
    let fields = flow
        .nodes
        .into_iter()
        .enumerate()
        .filter_map(|(index, node)| field(index, node))
        .collect();
    (
        FlowForm {
            action: flow.action,
            method: flow.method,
            fields,
        },
        flow.messages.into_iter().map(message).collect(),
    )
}

/// The request's `Cookie` header without Tollgate's own session cookie: what Kratos is sent.
fn forwarded_cookies(request: &HttpRequest, own: &str) -> String {
    request
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            pair.split_once('=')
                .is_none_or(|(name, _)| name.trim() != own)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn to(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// What `GET /login` was asked, with Kratos.
pub struct Visit {
    /// The page to land on once signed in.
    pub next: String,
    /// Kratos's flow to render.
    pub flow: Option<String>,
    /// Back from Kratos after signing in.
    pub returned: bool,
    /// The organization to sign in to (else the installation's default).
    pub organization: Option<String>,
    /// The customer whose member signs in.
    pub customer: Option<String>,
}

/// Where Kratos sends the browser back to once signed in: here again, with what was asked.
fn return_to(state: &AppState, visit: &Visit) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("next", &visit.next);
    if let Some(organization) = &visit.organization {
        query.append_pair("organization", organization);
    }
    if let Some(customer) = &visit.customer {
        query.append_pair("customer", customer);
    }
    query.append_pair("returned", "1");
    format!("{}/login?{}", state.web.origin, query.finish())
}

fn page(status: StatusCode, error: Option<String>) -> Result<HttpResponse, WebError> {
    render(
        status,
        &KratosLoginPage {
            layout: Layout::bare(catalog().tr("login-title")),
            messages: Vec::new(),
            form: None,
            error,
        },
    )
}

/// `GET /login` with Kratos: the flow's form, a new flow, or the session Kratos began.
pub async fn form(
    request: &HttpRequest,
    state: &AppState,
    flows: &dyn LoginFlows,
    visit: &Visit,
) -> Result<HttpResponse, WebError> {
    let cookie = forwarded_cookies(request, state.web.cookie_name());
    let begin = |aal2| to(flows.begin_url(&return_to(state, visit), aal2));
    if let Some(id) = &visit.flow {
        match flows.login_flow(id, &cookie).await? {
            FlowFetch::Ready(flow) => {
                let (form, messages) = flow_form(flow);
                let mut layout = Layout::bare(catalog().tr("login-title"));
                layout.banner = anonymous_banner(request);
                return render(
                    StatusCode::OK,
                    &KratosLoginPage {
                        layout,
                        messages,
                        form: Some(form),
                        error: None,
                    },
                );
            }
            FlowFetch::Restart => return Ok(begin(false)),
            FlowFetch::SignedIn => {}
        }
    }
    if cookie.is_empty() {
        return Ok(begin(false));
    }
    let session = match state
        .access
        .browser_session(&SessionCredential::Cookie(cookie))
        .await
    {
        Ok(session) => session,
        Err(AuthError::Unauthenticated(_)) if visit.returned => {
            // Kratos said the sign-in worked, but its cookie does not reach this address:
            // beginning again would go round in circles.
            return page(
                StatusCode::UNAUTHORIZED,
                Some(catalog().tr("login-kratos-no-session")),
            );
        }
        Err(AuthError::Unauthenticated(_)) => return Ok(begin(false)),
        Err(AuthError::Forbidden(_)) => return Ok(begin(true)),
        Err(other) => return Err(other.into()),
    };
    let organization = visit
        .organization
        .as_deref()
        .unwrap_or(&state.web.default_organization);
    let holder = match state
        .access
        .sign_in_subject(&session.subject, organization, visit.customer.as_deref())
        .await
    {
        Ok(holder) => holder,
        Err(AuthError::Upstream(error)) => return Err(error.into()),
        Err(_) => {
            let who = session.email.unwrap_or(session.subject);
            return page(
                StatusCode::FORBIDDEN,
                Some(catalog().tr_with("login-kratos-not-member", &who)),
            );
        }
    };
    let context = audit_context(request, state, format!("user:{}", holder.subject));
    let secret = state
        .web
        .sessions
        .start(&holder, SignInMethod::Kratos, &context)
        .await?;
    Ok(signed_in(state, secret, &visit.next, holder.role))
}

/// Where `POST /logout` sends the browser: Kratos's logout URL when it has a session there
/// (it ends it and comes back to the sign-in page), else the sign-in page. A Kratos that cannot
/// answer does not keep anyone signed in here: the dashboard's session is over already.
pub async fn logout_url(request: &HttpRequest, state: &AppState, flows: &dyn LoginFlows) -> String {
    let cookie = forwarded_cookies(request, state.web.cookie_name());
    if cookie.is_empty() {
        return "/login".to_owned();
    }
    let back = format!("{}/login", state.web.origin);
    match flows.logout_url(&cookie, &back).await {
        Ok(Some(url)) => url,
        Ok(None) => "/login".to_owned(),
        Err(error) => {
            tracing::warn!(%error, "Kratos gave no logout URL: its session may outlive this one");
            "/login".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn only_other_cookies_are_forwarded() {
        let request = TestRequest::default()
            .insert_header((
                header::COOKIE,
                "csrf_token_abc=1; tollgate_session=secret; ory_kratos_session=s",
            ))
            .to_http_request();
        assert_eq!(
            forwarded_cookies(&request, "tollgate_session"),
            "csrf_token_abc=1; ory_kratos_session=s"
        );
    }

    #[test]
    fn unknown_input_types_are_text_fields() {
        assert_eq!(input_type("password"), "password");
        assert_eq!(input_type("button"), "submit");
        assert_eq!(input_type("javascript"), "text");
    }
}
