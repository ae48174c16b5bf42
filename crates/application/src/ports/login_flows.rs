//! The identity system's browser login flow (Ory Kratos's self-service login), for the
//! dashboard to be its login UI: where to send a browser to begin, a flow's form to render,
//! and where to send a browser to end its session there.

use async_trait::async_trait;

use super::AuthError;

/// A text the identity system shows: a form's or a field's message, or a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowText {
    pub id: i64,
    /// `info`, `error` or `success`.
    pub kind: String,
    pub text: String,
}

/// One node of a flow's form, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowNode {
    Input {
        name: String,
        /// `text`, `email`, `password`, `hidden`, `submit`, `checkbox`...
        input_type: String,
        value: Option<String>,
        required: bool,
        disabled: bool,
        autocomplete: Option<String>,
        label: Option<String>,
        messages: Vec<FlowText>,
    },
    Text {
        id: String,
        text: String,
    },
    Anchor {
        href: String,
        title: String,
    },
    Image {
        src: String,
        width: i64,
        height: i64,
    },
    /// A node the dashboard cannot render without running the identity system's script
    /// (passkeys, WebAuthn): left out.
    Unsupported {
        kind: String,
    },
}

/// A login flow's form: where it posts, its fields and its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFlow {
    pub id: String,
    pub action: String,
    pub method: String,
    pub nodes: Vec<FlowNode>,
    pub messages: Vec<FlowText>,
}

/// What fetching a flow found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowFetch {
    Ready(LoginFlow),
    /// Expired, unknown, or bound to another browser's CSRF cookie: begin a new one.
    Restart,
    /// The browser is signed in already (`session_already_available`).
    SignedIn,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LoginFlows: Send + Sync {
    /// Where to send a browser to begin a login flow that returns to `return_to` once signed
    /// in; `aal2` asks for the second factor.
    fn begin_url(&self, return_to: &str, aal2: bool) -> String;

    /// The flow `id`, asked with the browser's `cookie` (the flow's CSRF cookie with it).
    ///
    /// # Errors
    /// `AuthError::Upstream` when the identity system gives no usable answer.
    async fn login_flow(&self, id: &str, cookie: &str) -> Result<FlowFetch, AuthError>;

    /// Where to send a browser, with its `cookie`, to end its session there and come back to
    /// `return_to`; `None` when it has no session there.
    ///
    /// # Errors
    /// `AuthError::Upstream` when the identity system gives no usable answer.
    async fn logout_url(&self, cookie: &str, return_to: &str) -> Result<Option<String>, AuthError>;
}
