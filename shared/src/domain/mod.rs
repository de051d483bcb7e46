//! The office's domain rules: value types, the ticket's life, the call policy, estimated waits and
//! opening hours. Pure functions only: no I/O, no SQL, no HTTP, no UI.

pub mod eta;
mod hours;
mod policy;
mod ticket;
mod types;
mod wait;

pub use hours::{TimeRange, WeeklyHours};
pub use policy::{CallPolicy, Candidate, Choice, choose_next};
pub use ticket::{IllegalTransition, TicketAction, TicketState};
pub(crate) use types::str_enum;
pub use types::{
    BadReason, Code, DeviceKind, InvalidValue, PauseReason, Priority, Rating, RatingCode, RatingInput, Role,
    ServicePrefix, TicketNumber,
};
pub use wait::{DEFAULT_SERVICE_SECS, estimate_wait_minutes, typical_service_secs};
