//! What a 503 or 504 says when an outside system could not answer: which system, and what
//! became of the request. A read can simply be asked again. A change met a system that could
//! not be reached or said it was failing (503): it was not made. A change whose call got no
//! answer in time (504) may have been made: the answer says so, and says a retry is safe only
//! for a request that means the same thing when sent twice (PUT, DELETE). Ory's systems are
//! asked who the caller is before anything is changed, so a change they hold up was not made.

use actix_web::http::Method;

/// One outside system as messages name it.
struct Upstream {
    name: &'static str,
    /// What Tollgate reads from it: "… is unavailable for {reading}".
    reading: &'static str,
    /// Asked before any change (authentication and authorization).
    gatekeeper: bool,
}

/// The systems by the service names their adapters report (`crate::upstream` in the adapters).
fn upstream(service: &str) -> Option<Upstream> {
    let (name, reading, gatekeeper) = match service {
        "openmeter" => ("OpenMeter", "reading usage", false),
        "lago" => ("Lago", "reading billing data", false),
        "stripe" => ("Stripe", "reading payments", false),
        "hydra" => ("Ory Hydra", "checking credentials", true),
        "kratos" => ("Ory Kratos", "checking the session", true),
        "keto" => ("Ory Keto", "checking permissions", true),
        _ => return None,
    };
    Some(Upstream {
        name,
        reading,
        gatekeeper,
    })
}

/// Whether `service` is an outside system these messages know.
pub(super) fn is_upstream(service: &str) -> bool {
    upstream(service).is_some()
}

/// What the request being answered asked for, from its method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    Read,
    /// A change; `repeatable` when sending it twice means the same as once.
    Change {
        repeatable: bool,
    },
}

fn intent(method: &Method) -> Intent {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        Intent::Read
    } else {
        Intent::Change {
            repeatable: matches!(*method, Method::PUT | Method::DELETE),
        }
    }
}

/// The 503's message: `method` is the request's (`None` outside a request).
pub(super) fn unavailable(service: &str, method: Option<&Method>) -> String {
    let Some(upstream) = upstream(service) else {
        return "temporarily unavailable; retry later".to_owned();
    };
    let name = upstream.name;
    match method.map(intent) {
        Some(Intent::Read) => format!(
            "{name} is unavailable for {}; retry later",
            upstream.reading
        ),
        Some(Intent::Change { .. }) => {
            format!("{name} is unavailable; the change was not made, retry later")
        }
        None => format!("{name} is unavailable; retry later"),
    }
}

/// The 504's message.
pub(super) fn timed_out(service: &str, method: Option<&Method>) -> String {
    let Some(upstream) = upstream(service) else {
        return format!("{service} did not answer in time; retry later");
    };
    let name = upstream.name;
    match method.map(intent) {
        Some(Intent::Read) => format!(
            "{name} did not answer in time for {}; retry later",
            upstream.reading
        ),
        Some(Intent::Change { .. }) if upstream.gatekeeper => {
            format!("{name} did not answer in time; the change was not made, retry later")
        }
        Some(Intent::Change { repeatable: true }) => format!(
            "{name} did not answer in time; whether the change was made is unknown, and \
             retrying the same request is safe"
        ),
        Some(Intent::Change { repeatable: false }) => format!(
            "{name} did not answer in time; whether the change was made is unknown: check \
             before retrying"
        ),
        None => format!("{name} did not answer in time"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_what_was_read_and_changes_what_became_of_them() {
        let get = Some(&Method::GET);
        let (post, put) = (Some(&Method::POST), Some(&Method::PUT));
        assert_eq!(
            unavailable("openmeter", get),
            "OpenMeter is unavailable for reading usage; retry later"
        );
        assert_eq!(
            unavailable("lago", post),
            "Lago is unavailable; the change was not made, retry later"
        );
        assert_eq!(
            timed_out("lago", get),
            "Lago did not answer in time for reading billing data; retry later"
        );
        assert!(timed_out("lago", put).ends_with("unknown, and retrying the same request is safe"));
        assert!(timed_out("lago", post).ends_with("unknown: check before retrying"));
        assert_eq!(
            timed_out("keto", post),
            "Ory Keto did not answer in time; the change was not made, retry later"
        );
        // Not an outside system (the database): nothing named.
        assert_eq!(
            unavailable("postgres", post),
            "temporarily unavailable; retry later"
        );
    }
}
