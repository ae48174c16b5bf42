//! `database.migration_url`: migrations and their advisory lock run on their own connection
//! (PostgreSQL itself, not PgBouncer in transaction mode), as a role that may change the
//! schema, while the service connects as one that may only read and write rows.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use secrecy::SecretString;
use uuid::Uuid;

use crate::helpers::{TestApp, TestDatabase, USAGE_BATCH, admin_url, status_and_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_on_the_migration_url_and_the_service_on_its_url() {
    let db = TestDatabase::create().await;
    let role = format!("tollgate_rw_{}", Uuid::new_v4().simple());
    let mut owner = db.connect().await;
    owner
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN;
             GRANT USAGE ON SCHEMA public TO {role};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
                 GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
                 GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role};"
        ))
        .await
        .expect("a read-write role");
    let mut service_url = url::Url::parse(&db.url).expect("a URL");
    service_url.set_username(&role).expect("a user name");
    let _ = service_url.set_password(None);

    let app = TestApp::spawn_with(|settings| {
        settings.database.url = SecretString::from(service_url.to_string());
        settings.database.migration_url = SecretString::from(db.url.clone());
    })
    .await;
    let (status, body) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(status, 200, "{body}");
    let response = app.post_usage(USAGE_BATCH, "application/json").await;
    assert_eq!(response.status().as_u16(), 202);
    assert_eq!(db.count("usage_events").await, 11);
    assert_eq!(
        db.scalar_text(
            "SELECT tableowner::text AS value FROM pg_tables WHERE tablename = 'usage_events'"
        )
        .await
        .as_deref(),
        Some(url::Url::parse(&db.url).expect("a URL").username()),
        "the schema was made through the migration URL"
    );

    drop(app);
    drop(owner);
    drop(db);
    let mut admin = AsyncPgConnection::establish(&admin_url())
        .await
        .expect("the admin connects");
    diesel::sql_query(format!("DROP ROLE IF EXISTS {role}"))
        .execute(&mut admin)
        .await
        .expect("the role goes");
}
