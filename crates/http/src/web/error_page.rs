//! Errors of the dashboard as pages: the API's error mapping decides the status and the code
//! (`crate::error`), this decides what a person reads. 403 names the roles the page needs,
//! 502/503/504 the system that failed and when to retry, 500 only the request id.

use std::time::Duration;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use askama::Template;
use tollgate_application::{AppError, PortError, ports::AuthError};
use tollgate_domain::{ErrorCode, access::Role};

use super::{
    i18n::catalog,
    layout::{Layout, render, role_key},
};
use crate::{
    error::{ApiError, status},
    middleware::current_request_id,
};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No live session: to the sign-in page, then back to `next`.
    #[error("sign in first")]
    SignIn { next: String },
    /// The visitor's role may not open this page; `roles` may. `csrf` is the visitor's
    /// session token, so the page can offer to sign out (a customer member has no other page).
    #[error("this page needs another role")]
    Forbidden {
        roles: &'static [Role],
        csrf: String,
    },
    #[error("the form did not come from this dashboard")]
    CsrfFailed,
    #[error("no such page")]
    NotFound,
    #[error("too many failed sign-ins")]
    TooManyRequests,
    /// Anything the API's mapping answers (upstream failures, refused values...).
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<AppError> for WebError {
    fn from(error: AppError) -> Self {
        Self::Api(error.into())
    }
}

impl From<PortError> for WebError {
    fn from(error: PortError) -> Self {
        Self::Api(error.into())
    }
}

impl From<AuthError> for WebError {
    fn from(error: AuthError) -> Self {
        Self::Api(error.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
    retry: Option<String>,
    code: &'static str,
    request_id: Option<String>,
    link_href: &'static str,
    link_label: String,
    /// Offer to sign out (the visitor is signed in, with the wrong role).
    sign_out: bool,
}

/// How people know the systems Tollgate reaches.
fn upstream_name(service: &str) -> String {
    match service {
        "openmeter" => "OpenMeter".into(),
        "lago" => "Lago".into(),
        "hydra" => "Ory Hydra".into(),
        "kratos" => "Ory Kratos".into(),
        "keto" => "Ory Keto".into(),
        _ => catalog().tr("upstream-database"),
    }
}

fn retry_secs(wait: Option<Duration>) -> i64 {
    wait.map_or(2, |wait| {
        i64::try_from(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).unwrap_or(i64::MAX)
    })
}

/// A section of a page that could not be shown because a system it reads failed: the page
/// still renders, with this in that section's place.
pub struct SectionFailure {
    pub status: StatusCode,
    pub heading: String,
    pub message: String,
    /// When to try again, when the system said or a default applies.
    pub retry: Option<String>,
    pub code: &'static str,
    /// `Retry-After`'s seconds, for an unavailable system.
    retry_after: Option<i64>,
}

impl SectionFailure {
    /// The page that shows this failure, answered with its status (and `Retry-After`).
    ///
    /// # Errors
    /// [`WebError::Internal`] when the template fails to render.
    pub fn answer(&self, page: &impl Template) -> Result<HttpResponse, WebError> {
        let mut response = render(self.status, page)?;
        if let Some(secs) = self.retry_after
            && let Ok(value) = header::HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        Ok(response)
    }
}

/// `error` as a section's failure, with `T`'s empty value in its place; any error that is not
/// an outside system's failure stays the page's.
///
/// # Errors
/// `error` itself when it is not a section's to show.
pub fn degraded<T: Default>(
    error: impl Into<WebError>,
) -> Result<(T, Option<SectionFailure>), WebError> {
    let error = error.into();
    match error.section_failure() {
        Some(failure) => Ok((T::default(), Some(failure))),
        None => Err(error),
    }
}

impl WebError {
    /// What to show in place of a section when this is an outside system's failure (Lago,
    /// OpenMeter, Ory, the database unavailable): 502/503/504 with the system's name and
    /// when to retry. `None` for any other error, which the whole page answers.
    pub fn section_failure(&self) -> Option<SectionFailure> {
        if !matches!(
            self,
            Self::Api(
                ApiError::UpstreamUnavailable { .. }
                    | ApiError::Unavailable { .. }
                    | ApiError::UpstreamTimeout { .. }
                    | ApiError::UpstreamInvalidAnswer { .. }
            )
        ) {
            return None;
        }
        let page = self.page();
        let retry_after = match self {
            Self::Api(
                ApiError::UpstreamUnavailable { retry_after, .. }
                | ApiError::Unavailable { retry_after, .. },
            ) => Some(retry_secs(*retry_after)),
            _ => None,
        };
        Some(SectionFailure {
            status: self.status_code(),
            heading: page.heading,
            message: page.message,
            retry: page.retry,
            code: page.code,
            retry_after,
        })
    }

    fn code(&self) -> ErrorCode {
        match self {
            Self::SignIn { .. } => ErrorCode::Unauthorized,
            Self::Forbidden { .. } => ErrorCode::Forbidden,
            Self::CsrfFailed => ErrorCode::CsrfFailed,
            Self::NotFound => ErrorCode::NotFound,
            Self::TooManyRequests => ErrorCode::TooManyRequests,
            Self::Api(error) => error.code(),
            Self::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// What a section of a page says in place of what it could not read: the error page's
    /// message (the system that failed) and when to retry.
    pub fn notice(&self) -> String {
        let page = self.page();
        match page.retry {
            Some(retry) => format!("{} {retry}", page.message),
            None => page.message,
        }
    }

    fn page(&self) -> ErrorPage {
        let t = catalog();
        let code = self.code();
        let (heading, message, retry) = match self {
            Self::Forbidden { roles, .. } => {
                let names: Vec<String> = roles.iter().map(|r| t.tr(role_key(*r))).collect();
                (
                    t.tr("error-403-heading"),
                    t.tr_with("error-403-roles", &names.join(", ")),
                    None,
                )
            }
            Self::CsrfFailed => (t.tr("error-403-heading"), t.tr("error-csrf"), None),
            Self::NotFound => (t.tr("error-404-heading"), t.tr("error-404-message"), None),
            Self::TooManyRequests => (
                t.tr("error-429-heading"),
                t.tr("error-429-message"),
                Some(t.tr_count("error-retry-after", 60)),
            ),
            Self::Api(ApiError::UpstreamUnavailable {
                service,
                retry_after,
                ..
            }) => (
                t.tr("error-503-heading"),
                t.tr_with("error-503-message", &upstream_name(service)),
                Some(t.tr_count("error-retry-after", retry_secs(*retry_after))),
            ),
            Self::Api(ApiError::Unavailable { retry_after, .. }) => (
                t.tr("error-503-heading"),
                t.tr_with("error-503-message", &upstream_name("")),
                Some(t.tr_count("error-retry-after", retry_secs(*retry_after))),
            ),
            Self::Api(ApiError::UpstreamTimeout { service, .. }) => (
                t.tr("error-504-heading"),
                t.tr_with("error-504-message", &upstream_name(service)),
                Some(t.tr_count("error-retry-after", retry_secs(None))),
            ),
            Self::Api(ApiError::UpstreamInvalidAnswer { service, .. }) => (
                t.tr("error-502-heading"),
                t.tr_with("error-502-message", &upstream_name(service)),
                None,
            ),
            Self::Api(ApiError::NotFound | ApiError::Missing { .. }) => {
                (t.tr("error-404-heading"), t.tr("error-404-message"), None)
            }
            Self::Api(ApiError::Forbidden(_)) => {
                (t.tr("error-403-heading"), t.tr("error-403-message"), None)
            }
            Self::Api(ApiError::TooManyRequests) => (
                t.tr("error-429-heading"),
                t.tr("error-429-message"),
                Some(t.tr_count("error-retry-after", 60)),
            ),
            Self::Api(error) if status(code).is_client_error() => {
                (t.tr("error-400-heading"), error.public_message(), None)
            }
            Self::Api(_) | Self::Internal(_) | Self::SignIn { .. } => {
                (t.tr("error-500-heading"), t.tr("error-500-message"), None)
            }
        };
        let request_id = status(code)
            .is_server_error()
            .then(current_request_id)
            .flatten();
        let mut layout = Layout::bare(heading.clone());
        if let Self::Forbidden { csrf, .. } = self {
            layout.csrf = super::csrf::masked(csrf);
        }
        ErrorPage {
            sign_out: matches!(self, Self::Forbidden { .. }),
            layout,
            heading,
            message,
            retry,
            code: code.as_str(),
            request_id,
            link_href: "/",
            link_label: t.tr("error-home-link"),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Api(error) => error.status_code(),
            other => status(other.code()),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(reason) => tracing::error!(%reason, "a page failed"),
            Self::Api(error) if error.status_code().is_server_error() => {
                tracing::error!(%error, "a page failed");
            }
            _ => {}
        }
        if let Self::SignIn { next } = self {
            let target = format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        let mut response = render(self.status_code(), &self.page()).unwrap_or_else(|_| {
            HttpResponse::build(self.status_code())
                .content_type("text/plain; charset=utf-8")
                .body(catalog().tr("error-500-message"))
        });
        if let Self::Api(
            ApiError::UpstreamUnavailable { retry_after, .. }
            | ApiError::Unavailable { retry_after, .. },
        ) = self
            && let Ok(value) = header::HeaderValue::from_str(&retry_secs(*retry_after).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
