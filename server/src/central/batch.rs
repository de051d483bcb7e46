//! What an office ships to the centre in one batch: the journal entries after its cursor, each with
//! the row the statistics count (local weekday, hour and office day already worked out in the office's
//! time zone, so the centre needs no time zones). Every row carries `event_id`, the office's journal id.

/// One batch: journal ids `after + 1 ..= last`, with `pending` more written after it.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub after: i64,
    pub last: i64,
    pub pending: i64,
    pub events: Vec<EventRow>,
    /// The ticket of each event as it stood when the batch was read (later events ship it again).
    pub tickets: Vec<TicketSnapshot>,
    pub ratings: Vec<RatingRow>,
    pub walk_ins: Vec<WalkInRow>,
    pub clerk: Vec<ClerkRow>,
    pub services: Vec<ServiceRow>,
    pub counters: Vec<CounterRow>,
}

impl Batch {
    /// How many journal entries it carries.
    pub fn len(&self) -> usize {
        self.events.len()
            + self.ratings.len()
            + self.walk_ins.len()
            + self.clerk.len()
            + self.services.len()
            + self.counters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The office days whose figures the batch changes.
    pub fn days(&self) -> Vec<String> {
        let mut days: Vec<String> = self
            .tickets
            .iter()
            .map(|t| t.office_day.clone())
            .chain(self.ratings.iter().map(|r| r.office_day.clone()))
            .chain(self.walk_ins.iter().map(|w| w.office_day.clone()))
            .collect();
        days.sort();
        days.dedup();
        days
    }
}

/// A ticket event, as the office's `ticket_events` holds it.
#[derive(Clone, Debug)]
pub struct EventRow {
    pub event_id: i64,
    pub ticket_id: i64,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub at_ms: i64,
    pub service_id: i64,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
    pub outcome: Option<String>,
}

/// A ticket as the statistics read it (`turno_shared::stats::TicketRow`), with the journal id of the
/// event it was read with: a newer one replaces an older one, never the reverse.
#[derive(Clone, Debug)]
pub struct TicketSnapshot {
    pub event_id: i64,
    pub ticket_id: i64,
    pub office_day: String,
    pub service_id: i64,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
    pub state: String,
    pub priority: bool,
    pub weekday: i16,
    pub hour: i16,
    pub issued_ms: i64,
    /// From issue to the first call.
    pub wait_ms: Option<i64>,
    /// From the last call (or the start of service) to finish.
    pub service_ms: Option<i64>,
    pub outcome: Option<String>,
    pub transfers: i64,
}

#[derive(Clone, Debug)]
pub struct RatingRow {
    pub event_id: i64,
    pub ticket_id: i64,
    pub office_day: String,
    pub service_id: i64,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
    pub weekday: i16,
    pub hour: i16,
    pub rating: String,
    pub reason: Option<String>,
    pub at_ms: i64,
}

#[derive(Clone, Debug)]
pub struct WalkInRow {
    pub event_id: i64,
    pub walk_in_id: i64,
    pub office_day: String,
    pub service_id: i64,
    pub counter_id: i64,
    pub user_id: i64,
    pub weekday: i16,
    pub hour: i16,
    pub started_ms: i64,
    pub service_ms: i64,
    pub outcome: String,
}

/// A clerk's event at a counter (open, close, pause, resume): pauses are measured from them.
#[derive(Clone, Debug)]
pub struct ClerkRow {
    pub event_id: i64,
    pub clerk_event_id: i64,
    pub session_id: i64,
    pub counter_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub reason: Option<String>,
    pub at_ms: i64,
    /// The office day it happened on (local date).
    pub office_day: String,
}

/// A service's names as they are now.
#[derive(Clone, Debug)]
pub struct ServiceRow {
    pub event_id: i64,
    pub service_id: i64,
    pub code: String,
    pub name: String,
    pub target_wait_minutes: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct CounterRow {
    pub event_id: i64,
    pub counter_id: i64,
    pub name: String,
}
