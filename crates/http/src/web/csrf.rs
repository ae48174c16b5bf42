//! Cross-site request forgery: every POST must come from the dashboard's own origin (`Origin`,
//! else `Sec-Fetch-Site`), and every form of a signed-in page carries a token bound to the
//! session (HMAC-SHA256 of the session id's digest under a key of the installation). Either
//! check failing is a 403 `csrf_failed` before anything is read or written.

use actix_web::HttpRequest;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{WebError, WebState};

/// The session's CSRF token (hex).
pub fn token(key: &[u8], session_digest: &[u8; 32]) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"tollgate-csrf\0");
    mac.update(session_digest);
    hex::encode(mac.finalize().into_bytes())
}

/// # Errors
/// [`WebError::CsrfFailed`] unless `presented` is `expected`.
pub fn verify(expected: &str, presented: &str) -> Result<(), WebError> {
    let same = !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()));
    if same {
        Ok(())
    } else {
        Err(WebError::CsrfFailed)
    }
}

/// A browser names where a POST comes from: `Origin` (every current browser on POST), or at
/// least `Sec-Fetch-Site`. A request naming neither is not a browser's form and is refused.
///
/// # Errors
/// [`WebError::CsrfFailed`] for another origin, a cross-site fetch, or neither header.
pub fn check_origin(request: &HttpRequest, web: &WebState) -> Result<(), WebError> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    // Without a configured public URL the dashboard is reached however the browser named the
    // host (127.0.0.1 or localhost): the browser's own Host header, never a page's, says so.
    let own = |origin: &str| {
        origin == web.origin
            || (!web.fixed_origin
                && header("host").is_some_and(|host| origin == format!("http://{host}")))
    };
    match (header("origin"), header("sec-fetch-site")) {
        (Some(origin), _) if own(origin) => Ok(()),
        (Some(_), _) => Err(WebError::CsrfFailed),
        (None, Some("same-origin")) => Ok(()),
        (None, _) => Err(WebError::CsrfFailed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_bound_to_the_session_and_the_key() {
        let a = token(b"key", &[1; 32]);
        assert_eq!(a.len(), 64);
        assert_eq!(a, token(b"key", &[1; 32]));
        assert_ne!(a, token(b"key", &[2; 32]));
        assert_ne!(a, token(b"other", &[1; 32]));
        assert!(verify(&a, &a).is_ok());
        assert!(matches!(verify(&a, "nope"), Err(WebError::CsrfFailed)));
        assert!(matches!(verify("", ""), Err(WebError::CsrfFailed)));
    }
}
