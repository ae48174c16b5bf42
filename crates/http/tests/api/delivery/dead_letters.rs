//! Dead letters one by one: `PgOutboxAdmin`'s list (newest first, paged by id, one target or
//! all, the reason cut, one organization's only) and single retry (audited once), then the
//! same through `/api/admin/outbox/dead-letters`.

use tollgate_adapters::postgres::PgOutboxAdmin;
use tollgate_application::ports::{
    AuditContext, AuditEntry, DeliveryOutcome, OutboxAdmin, OutboxDepth,
};
use tollgate_domain::organization::OrganizationId;

use super::{settlements::settle_with, *};
use crate::identity::support::{create_org, org_id};

async fn three_dead() -> (TestApp, PgOutboxAdmin, OrganizationId, Vec<i64>) {
    let app = settle_with(DeliveryOutcome::Rejected {
        reason: "400 invalid event: subject missing".into(),
    })
    .await;
    let admin = PgOutboxAdmin::new(pool(&app));
    let organization = OrganizationId::from_uuid(org_id(&app, "default").await);
    let ids = app
        .texts("SELECT id::text AS value FROM outbox WHERE state = 'dead' ORDER BY id DESC")
        .await
        .into_iter()
        .map(|id| id.unwrap().parse().unwrap())
        .collect();
    (app, admin, organization, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_newest_first_by_page_and_target() {
    let (app, admin, organization, ids) = three_dead().await;
    assert_eq!(ids.len(), 3);

    let first = admin
        .dead_letters(organization, None, None, 2)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|l| l.outbox_id).collect::<Vec<_>>(),
        ids[..2]
    );
    let letter = &first[0];
    assert_eq!(letter.target, "embedded_meter");
    assert_eq!(letter.attempts, 1);
    assert_eq!(
        letter.last_error.as_deref(),
        Some("400 invalid event: subject missing")
    );
    let died = letter.died_at.expect("the time it died");
    assert!(died >= letter.queued_at && died <= chrono::Utc::now());
    let event = app
        .scalar_text(&format!(
            "SELECT event_id::text AS value FROM outbox WHERE id = {}",
            letter.outbox_id
        ))
        .await
        .unwrap();
    assert_eq!(letter.event_id.to_string(), event);

    let rest = admin
        .dead_letters(organization, None, Some(ids[1]), 2)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|l| l.outbox_id).collect::<Vec<_>>(),
        ids[2..]
    );
    let other_target = admin
        .dead_letters(organization, Some("openmeter".into()), None, 10)
        .await
        .unwrap();
    assert!(other_target.is_empty());
    let this_target = admin
        .dead_letters(organization, Some("embedded_meter".into()), None, 10)
        .await
        .unwrap();
    assert_eq!(this_target.len(), 3);
    let elsewhere = OrganizationId::from_uuid(create_org(&app, "elsewhere").await);
    assert!(
        admin
            .dead_letters(elsewhere, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A long answer is cut; a time that cannot be read costs only that field.
    app.texts(&format!(
        "UPDATE outbox SET last_error = jsonb_build_object('reason', repeat('x', 600), 'at', 'soon')
         WHERE id = {} RETURNING 'ok' AS value",
        ids[0]
    ))
    .await;
    let cut = admin
        .dead_letters(organization, None, None, 1)
        .await
        .unwrap();
    assert_eq!(cut[0].last_error.as_ref().map(String::len), Some(500));
    assert_eq!(cut[0].died_at, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dead_letter_is_sent_back_and_audited_once() {
    let (app, admin, organization, ids) = three_dead().await;
    let audit = AuditEntry::success(
        &AuditContext::default(),
        "outbox.retry_dead_letter",
        Some(format!("outbox:{}", ids[1])),
    );
    assert!(
        admin
            .retry_dead_letter(organization, ids[1], &audit)
            .await
            .unwrap()
    );
    // Already pending: nothing to do, nothing recorded.
    assert!(
        !admin
            .retry_dead_letter(organization, ids[1], &audit)
            .await
            .unwrap()
    );
    let elsewhere = OrganizationId::from_uuid(create_org(&app, "elsewhere").await);
    assert!(
        !admin
            .retry_dead_letter(elsewhere, ids[0], &audit)
            .await
            .unwrap()
    );
    assert_eq!(
        app.count_where(
            "outbox",
            &format!("id = {} AND state = 'pending' AND attempts = 0", ids[1])
        )
        .await,
        1
    );
    assert_eq!(
        app.count_where("outbox", "state = 'dead'").await,
        2,
        "the others stay dead"
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'outbox.retry_dead_letter'")
            .await,
        1
    );
    let depth: Vec<OutboxDepth> = admin.depth(Some(organization)).await.unwrap();
    assert_eq!(depth.iter().map(|d| d.count).sum::<i64>(), 3);
}

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    crate::helpers::status_and_json(response).await
}

async fn post(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    crate::helpers::status_and_json(response).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_lists_dead_letters_by_page_and_retries_one() {
    let (app, _, _, ids) = three_dead().await;
    api_key(&app, "{usage:read,settings:write}").await;
    const LIST: &str = "/api/admin/outbox/dead-letters";

    let (status, page) = get(&app, &format!("{LIST}?limit=2")).await;
    assert_eq!(status, 200, "{page}");
    let letter = &page["data"][0];
    assert_eq!(letter["id"], json!(ids[0]));
    assert_eq!(letter["target"], "embedded_meter");
    assert_eq!(letter["attempts"], 1);
    assert_eq!(letter["last_error"], "400 invalid event: subject missing");
    assert!(
        letter["event_id"].is_i64() && letter["died_at"].is_string(),
        "{letter}"
    );
    assert_eq!(page["data"][1]["id"], json!(ids[1]));
    let cursor = page["next_cursor"].as_str().expect("another page");
    let (_, rest) = get(&app, &format!("{LIST}?limit=2&cursor={cursor}")).await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest["data"][0]["id"], json!(ids[2]));
    assert!(rest["next_cursor"].is_null());
    let (_, none) = get(&app, &format!("{LIST}?target=lago")).await;
    assert_eq!(none, json!({"data": [], "next_cursor": null}));
    let (status, refused) = get(&app, &format!("{LIST}?state=dead")).await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (400, &json!("invalid_query"))
    );

    let retry = format!("{LIST}/{}/retry", ids[0]);
    assert_eq!(post(&app, &retry).await, (200, json!({"retried": 1})));
    let (status, again) = post(&app, &retry).await;
    assert_eq!(
        (status, &again["error"]["code"]),
        (404, &json!("not_found"))
    );
    let (status, _) = post(&app, &format!("{LIST}/abc/retry")).await;
    assert_eq!(status, 404);
    let (_, after) = get(&app, LIST).await;
    assert_eq!(after["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!(
                "action = 'outbox.retry_dead_letter' AND target = 'outbox:{}' \
                 AND actor LIKE 'api_key:%'",
                ids[0]
            )
        )
        .await,
        1
    );
}
