//! The consent banner and the choice cookie. A signed-in person's answer is a consent record
//! (`ConsentService`); someone not signed in has no record to keep, so their answer lives in a
//! cookie only. The cookie holds the notice version and the answer, never an identifier; with
//! the session and CSRF cookies it is all Tollgate sets before anyone accepts.

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    web,
};
use tollgate_domain::privacy::consent::ConsentDecision;

use super::super::i18n::{catalog, key};
use crate::state::AppState;

pub const CHOICE_COOKIE: &str = "tollgate_privacy_choice";
/// How long a browser remembers an answer given without signing in.
const CHOICE_DAYS: i64 = 180;

/// What the banner needs: the notice version it asks under and where to come back to.
pub struct Banner {
    pub version: String,
    pub return_to: String,
    /// What is asked for, as people read it.
    pub purposes: Vec<String>,
}

/// The catalog key naming a purpose.
pub fn purpose_key(purpose: tollgate_domain::privacy::consent::ConsentPurpose) -> &'static str {
    use tollgate_domain::privacy::consent::ConsentPurpose as P;
    match purpose {
        P::LangfuseExport => key("consent-purpose-langfuse-export"),
        P::PromptCapture => key("consent-purpose-prompt-capture"),
        P::AnalyticsCookies => key("consent-purpose-analytics-cookies"),
    }
}

/// The page's own path and query: where the banner's form comes back to.
pub fn here(request: &HttpRequest) -> String {
    request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

impl Banner {
    pub fn new(state: &AppState, return_to: String) -> Self {
        let t = catalog();
        Self {
            version: state.consents.notice().version.clone(),
            return_to,
            purposes: state
                .consents
                .optional_purposes()
                .iter()
                .map(|purpose| t.tr(purpose_key(*purpose)))
                .collect(),
        }
    }
}

/// The answer a browser's cookie holds: the notice version and the decision.
pub fn cookie_choice(request: &HttpRequest) -> Option<(String, ConsentDecision)> {
    let cookie = request.cookie(CHOICE_COOKIE)?;
    let (version, decision) = cookie.value().split_once(':')?;
    Some((version.to_owned(), ConsentDecision::parse(decision)?))
}

/// The banner for someone not signed in: when something optional is configured and their
/// cookie holds no answer under the notice in force.
pub fn anonymous_banner(request: &HttpRequest) -> Option<Banner> {
    let state = request.app_data::<web::Data<AppState>>()?;
    if state.consents.optional_purposes().is_empty() {
        return None;
    }
    let answered = cookie_choice(request)
        .is_some_and(|(version, _)| version == state.consents.notice().version);
    (!answered).then(|| Banner::new(state, here(request)))
}

/// The cookie remembering `decision` under `version`.
pub fn choice_cookie(secure: bool, version: &str, decision: ConsentDecision) -> Cookie<'static> {
    Cookie::build(CHOICE_COOKIE, format!("{version}:{}", decision.as_str()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(CookieDuration::days(CHOICE_DAYS))
        .finish()
}
