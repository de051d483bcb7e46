//! The queue engine: every operation of the office day, run on the store's writer (or on a read
//! connection for views). It applies the domain rules of `turno_shared::domain` to what the store holds.

use jiff::Timestamp;
use rusqlite::Connection;
use turno_shared::api::{
    CounterStatus, Device, IssueRequest, IssuedTicket, LiveEvent, OfficeView, PrinterAlert, PrinterAlertRequest,
    PublicTicketStatus, RatingRecorded, Service, ServiceView, TicketView, TransferRequest, User,
};
use turno_shared::domain::{
    Code, DEFAULT_SERVICE_SECS, RatingInput, TicketAction, TicketNumber, TicketState, choose_next,
    estimate_wait_minutes, typical_service_secs,
};

use crate::error::{Error, Result};
use crate::office::Office;
use crate::store::WriteCtx;
use crate::store::office::{self as cfg, Session};
use crate::store::tickets::{self, NewTicket, Ticket};

/// How many recent service times the estimate learns from.
const SERVICE_TIME_SAMPLES: u32 = 20;
const MAX_NOTE_CHARS: usize = 500;
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

/// Whether a service takes tickets now: active, and open by its hours.
fn service_open(office: &Office, s: &Service, now: Timestamp) -> bool {
    let local = office.local(now);
    s.config.active && s.config.hours.is_open(local.weekday(), local.time())
}

/// People ahead of a ticket and its estimated wait.
fn estimate(c: &Connection, t: &Ticket) -> Result<(u32, Option<u32>)> {
    let ahead = tickets::people_ahead(c, t)?;
    Ok((ahead, wait_for(c, t.service_id, ahead)?))
}

fn wait_for(c: &Connection, service_id: i64, ahead: u32) -> Result<Option<u32>> {
    let secs = typical_service_secs(&tickets::recent_service_secs(c, service_id, SERVICE_TIME_SAMPLES)?)
        .unwrap_or(DEFAULT_SERVICE_SECS);
    Ok(estimate_wait_minutes(
        ahead,
        secs,
        cfg::open_counters_for(c, service_id)?,
    ))
}

fn valid_language(lang: &str) -> bool {
    turno_shared::api::is_language_code(lang)
}

// ----- issuing -----

/// Issues a ticket. Its estimate is read afterwards ([`issued`]), off the writer.
pub fn issue(ctx: &mut WriteCtx<'_>, office: &Office, req: &IssueRequest) -> Result<Ticket> {
    let c = ctx.conn;
    let now = ctx.now();
    let s = cfg::service_rules(c, req.service_id)?
        .ok_or_else(|| Error::not_found(format!("service {}", req.service_id)))?;
    let local = office.local(now);
    if !s.active || !s.hours.is_open(local.weekday(), local.time()) {
        return Err(Error::conflict("service_closed", format!("{} is closed now", s.name())));
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
            "service_full",
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
    tickets::record_event(c, &t, "issue", None, None, now)?;
    ctx.emit(&LiveEvent::TicketIssued {
        ticket_id: id,
        number,
        service_id: s.id,
    })?;
    ctx.queue_changed();
    Ok(t)
}

/// The answer to an issued ticket: with the people ahead and the estimated wait.
pub fn issued(c: &Connection, t: Ticket) -> Result<IssuedTicket> {
    let (people_ahead, estimated_wait_minutes) = estimate(c, &t)?;
    Ok(IssuedTicket {
        status_path: format!("/t/{}", t.token),
        ticket: t.view(),
        token: t.token,
        people_ahead,
        estimated_wait_minutes,
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
            "ticket_in_progress",
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
        paused: session.and_then(|s| s.paused_reason),
        current: tickets::at_counter(c, counter_id)?.map(|t| t.view()),
        waiting: tickets::waiting_for_counter(c, counter_id)?,
    })
}

pub fn open_session(ctx: &mut WriteCtx<'_>, user: &User, counter_id: i64) -> Result<CounterStatus> {
    let c = ctx.conn;
    let counter = cfg::get_counter(c, counter_id)?.ok_or_else(|| Error::not_found(format!("counter {counter_id}")))?;
    if !counter.config.active {
        return Err(Error::conflict(
            "counter_inactive",
            format!("{} is not in use", counter.config.name),
        ));
    }
    match cfg::session_at_counter(c, counter_id)? {
        // Pressed twice: already open.
        Some(s) if s.user_id == user.id => {}
        Some(_) => {
            return Err(Error::conflict(
                "counter_taken",
                format!("another clerk is signed in at {}", counter.config.name),
            ));
        }
        None => {
            if let Some(other) = cfg::session_of_user(c, user.id)? {
                return Err(Error::conflict(
                    "clerk_busy",
                    format!(
                        "you are still signed in at counter {}: sign out there first",
                        other.counter_id
                    ),
                ));
            }
            let id = cfg::open_session(c, counter_id, user.id, ctx.now())?;
            cfg::clerk_event(c, id, "open", None, ctx.now())?;
        }
    }
    counter_status(c, counter_id)
}

pub fn close_session(ctx: &mut WriteCtx<'_>, user: &User, counter_id: i64) -> Result<CounterStatus> {
    let c = ctx.conn;
    let session = clerk_session(c, user, counter_id)?;
    ensure_counter_free(c, counter_id)?;
    cfg::close_session(c, session.id, ctx.now())?;
    cfg::clerk_event(c, session.id, "close", None, ctx.now())?;
    counter_status(c, counter_id)
}

pub fn pause(ctx: &mut WriteCtx<'_>, user: &User, counter_id: i64, reason: &str) -> Result<CounterStatus> {
    let c = ctx.conn;
    if reason.trim().is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(Error::invalid(format!(
            "give a reason for the pause, up to {MAX_REASON_CHARS} characters"
        )));
    }
    let reason = reason.trim();
    let session = clerk_session(c, user, counter_id)?;
    ensure_counter_free(c, counter_id)?;
    if session.paused_reason.as_deref() != Some(reason) {
        cfg::set_pause(c, session.id, Some(reason))?;
        cfg::clerk_event(c, session.id, "pause", Some(reason), ctx.now())?;
    }
    counter_status(c, counter_id)
}

pub fn resume(ctx: &mut WriteCtx<'_>, user: &User, counter_id: i64) -> Result<CounterStatus> {
    let c = ctx.conn;
    let session = clerk_session(c, user, counter_id)?;
    if session.paused_reason.is_some() {
        cfg::set_pause(c, session.id, None)?;
        cfg::clerk_event(c, session.id, "resume", None, ctx.now())?;
    }
    counter_status(c, counter_id)
}

fn ready_to_call(c: &Connection, user: &User, counter_id: i64) -> Result<Session> {
    let session = clerk_session(c, user, counter_id)?;
    if session.paused_reason.is_some() {
        return Err(Error::conflict(
            "counter_paused",
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
    let candidates = tickets::candidates(c, counter_id, &services, now)?;
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
            "not_today",
            format!("ticket {} is not from today", t.number),
        ));
    }
    call(ctx, &mut t, user, counter_id)
}

fn call(ctx: &mut WriteCtx<'_>, t: &mut Ticket, user: &User, counter_id: i64) -> Result<TicketView> {
    let from = t.state;
    t.state = from.apply(TicketAction::Call)?;
    t.called_at = Some(ctx.now());
    t.started_at = None;
    t.counter_id = Some(counter_id);
    t.user_id = Some(user.id);
    t.target_counter_id = None;
    tickets::update(ctx.conn, t)?;
    tickets::record_event(
        ctx.conn,
        t,
        TicketAction::Call.as_str(),
        Some(from),
        Some(user.id),
        ctx.now(),
    )?;
    let counter_name = counter_name(ctx.conn, counter_id)?;
    ctx.emit(&LiveEvent::TicketCalled {
        ticket_id: t.id,
        number: t.number,
        service_id: t.service_id,
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
    Finish { outcome: Code, note: Option<String> },
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
    // A ticket at a counter belongs to that counter's clerk; a waiting one to any clerk at work.
    if t.state.is_at_counter() {
        let counter = t.counter_id.unwrap_or_default();
        clerk_session(c, user, counter)
            .map_err(|_| Error::forbidden(format!("ticket {} is at another counter", t.number)))?;
    } else if cfg::session_of_user(c, user.id)?.is_none() {
        return Err(Error::forbidden("sign in at a counter first"));
    }
    let from = t.state;
    t.state = from.apply(action)?;
    if t.office_day != office.day(now) && action != TicketAction::Finish {
        return Err(Error::conflict(
            "not_today",
            format!("ticket {} is not from today", t.number),
        ));
    }
    let was_waiting = from == TicketState::Waiting;
    match act {
        Act::Recall => {}
        Act::Start => t.started_at = Some(now),
        Act::Finish { outcome, note } => {
            let (name, outcomes) = cfg::service_outcomes(c, t.service_id)?
                .ok_or_else(|| Error::not_found(format!("service {}", t.service_id)))?;
            if !outcomes.iter().any(|o| o.code == outcome) {
                let known: Vec<&str> = outcomes.iter().map(|o| o.code.as_str()).collect();
                return Err(Error::conflict("unknown_outcome", format!(
                    "{outcome} is not an outcome of {name}; use one of: {}",
                    known.join(", ")
                )));
            }
            if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
                return Err(Error::invalid(format!(
                    "the note can hold up to {MAX_NOTE_CHARS} characters"
                )));
            }
            t.outcome = Some(outcome);
            t.note = note.filter(|n| !n.trim().is_empty());
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
            if let Some(sid) = req.service_id {
                let s = cfg::get_service(c, sid)?
                    .ok_or_else(|| Error::conflict("unknown_reference", format!("there is no service {sid}")))?;
                if !s.config.active {
                    return Err(Error::conflict(
                        "service_inactive",
                        format!("{} is not in use", s.config.name.get("it")),
                    ));
                }
                t.service_id = sid;
            }
            if let Some(cid) = req.counter_id {
                let k = cfg::get_counter(c, cid)?
                    .ok_or_else(|| Error::conflict("unknown_reference", format!("there is no counter {cid}")))?;
                if !k.config.active {
                    return Err(Error::conflict(
                        "counter_inactive",
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
    tickets::record_event(c, &t, action.as_str(), Some(from), Some(user.id), now)?;
    match action {
        TicketAction::Recall => {
            let counter_id = t.counter_id.unwrap_or_default();
            ctx.emit(&LiveEvent::TicketRecalled {
                ticket_id: t.id,
                number: t.number,
                service_id: t.service_id,
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
        tickets::record_event(c, &t, TicketAction::Expire.as_str(), Some(from), None, now)?;
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
            "not_today",
            format!(
                "ticket {} is not from today: only today's visits can be rated",
                t.number
            ),
        ));
    }
    if t.state != TicketState::Done {
        return Err(Error::conflict(
            "not_rateable",
            format!(
                "ticket {} has not been served: only a finished visit can be rated",
                t.number
            ),
        ));
    }
    if tickets::has_rating(c, t.id)? {
        return Err(Error::conflict(
            "already_rated",
            format!("ticket {} has already been rated, thank you", t.number),
        ));
    }
    tickets::insert_rating(c, &t, input.rating(), input.reason(), now)?;
    Ok(RatingRecorded {
        number: t.number,
        rating: input.rating(),
    })
}

/// Finds the ticket a kiosk code names: the ticket's token (scanned) or its number today (typed).
pub fn ticket_by_code(c: &Connection, office: &Office, code: &str, now: Timestamp) -> Result<Ticket> {
    let code = code.trim();
    let found = match code.parse::<TicketNumber>() {
        Ok(number) => tickets::by_number(c, &office.day(now), number)?,
        Err(_) => tickets::by_token(c, &code.to_ascii_lowercase())?,
    };
    found.ok_or_else(|| Error::not_found(format!("no ticket {code:?} today")))
}

// ----- printers -----

pub fn printer_alert(ctx: &mut WriteCtx<'_>, device: &Device, req: &PrinterAlertRequest) -> Result<PrinterAlert> {
    if req.message.as_deref().is_some_and(|m| m.chars().count() > MAX_REASON_CHARS) {
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

pub fn office_view(c: &Connection, office: &Office, now: Timestamp) -> Result<OfficeView> {
    let local = office.local(now);
    let day = office.day(now);
    let counters = cfg::open_counters_per_service(c)?;
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
        let secs = typical_service_secs(&tickets::recent_service_secs(c, s.id, SERVICE_TIME_SAMPLES)?)
            .unwrap_or(DEFAULT_SERVICE_SECS);
        let open_counters = counters.iter().find(|(id, _)| *id == s.id).map_or(0, |(_, n)| *n);
        services.push(ServiceView {
            id: s.id,
            open: service_open(office, &s, now),
            full: issued >= cap,
            waiting,
            estimated_wait_minutes: estimate_wait_minutes(waiting, secs, open_counters),
            hours_today: s.config.hours.day(local.weekday()).to_vec(),
            code: s.config.code,
            prefix: s.config.prefix,
            name: s.config.name,
            info: s.config.info,
            documents: s.config.documents,
        });
    }
    Ok(OfficeView {
        name: office.name.clone(),
        office_day: day,
        now,
        open: services.iter().any(|s| s.open && !s.full),
        services,
    })
}

pub fn public_status(c: &Connection, office: &Office, token: &str, now: Timestamp) -> Result<PublicTicketStatus> {
    let t = tickets::by_token(c, token)?.ok_or_else(|| Error::not_found("ticket"))?;
    let s = service(c, t.service_id)?;
    let (people_ahead, estimated_wait_minutes) = if t.state == TicketState::Waiting {
        let (a, w) = estimate(c, &t)?;
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
        service_name: s.config.name,
        state: t.state,
        people_ahead,
        estimated_wait_minutes,
        counter_name,
        can_rate: t.state == TicketState::Done && !rated && t.office_day == office.day(now),
        rated,
        office_day: t.office_day,
    })
}
