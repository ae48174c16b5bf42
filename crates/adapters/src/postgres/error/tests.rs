//! Database errors classified by SQLSTATE against a real PostgreSQL (`TEST_DATABASE_URL`, else
//! the local one), whatever their message says.

use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use secrecy::SecretString;
use tollgate_domain::ErrorCode;

use super::*;
use crate::postgres::{connect::establish, create_database_if_missing, run_migrations};

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

async fn connection() -> AsyncPgConnection {
    establish(&admin_url()).await.expect("TEST_DATABASE_URL")
}

/// What `sql` fails with.
async fn failure(connection: &mut AsyncPgConnection, sql: &str) -> PortError {
    from_query(
        connection
            .batch_execute(sql)
            .await
            .expect_err("the statement fails"),
    )
}

/// `DO` raising `code` with `message`: any SQLSTATE, in any words.
fn raise(code: &str, message: &str) -> String {
    format!("DO $$ BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = '{code}'; END $$")
}

#[tokio::test]
async fn the_kind_follows_the_sqlstate_never_the_words() {
    let mut db = connection().await;
    for code in [
        "40001", "40P01", "55P03", "57014", "57P01", "08006", "53300",
    ] {
        // In French, as a server with lc_messages = fr_FR would say it.
        let error = failure(&mut db, &raise(code, "interblocage détecté")).await;
        assert!(
            matches!(error, PortError::Unavailable { .. }),
            "{code}: {error:?}"
        );
    }
    // English words of a transient failure, with a code that is not one: a bug, not a retry.
    for words in [
        "deadlock detected",
        "terminating connection",
        "canceling statement",
    ] {
        let error = failure(&mut db, &raise("P0001", words)).await;
        assert!(
            matches!(error, PortError::Internal { .. }),
            "{words}: {error:?}"
        );
    }
    let error = failure(&mut db, &raise("22003", "hors limites")).await;
    assert!(matches!(error, PortError::InvalidInput { .. }), "{error:?}");
}

#[tokio::test]
async fn what_the_server_itself_raises_is_classified() {
    let mut db = connection().await;
    for sql in ["SELECT 1/0", "SELECT 'abc'::int", "SELECT 99999::smallint"] {
        let error = failure(&mut db, sql).await;
        assert!(
            matches!(error, PortError::InvalidInput { .. }),
            "{sql}: {error:?}"
        );
    }
    let error = failure(&mut db, "SELECT * FROM no_such_table").await;
    assert!(matches!(error, PortError::Internal { .. }), "{error:?}");

    db.batch_execute(
        "CREATE TEMP TABLE clash (k int CONSTRAINT usage_events_idempotency UNIQUE);
         INSERT INTO clash VALUES (1)",
    )
    .await
    .unwrap();
    match failure(&mut db, "INSERT INTO clash VALUES (1)").await {
        PortError::Conflict { code, meaning, .. } => {
            assert_eq!(code, ErrorCode::Conflict);
            assert!(meaning.contains("idempotency key"), "{meaning}");
        }
        other => panic!("{other:?}"),
    }

    // A lock that cannot be had at once (NOWAIT), and a statement the timeout cancels.
    let mut other = connection().await;
    db.batch_execute("BEGIN; LOCK TABLE clash").await.unwrap();
    let error = failure(&mut other, "LOCK TABLE pg_temp.clash NOWAIT").await;
    assert!(
        matches!(
            error,
            PortError::Unavailable { .. } | PortError::Internal { .. }
        ),
        "{error:?}"
    );
    db.batch_execute("ROLLBACK").await.unwrap();
    let error = failure(&mut db, "SET statement_timeout = 10; SELECT pg_sleep(1)").await;
    assert!(matches!(error, PortError::Unavailable { .. }), "{error:?}");
}

/// The server's own words in another language, where the server has one installed: the
/// classification is the same.
#[tokio::test]
async fn a_server_speaking_another_language_changes_nothing() {
    let mut db = connection().await;
    let mut switched = false;
    for locale in [
        "de_DE.UTF-8",
        "fr_FR.UTF-8",
        "es_ES.UTF-8",
        "de_DE.utf8",
        "fr_FR.utf8",
    ] {
        if db
            .batch_execute(&format!("SET lc_messages = '{locale}'"))
            .await
            .is_ok()
        {
            switched = true;
            break;
        }
    }
    if !switched {
        // No other locale on this machine: `no_message_text_is_matched` covers the point.
        eprintln!("no non-English locale installed; classification checked by SQLSTATE only");
        return;
    }
    let error = failure(&mut db, "SELECT 1/0").await;
    assert!(matches!(error, PortError::InvalidInput { .. }), "{error:?}");
    let error = failure(&mut db, "SET statement_timeout = 10; SELECT pg_sleep(1)").await;
    assert!(matches!(error, PortError::Unavailable { .. }), "{error:?}");
}

/// No adapter decides anything on a database message's words: they change with the server's
/// `lc_messages`.
#[test]
fn no_message_text_is_matched() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/postgres");
    let mut stack = vec![root];
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.contains(".message()") && !line.contains("sqlstate(") {
                    offenders.push(format!("{}:{}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "classify by SQLSTATE: {offenders:?}");
}

/// Every constraint the conflict table names exists in the migrated schema, so a renamed one
/// cannot silently turn its 409 into a plain conflict.
// Migrations run through `block_in_place`: a multi-threaded runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conflict_table_names_real_constraints() {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let name = format!("tollgate_test_{}", uuid::Uuid::new_v4().simple());
    let (base, _) = admin_url()
        .rsplit_once('/')
        .map(|(b, d)| (b.to_owned(), d.to_owned()))
        .unwrap();
    let url = SecretString::from(format!("{base}/{name}"));
    create_database_if_missing(&url).await.unwrap();
    run_migrations(&url).await.unwrap();
    let mut db = establish(secrecy::ExposeSecret::expose_secret(&url))
        .await
        .unwrap();
    let names: Vec<Name> = diesel::sql_query(
        "SELECT conname::text AS name FROM pg_constraint WHERE contype IN ('u', 'x', 'p')
         UNION SELECT indexrelid::regclass::text FROM pg_index WHERE indisunique",
    )
    .load(&mut db)
    .await
    .unwrap();
    drop(db);
    let names: Vec<String> = names.into_iter().map(|n| n.name).collect();
    for (constraint, _, _) in constraints::CONFLICTS {
        assert!(names.iter().any(|n| n == constraint), "{constraint}");
    }
    let mut admin = connection().await;
    diesel::sql_query(format!("DROP DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
}
