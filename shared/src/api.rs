//! Wire types of the HTTP API under `/api/v1`: requests, answers, live events and errors.
//! The server derives its OpenAPI document from these types, the client decodes with them.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{
    BadReason, Code, DeviceKind, PauseReason, Priority, Rating, RatingCode, Role, ServicePrefix, TicketNumber,
    TicketState, TimeRange, WeeklyHours, str_enum,
};

/// Every API route starts with this.
pub const API_PREFIX: &str = "/api/v1";

/// The reference language: every localized text has it.
pub const REFERENCE_LANGUAGE: &str = "it";

/// The body of every error answer: a stable code for programs, a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

str_enum! {
    /// Why a request failed, stable across versions: programs match on it, people read the message.
    /// Server and clients share this enum, so a renamed code is a compile error in every program.
    ErrorCode {
        // ----- the request itself (400, 405, 408, 413, 415, 422) -----
        /// A value breaks a rule (length, range, unknown reference, …). 422.
        InvalidInput = "invalid_input",
        /// The body is not the JSON this route takes. 400 or 422.
        InvalidJson = "invalid_json",
        /// A path parameter is malformed (an id that is not a positive integer, …). 400.
        InvalidPath = "invalid_path",
        /// A query parameter is malformed. 400.
        InvalidQuery = "invalid_query",
        /// The body is larger than the server accepts. 413.
        BodyTooLarge = "body_too_large",
        /// The body is not `application/json`. 415.
        UnsupportedMediaType = "unsupported_media_type",
        /// The route exists, not with this method. 405.
        MethodNotAllowed = "method_not_allowed",
        /// The request took too long to arrive (408) or to be answered (503).
        Timeout = "timeout",
        // ----- who is asking (401, 403, 429) -----
        /// No credentials, or credentials that are not (or no longer) valid. 401.
        Unauthenticated = "unauthenticated",
        /// Wrong username or password. 401.
        BadCredentials = "bad_credentials",
        /// Valid credentials that do not allow this. 403.
        Forbidden = "forbidden",
        /// Too many failed attempts from here: wait `Retry-After` seconds. 429.
        TooManyAttempts = "too_many_attempts",
        // ----- what the request names (404, 409) -----
        /// What the request names does not exist (or is not visible to you). 404.
        NotFound = "not_found",
        /// A name, code or prefix that another record already uses. 409.
        AlreadyExists = "already_exists",
        /// The body names a service or counter that does not exist. 409.
        UnknownReference = "unknown_reference",
        /// The outcome is not one of the service's outcome codes. 409.
        UnknownOutcome = "unknown_outcome",
        /// A service lists the same outcome code twice. 409.
        DuplicateOutcome = "duplicate_outcome",
        /// A range that ends before it starts. 409.
        InvalidRange = "invalid_range",
        /// The ticket's state does not allow this action. 409.
        IllegalTransition = "illegal_transition",
        /// The ticket is not from today's office day. 409.
        NotToday = "not_today",
        /// The service takes no tickets now (closed by its hours, or not in use). 409.
        ServiceClosed = "service_closed",
        /// The service has issued all of today's tickets. 409.
        ServiceFull = "service_full",
        /// The service is not in use. 409.
        ServiceInactive = "service_inactive",
        /// The counter is not in use. 409.
        CounterInactive = "counter_inactive",
        /// Another clerk is signed in at the counter. 409.
        CounterTaken = "counter_taken",
        /// The clerk is signed in at another counter. 409.
        ClerkBusy = "clerk_busy",
        /// The counter is paused. 409.
        CounterPaused = "counter_paused",
        /// A ticket is still called or being served at the counter. 409.
        TicketInProgress = "ticket_in_progress",
        /// Only a finished visit of today can be rated. 409.
        NotRateable = "not_rateable",
        /// The visit has been rated already. 409.
        AlreadyRated = "already_rated",
        /// The change would leave the office without an active back-office user. 409.
        SelfLockout = "self_lockout",
        /// Two tickets drew the same number at once; the request can be repeated. 409.
        DuplicateNumber = "duplicate_number",
        // ----- the server (500, 503) -----
        /// The server is busy or starting: try again shortly. 503.
        Unavailable = "unavailable",
        /// A fault of the server; nothing was recorded. 500.
        Internal = "internal",
        /// A code this client does not know (a newer server), or an answer that was not the server's JSON.
        #[serde(other)]
        Unknown = "unknown",
    }
}

/// Text in several languages, keyed by language code (`it`, `en`, …). Italian is the reference.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Localized(pub BTreeMap<String, String>);

/// A language code as kiosks send it: 2 to 8 ASCII letters or `-` (`it`, `en`, `pt-br`).
pub const LANGUAGE_PATTERN: &str = "^[A-Za-z-]{2,8}$";

pub fn is_language_code(s: &str) -> bool {
    (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
}

/// Text that is not blank: one character at least that is not Unicode `White_Space`, which is what
/// `str::trim` removes. Spelled out because `\\S` differs between regex engines (ECMA counts U+FEFF
/// as a space and U+0085 as none; Python and Rust the reverse). `#[schema(pattern = ...)]` takes only
/// a literal: the fields below repeat it.
pub const NOT_BLANK: &str = r"[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

impl<'de> Deserialize<'de> for Localized {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts = BTreeMap::<String, String>::deserialize(d)?;
        if let Some(bad) = texts.keys().find(|k| !is_language_code(k)) {
            return Err(serde::de::Error::custom(format!(
                "{bad:?} is not a language code such as it or en"
            )));
        }
        Ok(Self(texts))
    }
}

/// The schema of a [`Localized`] whose texts follow `text`.
pub fn localized_schema(text: ObjectBuilder) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Text in several languages, keyed by language code (`it`, `en`, …). Italian is the reference.",
        ))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(LANGUAGE_PATTERN)),
        ))
        .additional_properties(Some(text.schema_type(Type::String)))
        .build()
}

impl PartialSchema for Localized {
    fn schema() -> RefOr<Schema> {
        localized_schema(ObjectBuilder::new()).into()
    }
}

impl ToSchema for Localized {}

/// A service's name: Italian required, each text 1 to 80 characters and not blank.
fn service_name_schema() -> Object {
    let mut o = localized_schema(
        ObjectBuilder::new()
            .min_length(Some(1))
            .max_length(Some(80))
            .pattern(Some(NOT_BLANK)),
    );
    o.required.push(REFERENCE_LANGUAGE.to_owned());
    o
}

/// An information sheet: each text up to 4000 characters.
fn info_schema() -> Object {
    localized_schema(ObjectBuilder::new().max_length(Some(4000)))
}

/// Ids of existing records: positive, each at most once.
fn id_set_schema() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Int64,
                )))
                .minimum(Some(1)),
        )
        .unique_items(true)
}

/// The answer for a stored `T`: `T`'s fields, all present, plus its `id`. `T` refuses unknown fields
/// as input (`additionalProperties: false`), which must not carry over to the answer.
fn stored_schema<T: PartialSchema>(description: &str) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut o)) = T::schema() else {
        unreachable!("input types are objects")
    };
    o.additional_properties = None;
    o.description = Some(description.to_owned());
    o.properties.insert(
        "id".to_owned(),
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(1))
            .into(),
    );
    o.required = o.properties.keys().cloned().collect();
    o.into()
}

impl Localized {
    pub fn it(text: impl Into<String>) -> Self {
        Self(BTreeMap::from([(REFERENCE_LANGUAGE.to_owned(), text.into())]))
    }

    pub fn with(mut self, lang: &str, text: impl Into<String>) -> Self {
        self.0.insert(lang.to_owned(), text.into());
        self
    }

    /// The text in `lang`, else in Italian, else in any language, else empty.
    pub fn get(&self, lang: &str) -> &str {
        self.0
            .get(lang)
            .or_else(|| self.0.get(REFERENCE_LANGUAGE))
            .or_else(|| self.0.values().next())
            .map_or("", String::as_str)
    }
}

// ----- office view (public) -----

/// What kiosks and boards show: the office, its services, their queues.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OfficeView {
    pub name: String,
    /// The office day, `YYYY-MM-DD`, in the office's time zone.
    pub office_day: String,
    #[schema(value_type = String, format = DateTime)]
    pub now: Timestamp,
    /// Whether any service takes tickets now.
    pub open: bool,
    pub services: Vec<ServiceView>,
    /// The notices to show now, in the order the back office wrote them.
    pub notices: Vec<Localized>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceView {
    pub id: i64,
    pub code: Code,
    pub prefix: ServicePrefix,
    pub name: Localized,
    /// The information sheet: what the service is for.
    pub info: Localized,
    /// The documents to bring.
    pub documents: Vec<Localized>,
    /// The outcomes a clerk records when a visit for this service ends.
    pub outcomes: Vec<Outcome>,
    /// Forms to download while waiting.
    pub forms: Vec<Form>,
    /// The wait the office aims not to exceed, in minutes.
    pub target_wait_minutes: Option<u32>,
    /// Open now by its hours.
    pub open: bool,
    /// Its daily cap of tickets is reached.
    pub full: bool,
    pub waiting: u32,
    /// For a ticket taken now; absent when no counter serves the service now.
    pub estimated_wait_minutes: Option<u32>,
    /// The range the wait of a ticket taken now falls in for about 80% of tickets; absent with the
    /// estimate.
    #[serde(default)]
    pub estimated_wait_range: Option<WaitRange>,
    pub hours_today: Vec<TimeRange>,
}

// ----- back office: services, counters, users, devices -----

/// An outcome a clerk can record for a service (*esito*).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Outcome {
    pub code: Code,
    pub label: Localized,
}

/// A service as the back office writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub code: Code,
    pub prefix: ServicePrefix,
    /// Italian (`it`) is required.
    #[schema(schema_with = service_name_schema)]
    pub name: Localized,
    #[serde(default)]
    #[schema(schema_with = info_schema)]
    pub info: Localized,
    #[serde(default)]
    #[schema(max_items = 30)]
    pub documents: Vec<Localized>,
    /// At least one; each code at most once (a repeated code is answered 409 `duplicate_outcome`).
    #[schema(min_items = 1)]
    pub outcomes: Vec<Outcome>,
    #[schema(minimum = 1, maximum = 1440)]
    pub target_wait_minutes: Option<u32>,
    #[schema(minimum = 1, maximum = 9999)]
    pub daily_cap: Option<u32>,
    pub hours: WeeklyHours,
    /// Days the service is closed whatever its hours (holidays, a closure announced in advance).
    #[serde(default)]
    #[schema(max_items = 366)]
    pub closed_days: Vec<ClosedDay>,
    #[serde(default = "yes")]
    pub active: bool,
}

/// A day a service is closed, and why (shown to citizens).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosedDay {
    #[schema(value_type = String, format = Date)]
    pub date: jiff::civil::Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 120)]
    pub reason: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: i64,
    #[serde(flatten)]
    pub config: ServiceInput,
}

impl PartialSchema for Service {
    fn schema() -> RefOr<Schema> {
        stored_schema::<ServiceInput>("A service as stored: its settings and its id.")
    }
}

impl ToSchema for Service {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        ServiceInput::schemas(schemas);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterInput {
    /// As shown on the board: "Sportello 1".
    #[schema(
        min_length = 1,
        max_length = 60,
        pattern = r"[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// The services it serves, in order of preference (an unknown one is answered 409 `unknown_reference`).
    #[schema(schema_with = id_set_schema)]
    pub services: Vec<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    pub id: i64,
    #[serde(flatten)]
    pub config: CounterInput,
}

impl PartialSchema for Counter {
    fn schema() -> RefOr<Schema> {
        stored_schema::<CounterInput>("A counter as stored: its settings and its id.")
    }
}

impl ToSchema for Counter {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        CounterInput::schemas(schemas);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub username: Code,
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = r"[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub display_name: String,
    pub role: Role,
    /// Required when creating a user; when updating, absent keeps the current password.
    #[schema(min_length = 8, max_length = 256)]
    pub password: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

/// The body of `POST /admin/users`: a [`UserInput`] whose `password` is required (documentation only:
/// the server reads a `UserInput` and refuses a missing password).
pub struct NewUserInput;

impl PartialSchema for NewUserInput {
    fn schema() -> RefOr<Schema> {
        let RefOr::T(Schema::Object(mut o)) = UserInput::schema() else {
            unreachable!("UserInput is an object")
        };
        o.description = Some("A new user: like `UserInput`, with a password.".to_owned());
        o.properties.insert(
            "password".to_owned(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(8))
                .max_length(Some(256))
                .into(),
        );
        o.required.push("password".to_owned());
        o.into()
    }
}

impl ToSchema for NewUserInput {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        UserInput::schemas(schemas);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: Code,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    #[schema(
        min_length = 1,
        max_length = 60,
        pattern = r"[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    pub kind: DeviceKind,
}

/// One change the back office made: who, when, what, and the record before and after (passwords and
/// tokens never appear).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The back-office user; absent for the server's own command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `create`, `update`, `deactivate`, `revoke`, `delete`, `reset_password`, `end_of_day`, …
    pub action: String,
    /// `service`, `counter`, `user`, `device`, `notice`, `form`, `office`.
    pub entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// A clerk signed in at a counter now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OpenSession {
    pub counter_id: i64,
    pub counter_name: String,
    pub user: User,
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<Pause>,
}

/// A form (PDF) attached to a service, for citizens to download while they wait.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Form {
    pub id: i64,
    pub service_id: i64,
    /// What it is, as citizens read it: "Modulo di cambio di residenza".
    pub title: String,
    /// The file's name when downloaded.
    pub filename: String,
    pub size: u64,
    /// Where to download it, relative to the server's address.
    pub path: String,
    #[schema(value_type = String, format = DateTime)]
    pub uploaded_at: Timestamp,
}

/// A line the waiting-room boards show (and kiosks, and the citizen's ticket page): "Oggi chiusura alle
/// 12:30". Shown while active and, when given, between its start and end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    /// Italian required; each text 1 to 200 characters.
    #[schema(schema_with = notice_text_schema)]
    pub text: Localized,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<Timestamp>,
    #[serde(default = "yes")]
    pub active: bool,
}

/// A notice's text: Italian required, each text 1 to 200 characters and not blank.
fn notice_text_schema() -> Object {
    let mut o = localized_schema(
        ObjectBuilder::new()
            .min_length(Some(1))
            .max_length(Some(200))
            .pattern(Some(NOT_BLANK)),
    );
    o.required.push(REFERENCE_LANGUAGE.to_owned());
    o
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: i64,
    #[serde(flatten)]
    pub config: NoticeInput,
}

impl PartialSchema for Notice {
    fn schema() -> RefOr<Schema> {
        stored_schema::<NoticeInput>("A notice as stored: its settings and its id.")
    }
}

impl ToSchema for Notice {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        NoticeInput::schemas(schemas);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: i64,
    pub name: String,
    pub kind: DeviceKind,
    pub revoked: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A new device and its token, shown this once: the server keeps only a hash.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceCreated {
    pub device: Device,
    pub token: String,
}

// ----- auth -----

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Send it as `Authorization: Bearer <token>`.
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    pub user: User,
}

// ----- tickets -----

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    #[schema(minimum = 1)]
    pub service_id: i64,
    #[serde(default = "normal")]
    pub priority: Priority,
    /// The citizen's language at the kiosk (`it`, `en`, …), for the ticket and the status page.
    #[schema(pattern = "^[A-Za-z-]{2,8}$")]
    pub language: Option<String>,
}

fn normal() -> Priority {
    Priority::Normal
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    pub number: TicketNumber,
    pub service_id: i64,
    pub priority: Priority,
    pub state: TicketState,
    pub office_day: String,
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub called_at: Option<Timestamp>,
    /// When the citizen reached the counter (service started); absent before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    /// The citizen's language at the kiosk (`it`, `en`, …), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Where the ticket was last transferred from; absent when it never was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred_from: Option<TransferredFrom>,
    /// The counter that holds or last held it; absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_id: Option<i64>,
    /// Set when the ticket was transferred to a specific counter and waits for it; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_counter_id: Option<i64>,
    pub outcome: Option<Code>,
}

/// Where a transferred ticket comes from: the service it was of, and the counter that sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransferredFrom {
    pub service_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_id: Option<i64>,
}

/// One step of a ticket's history: what happened, when, from which counter and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketEvent {
    /// `issue`, `call`, `recall`, `start`, `finish`, `no_show`, `return_to_queue`, `transfer`,
    /// `cancel`, `expire`.
    pub action: String,
    pub from_state: Option<TicketState>,
    pub to_state: TicketState,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The service of the ticket after the step.
    pub service_id: i64,
    /// The counter the step was made from (or the ticket's counter); absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_id: Option<i64>,
    /// The clerk or back-office user who made it; absent for the kiosk's and the office's own steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    pub outcome: Option<Code>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedTicket {
    pub ticket: TicketView,
    /// The unguessable key of the public status page; it goes into the ticket's QR code.
    pub token: String,
    /// Path of the public status of this ticket, relative to the server's address.
    pub status_path: String,
    /// What the citizen types or scans at the kiosk to rate the visit: printed, and in the barcode.
    pub rating_code: RatingCode,
    pub people_ahead: u32,
    pub estimated_wait_minutes: Option<u32>,
    /// The range the wait falls in for about 80% of tickets; absent with the estimate.
    #[serde(default)]
    pub estimated_wait_range: Option<WaitRange>,
}

/// An estimated wait shown honestly: the actual wait fell in this range for about 80% of tickets
/// when it was measured (`docs/queue-science.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaitRange {
    pub low_minutes: u32,
    pub high_minutes: u32,
}

/// What anyone holding the ticket sees.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicTicketStatus {
    pub number: TicketNumber,
    /// The service it waits for (it changes when the ticket is transferred).
    pub service_id: i64,
    pub service_name: Localized,
    /// The language chosen at the kiosk, when one was.
    pub language: Option<String>,
    pub state: TicketState,
    pub office_day: String,
    /// While waiting: how many are called before it.
    pub people_ahead: Option<u32>,
    pub estimated_wait_minutes: Option<u32>,
    /// While waiting: the range the wait falls in for about 80% of tickets.
    #[serde(default)]
    pub estimated_wait_range: Option<WaitRange>,
    /// Once called: where to go.
    pub counter_name: Option<String>,
    /// The visit can be rated now.
    pub can_rate: bool,
    pub rated: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallTicketRequest {
    #[schema(minimum = 1)]
    pub ticket_id: i64,
}

/// The ticket called, or none when nothing waits for this counter.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CallResponse {
    pub ticket: Option<TicketView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishRequest {
    /// One of the service's outcome codes (another is answered 409 `unknown_outcome`).
    pub outcome: Code,
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// Further services delivered in the same visit (the ticket's own service is counted once).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub also: Vec<i64>,
}

/// A visit without a ticket (a citizen sent straight to the desk, a phone appointment), recorded when
/// it ends so that the statistics hold every visit.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkInRequest {
    #[schema(minimum = 1)]
    pub service_id: i64,
    /// One of the service's outcome codes (another is answered 409 `unknown_outcome`).
    pub outcome: Code,
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// Further services delivered in the same visit.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub also: Vec<i64>,
    /// How long the visit took, when the console timed it (up to 8 hours); it ends now.
    #[schema(minimum = 1, maximum = 28800)]
    pub duration_secs: Option<u32>,
}

/// A visit without a ticket, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WalkIn {
    pub id: i64,
    pub office_day: String,
    pub service_id: i64,
    pub counter_id: i64,
    pub user_id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: Timestamp,
    pub outcome: Code,
    pub also: Vec<i64>,
}

/// Move a ticket to another service, or to a specific counter, or both; it keeps its arrival time.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 1)]
    pub service_id: Option<i64>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 1)]
    pub counter_id: Option<i64>,
}

/// An optional field that, when present, is not `null` (absent is the only way to leave it out).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    pub reason: PauseReason,
    /// A few words more (for `other`, say what).
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

/// A counter's pause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Pause {
    pub reason: PauseReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
}

/// A counter as its console sees it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CounterStatus {
    pub counter: Counter,
    /// The clerk at the counter, if any.
    pub clerk: Option<User>,
    /// The pause, when paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<Pause>,
    /// The ticket called or being served at this counter.
    pub current: Option<TicketView>,
    /// Tickets this counter may call, in no particular order.
    pub waiting: u32,
}

/// What a counter's console shows beside the current ticket: the queues of its services and the
/// clerk's own day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CounterPanel {
    pub counter_id: i64,
    /// The counter's active services, in its order of preference.
    pub queues: Vec<ServiceQueue>,
    /// Tickets transferred to this counter, waiting.
    pub transferred_here: u32,
    /// The day of the clerk who asks.
    pub day: ClerkDay,
}

/// One service's queue today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceQueue {
    pub service_id: i64,
    pub waiting: u32,
    pub priority_waiting: u32,
    /// When the ticket waiting longest was issued; absent when nobody waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub oldest_since: Option<Timestamp>,
    pub target_wait_minutes: Option<u32>,
    /// The longest wait is past the service's target.
    pub over_target: bool,
    /// For a ticket taken now; absent when no counter serves the service now.
    pub estimated_wait_minutes: Option<u32>,
    /// The range the wait of a ticket taken now falls in for about 80% of tickets.
    #[serde(default)]
    pub estimated_wait_range: Option<WaitRange>,
}

/// A clerk's office day so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClerkDay {
    /// Tickets finished with an outcome.
    pub served: u32,
    pub no_shows: u32,
    /// Visits without a ticket.
    pub walk_ins: u32,
    /// Mean time from call (or start) to finish of the tickets served.
    pub mean_service_secs: Option<u32>,
    /// Time spent paused.
    pub paused_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndOfDayRequest {
    /// Also close tickets still being served (normally left for their clerks to finish).
    #[serde(default)]
    pub include_serving: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EndOfDayReport {
    /// How many tickets were closed as `expired`.
    pub expired: u32,
}

// ----- ratings -----

/// A rating given at the kiosk: `code` is the ticket's rating code (typed, or scanned from its
/// barcode, `A012-7K3MX`) or its token (scanned from its QR code).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// `A012-7K3MX` (the number, a dash, five characters of Crockford's base 32) or a ticket's token.
    #[schema(
        pattern = r"^([A-Z]([1-9][0-9]{2,3}|0[1-9][0-9]{1,2}|00[1-9][0-9]?|000[1-9])-[0-9A-HJKMNP-TV-Z]{5}|[0-9a-f]{32})$"
    )]
    pub code: String,
    pub rating: Rating,
    pub reason: Option<BadReason>,
}

/// A rating given from the ticket's own status page.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicRatingRequest {
    pub rating: Rating,
    pub reason: Option<BadReason>,
}

/// A rating as the office stored it, for the back office: anonymous, with the visit's service and
/// counter (never the clerk: clerks are seen only in aggregate).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StoredRating {
    pub office_day: String,
    pub number: TicketNumber,
    pub service_id: i64,
    /// Absent for a visit that reached no counter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_id: Option<i64>,
    pub rating: Rating,
    pub reason: Option<BadReason>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RatingRecorded {
    pub number: TicketNumber,
    pub rating: Rating,
}

// ----- printers -----

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrinterStatus {
    Ok,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    Offline,
    Error,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterAlertRequest {
    pub status: PrinterStatus,
    #[schema(max_length = 200)]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PrinterAlert {
    pub device_id: i64,
    pub device_name: String,
    pub status: PrinterStatus,
    pub message: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

// ----- live events -----

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A service's longest wait is past its target.
    WaitOverTarget,
    /// More bad ratings than not among at least four in the last 15 minutes.
    BadRatings,
}

/// An alert in force, for the consoles and the back office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    pub kind: AlertKind,
    /// The service it is about; absent for the office as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<i64>,
    /// When it began.
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    /// What it says, in a few words (Italian services' names, English text).
    pub message: String,
}

/// Whether a counter serves now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CounterState {
    /// No clerk is signed in.
    Closed,
    /// A clerk is signed in and calls.
    Open,
    /// A clerk is signed in and paused.
    Paused,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceCount {
    pub service_id: i64,
    pub waiting: u32,
}

/// What a waiting-room board shows when it opens, and after a reconnection.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BoardView {
    /// Follow the live events after this id (`Last-Event-ID`): nothing between is missed.
    pub last_event_id: i64,
    pub office: OfficeView,
    /// The office's time zone (IANA name), for the board's clock.
    pub timezone: String,
    /// Tickets at a counter now (called, or being served), latest call first, at most 8.
    pub calls: Vec<BoardCall>,
    /// Active counters, by id.
    pub counters: Vec<BoardCounter>,
    /// The languages announcements can be spoken in.
    pub speech_languages: Vec<String>,
}

/// A ticket at a counter, as the board lists it: no names, ever.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BoardCall {
    pub ticket_id: i64,
    pub number: TicketNumber,
    pub service_id: i64,
    pub counter_id: i64,
    pub counter_name: String,
    pub priority: Priority,
    pub state: TicketState,
    #[schema(value_type = String, format = DateTime)]
    pub called_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BoardCounter {
    pub id: i64,
    pub name: String,
    pub state: CounterState,
}

/// What the server tells its clients as it happens. The SSE event name is `type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    TicketIssued {
        ticket_id: i64,
        number: TicketNumber,
        service_id: i64,
    },
    TicketCalled {
        ticket_id: i64,
        number: TicketNumber,
        service_id: i64,
        /// Boards mark a priority call (the star).
        priority: Priority,
        counter_id: i64,
        counter_name: String,
    },
    TicketRecalled {
        ticket_id: i64,
        number: TicketNumber,
        service_id: i64,
        /// Boards mark a priority call (the star).
        priority: Priority,
        counter_id: i64,
        counter_name: String,
    },
    /// A ticket left the day's work: done, no-show, cancelled or expired.
    TicketFinished {
        ticket_id: i64,
        number: TicketNumber,
        state: TicketState,
        counter_id: Option<i64>,
    },
    QueueChanged {
        waiting: Vec<ServiceCount>,
    },
    PrinterAlert(PrinterAlert),
    /// A counter opened (a clerk signed in), paused, resumed or closed.
    CounterChanged {
        counter_id: i64,
        counter_name: String,
        state: CounterState,
    },
    /// An alert began.
    AlertRaised(Alert),
    /// An alert's condition ended.
    AlertCleared {
        kind: AlertKind,
        service_id: Option<i64>,
    },
    /// Services, counters, users or devices changed: reload what you show.
    ConfigChanged,
    /// Sent first on a stream resumed after events that are no longer kept (the client was away
    /// longer than the server keeps its feed, or the server's data was restored from a backup): what
    /// the client shows may be stale, reload it all. Events after this one follow as usual.
    Resync,
}

impl LiveEvent {
    /// Every SSE event name, as [`LiveEvent::name`] gives them.
    pub const NAMES: &[&str] = &[
        "ticket_issued",
        "ticket_called",
        "ticket_recalled",
        "ticket_finished",
        "queue_changed",
        "printer_alert",
        "counter_changed",
        "alert_raised",
        "alert_cleared",
        "config_changed",
        "resync",
    ];

    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::TicketIssued { .. } => "ticket_issued",
            LiveEvent::TicketCalled { .. } => "ticket_called",
            LiveEvent::TicketRecalled { .. } => "ticket_recalled",
            LiveEvent::TicketFinished { .. } => "ticket_finished",
            LiveEvent::QueueChanged { .. } => "queue_changed",
            LiveEvent::PrinterAlert(_) => "printer_alert",
            LiveEvent::CounterChanged { .. } => "counter_changed",
            LiveEvent::AlertRaised(_) => "alert_raised",
            LiveEvent::AlertCleared { .. } => "alert_cleared",
            LiveEvent::ConfigChanged => "config_changed",
            LiveEvent::Resync => "resync",
        }
    }
}

/// One event of the `/events` stream as `text/event-stream` carries it (OpenAPI 3.2's reading, which
/// Schemathesis applies to 3.1 too): `id` and `event` are strings, `data` is a JSON [`LiveEvent`].
pub struct LiveEventSse;

impl PartialSchema for LiveEventSse {
    fn schema() -> RefOr<Schema> {
        sse_schema(LiveEvent::NAMES.iter().copied(), "LiveEvent", true)
    }
}

/// The schema of one `text/event-stream` event: `event` one of `names`, `data` a JSON string of the
/// component schema `data`, and an `id` (a number, as a string) when `with_id`.
pub fn sse_schema<'a>(names: impl IntoIterator<Item = &'a str>, data: &str, with_id: bool) -> RefOr<Schema> {
    let data = ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/json")
        .extensions(Some(Extensions::from_iter([(
            "contentSchema",
            serde_json::json!({ "$ref": format!("#/components/schemas/{data}") }),
        )])));
    let mut event = ObjectBuilder::new();
    if with_id {
        event = event
            .property(
                "id",
                ObjectBuilder::new().schema_type(Type::String).pattern(Some("^[0-9]+$")),
            )
            .required("id");
    }
    event
        .property(
            "event",
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)),
        )
        .property("data", data)
        .required("event")
        .required("data")
        .into()
}

impl ToSchema for LiveEventSse {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("LiveEvent".to_owned(), LiveEvent::schema()));
        LiveEvent::schemas(schemas);
    }
}

/// A live event with its id: resume a stream after it with `Last-Event-ID`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LiveMessage {
    pub id: i64,
    pub event: LiveEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_sent_as_their_names_and_unknown_ones_are_read_as_unknown() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        }
        let newer: ErrorBody = serde_json::from_str(r#"{"code": "a_newer_code", "message": "m"}"#).unwrap();
        assert_eq!(newer.code, ErrorCode::Unknown);
    }

    #[test]
    fn localized_text_falls_back_to_italian() {
        let t = Localized::it("Anagrafe").with("en", "Registry office");
        assert_eq!(t.get("en"), "Registry office");
        assert_eq!(t.get("de"), "Anagrafe");
        assert_eq!(Localized::default().get("it"), "");
    }

    #[test]
    fn live_events_carry_their_type() {
        let e = LiveEvent::TicketCalled {
            ticket_id: 7,
            number: "A007".parse().unwrap(),
            service_id: 1,
            priority: Priority::Normal,
            counter_id: 2,
            counter_name: "Sportello 2".into(),
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "ticket_called");
        assert_eq!(json["number"], "A007");
        assert_eq!(e.name(), "ticket_called");
        for event in [LiveEvent::ConfigChanged, LiveEvent::Resync, e.clone()] {
            assert!(LiveEvent::NAMES.contains(&event.name()), "{}", event.name());
        }
        assert_eq!(serde_json::from_value::<LiveEvent>(json).unwrap(), e);
    }
}
