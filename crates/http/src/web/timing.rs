//! Time spent per section of a page: sent as `Server-Timing` on every answer, and shown in the
//! debug panel when the organization's debug mode is on, with the outside calls the page made.

use std::{
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use futures_util::future::{Ready, ready};
use tollgate_adapters::upstream_calls::CallLog;

/// The request's sections and outside calls, shared by the handler and the headers middleware.
#[derive(Clone, Default)]
pub struct Timing {
    sections: Arc<Mutex<Vec<(&'static str, Duration)>>>,
    calls: CallLog,
}

impl Timing {
    /// Runs `work`, recording how long it took as `section`.
    pub async fn measure<F: Future>(&self, section: &'static str, work: F) -> F::Output {
        let started = Instant::now();
        let output = work.await;
        if let Ok(mut sections) = self.sections.lock() {
            sections.push((section, started.elapsed()));
        }
        output
    }

    pub fn sections(&self) -> Vec<(&'static str, Duration)> {
        self.sections.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The outside calls made while the request was served, once
    /// [`scope`](CallLog::scope) of it has run the handler.
    pub fn calls(&self) -> &CallLog {
        &self.calls
    }

    /// `Server-Timing`'s value: each section, then the whole answer as `total`.
    pub fn header(&self, total: Duration) -> String {
        let mut parts: Vec<String> = self
            .sections()
            .into_iter()
            .map(|(name, took)| format!("{name};dur={:.1}", took.as_secs_f64() * 1000.0))
            .collect();
        parts.push(format!("total;dur={:.1}", total.as_secs_f64() * 1000.0));
        parts.join(", ")
    }
}

impl FromRequest for Timing {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(request
            .extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or_default()))
    }
}
