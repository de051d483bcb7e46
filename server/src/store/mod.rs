//! The SQLite store: the only module with SQL. One writer thread commits concurrent operations together
//! (group commit) with `synchronous=FULL`; reads go through a small pool of read-only connections.
//!
//! An operation is acknowledged only after the transaction that holds it is durable. Each operation runs
//! inside its own savepoint, so one that fails leaves no partial write and does not disturb the others
//! committed with it.

mod migrations;
pub mod office;
pub mod tickets;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, OptionalExtension, named_params};
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot};
use turno_shared::api::{LiveEvent, ServiceCount};

use crate::error::{Error, Result};
pub use migrations::LATEST as SCHEMA_VERSION;

/// The time source: real time in production, a settable one in tests.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// The clock's time, to the millisecond the store keeps.
fn now_ms(clock: &Clock) -> Timestamp {
    let ms = clock().as_millisecond();
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// How many read connections work at once (and so stay open).
const MAX_READERS: usize = 4;

/// How many operations one transaction holds at most.
const MAX_BATCH: usize = 512;

/// A live event as stored in the feed and sent to subscribers, serialized once.
#[derive(Clone, Debug)]
pub struct FeedItem {
    pub id: i64,
    pub name: Arc<str>,
    pub data: Arc<str>,
}

/// What an operation sees while it runs on the writer: the open transaction and the events it emits.
pub struct WriteCtx<'a> {
    pub conn: &'a Connection,
    now: Timestamp,
    emitted: Vec<FeedItem>,
    queue_changed: bool,
}

impl WriteCtx<'_> {
    /// The time of this operation.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Records a live event; subscribers get it once the transaction is durable.
    pub fn emit(&mut self, event: &LiveEvent) -> Result<()> {
        let data = serde_json::to_string(event).map_err(Error::internal)?;
        let id = insert_feed(self.conn, self.now, event.name(), &data)?;
        self.emitted.push(FeedItem {
            id,
            name: event.name().into(),
            data: data.into(),
        });
        Ok(())
    }

    /// Notes that waiting counts changed: one `queue_changed` event goes out per transaction.
    pub fn queue_changed(&mut self) {
        self.queue_changed = true;
    }
}

type Reply = Box<dyn FnOnce(Result<()>) + Send>;
type Job = Box<dyn FnOnce(&mut WriteCtx<'_>) -> (bool, Reply) + Send>;

/// The handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    path: Arc<PathBuf>,
    jobs: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// At most [`MAX_READERS`] reads at once, so the pool of connections (each with its page cache)
    /// stays small however many requests arrive together.
    read_permits: Arc<Semaphore>,
    feed: broadcast::Sender<FeedItem>,
    clock: Clock,
}

/// How the store commits.
#[derive(Clone, Copy, Debug)]
pub struct StoreOptions {
    /// Commit many pending operations in one transaction (the default); `false` commits each alone,
    /// the naive baseline that the benchmark compares against.
    pub group_commit: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { group_commit: true }
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, migrates it, and starts the writer.
    pub fn open(path: &Path, options: StoreOptions, clock: Clock) -> Result<Store> {
        let mut conn = Connection::open(path)
            .map_err(|e| Error::Unavailable(format!("cannot open database {}: {e}", path.display())))?;
        configure(&conn)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Unavailable(format!(
                "database {} refuses WAL mode ({mode})",
                path.display()
            )));
        }
        migrate(&mut conn)?;
        let (jobs, rx) = mpsc::channel::<Job>(4096);
        let (feed, _) = broadcast::channel(4096);
        let writer_feed = feed.clone();
        let writer_clock = clock.clone();
        let batch = if options.group_commit { MAX_BATCH } else { 1 };
        std::thread::Builder::new()
            .name("turno-writer".into())
            .spawn(move || writer_loop(conn, rx, writer_feed, writer_clock, batch))
            .map_err(Error::internal)?;
        Ok(Store {
            path: Arc::new(path.to_owned()),
            jobs,
            readers: Arc::default(),
            read_permits: Arc::new(Semaphore::new(MAX_READERS)),
            feed,
            clock,
        })
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Runs `f` on the writer inside a transaction; answers once the transaction is durable.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |ctx| {
            let result = f(ctx);
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |committed: Result<()>| {
                let _ = tx.send(committed.and(result));
            });
            (ok, reply)
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| Error::Unavailable("the store is closed".into()))?;
        rx.await
            .unwrap_or_else(|_| Err(Error::internal("the store's writer stopped")))
    }

    /// Runs `f` on a read-only connection (a consistent snapshot of committed data).
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = self
            .read_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            store.read_blocking(f)
        })
        .await
        .map_err(|e| Error::internal(format!("read task: {e}")))?
    }

    /// Like [`Store::read`], on the calling thread.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    self.path.as_ref(),
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                c
            }
        };
        let result = f(&conn);
        self.readers.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        result
    }

    /// Live events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        self.feed.subscribe()
    }

    /// Stored live events after `id`, oldest first, at most `limit`.
    pub async fn feed_after(&self, id: i64, limit: u32) -> Result<Vec<FeedItem>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached("SELECT id, name, data FROM feed WHERE id > ?1 ORDER BY id LIMIT ?2")?;
            let rows = stmt.query_map([id, i64::from(limit)], |r| {
                Ok(FeedItem {
                    id: r.get(0)?,
                    name: r.get::<_, String>(1)?.into(),
                    data: r.get::<_, String>(2)?.into(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// The id of the newest live event, 0 when none.
    pub async fn last_feed_id(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT COALESCE(MAX(id), 0) FROM feed", [], |r| r.get(0))?))
            .await
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`]; refuses a database written by newer code.
fn migrate(conn: &mut Connection) -> Result<()> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > migrations::LATEST {
        return Err(Error::Unavailable(format!(
            "the database has schema version {version}, newer than this server's {}: upgrade turno-server",
            migrations::LATEST
        )));
    }
    for (i, sql) in migrations::MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn insert_feed(conn: &Connection, at: Timestamp, name: &str, data: &str) -> Result<i64> {
    conn.prepare_cached("INSERT INTO feed (at, name, data) VALUES (:at, :name, :data)")?
        .execute(named_params! {":at": at.as_millisecond(), ":name": name, ":data": data})?;
    Ok(conn.last_insert_rowid())
}

/// Drops live events older than `before`: clients that were away that long reload instead.
pub fn prune_feed(conn: &Connection, before: Timestamp) -> Result<usize> {
    Ok(conn.execute("DELETE FROM feed WHERE at < ?1", [before.as_millisecond()])?)
}

/// Waiting tickets of every service.
pub fn waiting_counts(conn: &Connection) -> Result<Vec<ServiceCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, (SELECT COUNT(*) FROM tickets t WHERE t.service_id = s.id AND t.state = 'waiting')
         FROM services s ORDER BY s.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ServiceCount {
            service_id: r.get(0)?,
            waiting: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn writer_loop(
    conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    feed: broadcast::Sender<FeedItem>,
    clock: Clock,
    max_batch: usize,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (replies, committed, emitted) = run_batch(&conn, batch.drain(..), &clock);
        if committed.is_ok() {
            for item in emitted {
                let _ = feed.send(item);
            }
        } else if let Err(e) = &committed {
            tracing::error!(error = %e, "a group commit failed; its operations were not recorded");
        }
        for reply in replies {
            reply(committed.as_ref().map(|_| ()).map_err(Error::internal));
        }
    }
}

fn run_batch(
    conn: &Connection,
    jobs: impl Iterator<Item = Job>,
    clock: &Clock,
) -> (Vec<Reply>, Result<()>, Vec<FeedItem>) {
    let mut replies = Vec::new();
    let mut ctx = WriteCtx {
        conn,
        now: now_ms(clock),
        emitted: Vec::new(),
        queue_changed: false,
    };
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // The jobs never ran; dropping them answers their callers with an error.
        drop(jobs.collect::<Vec<_>>());
        return (replies, Err(e.into()), Vec::new());
    }
    for job in jobs {
        ctx.now = now_ms(clock);
        let mark = (ctx.emitted.len(), ctx.queue_changed);
        let ran = exec_cached(conn, "SAVEPOINT op").map_err(Error::from).and_then(|()| {
            std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut ctx)))
                .map_err(|_| Error::internal("an operation panicked"))
        });
        match ran {
            Ok((true, reply)) => {
                let released = exec_cached(conn, "RELEASE op");
                replies.push(reply);
                if let Err(e) = released {
                    let _ = conn.execute_batch("ROLLBACK");
                    return (replies, Err(e.into()), Vec::new());
                }
            }
            Ok((false, reply)) => {
                undo_savepoint(conn, &mut ctx, mark);
                replies.push(reply);
            }
            Err(e) => {
                undo_savepoint(conn, &mut ctx, mark);
                tracing::error!(error = %e, "operation failed");
            }
        }
    }
    if ctx.queue_changed {
        let counted = waiting_counts(conn).and_then(|waiting| ctx.emit(&LiveEvent::QueueChanged { waiting }));
        if let Err(e) = counted {
            tracing::error!(error = %e, "cannot count the queues");
        }
    }
    let emitted = std::mem::take(&mut ctx.emitted);
    match conn.execute_batch("COMMIT") {
        Ok(()) => (replies, Ok(()), emitted),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            (replies, Err(e.into()), Vec::new())
        }
    }
}

/// Runs a statement without parameters, prepared once per connection.
fn exec_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn undo_savepoint(conn: &Connection, ctx: &mut WriteCtx<'_>, (emitted, queue_changed): (usize, bool)) {
    let _ = exec_cached(conn, "ROLLBACK TO op").and_then(|()| exec_cached(conn, "RELEASE op"));
    ctx.emitted.truncate(emitted);
    ctx.queue_changed = queue_changed;
}

/// Whether `e` is a UNIQUE constraint violation.
pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// `Option` for a query that may find nothing.
pub fn optional<T>(r: rusqlite::Result<T>) -> Result<Option<T>> {
    Ok(r.optional()?)
}
