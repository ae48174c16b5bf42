//! docs/api.md's "A first day", sent request by request to a fresh instance: each answer must
//! hold what the page shows. The page's November is moved to the month before today's, so the
//! subscription is backdated and the close has a whole ended period to invoice.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed unwrap is a failed test"
)]

use chrono::{DateTime, Datelike, Months, TimeDelta, TimeZone, Utc};
use reqwest::Method;
use serde_json::Value;

use crate::{
    billing::period_close::support::close,
    billing::{WRITE_KEY, api_key},
    delivery::{dispatcher, drain, pool},
    helpers::TestApp,
    identity::support::{call, send},
};

/// One request of the page and, when the page shows it, its answer.
struct Step {
    method: Method,
    path: String,
    body: Option<String>,
    answer: Option<(u16, Value)>,
}

fn section() -> String {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md"))
        .expect("docs/api.md");
    page.split("\n## ")
        .find(|section| section.starts_with("A first day"))
        .expect("a `## A first day` section in docs/api.md")
        .to_owned()
}

/// The ```http and ```json blocks in order: a json block answers the http block before it.
fn steps(section: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut blocks = section.split("```").skip(1).step_by(2);
    for block in blocks.by_ref() {
        if let Some(request) = block.strip_prefix("http\n") {
            let (head, body) = request.split_once("\n\n").unwrap_or((request, ""));
            let (method, path) = head.lines().next().unwrap().split_once(' ').unwrap();
            let body = body.trim();
            steps.push(Step {
                method: method.parse().unwrap(),
                path: path.to_owned(),
                body: (!body.is_empty()).then(|| body.to_owned()),
                answer: None,
            });
        } else if let Some(answer) = block.strip_prefix("json\n") {
            let (status, json) = answer.split_once('\n').unwrap();
            let step = steps.last_mut().expect("an answer follows a request");
            step.answer = Some((
                status.trim().parse().unwrap(),
                serde_json::from_str(json).unwrap(),
            ));
        }
    }
    steps
}

/// The page's dates (November 2026) moved to the month before `now`'s.
struct Shift {
    days: DateTime<Utc>,
    next_month: DateTime<Utc>,
    seconds: i64,
}

impl Shift {
    fn to_last_month(now: DateTime<Utc>) -> Self {
        let this_month = Utc
            .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .unwrap();
        let last_month = this_month.checked_sub_months(Months::new(1)).unwrap();
        let page = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        Self {
            days: last_month,
            next_month: this_month,
            seconds: (last_month - page).num_seconds(),
        }
    }

    fn apply(&self, text: &str) -> String {
        let mut text = text.replace(
            "2026-12-01",
            &self.next_month.format("%Y-%m-%d").to_string(),
        );
        let mut from = 0;
        while let Some(found) = text[from..].find("2026-11-") {
            let at = from + found;
            let day: i64 = text[at + 8..at + 10].parse().unwrap();
            let moved = (self.days + TimeDelta::days(day - 1)).format("%Y-%m-%d");
            text.replace_range(at..at + 10, &moved.to_string());
            from = at + 10;
        }
        // Unix seconds of November 2026 (1793...-1796...), the fraction kept as written.
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("179") {
            let digits = rest[at..].bytes().take_while(u8::is_ascii_digit).count();
            out.push_str(&rest[..at]);
            let number = &rest[at..at + digits];
            match (digits, number.parse::<i64>()) {
                (10, Ok(seconds)) => out.push_str(&(seconds + self.seconds).to_string()),
                _ => out.push_str(number),
            }
            rest = &rest[at + digits..];
        }
        out.push_str(rest);
        out
    }
}

/// Whether `actual` holds `expected`: every key shown, arrays item by item, `"…"` for anything.
fn holds(actual: &Value, expected: &Value, at: &str) {
    match (expected, actual) {
        (Value::String(s), _) if s == "…" => {}
        (Value::Object(fields), Value::Object(got)) => {
            for (key, value) in fields {
                let got = got
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}.{key}: missing in {actual}"));
                holds(got, value, &format!("{at}.{key}"));
            }
        }
        (Value::Array(items), Value::Array(got)) => {
            assert_eq!(items.len(), got.len(), "{at}: {actual}");
            for (i, (item, got)) in items.iter().zip(got).enumerate() {
                holds(got, item, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(actual, expected, "{at}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_day_of_docs_api_md_answers_as_printed() {
    let app = TestApp::spawn_with(|settings| settings.delivery.run_in_server = false).await;
    api_key(
        &app,
        "default",
        WRITE_KEY,
        "usage:read,billing:read,billing:write",
    )
    .await;
    let now = Utc::now();
    let shift = Shift::to_last_month(now);
    let steps = steps(&shift.apply(&section()));
    assert!(steps.len() >= 7, "the walkthrough has its steps");
    let mut saved: Vec<(String, String)> = Vec::new();
    let print = std::env::var_os("TOLLGATE_PRINT_WALKTHROUGH").is_some();

    for step in steps {
        let mut path = step.path.clone();
        let mut body = step.body.clone();
        for (name, value) in &saved {
            path = path.replace(name, value);
            body = body.map(|b| b.replace(name, value));
        }
        if path.starts_with("/api/billing/invoices") {
            // What `tollgate serve` does on its own every minute: meter, then close.
            drain(&dispatcher(&pool(&app), 100)).await;
            close(&app, &(now + TimeDelta::hours(2)).to_rfc3339(), true).await;
        } else {
            drain(&dispatcher(&pool(&app), 100)).await;
        }
        let request = if path.starts_with("/v1/") {
            app.client
                .request(step.method.clone(), app.url(&path))
                .bearer_auth(&app.secret)
        } else {
            call(&app, step.method.clone(), &path, WRITE_KEY)
        };
        let request = match &body {
            Some(body) => request
                .header("Content-Type", "application/json")
                .body(body.clone()),
            None => request,
        };
        let response = send(request).await;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = response.bytes().await.unwrap();
        let label = format!("{} {}", step.method, step.path);
        if content_type.starts_with("application/pdf") {
            assert_eq!(status, 200, "{label}");
            assert!(bytes.starts_with(b"%PDF-"), "{label}");
            continue;
        }
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if print {
            println!(
                "{label} -> {status}\n{}",
                serde_json::to_string_pretty(&answer).unwrap()
            );
        }
        assert!((200..300).contains(&status), "{label}: {status} {answer}");
        if let Some((expected_status, expected)) = &step.answer {
            assert_eq!(status, *expected_status, "{label}: {answer}");
            holds(&answer, expected, &label);
        }
        for (resource, name) in [
            ("/api/billing/customers", "{customer_id}"),
            ("/api/billing/subscriptions", "{subscription_id}"),
        ] {
            if step.method == Method::POST && step.path == resource {
                saved.push((name.to_owned(), answer["id"].as_str().unwrap().to_owned()));
            }
        }
        if step.path.starts_with("/api/billing/invoices?") {
            let id = answer["data"][0]["id"].as_str().expect("an invoice");
            saved.push(("{invoice_id}".to_owned(), id.to_owned()));
        }
    }
}
