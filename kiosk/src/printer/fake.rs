//! A fake network printer for tests (feature `test-support`): a TCP listener on 127.0.0.1:0 that
//! records every byte it receives and answers `DLE EOT n` according to a state the test sets, the
//! way an Epson printer does (it answers such a sequence wherever it appears in the stream).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::config::{PaperWidth, PrinterConfig, PrinterDriver};
use super::decode::{Decoded, decode, strip_status_queries};
use super::status::{PrinterHealth, answer_for};

/// What the fake printer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FakeState {
    /// Answers "online, paper present" and prints.
    #[default]
    Ready,
    /// Answers "paper near its end" and prints.
    PaperNearEnd,
    /// Answers "offline, paper end".
    PaperOut,
    /// Answers "offline, cover open".
    CoverOpen,
    /// Accepts connections and data but never answers a status query.
    Offline,
    /// Answers status queries as ready, but closes the connection, dropping them, as soon as ticket
    /// bytes arrive.
    FailWrites,
    /// Closes every connection as soon as it is made.
    Unreachable,
}

/// A fake ESC/POS printer on a loopback TCP port. Stops when dropped.
pub struct FakePrinter {
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    inner: Mutex<Inner>,
    received_more: Condvar,
    stopping: AtomicBool,
}

#[derive(Default)]
struct Inner {
    state: FakeState,
    received: Vec<u8>,
    connections: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FakePrinter {
    /// Starts a fake printer, ready, on 127.0.0.1 and a free port.
    pub fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            received_more: Condvar::new(),
            stopping: AtomicBool::new(false),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new().name("fake-printer".into()).spawn(move || {
                for stream in listener.incoming() {
                    if shared.stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    shared.lock().connections += 1;
                    let shared = Arc::clone(&shared);
                    let _ = thread::Builder::new()
                        .name("fake-printer-conn".into())
                        .spawn(move || serve(stream, &shared));
                }
            })?
        };
        Ok(Self {
            address,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The network driver that reaches it.
    pub fn driver(&self) -> PrinterDriver {
        PrinterDriver::Network {
            host: self.address.ip().to_string(),
            port: self.address.port(),
        }
    }

    /// A printer configuration that reaches it.
    pub fn config(&self, paper: PaperWidth) -> PrinterConfig {
        PrinterConfig::new(self.driver(), paper)
    }

    pub fn set_state(&self, state: FakeState) {
        self.shared.lock().state = state;
    }

    pub fn state(&self) -> FakeState {
        self.shared.lock().state
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// Every byte received, status queries included.
    pub fn received(&self) -> Vec<u8> {
        self.shared.lock().received.clone()
    }

    /// The bytes received without the status queries: what went to paper.
    pub fn printed(&self) -> Vec<u8> {
        strip_status_queries(&self.received())
    }

    /// The printed bytes, decoded.
    pub fn printout(&self) -> Decoded {
        decode(&self.printed())
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        self.shared.lock().received.clear();
    }

    /// Waits until the printed bytes satisfy `done`, at most `timeout`; whether they did.
    pub fn wait_until(&self, timeout: Duration, done: impl Fn(&Decoded) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut inner = self.shared.lock();
        loop {
            if done(&decode(&strip_status_queries(&inner.received))) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            inner = self
                .shared
                .received_more
                .wait_timeout(inner, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits until a cut has been printed (a whole ticket), at most `timeout`, and returns the printout.
    pub fn wait_for_cut(&self, timeout: Duration) -> Option<Decoded> {
        self.wait_until(timeout, |printout| printout.cuts() > 0)
            .then(|| self.printout())
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor up so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn health_of(state: FakeState) -> PrinterHealth {
    match state {
        FakeState::Ready | FakeState::FailWrites => PrinterHealth::Ready,
        FakeState::PaperNearEnd => PrinterHealth::PaperNearEnd,
        FakeState::PaperOut => PrinterHealth::PaperOut,
        FakeState::CoverOpen => PrinterHealth::CoverOpen,
        FakeState::Offline | FakeState::Unreachable => PrinterHealth::Offline,
    }
}

/// Serves one connection until the peer closes it, the fake stops, or the state says to close.
fn serve(mut stream: TcpStream, shared: &Shared) {
    if stream.set_read_timeout(Some(Duration::from_millis(20))).is_err() {
        return;
    }
    // The start of a status query (DLE, DLE EOT) that the next bytes may complete.
    let mut partial: Vec<u8> = Vec::with_capacity(3);
    let mut buf = [0_u8; 4096];
    loop {
        if shared.stopping.load(Ordering::SeqCst) || shared.lock().state == FakeState::Unreachable {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        let chunk = match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => &buf[..n],
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(_) => return,
        };
        // The state when the bytes arrive, not when the read began.
        let state = shared.lock().state;
        if state == FakeState::Unreachable {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        let (mut answers, mut queries, mut ticket_data) = (Vec::new(), Vec::new(), false);
        for &byte in chunk {
            partial.push(byte);
            match partial[..] {
                [0x10] | [0x10, 0x04] => {}
                [0x10, 0x04, n @ 1..=4] => {
                    answers.extend(answer_for(health_of(state), n));
                    queries.append(&mut partial);
                }
                _ => {
                    ticket_data = true;
                    partial.clear();
                    if byte == 0x10 {
                        partial.push(byte);
                    }
                }
            }
        }
        if state == FakeState::FailWrites {
            record(shared, &queries);
            if ticket_data {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        } else {
            record(shared, chunk);
        }
        if !answers.is_empty() && stream.write_all(&answers).is_err() {
            return;
        }
    }
}

fn record(shared: &Shared, bytes: &[u8]) {
    if !bytes.is_empty() {
        shared.lock().received.extend_from_slice(bytes);
        shared.received_more.notify_all();
    }
}
