//! One headless Chromium for the whole binary, driven over CDP; each flow gets its own browser
//! context (cookies, storage) and tab. A tab records everything that must not happen on a page:
//! console errors, uncaught exceptions, CSP violations, failed requests.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use chromiumoxide::{
    Browser, BrowserConfig, Page,
    cdp::{
        browser_protocol::{
            browser::BrowserContextId,
            log::{EventEntryAdded, LogEntryLevel, LogEntrySource},
            network::{
                EventLoadingFailed, EventRequestWillBeSent, EventResponseReceived, ResourceType,
            },
            target::{CreateBrowserContextParams, CreateTargetParams},
        },
        js_protocol::runtime::{ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown},
    },
};
use futures_util::StreamExt;
use tokio::task::JoinHandle;

/// The flags the project runs Chromium with (chromiumoxide adds the `--`), besides the
/// debugging port and the fresh profile it needs.
const FLAGS: [&str; 6] = [
    "headless",
    "no-sandbox",
    "disable-gpu",
    "disable-background-networking",
    "disable-component-update",
    "no-first-run",
];

/// Records `securitypolicyviolation` events, which CDP does not report as such everywhere.
const CSP_RECORDER: &str = "window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});";

fn executable() -> PathBuf {
    if let Some(path) = std::env::var_os("TOLLGATE_CHROMIUM") {
        return PathBuf::from(path);
    }
    let names = ["chromium", "chromium-headless-shell", "chromium-browser"];
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .expect(
            "no Chromium: run `bash deploy/dev/ensure-tools.sh --browser` (make unit does), \
             or set TOLLGATE_CHROMIUM",
        )
}

pub struct Chromium {
    browser: Browser,
    handler: JoinHandle<()>,
    profile: PathBuf,
}

impl Chromium {
    pub async fn launch() -> Self {
        let profile =
            std::env::temp_dir().join(format!("tollgate-ui-profile-{}", uuid::Uuid::new_v4()));
        let config = BrowserConfig::builder()
            .chrome_executable(executable())
            .disable_default_args()
            // Headless by the flag below, not by chromiumoxide's own set of flags.
            .with_head()
            .user_data_dir(&profile)
            .viewport(None)
            .args(FLAGS)
            .build()
            .expect("a browser configuration");
        let (browser, mut handler) = Browser::launch(config).await.expect("Chromium starts");
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if event.is_err() {
                    // A message chromiumoxide cannot parse; the browser goes on.
                    continue;
                }
            }
        });
        Self {
            browser,
            handler,
            profile,
        }
    }

    /// A tab in a fresh browser context.
    pub async fn tab(&self) -> Tab {
        let context = self
            .browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .expect("a browser context");
        let page = self
            .browser
            .new_page(
                CreateTargetParams::builder()
                    .url("about:blank")
                    .browser_context_id(context.clone())
                    .build()
                    .expect("target parameters"),
            )
            .await
            .expect("a tab");
        Tab::watch(page, context).await
    }

    pub async fn dispose(&self, tab: Tab) {
        let context = tab.context.clone();
        tab.close().await;
        let _ = self.browser.dispose_browser_context(context).await;
    }

    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// What happened on a tab that must not: drained by each page check.
#[derive(Default)]
struct Seen {
    problems: Vec<String>,
    /// Network errors the console logged, by URL: a page answered with an error status on
    /// purpose (a 403 page) is logged so too, and is told apart when they are taken.
    network_errors: Vec<(String, String)>,
    /// Status of each document loaded, by URL.
    documents: Vec<(String, i64)>,
    /// Each redirect a document request followed: the URL that answered, and its status
    /// (a redirect answer is never reported as a response of its own).
    redirects: Vec<(String, i64)>,
}

pub struct Tab {
    pub page: Page,
    pub context: BrowserContextId,
    seen: Arc<Mutex<Seen>>,
    listeners: Vec<JoinHandle<()>>,
}

impl Tab {
    async fn watch(page: Page, context: BrowserContextId) -> Self {
        page.enable_log().await.expect("Log.enable");
        page.evaluate_on_new_document(CSP_RECORDER)
            .await
            .expect("the CSP recorder is installed");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let mut listeners = Vec::new();

        let mut console = page
            .event_listener::<EventConsoleApiCalled>()
            .await
            .expect("console events");
        let sink = Arc::clone(&seen);
        listeners.push(tokio::spawn(async move {
            while let Some(event) = console.next().await {
                if matches!(
                    event.r#type,
                    ConsoleApiCalledType::Error | ConsoleApiCalledType::Assert
                ) {
                    let text: Vec<String> = event
                        .args
                        .iter()
                        .map(|arg| format!("{:?}", arg.value))
                        .collect();
                    push(&sink, format!("console error: {}", text.join(" ")));
                }
            }
        }));

        let mut exceptions = page
            .event_listener::<EventExceptionThrown>()
            .await
            .expect("exception events");
        let sink = Arc::clone(&seen);
        listeners.push(tokio::spawn(async move {
            while let Some(event) = exceptions.next().await {
                push(
                    &sink,
                    format!("uncaught exception: {}", event.exception_details.text),
                );
            }
        }));

        let mut log = page
            .event_listener::<EventEntryAdded>()
            .await
            .expect("log events");
        let sink = Arc::clone(&seen);
        listeners.push(tokio::spawn(async move {
            while let Some(event) = log.next().await {
                let entry = &event.entry;
                if entry.level != LogEntryLevel::Error {
                    continue;
                }
                match (&entry.source, &entry.url) {
                    (LogEntrySource::Network, Some(url)) => {
                        if let Ok(mut seen) = sink.lock() {
                            seen.network_errors.push((url.clone(), entry.text.clone()));
                        }
                    }
                    _ => push(
                        &sink,
                        format!(
                            "log error ({:?}): {} {:?}",
                            entry.source, entry.text, entry.url
                        ),
                    ),
                }
            }
        }));

        let mut failures = page
            .event_listener::<EventLoadingFailed>()
            .await
            .expect("network failures");
        let sink = Arc::clone(&seen);
        listeners.push(tokio::spawn(async move {
            while let Some(event) = failures.next().await {
                if event.canceled != Some(true) {
                    push(
                        &sink,
                        format!("request failed ({:?}): {}", event.r#type, event.error_text),
                    );
                }
            }
        }));

        let mut responses = page
            .event_listener::<EventResponseReceived>()
            .await
            .expect("network responses");
        let sink = Arc::clone(&seen);
        listeners.push(tokio::spawn(async move {
            while let Some(event) = responses.next().await {
                let status = event.response.status;
                if event.r#type == ResourceType::Document {
                    if let Ok(mut seen) = sink.lock() {
                        seen.documents.push((event.response.url.clone(), status));
                    }
                } else if status >= 400 {
                    push(
                        &sink,
                        format!(
                            "{:?} answered {status}: {}",
                            event.r#type, event.response.url
                        ),
                    );
                }
            }
        }));

        let mut requests = page
            .event_listener::<EventRequestWillBeSent>()
            .await
            .expect("network requests");
        let sink = Arc::clone(&seen);
        listeners.push(tokio::spawn(async move {
            while let Some(event) = requests.next().await {
                let document = event.r#type.as_ref() == Some(&ResourceType::Document);
                if let (true, Some(answer)) = (document, &event.redirect_response)
                    && let Ok(mut seen) = sink.lock()
                {
                    seen.redirects.push((answer.url.clone(), answer.status));
                }
            }
        }));

        Self {
            page,
            context,
            seen,
            listeners,
        }
    }

    /// Problems seen since the last call. A page answered with an error status on purpose is
    /// not one (the flows check each page's status); any other failed load is.
    pub fn take_problems(&self) -> Vec<String> {
        let Ok(mut seen) = self.seen.lock() else {
            return vec!["the problem log is poisoned".into()];
        };
        let errors = std::mem::take(&mut seen.network_errors);
        let mut problems = std::mem::take(&mut seen.problems);
        for (url, text) in errors {
            let page = seen.documents.iter().any(|(u, _)| *u == url);
            if !page {
                problems.push(format!("network error: {text} {url}"));
            }
        }
        problems
    }

    /// How many documents the tab has been answered so far.
    pub fn documents_seen(&self) -> usize {
        self.seen
            .lock()
            .map(|seen| seen.documents.len())
            .unwrap_or(0)
    }

    /// Every redirect a document request of the tab followed so far: (URL, status).
    pub fn redirects_seen(&self) -> Vec<(String, i64)> {
        self.seen
            .lock()
            .map(|seen| seen.redirects.clone())
            .unwrap_or_default()
    }

    /// The status the last document loaded was answered with.
    pub fn last_document_status(&self) -> Option<i64> {
        self.seen
            .lock()
            .ok()
            .and_then(|seen| seen.documents.last().map(|(_, status)| *status))
    }

    async fn close(self) {
        for listener in &self.listeners {
            listener.abort();
        }
        let _ = self.page.close().await;
    }
}

fn push(seen: &Arc<Mutex<Seen>>, problem: String) {
    if let Ok(mut seen) = seen.lock() {
        seen.problems.push(problem);
    }
}
