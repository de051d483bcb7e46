//! The queue engine: every operation of the office day, run on the store's writer (or on a read
//! connection for views). It applies the domain rules of `turno_shared::domain` to what the store holds.

use jiff::Timestamp;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use turno_shared::api::WaitRange;
use turno_shared::api::{
    BoardCall, BoardCounter, ClerkDay, ClosedDay, CounterPanel, CounterState, CounterStatus, Device, ErrorCode,
    IssueRequest, IssuedTicket, LiveEvent, OfficeView, Pause, PauseRequest, PrinterAlert, PrinterAlertRequest,
    PublicTicketStatus, RatingRecorded, Service, ServiceQueue, ServiceView, TicketView, TransferRequest,
    TransferredFrom, User, WalkIn, WalkInRequest,
};
use turno_shared::domain::eta::{self, Eta, QueueState};
use turno_shared::domain::{
    Code, Priority, RatingCode, RatingInput, Role, TicketAction, TicketNumber, TicketState, WeeklyHours, choose_next,
};

use crate::error::{Error, Result};
use crate::office::Office;
use crate::store::WriteCtx;
use crate::store::eta::ServiceHours;
use crate::store::office::{self as cfg, Session};
use crate::store::queue::LiveQueue;
use crate::store::tickets::{self, By, NewTicket, Ticket};

const MAX_NOTE_CHARS: usize = 500;
/// Further services one visit may name.
const MAX_ALSO: usize = 10;
/// The longest visit without a ticket: a working day.
const MAX_WALK_IN_SECS: u32 = 8 * 3600;
const MAX_REASON_CHARS: usize = 200;

pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn service(c: &Connection, id: i64) -> Result<Service> {
    cfg::get_service(c, id)?.ok_or_else(|| Error::not_found(format!("service {id}")))
}

fn ticket(c: &Connection, id: i64) -> Result<Ticket> {
    tickets::get(c, id)?.ok_or_else(|| Error::not_found(format!("ticket {id}")))
}

fn counter_name(c: &Connection, id: i64) -> Result<String> {
    cfg::counter_name(c, id)?.ok_or_else(|| Error::not_found(format!("counter {id}")))
}

/// Whether a service takes tickets at `local`: active, open by its hours, and not a day it is closed.
fn takes_tickets(active: bool, hours: &WeeklyHours, closed: &[ClosedDay], local: &jiff::Zoned) -> bool {
    active && hours.is_open(local.weekday(), local.time()) && !closed.iter().any(|d| d.date == local.date())
}

fn service_open(office: &Office, s: &Service, now: Timestamp) -> bool {
    let c = &s.config;
    takes_tickets(c.active, &c.hours, &c.closed_days, &office.local(now))
}

/// When a service stops issuing tickets today, as the wait estimate assumes: at the end of its
/// opening range now; at once while it is closed.
fn closes_at(office: &Office, now: Timestamp) -> impl Fn(&ServiceHours) -> Option<i64> {
    let local = office.local(now);
    move |s| {
        if takes_tickets(true, &s.hours, &s.closed_days, &local) {
            s.hours
                .day(local.weekday())
                .iter()
                .find(|r| r.contains(local.time()))
                .and_then(|r| local.with().time(r.close()).build().ok())
                .map(|z| z.timestamp().as_millisecond())
        } else {
            Some(now.as_millisecond())
        }
    }
}

/// The queue as the wait estimate sees it now (`turno_shared::domain::eta`), from the queue kept in
/// memory: today's waiting tickets (with ticket `include`), the counters with a clerk, each
/// service's history, and when each stops issuing tickets. `None` when no counter has a clerk:
/// nobody can say.
pub fn queue_state(
    queue: &LiveQueue,
    office: &Office,
    now: Timestamp,
    include: Option<i64>,
) -> Result<Option<QueueState>> {
    let day_start = office.day_start(now)?;
    Ok(queue.state(now, day_start, office.policy, closes_at(office, now), include))
}

/// The same state read from the tables, what [`queue_state`] is tested against.
pub fn queue_state_from_tables(
    c: &Connection,
    office: &Office,
    now: Timestamp,
    include: Option<i64>,
) -> Result<Option<QueueState>> {
    let counters = crate::store::eta::counters(c)?;
    if counters.is_empty() {
        return Ok(None);
    }
    let closes_at = closes_at(office, now);
    let rules: Vec<crate::store::eta::ServiceRule> = crate::store::eta::service_hours(c)?
        .iter()
        .map(|s| crate::store::eta::ServiceRule {
            id: s.id,
            target_wait_minutes: s.target_wait_minutes,
            closes_at_ms: closes_at(s),
        })
        .collect();
    let day_start = office.day_start(now)?;
    crate::store::eta::queue_state(c, now, day_start, office.policy, &rules, counters, include).map(Some)
}

fn wait_range(e: Option<Eta>) -> Option<WaitRange> {
    e.map(|e| WaitRange {
        low_minutes: e.low,
        high_minutes: e.high,
    })
}

/// People ahead of a ticket and its estimated wait, from the queue in memory.
fn estimate(queue: &LiveQueue, office: &Office, t: &Ticket, now: Timestamp) -> Result<(u32, Option<Eta>)> {
    let ahead = queue.people_ahead(
        t.service_id,
        t.issued_at.as_millisecond(),
        t.id,
        t.priority == Priority::Priority,
    );
    let state = queue_state(queue, office, now, Some(t.id))?;
    Ok((ahead, state.and_then(|s| eta::estimate(&s, t.id))))
}

fn valid_language(lang: &str) -> bool {
    turno_shared::api::is_language_code(lang)
}

// ----- issuing -----

/// Issues a ticket. Its estimate is made afterwards ([`issued`]), off the writer.
pub fn issue(ctx: &mut WriteCtx<'_>, office: &Office, req: &IssueRequest) -> Result<Ticket> {
    let c = ctx.conn;
    let now = ctx.now();
    let s = cfg::service_rules(c, req.service_id)?
        .ok_or_else(|| Error::not_found(format!("service {}", req.service_id)))?;
    if !takes_tickets(s.active, &s.hours, &s.closed_days, &office.local(now)) {
        return Err(Error::conflict(
            ErrorCode::ServiceClosed,
            format!("{} is closed now", s.name()),
        ));
    }
    if let Some(lang) = &req.language
        && !valid_language(lang)
    {
        return Err(Error::invalid(format!(
            "{lang:?} is not a language code such as it or en"
        )));
    }
    let day = office.day(now);
    let issued = tickets::issued_count(c, &day, s.prefix)?;
    let cap = s.daily_cap.unwrap_or(TicketNumber::MAX_SEQ).min(TicketNumber::MAX_SEQ);
    if issued >= cap {
        return Err(Error::conflict(
            ErrorCode::ServiceFull,
            format!("{} has issued all of today's tickets", s.name()),
        ));
    }
    let number = TicketNumber::new(s.prefix, issued + 1)?;
    let token = random_token();
    let id = tickets::insert(
        c,
        &NewTicket {
            office_day: &day,
            number,
            service_id: s.id,
            priority: req.priority,
            language: req.language.as_deref(),
            token: &token,
            now,
        },
    )?;
    let t = ticket(c, id)?;
    tickets::record_event(c, &t, "issue", None, By::default(), now)?;
    ctx.emit(&LiveEvent::TicketIssued {
        ticket_id: id,
        number,
        service_id: s.id,
    })?;
    ctx.queue_changed();
    Ok(t)
}

/// The answer to an issued ticket: with the people ahead and the estimated wait.
pub fn issued(queue: &LiveQueue, office: &Office, t: Ticket, now: Timestamp) -> Result<IssuedTicket> {
    let (people_ahead, wait) = estimate(queue, office, &t, now)?;
    Ok(IssuedTicket {
        status_path: format!("/t/{}", t.token),
        rating_code: rating_code(t.number, &t.token),
        ticket: t.view(),
        token: t.token,
        people_ahead,
        estimated_wait_minutes: wait.map(|e| e.minutes),
        estimated_wait_range: wait_range(wait),
    })
}

// ----- counters and their clerks -----

/// The open session of `user` at `counter_id`, or why the user cannot act there.
fn clerk_session(c: &Connection, user: &User, counter_id: i64) -> Result<Session> {
    match cfg::session_at_counter(c, counter_id)? {
        Some(s) if s.user_id == user.id => Ok(s),
        Some(_) => Err(Error::forbidden(format!(
            "another clerk is signed in at counter {counter_id}"
        ))),
        None => Err(Error::forbidden(format!(
            "you are not signed in at counter {counter_id}"
        ))),
    }
}

fn ensure_counter_free(c: &Connection, counter_id: i64) -> Result<()> {
    match tickets::at_counter(c, counter_id)? {
        Some(t) => Err(Error::conflict(
            ErrorCode::TicketInProgress,
            format!(
                "ticket {} is still at this counter: finish it or put it back in the queue first",
                t.number
            ),
        )),
        None => Ok(()),
    }
}

pub fn counter_status(c: &Connection, counter_id: i64) -> Result<CounterStatus> {
    let counter = cfg::get_counter(c, counter_id)?.ok_or_else(|| Error::not_found(format!("counter {counter_id}")))?;
    let session = cfg::session_at_counter(c, counter_id)?;
    let clerk = session
        .as_ref()
        .map(|s| cfg::get_user(c, s.user_id))
        .transpose()?
        .flatten();
    Ok(CounterStatus {
        counter,
        clerk,
        paused: session.and_then(|s| s.paused),
        current: tickets::at_counter(c, counter_id)?.map(|t| t.view()),
        waiting: tickets::waiting_for_counter(c, counter_id)?,
    })
}

pub fn open_session(ctx: &mut WriteCtx<'_>, user: &User, counter_id: i64) -> Result<CounterStatus> {
    let c = ctx.conn;
    let counter = cfg::get_counter(c, counter_id)?.ok_or_else(|| Error::not_found(format!("counter {counter_id}")))?;
    if !counter.config.active {
        return Err(Error::conflict(
            ErrorCode::CounterInactive,
            format!("{} is not in use", counter.config.name),
        ));
    }
    match cfg::session_at_counter(c, counter_id)? {
        // Pressed twice: already open.
        Some(s) if s.user_id == user.id => {}
        Some(_) => {
            return Err(Error::conflict(
                ErrorCode::CounterTaken,
                format!("another clerk is signed in at {}", counter.config.name),
            ));
        }
        None => {
            if let Some(other) = cfg::session_of_user(c, user.id)? {
                return Err(Error::conflict(
                    ErrorCode::ClerkBusy,
                    format!(
                        "you are still signed in at counter {}: sign out there first",
                        other.counter_id
                    ),
                ));
            }
            let id = cfg::open_session(c, counter_id, user.id, ctx.now())?;
            cfg::clerk_event(c, id, "open", None, ctx.now())?;
            counter_changed(ctx, counter_id, CounterState::Open)?;
        }
    }
    counter_status(ctx.conn, counter_id)
}

/// Tells boards and consoles that a counter opened, paused, resumed or closed.
fn counter_changed(ctx: &mut WriteCtx<'_>, counter_id: i64, state: CounterState) -> Result<()> {
    let counter_name = counter_name(ctx.conn, counter_id)?;
    ctx.emit(&LiveEvent::CounterChanged {
        counter_id,
        counter_name,
        state,
    })
}

pub fn close_session(ctx: &mut WriteCtx<'_>, user: &User, counter_id: i64) -> Result<CounterStatus> {
    let c = ctx.conn;
    let session = clerk_session(c, user, counter_id)?;
    ensure_counter_free(c, counter_id)?;
    cfg::close_session(c, session.id, ctx.now())?;
    cfg::clerk_event(c, session.id, "close", None, ctx.now())?;
    counter_changed(ctx, counter_id, CounterState::Closed)?;
    counter_status(ctx.conn, counter_id)
}

pub fn pause(ctx: &mut WriteCtx<'_>, user: &User, counter_id: i64, req: &PauseRequest) -> Result<CounterStatus> {
    let c = ctx.conn;
    let note = checked_text("the pause's note", req.note.as_deref(), MAX_REASON_CHARS)?;
    let session = clerk_session(c, user, counter_id)?;
    ensure_counter_free(c, counter_id)?;
    let same = session
        .paused
        .as_ref()
        .is_some_and(|p| p.reason == req.reason && p.note.as_deref() == note);
    // Pressed twice: the same pause.
    if !same {
        let pause = Pause {
            reason: req.reason,
            note: note.map(str::to_owned),
            since: ctx.now(),
        };
        cfg::set_pause(c, session.id, Some(&pause))?;
        cfg::clerk_event(c, session.id, "pause", Some(&pause), ctx.now())?;
        counter_changed(ctx, counter_id, CounterState::Paused)?;
    }
    counter_status(ctx.conn, counter_id)
}

pub fn resume(ctx: &mut WriteCtx<'_>, user: &User, counter_id: i64) -> Result<CounterStatus> {
    let c = ctx.conn;
    let session = clerk_session(c, user, counter_id)?;
    if session.paused.is_some() {
        cfg::set_pause(c, session.id, None)?;
        cfg::clerk_event(c, session.id, "resume", None, ctx.now())?;
        counter_changed(ctx, counter_id, CounterState::Open)?;
    }
    counter_status(ctx.conn, counter_id)
}

/// Free text as stored: trimmed, `None` when blank, refused past `max` characters.
fn checked_text<'a>(what: &str, text: Option<&'a str>, max: usize) -> Result<Option<&'a str>> {
    match text {
        Some(t) if t.chars().count() > max => Err(Error::invalid(format!("{what} can hold up to {max} characters"))),
        Some(t) => Ok(Some(t.trim()).filter(|t| !t.is_empty())),
        None => Ok(None),
    }
}

fn ready_to_call(c: &Connection, user: &User, counter_id: i64) -> Result<Session> {
    let session = clerk_session(c, user, counter_id)?;
    if session.paused.is_some() {
        return Err(Error::conflict(
            ErrorCode::CounterPaused,
            "the counter is paused: resume it to call",
        ));
    }
    ensure_counter_free(c, counter_id)?;
    Ok(session)
}

/// Calls the next ticket by the call policy; `None` when nothing waits for this counter.
pub fn call_next(ctx: &mut WriteCtx<'_>, office: &Office, user: &User, counter_id: i64) -> Result<Option<TicketView>> {
    let c = ctx.conn;
    let session = ready_to_call(c, user, counter_id)?;
    let services = cfg::counter_service_rules(c, counter_id)?;
    let now = ctx.now();
    let candidates = tickets::candidates(c, counter_id, &services, now, office.day_start(now)?)?;
    let Some(choice) = choose_next(&candidates, session.urgent_streak, office.policy, now.as_millisecond()) else {
        return Ok(None);
    };
    cfg::set_urgent_streak(c, session.id, choice.urgent_streak)?;
    let mut t = ticket(c, choice.ticket_id)?;
    call(ctx, &mut t, user, counter_id).map(Some)
}

/// Calls a specific waiting ticket to this counter.
pub fn call_ticket(
    ctx: &mut WriteCtx<'_>,
    office: &Office,
    user: &User,
    counter_id: i64,
    ticket_id: i64,
) -> Result<TicketView> {
    let c = ctx.conn;
    ready_to_call(c, user, counter_id)?;
    let mut t = ticket(c, ticket_id)?;
    if t.office_day != office.day(ctx.now()) {
        return Err(Error::conflict(
            ErrorCode::NotToday,
            format!("ticket {} is not from today", t.number),
        ));
    }
    if t.state == TicketState::Waiting && !for_counter(c, &t, counter_id)? && user.role != Role::Admin {
        return Err(not_for_your_counter(&t));
    }
    call(ctx, &mut t, user, counter_id)
}

/// Whether a waiting ticket is this counter's to act on: transferred to it, or of a service it serves
/// and not transferred to another counter.
fn for_counter(c: &Connection, t: &Ticket, counter_id: i64) -> Result<bool> {
    Ok(match t.target_counter_id {
        Some(target) => target == counter_id,
        None => cfg::counter_serves(c, counter_id, t.service_id)?,
    })
}

fn not_for_your_counter(t: &Ticket) -> Error {
    Error::forbidden(format!(
        "ticket {} waits for another counter: only the back office can act on it from here",
        t.number
    ))
}

/// The counter a clerk acts from on a ticket that is not at a counter: their own, which must serve
/// the ticket, unless they are a back-office user (who may act on any waiting ticket, from a counter
/// or not).
fn acting_counter(c: &Connection, user: &User, t: &Ticket) -> Result<Option<i64>> {
    let session = cfg::session_of_user(c, user.id)?;
    if let Some(s) = &session
        && for_counter(c, t, s.counter_id)?
    {
        return Ok(Some(s.counter_id));
    }
    match (user.role, session) {
        (Role::Admin, session) => Ok(session.map(|s| s.counter_id)),
        (Role::Clerk, Some(_)) => Err(not_for_your_counter(t)),
        (Role::Clerk, None) => Err(Error::forbidden("sign in at a counter first")),
    }
}

fn call(ctx: &mut WriteCtx<'_>, t: &mut Ticket, user: &User, counter_id: i64) -> Result<TicketView> {
    let from = t.state;
    t.state = from.apply(TicketAction::Call)?;
    t.called_at = Some(ctx.now());
    t.first_called_at.get_or_insert(ctx.now());
    t.started_at = None;
    t.counter_id = Some(counter_id);
    t.user_id = Some(user.id);
    t.target_counter_id = None;
    tickets::update(ctx.conn, t)?;
    let by = By {
        user_id: Some(user.id),
        counter_id: Some(counter_id),
    };
    tickets::record_event(ctx.conn, t, TicketAction::Call.as_str(), Some(from), by, ctx.now())?;
    let counter_name = counter_name(ctx.conn, counter_id)?;
    ctx.emit(&LiveEvent::TicketCalled {
        ticket_id: t.id,
        number: t.number,
        service_id: t.service_id,
        priority: t.priority,
        counter_id,
        counter_name,
    })?;
    ctx.queue_changed();
    Ok(t.view())
}

/// What a clerk does to a ticket besides calling it.
pub enum Act {
    Recall,
    Start,
    Finish {
        outcome: Code,
        note: Option<String>,
        also: Vec<i64>,
    },
    NoShow,
    ReturnToQueue,
    Transfer(TransferRequest),
    Cancel,
}

impl Act {
    fn action(&self) -> TicketAction {
        match self {
            Act::Recall => TicketAction::Recall,
            Act::Start => TicketAction::Start,
            Act::Finish { .. } => TicketAction::Finish,
            Act::NoShow => TicketAction::NoShow,
            Act::ReturnToQueue => TicketAction::ReturnToQueue,
            Act::Transfer(_) => TicketAction::Transfer,
            Act::Cancel => TicketAction::Cancel,
        }
    }
}

pub fn act(ctx: &mut WriteCtx<'_>, office: &Office, user: &User, ticket_id: i64, act: Act) -> Result<TicketView> {
    let c = ctx.conn;
    let now = ctx.now();
    let mut t = ticket(c, ticket_id)?;
    let action = act.action();
    // A ticket at a counter belongs to that counter's clerk; a waiting one to the counters that serve
    // it (and to the back office).
    let from_counter = if t.state.is_at_counter() {
        let counter = t.counter_id.unwrap_or_default();
        clerk_session(c, user, counter)
            .map_err(|_| Error::forbidden(format!("ticket {} is at another counter", t.number)))?;
        Some(counter)
    } else {
        acting_counter(c, user, &t)?
    };
    let from = t.state;
    t.state = from.apply(action)?;
    if t.office_day != office.day(now) && action != TicketAction::Finish {
        return Err(Error::conflict(
            ErrorCode::NotToday,
            format!("ticket {} is not from today", t.number),
        ));
    }
    let was_waiting = from == TicketState::Waiting;
    let mut extra = Vec::new();
    match act {
        Act::Recall => {}
        Act::Start => t.started_at = Some(now),
        Act::Finish {
            ref outcome,
            ref note,
            ref also,
        } => {
            check_outcome(c, t.service_id, outcome)?;
            t.note = checked_text("the note", note.as_deref(), MAX_NOTE_CHARS)?.map(str::to_owned);
            extra = checked_also(c, t.service_id, also)?;
            t.outcome = Some(outcome.clone());
            t.finished_at = Some(now);
        }
        Act::NoShow | Act::Cancel => t.finished_at = Some(now),
        Act::ReturnToQueue => {
            t.called_at = None;
            t.started_at = None;
            t.finished_at = None;
            t.target_counter_id = None;
        }
        Act::Transfer(ref req) => {
            if req.service_id.is_none() && req.counter_id.is_none() {
                return Err(Error::invalid("transfer to a service, a counter, or both"));
            }
            t.transfers += 1;
            t.transferred_from = Some(TransferredFrom {
                service_id: t.service_id,
                counter_id: from_counter,
            });
            if let Some(sid) = req.service_id {
                let s = cfg::get_service(c, sid)?.ok_or_else(|| {
                    Error::conflict(ErrorCode::UnknownReference, format!("there is no service {sid}"))
                })?;
                if !s.config.active {
                    return Err(Error::conflict(
                        ErrorCode::ServiceInactive,
                        format!("{} is not in use", s.config.name.get("it")),
                    ));
                }
                t.service_id = sid;
            }
            if let Some(cid) = req.counter_id {
                let k = cfg::get_counter(c, cid)?.ok_or_else(|| {
                    Error::conflict(ErrorCode::UnknownReference, format!("there is no counter {cid}"))
                })?;
                if !k.config.active {
                    return Err(Error::conflict(
                        ErrorCode::CounterInactive,
                        format!("{} is not in use", k.config.name),
                    ));
                }
            }
            t.target_counter_id = req.counter_id;
            t.called_at = None;
            t.started_at = None;
        }
    }
    tickets::update(c, &t)?;
    for service_id in extra {
        tickets::insert_extra_service(c, tickets::Visit::Ticket(t.id), service_id)?;
    }
    let by = By {
        user_id: Some(user.id),
        counter_id: from_counter,
    };
    tickets::record_event(c, &t, action.as_str(), Some(from), by, now)?;
    match action {
        TicketAction::Recall => {
            let counter_id = t.counter_id.unwrap_or_default();
            ctx.emit(&LiveEvent::TicketRecalled {
                ticket_id: t.id,
                number: t.number,
                service_id: t.service_id,
                priority: t.priority,
                counter_id,
                counter_name: counter_name(c, counter_id)?,
            })?;
        }
        _ if !t.state.is_open() => {
            ctx.emit(&LiveEvent::TicketFinished {
                ticket_id: t.id,
                number: t.number,
                state: t.state,
                counter_id: t.counter_id,
            })?;
        }
        _ => {}
    }
    if was_waiting || t.state == TicketState::Waiting {
        ctx.queue_changed();
    }
    Ok(t.view())
}

/// Refuses an outcome that is not one of the service's.
fn check_outcome(c: &Connection, service_id: i64, outcome: &Code) -> Result<()> {
    let (name, outcomes) =
        cfg::service_outcomes(c, service_id)?.ok_or_else(|| Error::not_found(format!("service {service_id}")))?;
    if outcomes.iter().any(|o| &o.code == outcome) {
        return Ok(());
    }
    let known: Vec<&str> = outcomes.iter().map(|o| o.code.as_str()).collect();
    Err(Error::conflict(
        ErrorCode::UnknownOutcome,
        format!(
            "{outcome} is not an outcome of {name}; use one of: {}",
            known.join(", ")
        ),
    ))
}

/// The further services of a visit: existing, in use, each once, the visit's own service left out.
fn checked_also(c: &Connection, own: i64, also: &[i64]) -> Result<Vec<i64>> {
    if also.len() > MAX_ALSO {
        return Err(Error::invalid(format!("name up to {MAX_ALSO} further services")));
    }
    let mut out: Vec<i64> = Vec::new();
    for &id in also {
        if id == own || out.contains(&id) {
            continue;
        }
        let active = cfg::service_rules(c, id)?.map(|s| s.active);
        match active {
            Some(true) => out.push(id),
            Some(false) => {
                return Err(Error::conflict(
                    ErrorCode::ServiceInactive,
                    format!("service {id} is not in use"),
                ));
            }
            None => {
                return Err(Error::conflict(
                    ErrorCode::UnknownReference,
                    format!("there is no service {id}"),
                ));
            }
        }
    }
    Ok(out)
}

/// Records a visit without a ticket at the clerk's counter, ending now.
pub fn walk_in(
    ctx: &mut WriteCtx<'_>,
    office: &Office,
    user: &User,
    counter_id: i64,
    req: &WalkInRequest,
) -> Result<WalkIn> {
    let c = ctx.conn;
    clerk_session(c, user, counter_id)?;
    let s = cfg::service_rules(c, req.service_id)?.ok_or_else(|| {
        Error::conflict(
            ErrorCode::UnknownReference,
            format!("there is no service {}", req.service_id),
        )
    })?;
    if !s.active {
        return Err(Error::conflict(
            ErrorCode::ServiceInactive,
            format!("{} is not in use", s.name()),
        ));
    }
    check_outcome(c, req.service_id, &req.outcome)?;
    let note = checked_text("the note", req.note.as_deref(), MAX_NOTE_CHARS)?;
    let also = checked_also(c, req.service_id, &req.also)?;
    let duration = req.duration_secs.unwrap_or(0);
    if duration > MAX_WALK_IN_SECS {
        return Err(Error::invalid("a visit lasts at most 8 hours"));
    }
    let finished_at = ctx.now();
    let started_at = finished_at
        .checked_sub(jiff::SignedDuration::from_secs(i64::from(duration)))
        .map_err(Error::internal)?;
    let visit = WalkIn {
        id: 0,
        office_day: office.day(finished_at),
        service_id: req.service_id,
        counter_id,
        user_id: user.id,
        started_at,
        finished_at,
        outcome: req.outcome.clone(),
        also,
    };
    let id = tickets::insert_walk_in(c, &visit, note)?;
    for &service_id in &visit.also {
        tickets::insert_extra_service(c, tickets::Visit::WalkIn(id), service_id)?;
    }
    Ok(WalkIn { id, ..visit })
}

/// What a counter's console shows beside the current ticket: its services' queues today and the day of
/// the clerk who asks.
pub fn counter_panel(
    c: &Connection,
    queue: &LiveQueue,
    office: &Office,
    user: &User,
    counter_id: i64,
    now: Timestamp,
) -> Result<CounterPanel> {
    cfg::get_counter(c, counter_id)?.ok_or_else(|| Error::not_found(format!("counter {counter_id}")))?;
    let since = office.day_start(now)?;
    let state = queue_state(queue, office, now, None)?;
    let mut queues = Vec::new();
    for s in cfg::counter_service_rules(c, counter_id)? {
        queues.push(service_queue(
            c,
            &state,
            s.service_id,
            s.target_wait_minutes,
            since,
            now,
        )?);
    }
    let day = ClerkDay {
        paused_secs: cfg::paused_secs(c, user.id, since, now)?,
        ..tickets::clerk_day(c, user.id, &office.day(now))?
    };
    Ok(CounterPanel {
        counter_id,
        queues,
        transferred_here: tickets::transferred_to(c, counter_id, since)?,
        day,
    })
}

/// One service's queue today: who waits, since when, against its target, and the wait estimated
/// for a ticket taken now.
fn service_queue(
    c: &Connection,
    state: &Option<QueueState>,
    service_id: i64,
    target_wait_minutes: Option<u32>,
    since: Timestamp,
    now: Timestamp,
) -> Result<ServiceQueue> {
    let q = tickets::queue_of(c, service_id, since)?;
    let over_target = match (q.oldest_since, target_wait_minutes) {
        (Some(oldest), Some(target)) => now.as_millisecond() - oldest.as_millisecond() > i64::from(target) * 60_000,
        _ => false,
    };
    let wait = state.as_ref().and_then(|s| eta::estimate_new(s, service_id));
    Ok(ServiceQueue {
        service_id,
        waiting: q.waiting,
        priority_waiting: q.priority_waiting,
        oldest_since: q.oldest_since,
        target_wait_minutes,
        over_target,
        estimated_wait_minutes: wait.map(|e| e.minutes),
        estimated_wait_range: wait_range(wait),
    })
}

/// The queue of every active service today, for the back office's live view.
pub fn office_queues(c: &Connection, queue: &LiveQueue, office: &Office, now: Timestamp) -> Result<Vec<ServiceQueue>> {
    let since = office.day_start(now)?;
    let state = queue_state(queue, office, now, None)?;
    cfg::list_services(c)?
        .into_iter()
        .filter(|s| s.config.active)
        .map(|s| service_queue(c, &state, s.id, s.config.target_wait_minutes, since, now))
        .collect()
}

/// The waiting tickets a counter may call today, oldest first: those of its services not sent to
/// another counter, and those sent to it.
pub fn counter_queue(c: &Connection, office: &Office, counter_id: i64, now: Timestamp) -> Result<Vec<TicketView>> {
    cfg::get_counter(c, counter_id)?.ok_or_else(|| Error::not_found(format!("counter {counter_id}")))?;
    Ok(tickets::callable_by(c, counter_id, office.day_start(now)?)?
        .iter()
        .map(Ticket::view)
        .collect())
}

// ----- end of day -----

/// Closes as `expired` the open tickets of office days before today, and with `today` those of today
/// too (waiting and called; also being served with `include_serving`). Returns how many.
pub fn end_of_day(ctx: &mut WriteCtx<'_>, office: &Office, today: bool, include_serving: bool) -> Result<u32> {
    let c = ctx.conn;
    let now = ctx.now();
    let day = office.day(now);
    let mut expired = 0;
    let mut states = vec![TicketState::Waiting, TicketState::Called];
    if include_serving || !today {
        states.push(TicketState::Serving);
    }
    for mut t in tickets::open_tickets_to_expire(c, &day, today, &states)? {
        let from = t.state;
        t.state = from.apply(TicketAction::Expire)?;
        t.finished_at = Some(now);
        tickets::update(c, &t)?;
        tickets::record_event(c, &t, TicketAction::Expire.as_str(), Some(from), By::default(), now)?;
        if from.is_at_counter() {
            ctx.emit(&LiveEvent::TicketFinished {
                ticket_id: t.id,
                number: t.number,
                state: t.state,
                counter_id: t.counter_id,
            })?;
        }
        expired += 1;
    }
    if expired > 0 {
        ctx.queue_changed();
    }
    Ok(expired)
}

// ----- ratings -----

/// Records the rating of a finished ticket of today, once.
pub fn rate(ctx: &mut WriteCtx<'_>, office: &Office, t: Ticket, input: RatingInput) -> Result<RatingRecorded> {
    let c = ctx.conn;
    let now = ctx.now();
    if t.office_day != office.day(now) {
        return Err(Error::conflict(
            ErrorCode::NotToday,
            format!(
                "ticket {} is not from today: only today's visits can be rated",
                t.number
            ),
        ));
    }
    if t.state != TicketState::Done {
        return Err(Error::conflict(
            ErrorCode::NotRateable,
            format!(
                "ticket {} has not been served: only a finished visit can be rated",
                t.number
            ),
        ));
    }
    if tickets::has_rating(c, t.id)? {
        return Err(Error::conflict(
            ErrorCode::AlreadyRated,
            format!("ticket {} has already been rated, thank you", t.number),
        ));
    }
    tickets::insert_rating(c, &t, input.rating(), input.reason(), now)?;
    Ok(RatingRecorded {
        number: t.number,
        rating: input.rating(),
    })
}

/// The rating code of a ticket: its number and 25 bits drawn from its secret token, so that knowing
/// a number (they are called aloud) is not enough to rate someone else's visit.
pub fn rating_code(number: TicketNumber, token: &str) -> RatingCode {
    let digest = Sha256::new()
        .chain_update(b"turno rating code\0")
        .chain_update(token.as_bytes())
        .finalize();
    RatingCode::new(number, u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]))
}

/// What a kiosk code names, before looking it up.
pub enum KioskCode {
    /// A rating code, typed or scanned from the ticket's barcode.
    Rating(RatingCode),
    /// A ticket's token, scanned from its QR code.
    Token(String),
}

impl KioskCode {
    /// Reads a code in the form the kiosk sends: `A012-7K3MX` (upper case, with its dash) or a token (32
    /// lower-case hex digits). The kiosk reads what citizens type or scan, however written, and sends
    /// it so; the API takes only that form, as its document says.
    pub fn parse(code: &str) -> Result<KioskCode> {
        let is_token = code.len() == 32 && code.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if is_token {
            return Ok(KioskCode::Token(code.to_owned()));
        }
        // The document's pattern: a capital, three or four digits, a dash, five characters of the
        // alphabet (zero numbers are left to the parser, which refuses them).
        let b = code.as_bytes();
        let digits = b.iter().skip(1).take_while(|c| c.is_ascii_digit()).count();
        let wire = b.first().is_some_and(u8::is_ascii_uppercase)
            && (3..=4).contains(&digits)
            && b.get(1 + digits) == Some(&b'-')
            && b.len() == 2 + digits + RatingCode::CHECK_LEN
            && b[2 + digits..].iter().all(|c| RatingCode::ALPHABET.contains(c));
        if wire && let Ok(rating) = code.parse::<RatingCode>() {
            return Ok(KioskCode::Rating(rating));
        }
        if code.trim().parse::<TicketNumber>().is_ok() {
            return Err(Error::invalid(
                "type the whole rating code printed on the ticket: the number and the five characters after it",
            ));
        }
        Err(Error::invalid(format!("{code:?} is not a rating code like A012-7K3MX")))
    }
}

/// Finds today's ticket a kiosk code names; a wrong check is the same as no ticket.
pub fn ticket_by_code(c: &Connection, office: &Office, code: &KioskCode, now: Timestamp) -> Result<Option<Ticket>> {
    Ok(match code {
        KioskCode::Rating(rating) => tickets::by_number(c, &office.day(now), rating.number())?
            .filter(|t| rating_code(t.number, &t.token).matches(rating)),
        KioskCode::Token(token) => tickets::by_token(c, token)?,
    })
}

// ----- printers -----

pub fn printer_alert(ctx: &mut WriteCtx<'_>, device: &Device, req: &PrinterAlertRequest) -> Result<PrinterAlert> {
    if req
        .message
        .as_deref()
        .is_some_and(|m| m.chars().count() > MAX_REASON_CHARS)
    {
        return Err(Error::invalid(format!(
            "the message can hold up to {MAX_REASON_CHARS} characters"
        )));
    }
    let message = req.message.as_deref().map(str::trim).filter(|m| !m.is_empty());
    cfg::insert_printer_alert(ctx.conn, device.id, req.status, message, ctx.now())?;
    let alert = PrinterAlert {
        device_id: device.id,
        device_name: device.name.clone(),
        status: req.status,
        message: message.map(str::to_owned),
        at: ctx.now(),
    };
    ctx.emit(&LiveEvent::PrinterAlert(alert.clone()))?;
    Ok(alert)
}

// ----- views -----

pub fn office_view(c: &Connection, queue: &LiveQueue, office: &Office, now: Timestamp) -> Result<OfficeView> {
    let local = office.local(now);
    let day = office.day(now);
    let state = queue_state(queue, office, now, None)?;
    let forms = cfg::list_forms(c)?;
    let mut services = Vec::new();
    for s in cfg::list_services(c)? {
        if !s.config.active {
            continue;
        }
        let waiting = tickets::waiting_in_service(c, s.id)?;
        let issued = tickets::issued_count(c, &day, s.config.prefix)?;
        let cap = s
            .config
            .daily_cap
            .unwrap_or(TicketNumber::MAX_SEQ)
            .min(TicketNumber::MAX_SEQ);
        let wait = state.as_ref().and_then(|state| eta::estimate_new(state, s.id));
        services.push(ServiceView {
            id: s.id,
            open: service_open(office, &s, now),
            full: issued >= cap,
            waiting,
            estimated_wait_minutes: wait.map(|e| e.minutes),
            estimated_wait_range: wait_range(wait),
            hours_today: s.config.hours.day(local.weekday()).to_vec(),
            code: s.config.code,
            prefix: s.config.prefix,
            name: s.config.name,
            info: s.config.info,
            documents: s.config.documents,
            outcomes: s.config.outcomes,
            forms: forms.iter().filter(|f| f.service_id == s.id).cloned().collect(),
            target_wait_minutes: s.config.target_wait_minutes,
        });
    }
    Ok(OfficeView {
        name: office.name.clone(),
        office_day: day,
        now,
        open: services.iter().any(|s| s.open && !s.full),
        services,
        notices: cfg::current_notices(c, now)?,
    })
}

/// What a waiting-room board shows besides its live-event id: the office view, the tickets at a
/// counter now (latest call first, at most `max_calls`) and the active counters with their state.
pub fn board_view(
    c: &Connection,
    queue: &LiveQueue,
    office: &Office,
    now: Timestamp,
    max_calls: usize,
) -> Result<(OfficeView, Vec<BoardCall>, Vec<BoardCounter>)> {
    let view = office_view(c, queue, office, now)?;
    let today = office.day(now);
    let mut at_counters = tickets::list_in_state(c, TicketState::Called)?;
    at_counters.extend(tickets::list_in_state(c, TicketState::Serving)?);
    at_counters.retain(|t| t.office_day == today && t.counter_id.is_some() && t.called_at.is_some());
    at_counters.sort_by_key(|t| std::cmp::Reverse((t.called_at, t.id)));
    at_counters.truncate(max_calls);
    let mut calls = Vec::new();
    for t in at_counters {
        let (Some(counter_id), Some(called_at)) = (t.counter_id, t.called_at) else {
            continue;
        };
        calls.push(BoardCall {
            ticket_id: t.id,
            number: t.number,
            service_id: t.service_id,
            counter_id,
            counter_name: cfg::counter_name(c, counter_id)?.unwrap_or_default(),
            priority: t.priority,
            state: t.state,
            called_at,
        });
    }
    let mut counters = Vec::new();
    for counter in cfg::list_counters(c)?.into_iter().filter(|k| k.config.active) {
        let state = match cfg::session_at_counter(c, counter.id)? {
            None => CounterState::Closed,
            Some(s) if s.paused.is_some() => CounterState::Paused,
            Some(_) => CounterState::Open,
        };
        counters.push(BoardCounter {
            id: counter.id,
            name: counter.config.name,
            state,
        });
    }
    Ok((view, calls, counters))
}

pub fn public_status(
    c: &Connection,
    queue: &LiveQueue,
    office: &Office,
    token: &str,
    now: Timestamp,
) -> Result<PublicTicketStatus> {
    let t = tickets::by_token(c, token)?.ok_or_else(|| Error::not_found("ticket"))?;
    let s = service(c, t.service_id)?;
    let (people_ahead, wait) = if t.state == TicketState::Waiting {
        let (a, w) = estimate(queue, office, &t, now)?;
        (Some(a), w)
    } else {
        (None, None)
    };
    let counter_name = match (t.state.is_at_counter(), t.counter_id) {
        (true, Some(id)) => Some(counter_name(c, id)?),
        _ => None,
    };
    let rated = tickets::has_rating(c, t.id)?;
    Ok(PublicTicketStatus {
        number: t.number,
        service_id: t.service_id,
        service_name: s.config.name,
        language: t.language,
        state: t.state,
        people_ahead,
        estimated_wait_minutes: wait.map(|e| e.minutes),
        estimated_wait_range: wait_range(wait),
        counter_name,
        can_rate: t.state == TicketState::Done && !rated && t.office_day == office.day(now),
        rated,
        office_day: t.office_day,
    })
}
