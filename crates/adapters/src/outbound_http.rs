//! How every adapter that calls an outside HTTP API builds its client and its endpoint URLs.
//! Each adapter maps the failures into its own setup error.

use std::time::Duration;

use url::Url;

/// A client with a whole-request timeout, so a hung system costs one timeout, not a hung
/// request or an expired lease. Redirects are not followed: no API Tollgate calls redirects an
/// API call, and following one could carry an API key or a cookie to another host.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// `base` joined with a relative `path`, keeping any path prefix of `base` (a system behind a
/// reverse proxy at `https://host/kratos/` still gets `https://host/kratos/sessions/whoami`);
/// `None` unless `base` is an http(s) base URL.
pub(crate) fn endpoint(base: &Url, path: &str) -> Option<Url> {
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return None;
    }
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let with_slash = format!("{}/", base.path());
        base.set_path(&with_slash);
    }
    base.set_query(None);
    base.join(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_a_proxy_prefix_and_refuse_other_schemes() {
        let join = |base: &str, path: &str| {
            endpoint(&Url::parse(base).unwrap(), path).map(|u| u.to_string())
        };
        assert_eq!(
            join("https://host/kratos", "sessions/whoami").as_deref(),
            Some("https://host/kratos/sessions/whoami")
        );
        assert_eq!(
            join("http://host:8888/?x=1", "api/v1/events").as_deref(),
            Some("http://host:8888/api/v1/events")
        );
        assert_eq!(join("ftp://host/", "x"), None);
    }
}
