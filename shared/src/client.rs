//! The typed HTTP client of the office server, used by kiosk, console and tests, with the live-event
//! subscription that reconnects by itself and resumes after the last event it saw.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, watch};

use crate::api::*;
use crate::domain::PauseReason;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error body.
    #[error("{status}: {} ({})", body.message, body.code)]
    Api { status: StatusCode, body: ErrorBody },
    /// The server could not be reached or the connection broke.
    #[error("server unreachable: {0}")]
    Unreachable(#[source] reqwest::Error),
    /// The server answered something this client does not understand.
    #[error("unexpected answer: {0}")]
    Decode(String),
    /// The client's own settings are wrong (an unreadable certificate file, …).
    #[error("{0}")]
    Settings(String),
}

impl ClientError {
    /// The stable error code of an API error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api { body, .. } => Some(body.code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// A client of one office server, optionally holding a bearer token (user or device).
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    /// For live-event streams: no overall timeout on a request that lives as long as the connection.
    stream_http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// `base_url` is the server's address, such as `http://127.0.0.1:8080` or `https://…`.
    pub fn new(base_url: &str) -> Self {
        Self::build(base_url, None).expect("the TLS backend initialises")
    }

    /// Like [`Client::new`], also trusting the certificate authority in `ca_pem` (PEM): for an office
    /// server whose HTTPS certificate comes from the office's own authority.
    pub fn with_ca(base_url: &str, ca_pem: &[u8]) -> Result<Self> {
        let ca = reqwest::Certificate::from_pem(ca_pem)
            .map_err(|e| ClientError::Settings(format!("not a PEM certificate: {e}")))?;
        Self::build(base_url, Some(ca))
    }

    /// Like [`Client::with_ca`], reading the authority from a file.
    pub fn with_ca_file(base_url: &str, ca_file: &std::path::Path) -> Result<Self> {
        let pem = std::fs::read(ca_file)
            .map_err(|e| ClientError::Settings(format!("cannot read {}: {e}", ca_file.display())))?;
        Self::with_ca(base_url, &pem).map_err(|e| ClientError::Settings(format!("{}: {e}", ca_file.display())))
    }

    fn build(base_url: &str, ca: Option<reqwest::Certificate>) -> Result<Self> {
        let builder = || {
            let b = reqwest::Client::builder().connect_timeout(Duration::from_secs(3));
            match &ca {
                Some(ca) => b.add_root_certificate(ca.clone()),
                None => b,
            }
        };
        let settings = |e: reqwest::Error| ClientError::Settings(format!("cannot set up HTTP: {e}"));
        let http = builder().timeout(Duration::from_secs(15)).build().map_err(settings)?;
        let stream_http = builder().build().map_err(settings)?;
        Ok(Self {
            http,
            stream_http,
            base: base_url.trim_end_matches('/').to_owned(),
            token: None,
        })
    }

    /// The same client, sending `token` as its bearer credential.
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    async fn send<T: DeserializeOwned>(req: RequestBuilder) -> Result<T> {
        let resp = req.send().await.map_err(ClientError::Unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(ClientError::Unreachable)?;
        if status.is_success() {
            let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            serde_json::from_slice(body).map_err(|e| ClientError::Decode(e.to_string()))
        } else {
            let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
                code: ErrorCode::Unknown,
                message: String::from_utf8_lossy(&bytes).into_owned(),
            });
            Err(ClientError::Api { status, body })
        }
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        Self::send(self.request(Method::GET, &api(path))).await
    }

    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        Self::send(self.request(Method::POST, &api(path)).json(body)).await
    }

    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        Self::send(self.request(Method::PUT, &api(path)).json(body)).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        Self::send(self.request(Method::DELETE, &api(path))).await
    }

    // ----- auth and public -----

    pub async fn login(&self, username: &str, password: &str) -> Result<LoginResponse> {
        let body = LoginRequest {
            username: username.into(),
            password: password.into(),
        };
        self.post("/auth/login", &body).await
    }

    pub async fn logout(&self) -> Result<()> {
        self.post("/auth/logout", &()).await
    }

    pub async fn office(&self) -> Result<OfficeView> {
        self.get("/office").await
    }

    pub async fn ticket_status(&self, token: &str) -> Result<PublicTicketStatus> {
        self.get(&format!("/public/tickets/{token}")).await
    }

    pub async fn rate_public(&self, token: &str, rating: &PublicRatingRequest) -> Result<RatingRecorded> {
        self.post(&format!("/public/tickets/{token}/rating"), rating).await
    }

    // ----- kiosk -----

    pub async fn issue_ticket(&self, req: &IssueRequest) -> Result<IssuedTicket> {
        self.post("/tickets", req).await
    }

    pub async fn rate(&self, req: &RatingRequest) -> Result<RatingRecorded> {
        self.post("/ratings", req).await
    }

    pub async fn printer_alert(&self, req: &PrinterAlertRequest) -> Result<PrinterAlert> {
        self.post("/printer-alerts", req).await
    }

    pub async fn printer_alerts(&self) -> Result<Vec<PrinterAlert>> {
        self.get("/printer-alerts").await
    }

    // ----- clerk -----

    pub async fn open_counter(&self, counter_id: i64) -> Result<CounterStatus> {
        self.post(&format!("/counters/{counter_id}/session"), &()).await
    }

    pub async fn close_counter(&self, counter_id: i64) -> Result<CounterStatus> {
        self.delete(&format!("/counters/{counter_id}/session")).await
    }

    pub async fn counter_status(&self, counter_id: i64) -> Result<CounterStatus> {
        self.get(&format!("/counters/{counter_id}")).await
    }

    /// What the counter's console shows beside the current ticket.
    pub async fn counter_panel(&self, counter_id: i64) -> Result<CounterPanel> {
        self.get(&format!("/counters/{counter_id}/panel")).await
    }

    /// The tickets the counter may call now, oldest first.
    pub async fn counter_queue(&self, counter_id: i64) -> Result<Vec<TicketView>> {
        self.get(&format!("/counters/{counter_id}/queue")).await
    }

    /// Records a visit without a ticket at the counter.
    pub async fn walk_in(&self, counter_id: i64, req: &WalkInRequest) -> Result<WalkIn> {
        self.post(&format!("/counters/{counter_id}/walk-ins"), req).await
    }

    pub async fn pause(&self, counter_id: i64, reason: PauseReason, note: Option<&str>) -> Result<CounterStatus> {
        self.post(
            &format!("/counters/{counter_id}/pause"),
            &PauseRequest {
                reason,
                note: note.map(str::to_owned),
            },
        )
        .await
    }

    pub async fn resume(&self, counter_id: i64) -> Result<CounterStatus> {
        self.post(&format!("/counters/{counter_id}/resume"), &()).await
    }

    pub async fn call_next(&self, counter_id: i64) -> Result<Option<TicketView>> {
        let r: CallResponse = self.post(&format!("/counters/{counter_id}/call-next"), &()).await?;
        Ok(r.ticket)
    }

    pub async fn call_ticket(&self, counter_id: i64, ticket_id: i64) -> Result<TicketView> {
        self.post(
            &format!("/counters/{counter_id}/call"),
            &CallTicketRequest { ticket_id },
        )
        .await
    }

    pub async fn waiting_tickets(&self) -> Result<Vec<TicketView>> {
        self.get("/tickets?state=waiting").await
    }

    /// A ticket's history, oldest step first.
    pub async fn ticket_events(&self, ticket_id: i64) -> Result<Vec<TicketEvent>> {
        self.get(&format!("/tickets/{ticket_id}/events")).await
    }

    pub async fn ticket(&self, ticket_id: i64) -> Result<TicketView> {
        self.get(&format!("/tickets/{ticket_id}")).await
    }

    async fn ticket_action<B: Serialize + ?Sized>(&self, id: i64, action: &str, body: &B) -> Result<TicketView> {
        self.post(&format!("/tickets/{id}/{action}"), body).await
    }

    pub async fn recall(&self, ticket_id: i64) -> Result<TicketView> {
        self.ticket_action(ticket_id, "recall", &()).await
    }

    pub async fn start(&self, ticket_id: i64) -> Result<TicketView> {
        self.ticket_action(ticket_id, "start", &()).await
    }

    pub async fn finish(&self, ticket_id: i64, outcome: &str, note: Option<&str>) -> Result<TicketView> {
        let outcome = outcome
            .parse()
            .map_err(|e: crate::domain::InvalidValue| ClientError::Decode(e.0))?;
        let body = FinishRequest {
            outcome,
            note: note.map(str::to_owned),
            also: Vec::new(),
        };
        self.finish_with(ticket_id, &body).await
    }

    /// Finishes a visit with everything the console asks: outcome, note, further services.
    pub async fn finish_with(&self, ticket_id: i64, req: &FinishRequest) -> Result<TicketView> {
        self.ticket_action(ticket_id, "finish", req).await
    }

    pub async fn no_show(&self, ticket_id: i64) -> Result<TicketView> {
        self.ticket_action(ticket_id, "no-show", &()).await
    }

    pub async fn return_to_queue(&self, ticket_id: i64) -> Result<TicketView> {
        self.ticket_action(ticket_id, "return", &()).await
    }

    pub async fn transfer(&self, ticket_id: i64, req: &TransferRequest) -> Result<TicketView> {
        self.ticket_action(ticket_id, "transfer", req).await
    }

    pub async fn cancel(&self, ticket_id: i64) -> Result<TicketView> {
        self.ticket_action(ticket_id, "cancel", &()).await
    }

    // ----- back office -----

    pub async fn end_of_day(&self, include_serving: bool) -> Result<EndOfDayReport> {
        self.post("/admin/end-of-day", &EndOfDayRequest { include_serving })
            .await
    }

    pub async fn services(&self) -> Result<Vec<Service>> {
        self.get("/admin/services").await
    }

    pub async fn create_service(&self, s: &ServiceInput) -> Result<Service> {
        self.post("/admin/services", s).await
    }

    pub async fn update_service(&self, id: i64, s: &ServiceInput) -> Result<Service> {
        self.put(&format!("/admin/services/{id}"), s).await
    }

    /// The office's counters (any signed-in user).
    pub async fn counters(&self) -> Result<Vec<Counter>> {
        self.get("/counters").await
    }

    pub async fn update_counter(&self, id: i64, c: &CounterInput) -> Result<Counter> {
        self.put(&format!("/admin/counters/{id}"), c).await
    }

    pub async fn create_counter(&self, c: &CounterInput) -> Result<Counter> {
        self.post("/admin/counters", c).await
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        self.get("/admin/users").await
    }

    pub async fn create_user(&self, u: &UserInput) -> Result<User> {
        self.post("/admin/users", u).await
    }

    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.get("/admin/devices").await
    }

    pub async fn create_device(&self, d: &DeviceInput) -> Result<DeviceCreated> {
        self.post("/admin/devices", d).await
    }

    /// The alerts in force.
    pub async fn alerts(&self) -> Result<Vec<Alert>> {
        self.get("/alerts").await
    }

    /// The waiting-room board at a glance (a display's credential).
    pub async fn board(&self) -> Result<BoardView> {
        self.get("/board").await
    }

    /// The ratings of the office days `from` to `to` (`YYYY-MM-DD`; today when absent).
    pub async fn ratings(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<StoredRating>> {
        let mut query = Vec::new();
        if let Some(from) = from {
            query.push(format!("from={from}"));
        }
        if let Some(to) = to {
            query.push(format!("to={to}"));
        }
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        self.get(&format!("/admin/ratings{query}")).await
    }

    pub async fn notices(&self) -> Result<Vec<Notice>> {
        self.get("/admin/notices").await
    }

    pub async fn create_notice(&self, n: &NoticeInput) -> Result<Notice> {
        self.post("/admin/notices", n).await
    }

    pub async fn update_notice(&self, id: i64, n: &NoticeInput) -> Result<Notice> {
        self.put(&format!("/admin/notices/{id}"), n).await
    }

    pub async fn delete_notice(&self, id: i64) -> Result<()> {
        self.delete(&format!("/admin/notices/{id}")).await
    }

    pub async fn revoke_device(&self, id: i64) -> Result<Device> {
        self.delete(&format!("/admin/devices/{id}")).await
    }

    // ----- live events -----

    /// Subscribes to the live events after `last_event_id`, or to new events only when `None`.
    /// The subscription reconnects by itself and resumes after the last event it delivered.
    pub fn subscribe(&self, last_event_id: Option<i64>) -> Subscription {
        let (tx, rx) = mpsc::channel(1024);
        let (connected_tx, connected) = watch::channel(false);
        let client = self.clone();
        let task = tokio::spawn(async move {
            let mut last = last_event_id;
            let mut backoff = Duration::from_millis(100);
            loop {
                match client.stream_once(&mut last, &tx, &connected_tx).await {
                    StreamEnd::ReceiverGone => return,
                    StreamEnd::Refused => {
                        let _ = connected_tx.send(false);
                        backoff = Duration::from_secs(5);
                    }
                    StreamEnd::Broken => {
                        let _ = connected_tx.send(false);
                    }
                }
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        });
        Subscription { rx, connected, task }
    }

    async fn stream_once(
        &self,
        last: &mut Option<i64>,
        tx: &mpsc::Sender<LiveMessage>,
        connected: &watch::Sender<bool>,
    ) -> StreamEnd {
        let mut req = self.stream_http.get(format!("{}{}", self.base, api("/events")));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(id) = last {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = match req.send().await {
            Ok(r) if r.status().is_success() => r,
            Ok(_) => return StreamEnd::Refused,
            Err(_) => return StreamEnd::Broken,
        };
        let _ = connected.send(true);
        let mut events = resp.bytes_stream().eventsource();
        while let Some(item) = events.next().await {
            let Ok(ev) = item else { return StreamEnd::Broken };
            let Ok(event) = serde_json::from_str::<LiveEvent>(&ev.data) else {
                continue;
            };
            let Ok(id) = ev.id.parse::<i64>() else { continue };
            *last = Some(id);
            if tx.send(LiveMessage { id, event }).await.is_err() {
                return StreamEnd::ReceiverGone;
            }
        }
        StreamEnd::Broken
    }
}

enum StreamEnd {
    ReceiverGone,
    Refused,
    Broken,
}

fn api(path: &str) -> String {
    format!("{API_PREFIX}{path}")
}

/// Live events as they come; dropping it ends the stream.
pub struct Subscription {
    rx: mpsc::Receiver<LiveMessage>,
    connected: watch::Receiver<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscription {
    /// The next event; `None` only once the subscription has ended.
    pub async fn next(&mut self) -> Option<LiveMessage> {
        self.rx.recv().await
    }

    /// Whether the stream is connected now; changes as the server goes and comes back.
    pub fn connected(&self) -> watch::Receiver<bool> {
        self.connected.clone()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}
