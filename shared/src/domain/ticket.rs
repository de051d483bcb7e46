//! The ticket's life: `waiting → called → serving → done`, with the side paths a real counter needs.
//!
//! | from \ action | call | recall | start | finish | no_show | return | transfer | cancel | expire |
//! |---------------|------|--------|-------|--------|---------|--------|----------|--------|--------|
//! | waiting       | called |      |       |        |         |        | waiting  | cancelled | expired |
//! | called        |      | called | serving | done | no_show | waiting | waiting | cancelled | expired |
//! | serving       |      |        |       | done   |         | waiting | waiting  |        | expired |
//! | no_show       |      |        |       |        |         | waiting |          |        |        |
//! | done, cancelled, expired: final |
//!
//! `finish` straight from `called` is allowed: a clerk who serves at once need not press "start".
//! `return` from `no_show` puts back in the queue a citizen who arrives late, with the original arrival time.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::str_enum;

str_enum! {
    /// Where a ticket is in its life. `expired` is the state of a ticket still open when its office
    /// day ended: it is never carried into the next day.
    TicketState {
        Waiting = "waiting",
        Called = "called",
        Serving = "serving",
        Done = "done",
        NoShow = "no_show",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

str_enum! {
    /// What can happen to a ticket.
    TicketAction {
        Call = "call",
        Recall = "recall",
        Start = "start",
        Finish = "finish",
        NoShow = "no_show",
        ReturnToQueue = "return",
        Transfer = "transfer",
        Cancel = "cancel",
        Expire = "expire",
    }
}

/// An action that the ticket's current state does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub struct IllegalTransition {
    pub from: TicketState,
    pub action: TicketAction,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            TicketAction::Call => "call",
            TicketAction::Recall => "recall",
            TicketAction::Start => "start serving",
            TicketAction::Finish => "finish",
            TicketAction::NoShow => "mark as no-show",
            TicketAction::ReturnToQueue => "return to the queue",
            TicketAction::Transfer => "transfer",
            TicketAction::Cancel => "cancel",
            TicketAction::Expire => "close at end of day",
        };
        let state = match self.from {
            TicketState::Waiting => "waiting",
            TicketState::Called => "called",
            TicketState::Serving => "being served",
            TicketState::Done => "done",
            TicketState::NoShow => "a no-show",
            TicketState::Cancelled => "cancelled",
            TicketState::Expired => "closed at end of day",
        };
        write!(f, "cannot {action} a ticket that is {state}")
    }
}

impl TicketState {
    /// The state after `action`, or why it is not allowed.
    pub fn apply(self, action: TicketAction) -> Result<TicketState, IllegalTransition> {
        use TicketAction as A;
        use TicketState as S;
        let next = match (self, action) {
            (S::Waiting, A::Call) => S::Called,
            (S::Called, A::Recall) => S::Called,
            (S::Called, A::Start) => S::Serving,
            (S::Called | S::Serving, A::Finish) => S::Done,
            (S::Called, A::NoShow) => S::NoShow,
            (S::Called | S::Serving | S::NoShow, A::ReturnToQueue) => S::Waiting,
            (S::Waiting | S::Called | S::Serving, A::Transfer) => S::Waiting,
            (S::Waiting | S::Called, A::Cancel) => S::Cancelled,
            (S::Waiting | S::Called | S::Serving, A::Expire) => S::Expired,
            (from, action) => return Err(IllegalTransition { from, action }),
        };
        Ok(next)
    }

    /// Whether the ticket is still part of the day's work.
    pub fn is_open(self) -> bool {
        matches!(self, TicketState::Waiting | TicketState::Called | TicketState::Serving)
    }

    /// Whether a counter holds the ticket now.
    pub fn is_at_counter(self) -> bool {
        matches!(self, TicketState::Called | TicketState::Serving)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketAction as A;
    use TicketState as S;

    /// The whole table: every (state, action) pair, so that a change to the rules shows here.
    #[test]
    fn transition_table() {
        let allowed: &[(S, A, S)] = &[
            (S::Waiting, A::Call, S::Called),
            (S::Waiting, A::Transfer, S::Waiting),
            (S::Waiting, A::Cancel, S::Cancelled),
            (S::Waiting, A::Expire, S::Expired),
            (S::Called, A::Recall, S::Called),
            (S::Called, A::Start, S::Serving),
            (S::Called, A::Finish, S::Done),
            (S::Called, A::NoShow, S::NoShow),
            (S::Called, A::ReturnToQueue, S::Waiting),
            (S::Called, A::Transfer, S::Waiting),
            (S::Called, A::Cancel, S::Cancelled),
            (S::Called, A::Expire, S::Expired),
            (S::Serving, A::Finish, S::Done),
            (S::Serving, A::ReturnToQueue, S::Waiting),
            (S::Serving, A::Transfer, S::Waiting),
            (S::Serving, A::Expire, S::Expired),
            (S::NoShow, A::ReturnToQueue, S::Waiting),
        ];
        for &from in S::ALL {
            for &action in A::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (from.apply(action), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} + {action}"),
                    (Err(e), None) => assert_eq!(e, IllegalTransition { from, action }),
                    (got, want) => panic!("{from} + {action}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn illegal_transitions_explain_themselves() {
        let err = S::Done.apply(A::Call).unwrap_err();
        assert_eq!(err.to_string(), "cannot call a ticket that is done");
        let err = S::Waiting.apply(A::Start).unwrap_err();
        assert_eq!(err.to_string(), "cannot start serving a ticket that is waiting");
    }
}
