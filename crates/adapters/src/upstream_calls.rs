//! The outside calls made while one request is served, for the dashboard's debug panel: which
//! upstream, the method, the path, the status (or why there was none) and how long the answer
//! took. The web layer opens a [`CallLog`] around a page with [`CallLog::scope`]; every adapter
//! sends through [`crate::upstream::Upstream::send`], which reports here. Outside a scope (the
//! dispatcher, the probes) nothing is kept.
//!
//! Only what cannot carry a secret is kept: no host (a configured URL may hold credentials in
//! its user info), no query (Keto's and Kratos's carry subjects, e-mails, flow ids), no headers,
//! no bodies.

use std::{
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

tokio::task_local! {
    /// A task-local rather than a parameter: the calls are made deep inside ports that know
    /// nothing of pages, and threading a recorder through every port would put a debug concern
    /// into the application layer.
    static CALLS: CallLog;
}

/// The most calls one page keeps: a page that pages through Keto or Lago in a loop must not
/// grow without bound; the count of the rest is kept in [`CallLog::dropped`].
const MOST: usize = 100;

/// What an outside call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The upstream answered with this status.
    Status(u16),
    /// No answer within the client's timeout.
    TimedOut,
    /// No connection could be made.
    CannotConnect,
    /// Another failure before an answer (a broken connection, a refused TLS handshake).
    Failed,
}

/// One outside call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamCall {
    /// The upstream as its errors name it (`openmeter`, `lago`, `kratos`...).
    pub upstream: &'static str,
    pub method: String,
    /// The URL's path, without host, user info, query or fragment.
    pub path: String,
    pub outcome: CallOutcome,
    /// From sending to the answer's head: reading the body is the caller's own time.
    pub took: Duration,
}

#[derive(Default)]
struct Kept {
    calls: Vec<UpstreamCall>,
    dropped: usize,
}

/// The calls of one request, shared by the handler's task and whoever renders them.
#[derive(Clone, Default)]
pub struct CallLog(Arc<Mutex<Kept>>);

impl CallLog {
    /// Runs `work` with this log receiving the calls it makes (on its own task: work spawned
    /// onto other tasks is not seen).
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        CALLS.scope(self.clone(), work).await
    }

    /// The calls so far, in the order they were sent.
    pub fn calls(&self) -> Vec<UpstreamCall> {
        self.0
            .lock()
            .map(|kept| kept.calls.clone())
            .unwrap_or_default()
    }

    /// How many calls were made beyond the ones kept.
    pub fn dropped(&self) -> usize {
        self.0.lock().map(|kept| kept.dropped).unwrap_or_default()
    }

    fn push(&self, call: UpstreamCall) {
        if let Ok(mut kept) = self.0.lock() {
            if kept.calls.len() < MOST {
                kept.calls.push(call);
            } else {
                kept.dropped += 1;
            }
        }
    }
}

/// A call being made: [`finish`](Self::finish) it with its outcome.
pub(crate) struct Started {
    upstream: &'static str,
    method: String,
    path: String,
    at: Instant,
}

/// Starts timing a call to `url`; only its path is kept.
pub(crate) fn start(upstream: &'static str, method: &str, url: &url::Url) -> Started {
    Started {
        upstream,
        method: method.to_owned(),
        path: url.path().to_owned(),
        at: Instant::now(),
    }
}

impl Started {
    /// Records the call in the current request's log, if there is one.
    pub(crate) fn finish(self, outcome: CallOutcome) {
        let call = UpstreamCall {
            upstream: self.upstream,
            method: self.method,
            path: self.path,
            outcome,
            took: self.at.elapsed(),
        };
        // Outside a scope there is no page to show it on.
        let _ = CALLS.try_with(|log| log.push(call));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).expect("a URL")
    }

    #[tokio::test]
    async fn a_call_keeps_its_path_status_and_time_but_not_its_query_or_user_info() {
        let log = CallLog::default();
        log.scope(async {
            let call = start(
                "keto",
                "GET",
                &url("https://user:secret@keto.internal/relation-tuples?subject_id=ann%40example.com#x"),
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
            call.finish(CallOutcome::Status(200));
            start("lago", "POST", &url("http://lago:3000/api/v1/invoices"))
                .finish(CallOutcome::TimedOut);
        })
        .await;
        let calls = log.calls();
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert_eq!(calls[0].upstream, "keto");
        assert_eq!(calls[0].method, "GET");
        assert_eq!(calls[0].path, "/relation-tuples");
        assert_eq!(calls[0].outcome, CallOutcome::Status(200));
        assert!(calls[0].took >= Duration::from_millis(5), "{calls:?}");
        assert_eq!(calls[1].outcome, CallOutcome::TimedOut);
        let shown = format!("{calls:?}");
        for secret in ["secret", "ann", "subject_id", "keto.internal", "#x"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[tokio::test]
    async fn calls_outside_a_scope_or_past_the_cap_are_not_kept() {
        start("openmeter", "GET", &url("http://om/api")).finish(CallOutcome::Status(200));
        let log = CallLog::default();
        assert!(log.calls().is_empty());
        log.scope(async {
            for _ in 0..MOST + 3 {
                start("keto", "GET", &url("http://keto/x")).finish(CallOutcome::Status(200));
            }
        })
        .await;
        assert_eq!(log.calls().len(), MOST);
        assert_eq!(log.dropped(), 3);
    }
}
