//! What the base template needs on every page: title, organization, the menu for the visitor's
//! role, the CSRF token, the debug panel. A page's template struct holds a [`Layout`] and
//! extends `base.html`.

use std::time::Duration;

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use askama::Template;
use tollgate_adapters::upstream_calls::CallOutcome;
use tollgate_domain::access::Role;
use tracing_actix_web::RequestId;

use super::{
    NAV, Visitor, WebError, assets, csrf,
    i18n::{Catalog, catalog, key},
    privacy::{Banner, here},
    timing::Timing,
};
use crate::access::requirement_for;

pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub shortcut: &'static str,
    pub current: bool,
}

pub struct Account {
    pub subject: String,
    pub role: String,
}

pub struct DebugPanel {
    pub request_id: String,
    /// Section and the time it took, as shown.
    pub sections: Vec<(String, String)>,
    pub calls: Vec<DebugCall>,
    /// Calls made beyond the ones kept (a page that loops over an upstream's pages).
    pub more_calls: i64,
}

/// One outside call as the panel shows it: never a host, query, header or body.
pub struct DebugCall {
    pub upstream: &'static str,
    pub method: String,
    pub path: String,
    /// The status, or why there was none.
    pub outcome: String,
    pub took: String,
}

impl DebugPanel {
    fn new(request: &HttpRequest, timing: &Timing, t: &Catalog) -> Self {
        let millis = |took: Duration| format!("{:.1} ms", took.as_secs_f64() * 1000.0);
        Self {
            request_id: request
                .extensions()
                .get::<RequestId>()
                .map(ToString::to_string)
                .unwrap_or_default(),
            sections: timing
                .sections()
                .into_iter()
                .map(|(name, took)| (name.to_owned(), millis(took)))
                .collect(),
            calls: timing
                .calls()
                .calls()
                .into_iter()
                .map(|call| DebugCall {
                    upstream: call.upstream,
                    method: call.method,
                    path: call.path,
                    outcome: match call.outcome {
                        CallOutcome::Status(status) => status.to_string(),
                        CallOutcome::TimedOut => t.tr("debug-call-timed-out"),
                        CallOutcome::CannotConnect => t.tr("debug-call-cannot-connect"),
                        CallOutcome::Failed => t.tr("debug-call-failed"),
                    },
                    took: millis(call.took),
                })
                .collect(),
            more_calls: i64::try_from(timing.calls().dropped()).unwrap_or(i64::MAX),
        }
    }
}

pub struct Layout {
    pub t: &'static Catalog,
    pub title: String,
    pub org_name: Option<String>,
    pub nav: Vec<NavLink>,
    pub account: Option<Account>,
    pub csrf: String,
    pub debug: Option<DebugPanel>,
    /// The consent banner, until the visitor answers it.
    pub banner: Option<Banner>,
}

/// The catalog key of a role's name.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Owner => key("role-owner"),
        Role::Admin => key("role-admin"),
        Role::Billing => key("role-billing"),
        Role::Viewer => key("role-viewer"),
        Role::Customer => key("role-customer"),
    }
}

/// The menu entry `path` is shown under: the entry it is, or the longest one it is under
/// (`/customers/{id}` under `/customers`, `/usage/events/{id}` under `/usage/events`), else
/// the entry of its first segment (`/billing/plans` under Billing's `/billing/invoices`).
fn menu_entry(path: &str) -> Option<&'static str> {
    let hrefs = || NAV.iter().map(|(href, _, _)| *href);
    let under = |href: &str| {
        href == path
            || (href != "/"
                && path
                    .strip_prefix(href)
                    .is_some_and(|rest| rest.starts_with('/')))
    };
    let segment = |p: &str| p.split('/').nth(1).unwrap_or_default().to_owned();
    hrefs()
        .filter(|href| under(href))
        .max_by_key(|href| href.len())
        .or_else(|| hrefs().find(|href| *href != "/" && segment(href) == segment(path)))
}

impl Layout {
    /// A page for someone not signed in (sign-in, errors): no menu, no account.
    pub fn bare(title: String) -> Self {
        Self {
            t: catalog(),
            title,
            org_name: None,
            nav: Vec::new(),
            account: None,
            csrf: String::new(),
            debug: None,
            banner: None,
        }
    }

    /// A signed-in page titled by the catalog's `title_key`.
    pub fn page(
        visitor: &Visitor,
        request: &HttpRequest,
        title_key: &str,
        timing: &Timing,
    ) -> Self {
        let t = catalog();
        let path = request.path();
        let marked = menu_entry(path);
        let nav = NAV
            .iter()
            .filter(|(href, _, _)| {
                requirement_for(&actix_web::http::Method::GET, href)
                    .is_some_and(|requirement| requirement.roles.contains(&visitor.role))
            })
            .map(|(href, label, shortcut)| NavLink {
                href,
                label: t.tr(label),
                shortcut,
                current: marked == Some(*href),
            })
            .collect();
        let debug = visitor.debug.then(|| DebugPanel::new(request, timing, t));
        Self {
            t,
            title: t.tr(title_key),
            org_name: Some(visitor.organization.display_name.clone()),
            nav,
            account: Some(Account {
                subject: visitor.session.record.holder.subject.clone(),
                role: t.tr(role_key(visitor.role)),
            }),
            csrf: csrf::masked(&visitor.csrf),
            debug,
            banner: visitor
                .banner
                .then(|| {
                    request
                        .app_data::<actix_web::web::Data<crate::state::AppState>>()
                        .map(|state| Banner::new(state, here(request)))
                })
                .flatten(),
        }
    }

    /// The hashed URL of a static file.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// A rendered template as an HTML answer with `status`.
///
/// # Errors
/// [`WebError::Internal`] when the template fails to render.
pub fn render(status: StatusCode, template: &impl Template) -> Result<HttpResponse, WebError> {
    let body = template
        .render()
        .map_err(|error| WebError::Internal(format!("a template failed: {error}")))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body))
}
