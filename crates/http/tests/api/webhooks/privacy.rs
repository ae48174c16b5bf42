//! Data minimization: prompts, completions, headers, addresses and e-mails never reach the
//! database, whatever table the data lands in.

use serde_json::json;

use crate::helpers::{
    BUDGET_ALERT, PRIVATE_TEXT, TestApp, USAGE_BATCH, USAGE_NDJSON, USAGE_SINGLE, USAGE_SINGLES,
    batch_body,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_prompt_completion_address_or_email_is_stored() {
    let app = TestApp::spawn().await;
    for body in [USAGE_BATCH, USAGE_NDJSON].into_iter().chain(USAGE_SINGLES) {
        let response = app.post_usage(body, "application/json").await;
        assert_eq!(response.status().as_u16(), 202);
    }
    // A quarantined event still carries its prompt on the wire.
    let mut negative: serde_json::Value = serde_json::from_slice(USAGE_SINGLE).unwrap();
    negative["litellm_call_id"] = json!("quarantined-with-a-prompt");
    negative["completion_tokens"] = json!(-1);
    let response = app
        .post_usage(batch_body(&[negative]), "application/json")
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let mut alert: serde_json::Value = serde_json::from_slice(BUDGET_ALERT).unwrap();
    alert["user_email"] = json!("alice@example.com");
    let response = app.post_alert(&app.secret, alert.to_string()).await;
    assert_eq!(response.status().as_u16(), 202);

    for table in [
        "usage_events",
        "outbox",
        "quarantined_events",
        "budget_alerts",
        "organizations",
        "litellm_webhook_secrets",
    ] {
        let rows = app.db.rows_as_json(table).await;
        if table != "litellm_webhook_secrets" {
            assert!(!rows.is_empty(), "{table} holds rows to check");
        }
        for row in rows {
            for private in PRIVATE_TEXT {
                assert!(!row.contains(private), "{table} stores {private:?}: {row}");
            }
            assert!(
                !row.contains(&app.secret),
                "{table} stores the secret: {row}"
            );
        }
    }
    let aliases = app
        .texts("SELECT row_to_json(t)::text AS value FROM litellm_key_aliases t")
        .await;
    assert!(
        !aliases.is_empty(),
        "litellm_key_aliases holds rows to check"
    );
    for row in aliases.into_iter().flatten() {
        for private in PRIVATE_TEXT {
            assert!(
                !row.contains(private),
                "litellm_key_aliases stores {private:?}: {row}"
            );
        }
    }
}
