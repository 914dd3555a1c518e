//! Store behaviour that depends on the database engine itself.

use crate::helpers::spawn_app;

/// The pool replaces connections that died with a database restart. Needs the command that
/// restarts the server: `.ci/run` sets `SETU_TEST_POSTGRES_RESTART` (e.g.
/// `pg_ctlcluster 15 main restart`) along with `SETU_TEST_POSTGRES_URL`.
#[tokio::test]
async fn the_pool_recovers_after_the_database_restarts() {
    let Some(restart) = crate::helpers::service("SETU_TEST_POSTGRES_RESTART") else {
        return;
    };
    let app = spawn_app().await;
    assert!(app.store.ready().await);
    let status = std::process::Command::new("sh")
        .args(["-c", &restart])
        .status()
        .unwrap();
    assert!(status.success(), "{restart}");
    // The first acquire after the restart may still meet the server starting up.
    let mut ready = false;
    for _ in 0..50 {
        if app.store.ready().await {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(ready, "store did not recover after the restart");
    let mut db = app.store.conn().await.unwrap();
    let page = controller::kernel::http::list::PageQuery::default();
    let n = controller::tenancy::store::companies(&mut db, &page)
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(n, 0);
}

/// SQLite runs with write-ahead logging, every commit synced, and a page cache a billing run
/// can work in, on every pooled connection (not only the first).
#[tokio::test]
async fn sqlite_connections_use_wal_full_sync_and_a_large_cache() {
    let app = spawn_app().await;
    if app.store.backend() != controller::kernel::db::Backend::Sqlite {
        return;
    }
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut db = app.store.conn().await.unwrap();
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&mut *db)
            .await
            .unwrap();
        let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut *db)
            .await
            .unwrap();
        let (cache,): (i64,) = sqlx::query_as("PRAGMA cache_size")
            .fetch_one(&mut *db)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), sync, cache), ("wal", 2, -32768));
        held.push(db);
    }
}
