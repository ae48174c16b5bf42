//! One fresh PostgreSQL database per test, and plain SQL to look inside it.

use diesel::{
    QueryableByName,
    sql_types::{BigInt, Nullable, Text},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A role allowed to create databases, on the server the tests use (`make unit` sets it).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// `url` naming `database` instead of the one it names (query string kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// `url` with its `host:port` replaced, e.g. to go through a proxy.
pub fn with_host_port(url: &str, host_port: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[authority_start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| authority_start + i);
    let authority = &url[authority_start..authority_end];
    let userinfo = authority.rfind('@').map_or("", |i| &authority[..=i]);
    format!(
        "{}{userinfo}{host_port}{}",
        &url[..authority_start],
        &url[authority_end..]
    )
}

/// The `host:port` a URL points at (5432 when it names no port).
pub fn host_port(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[authority_start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| authority_start + i);
    let authority = &url[authority_start..authority_end];
    let host_port = authority
        .rfind('@')
        .map_or(authority, |i| &authority[i + 1..]);
    if host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    }
}

/// A database created for one test. Dropped when the test passes; kept for inspection when it
/// fails (`make clean-test-dbs` removes leftovers).
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let name = format!("tollgate_test_{}", Uuid::new_v4().simple());
        let mut admin = AsyncPgConnection::establish(&admin_url())
            .await
            .expect("cannot connect to TEST_DATABASE_URL (is PostgreSQL running? `make db`)");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("cannot create the test database");
        let url = with_database(&admin_url(), &name);
        Self { name, url }
    }

    pub async fn connect(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url)
            .await
            .expect("cannot connect to the test database")
    }

    /// Rows of `table`.
    pub async fn count(&self, table: &str) -> i64 {
        self.count_where(table, "true").await
    }

    /// Rows of `table` matching the SQL condition `condition`.
    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            count: i64,
        }
        let row: Count = diesel::sql_query(format!(
            "SELECT count(*) AS count FROM {table} WHERE {condition}"
        ))
        .get_result(&mut self.connect().await)
        .await
        .unwrap_or_else(|e| panic!("cannot count {table}: {e}"));
        row.count
    }

    /// The first column of every row of `sql`, as text; the column must be named `value`.
    pub async fn texts(&self, sql: &str) -> Vec<Option<String>> {
        #[derive(QueryableByName)]
        struct Value {
            #[diesel(sql_type = Nullable<Text>)]
            value: Option<String>,
        }
        let rows: Vec<Value> = diesel::sql_query(sql)
            .load(&mut self.connect().await)
            .await
            .unwrap_or_else(|e| panic!("cannot run {sql:?}: {e}"));
        rows.into_iter().map(|row| row.value).collect()
    }

    /// The one value `sql` selects (as a column named `value`), as text.
    pub async fn scalar_text(&self, sql: &str) -> Option<String> {
        let mut values = self.texts(sql).await;
        assert_eq!(values.len(), 1, "{sql:?} must return exactly one row");
        values.remove(0)
    }

    /// Every row of `table` as JSON text.
    pub async fn rows_as_json(&self, table: &str) -> Vec<String> {
        self.texts(&format!(
            "SELECT row_to_json(t)::text AS value FROM {table} t ORDER BY id"
        ))
        .await
        .into_iter()
        .flatten()
        .collect()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("TEST_KEEP_DB").is_some() {
            eprintln!("kept test database {}", self.name);
            return;
        }
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url()).await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_rewritten_piece_by_piece() {
        let url = "postgres://u:p@db.local:6543/postgres?sslmode=disable";
        assert_eq!(
            with_database(url, "x"),
            "postgres://u:p@db.local:6543/x?sslmode=disable"
        );
        assert_eq!(
            with_host_port(url, "127.0.0.1:1"),
            "postgres://u:p@127.0.0.1:1/postgres?sslmode=disable"
        );
        assert_eq!(host_port(url), "db.local:6543");
        assert_eq!(host_port("postgres://localhost/x"), "localhost:5432");
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432", "y"),
            "postgres://postgres@127.0.0.1:5432/y"
        );
    }
}
