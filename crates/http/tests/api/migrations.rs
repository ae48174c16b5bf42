//! The embedded migrations: applied once, safe to run again and from several processes at once.

use std::collections::BTreeSet;

use secrecy::SecretString;
use tollgate_adapters::postgres::{migrations_are_current, run_migrations};

use crate::helpers::TestDatabase;

const TABLES: [&str; 6] = [
    "organizations",
    "litellm_webhook_secrets",
    "usage_events",
    "outbox",
    "quarantined_events",
    "budget_alerts",
];

/// Versions of the workspace's `migrations/` directories (`2026-11-25-000001_x` → `20261125000001`).
fn embedded_versions() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    std::fs::read_dir(dir)
        .expect("the migrations directory")
        .map(|entry| entry.expect("a directory entry").file_name())
        .filter_map(|name| {
            let name = name.to_string_lossy().into_owned();
            let (version, _) = name.split_once('_')?;
            Some(version.chars().filter(char::is_ascii_digit).collect())
        })
        .collect()
}

async fn is_current(database: &TestDatabase) -> bool {
    migrations_are_current(&mut database.connect().await)
        .await
        .expect("the migration table can be read")
}

async fn applied_versions(database: &TestDatabase) -> BTreeSet<String> {
    database
        .texts("SELECT version AS value FROM __diesel_schema_migrations")
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_then_find_nothing_to_do() {
    let database = TestDatabase::create().await;
    let url = SecretString::from(database.url.clone());
    let expected = embedded_versions();
    assert!(!expected.is_empty());
    assert!(
        !is_current(&database).await,
        "an empty database is not current"
    );

    let first = run_migrations(&url).await.expect("migrations apply");
    assert_eq!(first.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(first.len(), expected.len());
    assert!(is_current(&database).await);

    let second = run_migrations(&url).await.expect("a second run succeeds");
    assert_eq!(second, Vec::<String>::new());
    assert_eq!(applied_versions(&database).await, expected);
    assert!(is_current(&database).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migration_runs_both_succeed_and_migrate_once() {
    let database = TestDatabase::create().await;
    let url = SecretString::from(database.url.clone());
    let expected = embedded_versions();

    let runs: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { run_migrations(&url).await })
        })
        .collect();
    let mut applied = Vec::new();
    for run in runs {
        applied.push(
            run.await
                .expect("no panic")
                .expect("every concurrent run succeeds"),
        );
    }

    applied.sort_by_key(Vec::len);
    assert_eq!(applied[0], Vec::<String>::new(), "{applied:?}");
    assert_eq!(
        applied[1].iter().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(applied_versions(&database).await, expected);
    for table in TABLES {
        assert_eq!(
            database
                .count_where(
                    "information_schema.tables",
                    &format!("table_schema = 'public' AND table_name = '{table}'")
                )
                .await,
            1,
            "{table}"
        );
    }
    assert!(is_current(&database).await);
}
