//! The call policy: which waiting ticket a counter calls next. Deterministic, documented, pure.
//!
//! 1. A ticket is **urgent** if it has the right of priority (*precedenza*) or if it has waited longer
//!    than its service's target wait (**aging**: nobody waits forever behind other services).
//! 2. Urgent tickets go first, but **interleaved**: after `priority_ratio` urgent calls in a row at a
//!    counter, that counter calls a non-urgent ticket if one waits, so normal tickets are not starved.
//! 3. Within the chosen group, the ticket with the best **rank** goes first: rank 0 is a ticket
//!    transferred to this very counter, then the counter's services in its order of preference (1, 2,
//!    …). Equal ranks go by **arrival** (transfers keep the original arrival), then by id.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The office's call policy settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallPolicy {
    /// After this many urgent calls in a row a counter calls a normal ticket, if any waits.
    /// Zero means urgent tickets never go first.
    pub priority_ratio: u32,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self { priority_ratio: 3 }
    }
}

/// A waiting ticket the counter could call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub ticket_id: i64,
    /// 0: transferred to this counter; 1, 2, …: the service's place in the counter's preferences.
    pub rank: u32,
    /// Arrival time in milliseconds since the Unix epoch.
    pub arrival_ms: i64,
    pub priority: bool,
    /// The service's target wait, in minutes; past it the ticket is urgent.
    pub target_wait_minutes: Option<u32>,
}

impl Candidate {
    pub fn is_urgent(&self, now_ms: i64) -> bool {
        self.priority
            || self
                .target_wait_minutes
                .is_some_and(|m| now_ms - self.arrival_ms > i64::from(m) * 60_000)
    }
}

/// The policy's choice and how it changes the counter's run of urgent calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub ticket_id: i64,
    pub urgent: bool,
    /// The counter's run of urgent calls after this one.
    pub urgent_streak: u32,
}

/// Picks the next ticket among `candidates` for a counter that has made `urgent_streak` urgent calls
/// in a row. `None` when nothing waits.
pub fn choose_next(candidates: &[Candidate], urgent_streak: u32, policy: CallPolicy, now_ms: i64) -> Option<Choice> {
    let best = |urgent: bool| {
        candidates
            .iter()
            .filter(|c| c.is_urgent(now_ms) == urgent)
            .min_by_key(|c| (c.rank, c.arrival_ms, c.ticket_id))
    };
    let (urgent, normal) = (best(true), best(false));
    let pick_urgent = match (urgent, normal) {
        (None, None) => return None,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (Some(_), Some(_)) => urgent_streak < policy.priority_ratio,
    };
    let chosen = if pick_urgent { urgent } else { normal }?;
    Some(Choice {
        ticket_id: chosen.ticket_id,
        urgent: pick_urgent,
        urgent_streak: if pick_urgent { urgent_streak + 1 } else { 0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// A candidate from a compact description: `(id, rank, arrival minute, priority, target minutes)`.
    fn cand(&(id, rank, at, priority, target): &(i64, u32, i64, bool, Option<u32>)) -> Candidate {
        Candidate {
            ticket_id: id,
            rank,
            arrival_ms: at * MIN,
            priority,
            target_wait_minutes: target,
        }
    }

    /// Runs successive calls at one counter (each call removes the chosen ticket) and checks the order.
    fn check(tickets: &[(i64, u32, i64, bool, Option<u32>)], ratio: u32, now_minute: i64, expected_order: &[i64]) {
        let mut waiting: Vec<Candidate> = tickets.iter().map(cand).collect();
        let mut streak = 0;
        let mut order = Vec::new();
        while let Some(choice) = choose_next(&waiting, streak, CallPolicy { priority_ratio: ratio }, now_minute * MIN) {
            streak = choice.urgent_streak;
            order.push(choice.ticket_id);
            waiting.retain(|c| c.ticket_id != choice.ticket_id);
        }
        assert_eq!(order, expected_order);
    }

    #[test]
    fn nothing_waiting_calls_nothing() {
        check(&[], 3, 0, &[]);
    }

    #[test]
    fn first_come_first_served() {
        check(
            &[(3, 1, 2, false, None), (1, 1, 0, false, None), (2, 1, 1, false, None)],
            3,
            5,
            &[1, 2, 3],
        );
    }

    #[test]
    fn same_arrival_goes_by_id() {
        check(&[(8, 1, 0, false, None), (7, 1, 0, false, None)], 3, 1, &[7, 8]);
    }

    #[test]
    fn priority_first_but_interleaved_by_ratio() {
        // Normal tickets 1..=3 arrived first, priority tickets 11..=15 later; ratio 2.
        let tickets = [
            (1, 1, 0, false, None),
            (2, 1, 1, false, None),
            (3, 1, 2, false, None),
            (11, 1, 3, true, None),
            (12, 1, 4, true, None),
            (13, 1, 5, true, None),
            (14, 1, 6, true, None),
            (15, 1, 7, true, None),
        ];
        check(&tickets, 2, 10, &[11, 12, 1, 13, 14, 2, 15, 3]);
        check(&tickets, 1, 10, &[11, 1, 12, 2, 13, 3, 14, 15]);
    }

    #[test]
    fn ratio_zero_ignores_priority() {
        check(&[(2, 1, 1, true, None), (1, 1, 0, false, None)], 0, 5, &[1, 2]);
    }

    #[test]
    fn counter_preference_order() {
        // Service ranked 2 has the oldest ticket, but the counter prefers rank 1.
        check(&[(1, 2, 0, false, None), (2, 1, 5, false, None)], 3, 6, &[2, 1]);
    }

    #[test]
    fn transferred_to_counter_goes_first() {
        check(&[(1, 1, 0, false, None), (2, 0, 9, false, None)], 3, 10, &[2, 1]);
    }

    #[test]
    fn aging_promotes_past_target() {
        // Ticket 1 of the less preferred service has a 10-minute target and has waited 20.
        check(
            &[(1, 2, 0, false, Some(10)), (2, 1, 15, false, Some(30))],
            3,
            20,
            &[1, 2],
        );
        // Not yet past its target: preference wins.
        check(
            &[(1, 2, 0, false, Some(30)), (2, 1, 15, false, Some(30))],
            3,
            20,
            &[2, 1],
        );
    }

    #[test]
    fn aged_tickets_count_in_the_interleaving() {
        // Two aged normal tickets and two fresh ones, ratio 1: aged, fresh, aged, fresh.
        check(
            &[
                (1, 1, 0, false, Some(5)),
                (2, 1, 1, false, Some(5)),
                (3, 1, 19, false, Some(5)),
                (4, 1, 19, false, Some(5)),
            ],
            1,
            20,
            &[1, 3, 2, 4],
        );
    }
}
