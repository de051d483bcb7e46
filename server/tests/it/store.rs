//! The store itself: migrations, refusing a newer database, and group commit that isolates a failing
//! operation from the others committed with it.

use std::sync::Arc;

use turno_server::error::Error;
use turno_server::store::{SCHEMA_VERSION, Store, StoreOptions, system_clock};

#[tokio::test]
async fn migrations_apply_to_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(Store::open(&path, StoreOptions::default(), system_clock()).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = c.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = c.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let tables: i64 = c
        .query_row("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('tickets', 'ticket_events', 'ratings', 'feed')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 4);
    // Opening again is a no-op.
    drop(Store::open(&path, StoreOptions::default(), system_clock()).unwrap());
}

#[tokio::test]
async fn a_database_newer_than_the_code_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(c);
    let err = Store::open(&path, StoreOptions::default(), system_clock())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("newer"), "{err}");
}

#[tokio::test]
async fn a_failing_operation_leaves_nothing_and_spares_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db"), StoreOptions::default(), system_clock()).unwrap();
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |ctx| {
                    ctx.conn
                        .execute("INSERT INTO settings (key, value) VALUES (?1, 'x')", [format!("k{i}")])?;
                    if i % 3 == 0 {
                        return Err(Error::conflict(turno_shared::api::ErrorCode::AlreadyExists, "refused"));
                    }
                    if i % 7 == 0 {
                        panic!("an operation that panics");
                    }
                    Ok(())
                })
                .await
        }));
    }
    let mut ok = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        assert_eq!(r.is_ok(), i % 3 != 0 && i % 7 != 0, "operation {i}: {r:?}");
        ok += usize::from(r.is_ok());
    }
    let stored: usize = store
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM settings WHERE key LIKE 'k%'", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(stored, ok);
}

/// Operations that wait together are committed in one transaction, and only what was committed is
/// broadcast: the event of an operation that failed in the batch reaches no one and is not stored.
#[tokio::test]
async fn waiting_operations_share_one_transaction_and_only_committed_events_go_out() {
    use turno_shared::api::LiveEvent;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db"), StoreOptions::default(), system_clock()).unwrap();
    let mut live = store.subscribe();
    // The first operation holds the writer until 50 more are queued behind it.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (running, started) = tokio::sync::oneshot::channel::<()>();
    let first = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write(move |ctx| {
                    let _ = running.send(());
                    held.recv().expect("released");
                    Ok(ctx.batch())
                })
                .await
        })
    };
    started.await.unwrap();
    let mut queued = Vec::new();
    for i in 0..50 {
        let store = store.clone();
        queued.push(tokio::spawn(async move {
            store
                .write(move |ctx| {
                    ctx.emit(&LiveEvent::ConfigChanged)?;
                    if i == 17 {
                        return Err(Error::conflict(turno_shared::api::ErrorCode::AlreadyExists, "refused"));
                    }
                    Ok(ctx.batch())
                })
                .await
        }));
    }
    while store.pending() < 50 {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    let first_batch = first.await.unwrap().unwrap();
    let mut batches = std::collections::HashSet::new();
    for (i, t) in queued.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(batch) => {
                batches.insert(batch);
            }
            Err(_) => assert_eq!(i, 17),
        }
    }
    assert_eq!(
        batches.len(),
        1,
        "50 waiting operations were committed in {} transactions",
        batches.len()
    );
    assert!(!batches.contains(&first_batch));
    // 49 events went out and were stored: not the failed operation's.
    let mut received = 0;
    while let Ok(item) = live.try_recv() {
        assert_eq!(&*item.name, "config_changed");
        received += 1;
    }
    assert_eq!(received, 49);
    assert_eq!(store.last_feed_id().await.unwrap(), 49);
}
