//! The audit log: what each change records, who may read it, that the database refuses to
//! rewrite it, and that tampering behind the database's back is found (by the adapter and by
//! `tollgate audit verify`).

use reqwest::{Method, Response};
use serde_json::Value;
use tollgate_adapters::postgres::PgAuditTrail;
use tollgate_application::ports::AuditChain;
use tollgate_domain::{access::Role, organization::OrganizationId};

use super::support::{
    batch, call, execute, expect_error, expect_status, member, org_id, pool, send, tollgate,
};
use crate::helpers::TestApp;

fn request_id(response: &Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .expect("a text header")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_audited_append_only_and_tampering_is_detected() {
    let app = TestApp::spawn().await;
    let default = org_id(&app, "default").await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let viewer = member(&app, "default", "victor", Role::Viewer).await;

    let request = call(&app, Method::POST, "/api/settings/api-keys", &owner)
        .json(&serde_json::json!({ "name": "ci", "scopes": ["usage:read"] }));
    let response = send(request).await;
    let create_request = request_id(&response);
    let (_, created) = expect_status(response, 201).await;
    let key_id = created["id"].as_str().expect("an id").to_owned();
    let path = format!("/api/settings/api-keys/{key_id}");
    let response = send(call(&app, Method::DELETE, &path, &owner)).await;
    assert_eq!(response.status().as_u16(), 204);
    let revoke_request = request_id(&response);
    assert_ne!(create_request, revoke_request);

    let (_, page) = expect_status(
        send(call(&app, Method::GET, "/api/audit", &owner)).await,
        200,
    )
    .await;
    let records = page["data"].as_array().expect("a list");
    let actions: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().expect("an action"))
        .collect();
    assert_eq!(
        actions,
        [
            "membership.grant",
            "membership.grant",
            "api_key.create",
            "api_key.revoke"
        ],
        "{page}"
    );
    let sequences: Vec<i64> = records
        .iter()
        .map(|r| r["sequence"].as_i64().expect("a sequence"))
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    for (record, request_id) in [
        (&records[2], &create_request),
        (&records[3], &revoke_request),
    ] {
        assert_eq!(record["actor"], "user:olivia", "{record}");
        assert_eq!(record["request_id"], request_id.as_str(), "{record}");
        assert_eq!(record["result"], "success", "{record}");
        assert_eq!(record["target"], format!("api_key:{key_id}"), "{record}");
    }
    assert_eq!(page["next_cursor"], Value::Null);
    // Paging: two at a time, then the rest from the cursor.
    let response = send(call(&app, Method::GET, "/api/audit?limit=2", &owner)).await;
    let (_, page) = expect_status(response, 200).await;
    assert_eq!(page["data"][1]["sequence"], 2);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let path = format!("/api/audit?limit=2&cursor={cursor}");
    let (_, page) = expect_status(send(call(&app, Method::GET, &path, &owner)).await, 200).await;
    assert_eq!(page["data"][0]["action"], "api_key.create");
    assert_eq!(page["next_cursor"], Value::Null);
    // Client addresses are kept only as salted hashes.
    let hashes = app
        .texts("SELECT client_address_hash AS value FROM audit_log WHERE sequence > 2")
        .await;
    for hash in hashes {
        let hash = hash.expect("a client address hash");
        assert_eq!(hash.len(), 64, "{hash}");
        assert!(!hash.contains("127.0.0.1"));
    }

    let response = send(call(&app, Method::GET, "/api/audit", &viewer)).await;
    expect_error(response, 403, "forbidden").await;

    // The database itself refuses to rewrite history.
    for statement in [
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let error = execute(&app, statement)
            .await
            .expect_err("the database refuses");
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    assert_eq!(app.count("audit_log").await, 4);

    let trail = PgAuditTrail::new(pool(&app));
    let organization = OrganizationId::from_uuid(default);
    let verified = trail.verify(organization).await.expect("the log is read");
    assert_eq!(verified.map_err(|broken| broken.sequence), Ok(4));
    let output = tollgate(&app.db_url, app.data_dir(), &["audit", "verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("{default}: ok, 4 records")),
        "{stdout}"
    );

    // Someone with the owner's rights on the table goes around the trigger.
    batch(
        &app,
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
         UPDATE audit_log SET actor = 'user:someone-else' WHERE sequence = 3;
         ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;",
    )
    .await
    .expect("the trigger can be bypassed by the table's owner");

    let broken = trail
        .verify(organization)
        .await
        .expect("the log is read")
        .expect_err("the chain is broken");
    assert_eq!(broken.sequence, 3);
    assert_eq!(
        broken.reason,
        "the record's content does not match its hash"
    );
    let output = tollgate(&app.db_url, app.data_dir(), &["audit", "verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{default}: BROKEN at sequence 3")),
        "{stdout}"
    );
    // The trigger is back on.
    assert!(execute(&app, "DELETE FROM audit_log").await.is_err());
}
