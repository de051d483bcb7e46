//! The SQLite store: the only module with SQL. One writer thread commits concurrent operations together
//! (group commit) with `synchronous=FULL`; reads go through a small pool of read-only connections.
//!
//! An operation is acknowledged only after the transaction that holds it is durable. Each operation runs
//! inside its own savepoint, so one that fails leaves no partial write and does not disturb the others
//! committed with it.

pub mod alerts;
pub mod audit;
pub mod central;
pub mod day_facts;
pub mod eta;
pub mod exports;
pub mod history;
mod migrations;
pub mod office;
pub mod queue;
pub mod stats;
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

/// How many stored live events one read of the feed returns.
pub const FEED_PAGE: u32 = 1000;

/// How many operations one transaction holds at most.
const MAX_BATCH: usize = 512;

/// A live event as stored in the feed and sent to subscribers, serialized once.
#[derive(Clone, Debug)]
pub struct FeedItem {
    pub id: i64,
    pub name: Arc<str>,
    pub data: Arc<str>,
}

/// The live events the feed can replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedBounds {
    /// The oldest event still kept, if any.
    pub oldest: Option<i64>,
    /// The newest event ever given (0 when none), kept or pruned.
    pub newest: i64,
}

impl FeedBounds {
    /// Whether a client whose last event was `last` can be given every event after it.
    pub fn can_resume_after(&self, last: i64) -> bool {
        last <= self.newest && self.oldest.map_or(last == self.newest, |oldest| last >= oldest - 1)
    }
}

/// What an operation sees while it runs on the writer: the open transaction and the events it emits.
pub struct WriteCtx<'a> {
    pub conn: &'a Connection,
    /// The transaction's number since the store opened: operations with the same number were
    /// committed together.
    batch: u64,
    now: Timestamp,
    emitted: Vec<FeedItem>,
    queue_changed: bool,
}

impl WriteCtx<'_> {
    /// The time of this operation.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The number of the transaction this operation runs in.
    pub fn batch(&self) -> u64 {
        self.batch
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
    queue: queue::LiveQueue,
}

/// How the store commits.
#[derive(Clone, Copy, Debug)]
pub struct StoreOptions {
    /// Commit many pending operations in one transaction (the default); `false` commits each alone,
    /// the naive baseline that the benchmark compares against.
    pub group_commit: bool,
    /// SQLite's `synchronous` setting: `Full` (the default) is what makes an acknowledged operation
    /// survive a power cut. The others exist only so the power-cut test can show that it catches them.
    pub synchronous: Synchronous,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            group_commit: true,
            synchronous: Synchronous::Full,
        }
    }
}

/// SQLite's `PRAGMA synchronous`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    #[default]
    Full,
    /// Unsafe: in WAL mode a commit is not flushed to disk.
    Normal,
    /// Unsafe: nothing is flushed.
    Off,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
            Synchronous::Off => "OFF",
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, migrates it, and starts the writer.
    pub fn open(path: &Path, options: StoreOptions, clock: Clock) -> Result<Store> {
        let mut conn = Connection::open(path)
            .map_err(|e| Error::Unavailable(format!("cannot open database {}: {e}", path.display())))?;
        configure(&conn)?;
        conn.pragma_update(None, "synchronous", options.synchronous.pragma())?;
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
        let queue = queue::LiveQueue::new(&conn)?;
        let touched = Arc::new(Mutex::new(queue::Touched::default()));
        let hook = touched.clone();
        conn.update_hook(Some(
            move |action: rusqlite::hooks::Action, _: &str, table: &str, rowid: i64| {
                hook.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .note(action, table, rowid);
            },
        ));
        let writer = Writer {
            feed: feed.clone(),
            clock: clock.clone(),
            max_batch: if options.group_commit { MAX_BATCH } else { 1 },
            queue: queue.clone(),
            touched,
        };
        std::thread::Builder::new()
            .name("turno-writer".into())
            .spawn(move || writer.run(conn, rx))
            .map_err(Error::internal)?;
        Ok(Store {
            queue,
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

    /// Operations sent to the writer and not yet taken into a transaction.
    pub fn pending(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// The queue kept in memory for the wait estimate.
    pub fn queue(&self) -> queue::LiveQueue {
        self.queue.clone()
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

    /// Stored live events after `id`, oldest first, at most [`FEED_PAGE`].
    pub async fn feed_after(&self, id: i64) -> Result<Vec<FeedItem>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT id, name, data FROM feed WHERE id > ?1 ORDER BY id LIMIT {FEED_PAGE}"
            ))?;
            let rows = stmt.query_map([id], |r| {
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
        Ok(self.feed_bounds().await?.newest)
    }

    /// The ids the feed still holds, and the newest ever given.
    pub async fn feed_bounds(&self) -> Result<FeedBounds> {
        self.read(|c| {
            let oldest: Option<i64> = c.query_row("SELECT MIN(id) FROM feed", [], |r| r.get(0))?;
            // The feed's ids are never reused (AUTOINCREMENT): the newest given may have been pruned.
            let newest: i64 = c.query_row(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'feed'), 0)",
                [],
                |r| r.get(0),
            )?;
            Ok(FeedBounds { oldest, newest })
        })
        .await
    }
}

/// Prepared statements each connection keeps: every statement the office runs, with room to spare.
const STATEMENT_CACHE: usize = 64;

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
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

/// Erases the free text that people wrote before `before`: clerks' notes on finished tickets and on
/// visits without a ticket, and the notes of pauses. The tickets, their events and the ratings stay for the statistics.
pub fn erase_notes(conn: &Connection, before: Timestamp) -> Result<usize> {
    let before = before.as_millisecond();
    let notes = conn.execute(
        "UPDATE tickets SET note = NULL WHERE note IS NOT NULL AND finished_at < ?1",
        [before],
    )?;
    let visits = conn.execute(
        "UPDATE walk_ins SET note = NULL WHERE note IS NOT NULL AND finished_at < ?1",
        [before],
    )?;
    // A pause's reason is one of four categories; its note is what a person wrote.
    let pauses = conn.execute(
        "UPDATE clerk_events SET note = NULL WHERE note IS NOT NULL AND at < ?1",
        [before],
    )?;
    let sessions = conn.execute(
        "UPDATE counter_sessions SET paused_note = NULL WHERE paused_note IS NOT NULL AND closed_at < ?1",
        [before],
    )?;
    Ok(notes + visits + pauses + sessions)
}

/// Deletes printer alerts older than `before`.
pub fn prune_printer_alerts(conn: &Connection, before: Timestamp) -> Result<usize> {
    Ok(conn.execute("DELETE FROM printer_alerts WHERE at < ?1", [before.as_millisecond()])?)
}

/// Copies the database at `db` into a new file `out`: one consistent snapshot (`VACUUM INTO` reads in
/// one transaction), safe while a server writes to `db`, flushed to disk, and checked. Returns the
/// schema version of the copy.
pub fn backup(db: &Path, out: &Path) -> Result<u32> {
    if out.exists() {
        return Err(Error::invalid(format!(
            "{} exists already: choose a new file for the backup",
            out.display()
        )));
    }
    let target = out
        .to_str()
        .ok_or_else(|| Error::invalid("the backup's path must be valid UTF-8"))?;
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| Error::Unavailable(format!("cannot open database {}: {e}", db.display())))?;
    configure(&conn)?;
    conn.execute("VACUUM INTO ?1", [target])?;
    drop(conn);
    std::fs::File::open(out)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::internal(format!("cannot flush {}: {e}", out.display())))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    let copy = Connection::open_with_flags(out, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(Error::internal(format!(
            "the backup fails its integrity check: {check}"
        )));
    }
    Ok(copy.pragma_query_value(None, "user_version", |r| r.get(0))?)
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

/// The writer thread's state.
struct Writer {
    feed: broadcast::Sender<FeedItem>,
    clock: Clock,
    max_batch: usize,
    /// The queue in memory, changed after each commit by the rows the update hook noted.
    queue: queue::LiveQueue,
    touched: Arc<Mutex<queue::Touched>>,
}

impl Writer {
    fn run(self, conn: Connection, mut rx: mpsc::Receiver<Job>) {
        let mut batch: Vec<Job> = Vec::with_capacity(self.max_batch);
        let mut number = 0;
        while let Some(first) = rx.blocking_recv() {
            number += 1;
            batch.push(first);
            while batch.len() < self.max_batch {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let (replies, committed, emitted, changes) =
                run_batch(&conn, number, batch.drain(..), &self.clock, &self.touched);
            if committed.is_ok() {
                self.queue.apply(changes);
                for item in emitted {
                    let _ = self.feed.send(item);
                }
            } else if let Err(e) = &committed {
                tracing::error!(error = %e, "a group commit failed; its operations were not recorded");
            }
            for reply in replies {
                reply(committed.as_ref().map(|_| ()).map_err(Error::internal));
            }
        }
    }
}

fn run_batch(
    conn: &Connection,
    number: u64,
    jobs: impl Iterator<Item = Job>,
    clock: &Clock,
    touched: &Mutex<queue::Touched>,
) -> (Vec<Reply>, Result<()>, Vec<FeedItem>, queue::Changes) {
    let take_touched = || std::mem::take(&mut *touched.lock().unwrap_or_else(|e| e.into_inner()));
    let mut replies = Vec::new();
    let mut ctx = WriteCtx {
        conn,
        batch: number,
        now: now_ms(clock),
        emitted: Vec::new(),
        queue_changed: false,
    };
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // The jobs never ran; dropping them answers their callers with an error.
        drop(jobs.collect::<Vec<_>>());
        take_touched();
        return (replies, Err(e.into()), Vec::new(), queue::Changes::None);
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
                    take_touched();
                    return (replies, Err(e.into()), Vec::new(), queue::Changes::None);
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
    // The rows this transaction changed, as it commits them.
    let changes = match queue::collect(conn, take_touched()) {
        Ok(changes) => changes,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return (replies, Err(e), Vec::new(), queue::Changes::None);
        }
    };
    match conn.execute_batch("COMMIT") {
        Ok(()) => (replies, Ok(()), emitted, changes),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            (replies, Err(e.into()), Vec::new(), queue::Changes::None)
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
