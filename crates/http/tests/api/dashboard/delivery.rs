//! Settings → Delivery over plain HTTP: each dead letter listed with its ids, attempts and
//! the reason it was given up, and retried one by one (CSRF-checked, audited, 303 back).

use reqwest::header;
use tollgate_application::ports::DeliveryOutcome;

use super::{browser, csrf_of, page, sign_in};
use crate::{delivery::settlements::settle_with, helpers::TestApp};

async fn post(app: &TestApp, cookie: &str, path: &str, csrf: &str) -> reqwest::Response {
    browser()
        .post(app.url(path))
        .header(header::COOKIE, cookie)
        .header(header::ORIGIN, &app.address)
        .header(header::ACCEPT, "text/html")
        .form(&[("csrf", csrf)])
        .send()
        .await
        .expect("an answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_with_their_reason_and_retried_one_by_one() {
    let app = settle_with(DeliveryOutcome::Rejected {
        reason: "400 invalid event: subject <missing>".into(),
    })
    .await;
    let ids: Vec<String> = app
        .texts("SELECT id::text AS value FROM outbox WHERE state = 'dead' ORDER BY id DESC")
        .await
        .into_iter()
        .map(|id| id.expect("an id"))
        .collect();
    let event = app
        .scalar_text(&format!(
            "SELECT event_id::text AS value FROM outbox WHERE id = {}",
            ids[0]
        ))
        .await
        .expect("its event");
    let cookie = sign_in(&app, &["--org", "default", "--role", "admin"]).await;

    let html = page(&app, &cookie, "/settings/delivery")
        .await
        .text()
        .await
        .expect("a body");
    assert!(html.contains("Dead letters, newest first"), "{html}");
    // Escaped, as any stored text.
    assert!(
        html.contains("400 invalid event: subject &#60;missing&#62;")
            || html.contains("400 invalid event: subject &lt;missing&gt;"),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"href="/usage/events/{event}""#)),
        "{html}"
    );
    for id in &ids {
        assert!(
            html.contains(&format!(
                r#"action="/settings/delivery/dead-letters/{id}/retry""#
            )),
            "{id}: {html}"
        );
    }
    assert!(html.contains(&format!(r#"aria-label="Retry dead letter {}""#, ids[0])));
    let csrf = csrf_of(&html);

    let path = format!("/settings/delivery/dead-letters/{}/retry", ids[0]);
    let forged = post(&app, &cookie, &path, &"0".repeat(64)).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(app.count_where("outbox", "state = 'dead'").await, 3);

    let retried = post(&app, &cookie, &path, &csrf).await;
    assert_eq!(retried.status(), 303);
    assert_eq!(
        retried.headers()[header::LOCATION],
        "/settings/delivery?retried=1"
    );
    assert_eq!(
        app.count_where(
            "outbox",
            &format!("id = {} AND state = 'pending' AND attempts = 0", ids[0])
        )
        .await,
        1
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!(
                "action = 'outbox.retry_dead_letter' AND target = 'outbox:{}' \
                 AND actor LIKE 'user:%'",
                ids[0]
            )
        )
        .await,
        1
    );
    let html = page(&app, &cookie, "/settings/delivery?retried=1")
        .await
        .text()
        .await
        .expect("a body");
    assert!(html.contains("1 dead letter is queued again."), "{html}");
    assert!(
        !html.contains(&format!("dead-letters/{}/retry", ids[0])),
        "{html}"
    );
    assert!(
        html.contains(&format!("dead-letters/{}/retry", ids[1])),
        "{html}"
    );

    // The same button again: already sent back, nothing more happens.
    let again = post(&app, &cookie, &path, &csrf).await;
    assert_eq!(
        again.headers()[header::LOCATION],
        "/settings/delivery?retried=0"
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'outbox.retry_dead_letter'")
            .await,
        1
    );
}
