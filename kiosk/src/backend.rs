//! The kiosk's link to the world: server calls on a tokio runtime through the shared client, the
//! live events that refresh the office, and the printer on a thread of its own that prints, watches
//! the printer's health while it is in trouble, and tells the server (printer alerts). Every result
//! goes back to the UI thread through an [`Outbox`].

use std::sync::mpsc;
use std::time::Duration;

use tokio::runtime::Handle;
use turno_shared::api::{IssueRequest, LiveEvent, PrinterAlertRequest, PrinterStatus, RatingRequest};
use turno_shared::client::{Client, ClientError};

use crate::controller::{Failure, Input};
use crate::kiosk::{Backend, Outbox};
use crate::printer::{
    PrintFailureKind, PrintWarning, PrinterConfig, PrinterHealth, TicketPrint, Transport, open_transport, print_ticket,
};

fn failure(e: ClientError) -> Failure {
    match e {
        ClientError::Api { body, .. } => Failure::Refused(body.code),
        ClientError::Unreachable(_) | ClientError::Decode(_) | ClientError::Settings(_) => Failure::Unreachable,
    }
}

/// The real backend: the office server and the printer.
pub struct NetBackend {
    rt: Handle,
    client: Client,
    outbox: Outbox,
    printer: mpsc::Sender<PrintJob>,
}

struct PrintJob {
    ticket_id: i64,
    ticket: TicketPrint,
}

impl NetBackend {
    /// Starts the printer thread and the live-event listener. `client` carries the kiosk's token;
    /// `health_poll` is how often a printer in trouble is asked whether it has recovered.
    pub fn start(rt: Handle, client: Client, printer: PrinterConfig, outbox: Outbox, health_poll: Duration) -> Self {
        let (tx, rx) = mpsc::channel();
        let worker = PrinterWorker {
            config: printer,
            transport: None,
            rt: rt.clone(),
            client: client.clone(),
            outbox: outbox.clone(),
            health: PrinterStatus::Ok,
            reported: PrinterStatus::Ok,
            message: None,
        };
        std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || worker.run(rx, health_poll))
            .expect("the printer thread starts");
        let backend = Self {
            rt,
            client,
            outbox,
            printer: tx,
        };
        backend.listen();
        backend
    }

    /// Reloads the office when the server says something changed (queues, services, hours).
    fn listen(&self) {
        let client = self.client.clone();
        let outbox = self.outbox.clone();
        self.rt.spawn(async move {
            let mut events = client.subscribe(None);
            while let Some(message) = events.next().await {
                if matches!(message.event, LiveEvent::PrinterAlert(_)) {
                    continue;
                }
                // A burst of events (a ticket issued changes the queue too) makes one reload.
                while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(100), events.next()).await {}
                outbox.send(Input::OfficeLoaded(client.office().await.map_err(failure)));
            }
        });
    }
}

impl Backend for NetBackend {
    fn load_office(&self) {
        let (client, outbox) = (self.client.clone(), self.outbox.clone());
        self.rt.spawn(async move {
            outbox.send(Input::OfficeLoaded(client.office().await.map_err(failure)));
        });
    }

    fn issue(&self, request: IssueRequest) {
        let (client, outbox) = (self.client.clone(), self.outbox.clone());
        self.rt.spawn(async move {
            outbox.send(Input::Issued(
                client.issue_ticket(&request).await.map(Box::new).map_err(failure),
            ));
        });
    }

    fn rate(&self, request: RatingRequest) {
        let (client, outbox) = (self.client.clone(), self.outbox.clone());
        self.rt.spawn(async move {
            outbox.send(Input::Rated(client.rate(&request).await.map(|_| ()).map_err(failure)));
        });
    }

    fn print(&self, ticket_id: i64, ticket: TicketPrint) {
        if self.printer.send(PrintJob { ticket_id, ticket }).is_err() {
            self.outbox.send(Input::Printed { ticket_id, ok: false });
        }
    }
}

/// Owns the connection to the printer.
struct PrinterWorker {
    config: PrinterConfig,
    transport: Option<Box<dyn Transport>>,
    rt: Handle,
    client: Client,
    outbox: Outbox,
    /// What the printer last said.
    health: PrinterStatus,
    /// What the server last heard.
    reported: PrinterStatus,
    message: Option<String>,
}

impl PrinterWorker {
    fn run(mut self, jobs: mpsc::Receiver<PrintJob>, poll: Duration) {
        // Ask once at start, so a printer out of paper is reported before the first citizen comes.
        self.check_health();
        loop {
            let wait = if self.health == PrinterStatus::Ok && self.reported == PrinterStatus::Ok {
                Duration::from_secs(30)
            } else {
                poll
            };
            match jobs.recv_timeout(wait) {
                Ok(job) => self.print(job),
                Err(mpsc::RecvTimeoutError::Timeout) => self.check_health(),
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn transport(&mut self) -> Option<&mut Box<dyn Transport>> {
        if self.transport.is_none() {
            match open_transport(&self.config) {
                Ok(t) => self.transport = Some(t),
                Err(e) => {
                    self.set(PrinterStatus::Offline, Some(format!("cannot open the printer: {e}")));
                    return None;
                }
            }
        }
        self.transport.as_mut()
    }

    fn print(&mut self, job: PrintJob) {
        let text = self.config.text_encoding();
        let result = match self.transport() {
            Some(t) => print_ticket(t.as_mut(), &job.ticket, text),
            None => {
                self.outbox.send(Input::Printed {
                    ticket_id: job.ticket_id,
                    ok: false,
                });
                self.report();
                return;
            }
        };
        let ok = result.is_ok();
        match result {
            Ok(report) => {
                let status = match report.warning {
                    Some(PrintWarning::PaperNearEnd) => PrinterStatus::PaperNearEnd,
                    None => PrinterStatus::Ok,
                };
                self.set(status, None);
            }
            Err(failure) => {
                tracing::warn!(number = %job.ticket.number, error = %failure, "ticket not printed");
                let status = match failure.kind {
                    PrintFailureKind::PaperOut => PrinterStatus::PaperOut,
                    PrintFailureKind::CoverOpen => PrinterStatus::CoverOpen,
                    PrintFailureKind::Offline => PrinterStatus::Offline,
                    PrintFailureKind::WriteError => PrinterStatus::Error,
                };
                if matches!(failure.kind, PrintFailureKind::Offline | PrintFailureKind::WriteError) {
                    // Reconnect next time.
                    self.transport = None;
                }
                self.set(
                    status,
                    Some(format!("ticket {} not printed: {}", job.ticket.number, failure.message)),
                );
            }
        }
        self.outbox.send(Input::Printed {
            ticket_id: job.ticket_id,
            ok,
        });
        self.report();
    }

    fn check_health(&mut self) {
        let health = match self.transport() {
            Some(t) => t.health(),
            None => {
                self.report();
                return;
            }
        };
        match health {
            Ok(h) => {
                let status = match h {
                    PrinterHealth::Ready => PrinterStatus::Ok,
                    PrinterHealth::PaperNearEnd => PrinterStatus::PaperNearEnd,
                    PrinterHealth::PaperOut => PrinterStatus::PaperOut,
                    PrinterHealth::CoverOpen => PrinterStatus::CoverOpen,
                    PrinterHealth::Offline => PrinterStatus::Offline,
                };
                self.set(status, None);
            }
            Err(e) => {
                self.transport = None;
                self.set(
                    PrinterStatus::Offline,
                    Some(format!("the printer does not answer: {e}")),
                );
            }
        }
        self.report();
    }

    fn set(&mut self, status: PrinterStatus, message: Option<String>) {
        if status != self.health || message.is_some() {
            self.message = message;
        }
        self.health = status;
    }

    /// Tells the server when the printer's state changed since it last heard; tries again at the
    /// next poll if the server cannot be reached.
    fn report(&mut self) {
        if self.health == self.reported {
            return;
        }
        let request = PrinterAlertRequest {
            status: self.health,
            message: self.message.clone().or_else(|| Some(describe(self.health).to_owned())),
        };
        let client = self.client.clone();
        // The server answers the alert it recorded.
        let sent = self.rt.block_on(async move { client.printer_alert(&request).await });
        match sent {
            Ok(_) => {
                tracing::info!(status = ?self.health, "printer alert sent");
                self.reported = self.health;
            }
            Err(e) => tracing::warn!(error = %e, "cannot send the printer alert; will retry"),
        }
    }
}

fn describe(status: PrinterStatus) -> &'static str {
    match status {
        PrinterStatus::Ok => "the printer works again",
        PrinterStatus::PaperNearEnd => "the paper roll is near its end",
        PrinterStatus::PaperOut => "the printer has no paper",
        PrinterStatus::CoverOpen => "the printer's cover is open",
        PrinterStatus::Offline => "the printer is offline",
        PrinterStatus::Error => "the printer reports an error",
    }
}
