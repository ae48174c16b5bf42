//! `GET /api/usage/export`: every kept field of every event, in time order across pages, one
//! timestamp format in CSV and JSON, and CSV cells a spreadsheet will not run as formulas.

use super::*;

/// Three events stored as ingest stores them, inserted out of time order: the first one
/// inserted is the last in time, the other two share a timestamp. The second names every
/// optional field, each starting with a character that makes a spreadsheet formula.
const EVENTS: &str = r#"
INSERT INTO usage_events (organization_id, idempotency_key, occurred_at, received_at,
    customer_id, api_key_hash, api_key_alias, litellm_user_id, litellm_team_id, litellm_org_id,
    model_group, provider_model, provider, call_type, status, error_code, prompt_tokens,
    completion_tokens, total_tokens, cached_tokens, reasoning_tokens, cost_usd, cache_hit,
    stream, trace_id, request_tags)
SELECT o.id, e.*
FROM organizations o,
(VALUES
  ('call-late', '2026-11-25T11:00:00Z'::timestamptz, '2026-11-25T11:00:01Z'::timestamptz,
   'cust-1', NULL, NULL, NULL, NULL, NULL, 'gpt-4o', NULL, 'openai', NULL, 'success', NULL,
   1::int8, 2::int8, 3::int8, 0::int8, 0::int8, 0.5::numeric, false, false, NULL, '[]'::jsonb),
  ('call-dangerous', '2026-11-25T09:00:00.123456Z', '2026-11-25T09:00:02.5Z',
   '=HYPERLINK("http://evil.example","x")', '@hash', '+alias', '-user', E'\tteam', E'\rorg',
   '=model', '+provider/model', '-provider', '@call', 'failure', '-500',
   10, 0, 10, 4, 0, 0, true, true, '=trace', '["=tag", "plain, tag"]'),
  ('call-tied', '2026-11-25T09:00:00.123456Z', '2026-11-25T09:00:03Z',
   'cust-2', 'abc123', 'prod', 'u1', 't1', 'o1', 'claude', 'anthropic/claude', 'anthropic',
   'acompletion', 'success', NULL, 5, 6, 11, 1, 2, 0.000123, false, true, 'tr-1', '["a"]')
) AS e
WHERE o.slug = 'default'
RETURNING idempotency_key AS value
"#;

const RANGE: &str = "from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z";

async fn export(app: &TestApp, format: &str) -> String {
    let response = app
        .client
        .get(app.url(&format!("/api/usage/export?format={format}&{RANGE}")))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The stored id of an event, by its idempotency key.
async fn id_of(app: &TestApp, key: &str) -> i64 {
    app.scalar_text(&format!(
        "SELECT id::text AS value FROM usage_events WHERE idempotency_key = '{key}'"
    ))
    .await
    .unwrap()
    .parse()
    .unwrap()
}

/// One row per page: the pages must cross the tie between the two events of one timestamp.
async fn app_with_events() -> TestApp {
    let app = TestApp::spawn_with(|settings| {
        settings.delivery.run_in_server = false;
        settings.server.export_page_rows = 1;
    })
    .await;
    assert_eq!(app.texts(EVENTS).await.len(), 3);
    api_key(&app, "{usage:read}").await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_rows_come_in_time_order_with_every_field_and_no_formula() {
    let app = app_with_events().await;
    let (dangerous, tied, late) = (
        id_of(&app, "call-dangerous").await,
        id_of(&app, "call-tied").await,
        id_of(&app, "call-late").await,
    );
    assert!(
        late < dangerous && dangerous < tied,
        "inserted out of time order"
    );

    let csv = export(&app, "csv").await;
    let lines: Vec<&str> = csv.split_terminator('\n').collect();
    assert_eq!(
        lines[0],
        "id,idempotency_key,occurred_at,customer,model,provider,api_key_alias,team,status,\
         input_tokens,output_tokens,cached_tokens,reasoning_tokens,cost_usd,cache_hit,\
         received_at,api_key_hash,user,org,provider_model,call_type,error_code,total_tokens,\
         stream,trace_id,tags"
    );
    assert_eq!(lines.len(), 4, "a header and three events: {csv}");
    // Every text cell is quoted; each one that starts a formula gets a leading `'`.
    assert_eq!(
        lines[1],
        format!(
            "{dangerous},\"call-dangerous\",\"2026-11-25T09:00:00.123456Z\",\
             \"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",\"'=model\",\"'-provider\",\
             \"'+alias\",\"'\tteam\",\"failure\",10,0,4,0,0,\"true\",\
             \"2026-11-25T09:00:02.500000Z\",\"'@hash\",\"'-user\",\"'\rorg\",\
             \"'+provider/model\",\"'@call\",\"'-500\",10,\"true\",\"'=trace\",\
             \"[\"\"=tag\"\",\"\"plain, tag\"\"]\""
        )
    );
    assert!(
        lines[2].starts_with(&format!(
            "{tied},\"call-tied\",\"2026-11-25T09:00:00.123456Z\","
        )),
        "the tie is broken by id: {}",
        lines[2]
    );
    assert!(
        lines[3].starts_with(&format!(
            "{late},\"call-late\",\"2026-11-25T11:00:00.000000Z\","
        )),
        "{}",
        lines[3]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rows_hold_the_same_fields_as_stored_in_time_order() {
    let app = app_with_events().await;
    let (dangerous, tied, late) = (
        id_of(&app, "call-dangerous").await,
        id_of(&app, "call-tied").await,
        id_of(&app, "call-late").await,
    );

    let rows: Vec<Value> = serde_json::from_str(&export(&app, "json").await).unwrap();
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [dangerous, tied, late]);
    // No neutralising in JSON: the values exactly as stored.
    assert_eq!(
        rows[0],
        json!({
            "id": dangerous, "idempotency_key": "call-dangerous",
            "occurred_at": "2026-11-25T09:00:00.123456Z",
            "received_at": "2026-11-25T09:00:02.500000Z",
            "customer": "=HYPERLINK(\"http://evil.example\",\"x\")",
            "model": "=model", "provider": "-provider", "provider_model": "+provider/model",
            "api_key_hash": "@hash", "api_key_alias": "+alias",
            "user": "-user", "team": "\tteam", "org": "\rorg",
            "call_type": "@call", "status": "failure", "error_code": "-500",
            "input_tokens": 10, "output_tokens": 0, "total_tokens": 10, "cached_tokens": 4,
            "reasoning_tokens": 0, "cost_usd": "0", "cache_hit": true, "stream": true,
            "trace_id": "=trace", "tags": ["=tag", "plain, tag"],
        })
    );
    assert_eq!(
        rows[2],
        json!({
            "id": late, "idempotency_key": "call-late",
            "occurred_at": "2026-11-25T11:00:00.000000Z",
            "received_at": "2026-11-25T11:00:01.000000Z",
            "customer": "cust-1", "model": "gpt-4o", "provider": "openai",
            "provider_model": null, "api_key_hash": null, "api_key_alias": null,
            "user": null, "team": null, "org": null, "call_type": null,
            "status": "success", "error_code": null,
            "input_tokens": 1, "output_tokens": 2, "total_tokens": 3, "cached_tokens": 0,
            "reasoning_tokens": 0, "cost_usd": "0.5", "cache_hit": false, "stream": false,
            "trace_id": null, "tags": [],
        })
    );
}
