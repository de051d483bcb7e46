//! The queue kept in memory for the wait estimate ([`LiveQueue`]), so that answering a ticket, the
//! board or the kiosk reads no table: the open tickets, the counters with a clerk, each service's
//! latest visits and the latest issues. The writer keeps it: its update hook notes the rows a
//! transaction touches, the writer reads those rows again before the commit, and applies them once
//! the commit is durable (a change of services or counters reads it all again). What it gives is
//! what [`super::eta::queue_state`] reads from the tables (a test compares them after every step).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use rusqlite::Connection;
use rusqlite::hooks::Action;
use turno_shared::domain::CallPolicy;
use turno_shared::domain::eta::{CounterMode, CounterState, QueueState, ServiceState, WaitingTicket};

use super::eta::{ARRIVALS_READ, HOUR_MS, MAX_WAITING, ServiceHours, arrivals_last_hour};
use super::tickets::SERVICE_TIME_SAMPLES;
use crate::error::Result;

/// Past this many tickets touched in one transaction (a day of generated history) the queue is read
/// again whole.
const MAX_TOUCHED: usize = 2000;

/// The rows a transaction changed, as the writer's update hook reports them.
#[derive(Default)]
pub(super) struct Touched {
    /// Ticket ids, and whether the ticket was inserted (issued).
    tickets: HashMap<i64, bool>,
    sessions: HashSet<i64>,
    /// Services, counters or their services changed: everything is read again.
    config: bool,
}

impl Touched {
    /// The update hook's report of one row.
    pub(super) fn note(&mut self, action: Action, table: &str, rowid: i64) {
        match table {
            "tickets" => *self.tickets.entry(rowid).or_default() |= action == Action::SQLITE_INSERT,
            "counter_sessions" => {
                self.sessions.insert(rowid);
            }
            "services" | "counters" | "counter_services" => self.config = true,
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.tickets.is_empty() && self.sessions.is_empty() && !self.config
    }
}

/// What one committed transaction changes in the queue, read before its commit.
pub(super) enum Changes {
    None,
    Rows {
        tickets: Vec<(i64, bool, Option<TicketRow>)>,
        sessions: Vec<(i64, Option<Session>)>,
    },
    All(Box<Mirror>),
}

/// A ticket as the queue needs it.
#[derive(Clone, Copy, Debug)]
pub(super) struct TicketRow {
    id: i64,
    service_id: i64,
    issued_at: i64,
    priority: bool,
    target_counter_id: Option<i64>,
    state: Open,
    counter_id: Option<i64>,
    called_at: Option<i64>,
    finished_at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Open {
    Waiting,
    AtCounter,
    Done,
    Other,
}

/// An open counter session.
#[derive(Clone, Copy, Debug)]
pub(super) struct Session {
    counter_id: i64,
    paused: bool,
    since: i64,
    urgent_streak: u32,
}

/// An issue among the latest.
#[derive(Clone, Copy, Debug)]
struct Issue {
    at: i64,
    ticket_id: i64,
    service_id: i64,
    priority: bool,
}

/// A finished visit among a service's latest.
#[derive(Clone, Copy, Debug)]
struct Visit {
    finished_at: i64,
    ticket_id: i64,
    secs: u32,
}

/// The queue's data in memory.
#[derive(Default, Debug)]
pub(super) struct Mirror {
    /// Active services, by id.
    services: Vec<ServiceHours>,
    /// Active counters: the services each serves, in order of preference.
    counters: HashMap<i64, Vec<i64>>,
    /// Open counter sessions by id.
    sessions: HashMap<i64, Session>,
    /// Waiting tickets by arrival, and where each one is in that order.
    waiting: BTreeMap<(i64, i64), WaitingTicket>,
    waiting_at: HashMap<i64, i64>,
    /// Tickets called or being served: counter, service, call time.
    at_counter: HashMap<i64, (i64, i64, i64)>,
    /// Each service's latest finished visits, newest first.
    visits: HashMap<i64, Vec<Visit>>,
    /// The latest issues, oldest first.
    issues: VecDeque<Issue>,
}

const TICKET_COLUMNS: &str =
    "id, service_id, issued_at, priority, target_counter_id, state, counter_id, called_at, finished_at";

fn ticket_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketRow> {
    let state: String = r.get(5)?;
    Ok(TicketRow {
        id: r.get(0)?,
        service_id: r.get(1)?,
        issued_at: r.get(2)?,
        priority: r.get(3)?,
        target_counter_id: r.get(4)?,
        state: match state.as_str() {
            "waiting" => Open::Waiting,
            "called" | "serving" => Open::AtCounter,
            "done" => Open::Done,
            _ => Open::Other,
        },
        counter_id: r.get(6)?,
        called_at: r.get(7)?,
        finished_at: r.get(8)?,
    })
}

const SESSION_COLUMNS: &str =
    "counter_id, paused_reason IS NOT NULL, COALESCE(paused_at, opened_at), urgent_streak, closed_at IS NULL";

impl Mirror {
    /// Reads it all from the tables.
    pub(super) fn load(c: &Connection) -> Result<Mirror> {
        let mut m = Mirror {
            services: super::eta::service_hours(c)?,
            ..Mirror::default()
        };
        let mut stmt = c.prepare_cached(
            "SELECT k.id, cs.service_id FROM counters k LEFT JOIN counter_services cs ON cs.counter_id = k.id
             WHERE k.active = 1 ORDER BY k.id, cs.rank",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?)))?;
        for row in rows {
            let (counter, service) = row?;
            let services = m.counters.entry(counter).or_default();
            services.extend(service);
        }
        let mut stmt = c.prepare_cached(&format!(
            "SELECT id, {SESSION_COLUMNS} FROM counter_sessions WHERE closed_at IS NULL"
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, session_row_at(r, 1)?)))?;
        for row in rows {
            let (id, session) = row?;
            if let Some(s) = session {
                m.sessions.insert(id, s);
            }
        }
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE state IN ('waiting', 'called', 'serving')"
        ))?;
        for row in stmt.query_map([], ticket_row)? {
            m.ticket(row?);
        }
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets
             WHERE state = 'done' AND service_id = ?1 AND called_at IS NOT NULL
             ORDER BY finished_at DESC, id DESC LIMIT {SERVICE_TIME_SAMPLES}"
        ))?;
        for s in m.services.iter().map(|s| s.id).collect::<Vec<_>>() {
            for row in stmt.query_map([s], ticket_row)? {
                m.ticket(row?);
            }
        }
        let mut stmt = c.prepare_cached(&format!(
            "SELECT e.at, e.ticket_id, e.service_id, t.priority FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
             WHERE e.action = 'issue' ORDER BY e.at DESC LIMIT {ARRIVALS_READ}"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(Issue {
                at: r.get(0)?,
                ticket_id: r.get(1)?,
                service_id: r.get(2)?,
                priority: r.get(3)?,
            })
        })?;
        for row in rows {
            m.issues.push_front(row?);
        }
        Ok(m)
    }

    /// Takes in a ticket as it is now.
    fn ticket(&mut self, row: TicketRow) {
        self.forget(row.id);
        match row.state {
            Open::Waiting => {
                self.waiting.insert(
                    (row.issued_at, row.id),
                    WaitingTicket {
                        id: row.id,
                        service_id: row.service_id,
                        arrival_ms: row.issued_at,
                        priority: row.priority,
                        to_counter: row.target_counter_id,
                    },
                );
                self.waiting_at.insert(row.id, row.issued_at);
            }
            Open::AtCounter => {
                if let (Some(counter), Some(called)) = (row.counter_id, row.called_at) {
                    self.at_counter.insert(row.id, (counter, row.service_id, called));
                }
            }
            Open::Done => {
                if let (Some(called), Some(finished)) = (row.called_at, row.finished_at) {
                    let visits = self.visits.entry(row.service_id).or_default();
                    let key = (finished, row.id);
                    let at = visits.partition_point(|v| (v.finished_at, v.ticket_id) > key);
                    if at < SERVICE_TIME_SAMPLES as usize {
                        visits.insert(
                            at,
                            Visit {
                                finished_at: finished,
                                ticket_id: row.id,
                                secs: ((finished - called) / 1000).clamp(0, i64::from(u32::MAX)) as u32,
                            },
                        );
                        visits.truncate(SERVICE_TIME_SAMPLES as usize);
                    }
                }
            }
            Open::Other => {}
        }
    }

    /// Drops what is known of ticket `id` (its latest issue stays).
    fn forget(&mut self, id: i64) {
        if let Some(at) = self.waiting_at.remove(&id) {
            self.waiting.remove(&(at, id));
        }
        self.at_counter.remove(&id);
        for visits in self.visits.values_mut() {
            visits.retain(|v| v.ticket_id != id);
        }
    }

    /// A ticket issued: among the latest issues.
    fn issued(&mut self, row: &TicketRow) {
        if self.issues.iter().any(|i| i.ticket_id == row.id) {
            return;
        }
        let issue = Issue {
            at: row.issued_at,
            ticket_id: row.id,
            service_id: row.service_id,
            priority: row.priority,
        };
        let at = self.issues.partition_point(|i| i.at <= issue.at);
        self.issues.insert(at, issue);
        while self.issues.len() > ARRIVALS_READ as usize {
            self.issues.pop_front();
        }
    }

    fn apply(&mut self, changes: Changes) {
        match changes {
            Changes::None => {}
            Changes::All(m) => *self = *m,
            Changes::Rows { tickets, sessions } => {
                for (id, inserted, row) in tickets {
                    match row {
                        Some(row) => {
                            if inserted {
                                self.issued(&row);
                            }
                            self.ticket(row);
                        }
                        None => {
                            self.forget(id);
                            self.issues.retain(|i| i.ticket_id != id);
                        }
                    }
                }
                for (id, session) in sessions {
                    match session {
                        Some(s) => self.sessions.insert(id, s),
                        None => self.sessions.remove(&id),
                    };
                }
            }
        }
    }
}

/// An open session from column `from` on, `None` when closed.
fn session_row_at(r: &rusqlite::Row<'_>, from: usize) -> rusqlite::Result<Option<Session>> {
    let open: bool = r.get(from + 4)?;
    Ok(open.then_some(Session {
        counter_id: r.get(from)?,
        paused: r.get(from + 1)?,
        since: r.get(from + 2)?,
        urgent_streak: r.get(from + 3)?,
    }))
}

/// Reads again, inside the transaction about to commit, the rows it touched.
pub(super) fn collect(c: &Connection, touched: Touched) -> Result<Changes> {
    if touched.is_empty() {
        return Ok(Changes::None);
    }
    if touched.config || touched.tickets.len() > MAX_TOUCHED {
        return Ok(Changes::All(Box::new(Mirror::load(c)?)));
    }
    let mut stmt = c.prepare_cached(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1"))?;
    let mut tickets = Vec::with_capacity(touched.tickets.len());
    for (id, inserted) in touched.tickets {
        tickets.push((id, inserted, super::optional(stmt.query_row([id], ticket_row))?));
    }
    let mut stmt = c.prepare_cached(&format!("SELECT {SESSION_COLUMNS} FROM counter_sessions WHERE id = ?1"))?;
    let mut sessions = Vec::with_capacity(touched.sessions.len());
    for id in touched.sessions {
        sessions.push((
            id,
            super::optional(stmt.query_row([id], |r| session_row_at(r, 0)))?.flatten(),
        ));
    }
    Ok(Changes::Rows { tickets, sessions })
}

/// The queue in memory, shared by the writer that keeps it and whoever estimates a wait.
#[derive(Clone)]
pub struct LiveQueue {
    mirror: Arc<Mutex<Mirror>>,
}

impl LiveQueue {
    pub(super) fn new(c: &Connection) -> Result<LiveQueue> {
        Ok(LiveQueue {
            mirror: Arc::new(Mutex::new(Mirror::load(c)?)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mirror> {
        self.mirror.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies what a committed transaction changed.
    pub(super) fn apply(&self, changes: Changes) {
        if !matches!(changes, Changes::None) {
            self.lock().apply(changes);
        }
    }

    /// The active services' targets and opening rules.
    pub fn services(&self) -> Vec<ServiceHours> {
        self.lock().services.clone()
    }

    /// Waiting tickets of the same service before this one (a priority ticket counts only priority
    /// tickets), any day: the ticket's "people ahead".
    pub fn people_ahead(&self, service_id: i64, issued_at: i64, id: i64, priority: bool) -> u32 {
        let m = self.lock();
        m.waiting
            .range(..(issued_at, id))
            .filter(|(_, w)| w.service_id == service_id && (!priority || w.priority))
            .count() as u32
    }

    /// The state at `now` of today's queue, as [`super::eta::queue_state`] reads it: tickets issued
    /// after `day_start` (the oldest [`MAX_WAITING`] and ticket `include`), the counters with a
    /// clerk, the services with `closes_at` (when each stops issuing tickets). `None` when no counter
    /// has a clerk.
    pub fn state(
        &self,
        now: Timestamp,
        day_start: Timestamp,
        policy: CallPolicy,
        closes_at: impl Fn(&ServiceHours) -> Option<i64>,
        include: Option<i64>,
    ) -> Option<QueueState> {
        let m = self.lock();
        let mut sessions: Vec<&Session> = m
            .sessions
            .values()
            .filter(|s| m.counters.contains_key(&s.counter_id))
            .collect();
        if sessions.is_empty() {
            return None;
        }
        sessions.sort_by_key(|s| s.counter_id);
        sessions.dedup_by_key(|s| s.counter_id);
        let mut busy: HashMap<i64, (i64, i64, i64)> = HashMap::new();
        for (&ticket, &(counter, service, called)) in &m.at_counter {
            let e = busy.entry(counter).or_insert((called, ticket, service));
            if (called, ticket) > (e.0, e.1) {
                *e = (called, ticket, service);
            }
        }
        let counters = sessions
            .into_iter()
            .map(|s| CounterState {
                id: s.counter_id,
                services: m.counters[&s.counter_id].clone(),
                mode: if s.paused {
                    CounterMode::Paused { since_ms: s.since }
                } else {
                    CounterMode::Open
                },
                busy: busy.get(&s.counter_id).map(|&(called, _, service)| (service, called)),
                urgent_streak: s.urgent_streak,
            })
            .collect();

        let now_ms = now.as_millisecond();
        let arrivals = arrivals_last_hour(
            now_ms,
            m.issues
                .iter()
                .rev()
                .take_while(|i| i.at > now_ms - HOUR_MS)
                .map(|i| (i.service_id, i.priority, i.at)),
        );
        let services = m
            .services
            .iter()
            .map(|s| {
                let (issued, priority) = arrivals.get(&s.id).copied().unwrap_or_default();
                ServiceState {
                    id: s.id,
                    target_wait_minutes: s.target_wait_minutes,
                    recent_visit_secs: m
                        .visits
                        .get(&s.id)
                        .map(|v| v.iter().map(|v| v.secs).collect())
                        .unwrap_or_default(),
                    issued_last_hour: issued,
                    priority_issued_last_hour: priority,
                    closes_at_ms: closes_at(s),
                    ..ServiceState::default()
                }
            })
            .collect();

        let day_start = day_start.as_millisecond();
        let mut waiting: Vec<WaitingTicket> = m
            .waiting
            .range((day_start, i64::MIN)..)
            .take(MAX_WAITING as usize)
            .map(|(_, w)| *w)
            .collect();
        if let Some(id) = include
            && !waiting.iter().any(|w| w.id == id)
            && let Some(at) = m.waiting_at.get(&id)
        {
            waiting.push(m.waiting[&(*at, id)]);
        }
        Some(QueueState {
            now_ms,
            policy,
            services,
            counters,
            waiting,
        })
    }
}
