//! The console's link to the office server: every call through the shared client on a tokio runtime,
//! and the live-event subscription (with its connected/disconnected signal) while a clerk is signed in.
//! Every answer goes back to the UI thread through an [`Outbox`] as an [`Input`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::runtime::Handle;
use turno_shared::client::{Client, ClientError};

use crate::console::{Backend, Outbox};
use crate::controller::{Act, Acted, Failure, Input};

/// How a client error reaches the controller.
pub fn failure(e: ClientError) -> Failure {
    match e {
        ClientError::Api { body, .. } => Failure::Refused(body.code),
        ClientError::Unreachable(_) | ClientError::Decode(_) | ClientError::Settings(_) => Failure::Unreachable,
    }
}

/// The signed-in clerk's client and live stream.
struct Session {
    client: Client,
    listener: tokio::task::JoinHandle<()>,
}

/// The real backend: the office server.
pub struct NetBackend {
    rt: Handle,
    ca_file: Option<PathBuf>,
    outbox: Outbox,
    session: Arc<Mutex<Option<Session>>>,
}

impl NetBackend {
    /// `ca_file`: a certificate authority to trust for an `https://` server.
    pub fn new(rt: Handle, ca_file: Option<PathBuf>, outbox: Outbox) -> Self {
        Self {
            rt,
            ca_file,
            outbox,
            session: Arc::default(),
        }
    }

    fn client(&self) -> Option<Client> {
        self.session
            .lock()
            .expect("session lock")
            .as_ref()
            .map(|s| s.client.clone())
    }

    /// Runs `call` with the clerk's client and sends what it answers.
    fn spawn<F, Fut>(&self, call: F)
    where
        F: FnOnce(Client) -> Fut + Send + 'static,
        Fut: Future<Output = Input> + Send + 'static,
    {
        let Some(client) = self.client() else { return };
        let outbox = self.outbox.clone();
        self.rt.spawn(async move { outbox.send(call(client).await) });
    }
}

/// Forwards the live events and the stream's state until the session ends.
async fn listen(client: Client, outbox: Outbox) {
    let mut events = client.subscribe(None);
    let mut connected = events.connected();
    loop {
        tokio::select! {
            message = events.next() => match message {
                Some(m) => outbox.send(Input::Live(Box::new(m.event))),
                None => return,
            },
            changed = connected.changed() => {
                if changed.is_err() {
                    return;
                }
                let up = *connected.borrow_and_update();
                outbox.send(Input::Connected(up));
            }
        }
    }
}

impl Backend for NetBackend {
    fn sign_in(&self, server: String, username: String, password: String) {
        let (outbox, ca_file, session, rt) = (
            self.outbox.clone(),
            self.ca_file.clone(),
            self.session.clone(),
            self.rt.clone(),
        );
        self.rt.spawn(async move {
            let client = match &ca_file {
                Some(ca) => Client::with_ca_file(&server, ca),
                None => Ok(Client::new(&server)),
            };
            let client = match client {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot set up the client");
                    outbox.send(Input::SignedIn(Err(Failure::Unreachable)));
                    return;
                }
            };
            match client.login(&username, &password).await {
                Ok(login) => {
                    let client = client.with_token(login.token.clone());
                    let listener = rt.spawn(listen(client.clone(), outbox.clone()));
                    if let Some(old) = session
                        .lock()
                        .expect("session lock")
                        .replace(Session { client, listener })
                    {
                        old.listener.abort();
                    }
                    outbox.send(Input::SignedIn(Ok(Box::new(login))));
                }
                Err(e) => outbox.send(Input::SignedIn(Err(failure(e)))),
            }
        });
    }

    fn load_counters(&self) {
        self.spawn(|c| async move { Input::CountersLoaded(c.counters().await.map_err(failure)) });
    }

    fn load_office(&self) {
        self.spawn(|c| async move { Input::OfficeLoaded(c.office().await.map(Box::new).map_err(failure)) });
    }

    fn load_alerts(&self) {
        self.spawn(|c| async move { Input::AlertsLoaded(c.printer_alerts().await.map_err(failure)) });
    }

    fn open_counter(&self, counter: i64) {
        self.spawn(move |c| async move {
            Input::CounterOpened(c.open_counter(counter).await.map(Box::new).map_err(failure))
        });
    }

    fn load_status(&self, counter: i64) {
        self.spawn(move |c| async move {
            Input::StatusLoaded(c.counter_status(counter).await.map(Box::new).map_err(failure))
        });
    }

    fn load_panel(&self, counter: i64) {
        self.spawn(move |c| async move {
            Input::PanelLoaded(c.counter_panel(counter).await.map(Box::new).map_err(failure))
        });
    }

    fn load_queue(&self, counter: i64) {
        self.spawn(move |c| async move { Input::QueueLoaded(c.counter_queue(counter).await.map_err(failure)) });
    }

    fn act(&self, counter: i64, act: Act) {
        self.spawn(move |c| async move {
            let ticket = |r: Result<_, ClientError>| r.map(|t| Acted::Ticket(Some(Box::new(t))));
            let result = match &act {
                Act::CallNext => c.call_next(counter).await.map(|t| Acted::Ticket(t.map(Box::new))),
                Act::CallTicket(id) => ticket(c.call_ticket(counter, *id).await),
                Act::Recall(id) => ticket(c.recall(*id).await),
                Act::Start(id) => ticket(c.start(*id).await),
                Act::Finish(id, req) => ticket(c.finish_with(*id, req).await),
                Act::NoShow(id) => ticket(c.no_show(*id).await),
                Act::ReturnToQueue(id) => ticket(c.return_to_queue(*id).await),
                Act::Transfer(id, req) => ticket(c.transfer(*id, req).await),
                Act::Pause(reason, note) => c
                    .pause(counter, *reason, note.as_deref())
                    .await
                    .map(|s| Acted::Status(Box::new(s))),
                Act::Resume => c.resume(counter).await.map(|s| Acted::Status(Box::new(s))),
                Act::WalkIn(req) => c.walk_in(counter, req).await.map(|_| Acted::WalkIn),
            };
            Input::Acted(Box::new(act), result.map_err(failure))
        });
    }

    fn sign_out(&self, counter: Option<i64>) {
        let (outbox, session) = (self.outbox.clone(), self.session.clone());
        let Some(client) = self.client() else {
            outbox.send(Input::SignedOut(Ok(())));
            return;
        };
        self.rt.spawn(async move {
            if let Some(counter) = counter
                && let Err(e) = client.close_counter(counter).await
            {
                outbox.send(Input::SignedOut(Err(failure(e))));
                return;
            }
            // The login ends too; a failure here leaves only a token that expires by itself.
            if let Err(e) = client.logout().await {
                tracing::warn!(error = %e, "sign out");
            }
            if let Some(old) = session.lock().expect("session lock").take() {
                old.listener.abort();
            }
            outbox.send(Input::SignedOut(Ok(())));
        });
    }
}
