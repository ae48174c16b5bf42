//! Cross-site request forgery: every POST must come from the dashboard's own origin (`Origin`,
//! else `Sec-Fetch-Site`), and every form of a signed-in page carries a token bound to the
//! session (HMAC-SHA256 of the session id's digest under a key of the installation). Either
//! check failing is a 403 `csrf_failed` before anything is read or written.
//!
//! Pages are sent compressed, and some repeat what their URL asked for: a fixed token in such
//! a page could be guessed byte by byte from the compressed sizes (BREACH). So a page carries
//! the token [`masked`] by a fresh random pad, different bytes in every answer.

use actix_web::HttpRequest;
use hmac::{Hmac, Mac};
use rand::RngCore;
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

/// The session's token as a form carries it: a random pad, then the token XOR the pad (hex).
pub fn masked(token: &str) -> String {
    let Ok(token) = hex::decode(token) else {
        return String::new();
    };
    let mut pad = vec![0_u8; token.len()];
    rand::rng().fill_bytes(&mut pad);
    let mixed: Vec<u8> = pad.iter().zip(&token).map(|(p, t)| p ^ t).collect();
    format!("{}{}", hex::encode(pad), hex::encode(mixed))
}

/// The token a [`masked`] copy carries; `None` for anything not shaped like one.
fn unmasked(presented: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(presented).ok()?;
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    let (pad, mixed) = bytes.split_at(bytes.len() / 2);
    Some(pad.iter().zip(mixed).map(|(p, m)| p ^ m).collect())
}

/// # Errors
/// [`WebError::CsrfFailed`] unless `presented` is a masked copy of `expected`.
pub fn verify(expected: &str, presented: &str) -> Result<(), WebError> {
    let expected = hex::decode(expected).unwrap_or_default();
    let same = !expected.is_empty()
        && unmasked(presented).is_some_and(|token| bool::from(expected.as_slice().ct_eq(&token)));
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
        assert!(verify(&a, &masked(&a)).is_ok());
        assert!(matches!(verify(&a, "nope"), Err(WebError::CsrfFailed)));
        assert!(matches!(verify("", ""), Err(WebError::CsrfFailed)));
        let other = token(b"key", &[2; 32]);
        assert!(matches!(
            verify(&a, &masked(&other)),
            Err(WebError::CsrfFailed)
        ));
    }

    #[test]
    fn every_masked_copy_differs_and_the_bare_token_is_not_accepted() {
        let a = token(b"key", &[1; 32]);
        let (one, two) = (masked(&a), masked(&a));
        assert_eq!(one.len(), 128);
        assert_ne!(one, two, "a fresh pad each time");
        assert!(!one.contains(&a));
        // The unmasked token never appears in a page, so it is not a form's value either.
        assert!(matches!(verify(&a, &a), Err(WebError::CsrfFailed)));
    }
}
