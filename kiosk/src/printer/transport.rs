//! The way to the printer, behind the [`Transport`] trait: raw TCP, a device or plain file, a serial
//! port, USB, or the console. Every transport opens its connection when first used and again after
//! a failure, so the kiosk recovers by itself when the printer comes back. Health is the answer to
//! `DLE EOT 1`, `2` and `4` within the status timeout; no answer in time is [`PrinterHealth::Offline`].

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use escpos::driver::{Driver, NativeUsbDriver};

use super::codepage::Numbering;
use super::config::{PaperWidth, PrinterConfig, PrinterDriver};
use super::decode::decode_with;
use super::status::{BadStatusByte, PrinterHealth, STATUS_QUERIES, health_from_answers};

/// A connection to a printer.
pub trait Transport: Send {
    /// Asks the printer its real-time status (`DLE EOT 1`, `2`, `4`). `Offline` when it does not answer
    /// within the status timeout; an error when it cannot be reached at all.
    fn health(&mut self) -> Result<PrinterHealth, PrintError>;

    /// Sends `bytes` to the printer.
    fn send(&mut self, bytes: &[u8]) -> Result<(), PrintError>;
}

/// Why talking to the printer failed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The configuration can never work (an empty host or path).
    #[error("invalid printer configuration: {0}")]
    Config(String),
    /// The printer could not be reached or opened.
    #[error("cannot open the printer {target}: {source}")]
    Open { target: String, source: io::Error },
    /// Reading or writing failed on an open connection.
    #[error("printer I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The printer closed the connection after data was sent, before confirming it.
    #[error("the printer closed the connection")]
    Closed,
    /// The printer answered a status query with something else than a status byte.
    #[error(transparent)]
    BadStatus(#[from] BadStatusByte),
}

/// Time limits of a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open a TCP connection.
    pub connect: Duration,
    /// For a write to make progress.
    pub write: Duration,
    /// For the answers to the status queries.
    pub status: Duration,
}

impl Default for Timeouts {
    /// 3 s to connect, 10 s per write, 3 s for the status answers (a printer answers in milliseconds,
    /// but a cheap one answers only once it has printed what it holds).
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            write: Duration::from_secs(10),
            status: Duration::from_secs(3),
        }
    }
}

/// The transport for `config`, with the default timeouts. It connects when first used.
pub fn open_transport(config: &PrinterConfig) -> Result<Box<dyn Transport>, PrintError> {
    open_transport_with(config, Timeouts::default())
}

/// The transport for `config` with the given timeouts. It connects when first used.
pub fn open_transport_with(config: &PrinterConfig, timeouts: Timeouts) -> Result<Box<dyn Transport>, PrintError> {
    let empty = |what: &str| Err(PrintError::Config(format!("the {what} is empty")));
    Ok(match &config.driver {
        PrinterDriver::Network { host, .. } | PrinterDriver::Serial { path: host, .. } if host.trim().is_empty() => {
            return empty("host or path");
        }
        PrinterDriver::File { path } if path.as_os_str().is_empty() => return empty("path"),
        PrinterDriver::Network { host, port } => Box::new(NetworkTransport::new(host, *port, timeouts)),
        PrinterDriver::Usb { vendor_id, product_id } => Box::new(UsbTransport::new(*vendor_id, *product_id, timeouts)),
        PrinterDriver::Serial { path, baud_rate } => Box::new(SerialTransport::new(path, *baud_rate, timeouts)),
        PrinterDriver::File { path } => Box::new(FileTransport::new(path, timeouts)),
        PrinterDriver::Console => Box::new(ConsoleTransport {
            paper: config.paper,
            numbering: Numbering::epson().with(config.code_page()),
        }),
    })
}

/// Collects the three status answers through `read`, which returns what arrived (possibly nothing)
/// or waits at most the time it is given. `Ok(None)` when they do not all arrive before `deadline`.
fn read_answers(
    deadline: Instant,
    mut read: impl FnMut(&mut [u8], Duration) -> io::Result<usize>,
) -> Result<Option<[u8; 3]>, PrintError> {
    let mut answers = [0_u8; 3];
    let mut got = 0;
    while got < answers.len() {
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        match read(&mut answers[got..], deadline - now) {
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Err(PrintError::Closed),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Some(answers))
}

fn health_of(answers: Option<[u8; 3]>) -> Result<PrinterHealth, PrintError> {
    match answers {
        Some(answers) => Ok(health_from_answers(answers)?),
        None => Ok(PrinterHealth::Offline),
    }
}

// ---------------------------------------------------------------------------------------------
// Network

/// Raw TCP printing (port 9100). escpos's `NetworkDriver` is not used: with a timeout it accepts only
/// IP addresses, and it has one timeout for connecting, writing and reading.
pub struct NetworkTransport {
    host: String,
    port: u16,
    timeouts: Timeouts,
    stream: Option<TcpStream>,
    /// Bytes were sent since the printer last answered: a closed connection then means they may be lost.
    unconfirmed: bool,
}

impl NetworkTransport {
    pub fn new(host: &str, port: u16, timeouts: Timeouts) -> Self {
        Self {
            host: host.to_owned(),
            port,
            timeouts,
            stream: None,
            unconfirmed: false,
        }
    }

    fn connect(&mut self) -> Result<&mut TcpStream, PrintError> {
        if self.stream.is_none() {
            let target = format!("{}:{}", self.host, self.port);
            let open_error = |source| PrintError::Open {
                target: target.clone(),
                source,
            };
            let addresses = (self.host.as_str(), self.port).to_socket_addrs().map_err(open_error)?;
            let mut last_error = io::Error::new(ErrorKind::NotFound, "the host name has no address");
            for address in addresses {
                match TcpStream::connect_timeout(&address, self.timeouts.connect) {
                    Ok(stream) => {
                        stream.set_nodelay(true).map_err(open_error)?;
                        stream
                            .set_write_timeout(Some(self.timeouts.write))
                            .map_err(open_error)?;
                        self.stream = Some(stream);
                        break;
                    }
                    Err(e) => last_error = e,
                }
            }
            if self.stream.is_none() {
                return Err(open_error(last_error));
            }
            self.unconfirmed = false;
        }
        self.stream.as_mut().ok_or(PrintError::Closed)
    }

    fn query(&mut self) -> Result<PrinterHealth, PrintError> {
        let status_timeout = self.timeouts.status;
        if !drain(self.connect()?)? {
            // The printer closed the connection: harmless while idle, a loss after a send.
            self.stream = None;
            if self.unconfirmed {
                return Err(PrintError::Closed);
            }
        }
        let stream = self.connect()?;
        stream.write_all(&STATUS_QUERIES)?;
        let answers = read_answers(Instant::now() + status_timeout, |buf, wait| {
            stream.set_read_timeout(Some(wait))?;
            match stream.read(buf)? {
                0 => Err(ErrorKind::UnexpectedEof.into()),
                n => Ok(n),
            }
        })?;
        health_of(answers)
    }
}

/// Reads and drops whatever the printer sent unasked (late answers, automatic status). `false` when
/// the printer closed the connection.
fn drain(stream: &mut TcpStream) -> Result<bool, PrintError> {
    stream.set_nonblocking(true)?;
    let mut buf = [0_u8; 256];
    let open = loop {
        match stream.read(&mut buf) {
            Ok(0) => break false,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => break true,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => break false,
            Err(e) => return Err(e.into()),
        }
    };
    stream.set_nonblocking(false)?;
    Ok(open)
}

impl Transport for NetworkTransport {
    fn health(&mut self) -> Result<PrinterHealth, PrintError> {
        let health = self.query();
        match health {
            Ok(PrinterHealth::Offline) | Err(_) => {
                // Start afresh next time: the printer may have been switched off and on.
                self.stream = None;
                self.unconfirmed = false;
            }
            Ok(_) => self.unconfirmed = false,
        }
        health
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), PrintError> {
        let stream = self.connect()?;
        let sent = stream.write_all(bytes).and_then(|()| stream.flush());
        if let Err(e) = sent {
            self.stream = None;
            return Err(e.into());
        }
        self.unconfirmed = true;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// File

/// A device node such as `/dev/usb/lp0`, read back for status, or a plain file that collects the
/// bytes and is always ready. escpos's `FileDriver` is not used: its reads block with no timeout.
pub struct FileTransport {
    path: PathBuf,
    timeouts: Timeouts,
    file: Option<File>,
    device: bool,
}

impl FileTransport {
    pub fn new(path: &Path, timeouts: Timeouts) -> Self {
        Self {
            path: path.to_owned(),
            timeouts,
            file: None,
            device: false,
        }
    }

    fn open(&mut self) -> Result<&mut File, PrintError> {
        if self.file.is_none() {
            let open_error = |source| PrintError::Open {
                target: self.path.display().to_string(),
                source,
            };
            self.device = is_device(&self.path);
            let mut options = OpenOptions::new();
            if self.device {
                options.read(true).write(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
            } else {
                options.create(true).append(true);
            }
            self.file = Some(options.open(&self.path).map_err(open_error)?);
        }
        self.file.as_mut().ok_or(PrintError::Closed)
    }

    fn query(&mut self) -> Result<PrinterHealth, PrintError> {
        let (write_timeout, status_timeout) = (self.timeouts.write, self.timeouts.status);
        let file = self.open()?;
        let mut buf = [0_u8; 64];
        while matches!(file.read(&mut buf), Ok(n) if n > 0) {}
        write_patiently(file, &STATUS_QUERIES, write_timeout)?;
        let answers = read_answers(Instant::now() + status_timeout, |buf, wait| match file.read(buf) {
            Ok(0) => {
                thread::sleep(wait.min(Duration::from_millis(5)));
                Ok(0)
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(wait.min(Duration::from_millis(5)));
                Ok(0)
            }
            other => other,
        })?;
        health_of(answers)
    }
}

#[cfg(unix)]
fn is_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[cfg(not(unix))]
fn is_device(_path: &Path) -> bool {
    false
}

/// Writes all of `bytes` to a possibly non-blocking file, failing when no progress is made for `timeout`.
fn write_patiently(file: &mut File, mut bytes: &[u8], timeout: Duration) -> io::Result<()> {
    let mut last_progress = Instant::now();
    while !bytes.is_empty() {
        match file.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => {
                bytes = &bytes[n..];
                last_progress = Instant::now();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                if last_progress.elapsed() >= timeout {
                    return Err(ErrorKind::TimedOut.into());
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Transport for FileTransport {
    fn health(&mut self) -> Result<PrinterHealth, PrintError> {
        self.open()?;
        if !self.device {
            return Ok(PrinterHealth::Ready);
        }
        let health = self.query();
        if !matches!(health, Ok(h) if h != PrinterHealth::Offline) {
            self.file = None;
        }
        health
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), PrintError> {
        let timeout = self.timeouts.write;
        let file = self.open()?;
        let sent = write_patiently(file, bytes, timeout).and_then(|()| file.flush());
        if let Err(e) = sent {
            self.file = None;
            return Err(e.into());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Serial

/// A serial printer through the `serialport` crate, built without libudev (escpos's `serial_port`
/// feature would pull it in, and with it the libudev-dev build dependency).
pub struct SerialTransport {
    path: String,
    baud_rate: u32,
    timeouts: Timeouts,
    port: Option<Box<dyn serialport::SerialPort>>,
}

impl SerialTransport {
    pub fn new(path: &str, baud_rate: u32, timeouts: Timeouts) -> Self {
        Self {
            path: path.to_owned(),
            baud_rate,
            timeouts,
            port: None,
        }
    }

    fn open(&mut self) -> Result<&mut Box<dyn serialport::SerialPort>, PrintError> {
        if self.port.is_none() {
            let port = serialport::new(&self.path, self.baud_rate)
                .timeout(self.timeouts.write)
                .open()
                .map_err(|e| PrintError::Open {
                    target: self.path.clone(),
                    source: e.into(),
                })?;
            self.port = Some(port);
        }
        self.port.as_mut().ok_or(PrintError::Closed)
    }

    fn query(&mut self) -> Result<PrinterHealth, PrintError> {
        let (write_timeout, status_timeout) = (self.timeouts.write, self.timeouts.status);
        let port = self.open()?;
        port.clear(serialport::ClearBuffer::Input).map_err(io::Error::from)?;
        port.set_timeout(write_timeout).map_err(io::Error::from)?;
        port.write_all(&STATUS_QUERIES)?;
        let answers = read_answers(Instant::now() + status_timeout, |buf, wait| {
            port.set_timeout(wait).map_err(io::Error::from)?;
            port.read(buf)
        })?;
        health_of(answers)
    }
}

impl Transport for SerialTransport {
    fn health(&mut self) -> Result<PrinterHealth, PrintError> {
        let health = self.query();
        if health.is_err() {
            self.port = None;
        }
        health
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), PrintError> {
        let timeout = self.timeouts.write;
        let port = self.open()?;
        let sent = port
            .set_timeout(timeout)
            .map_err(io::Error::from)
            .and_then(|()| port.write_all(bytes))
            .and_then(|()| port.flush());
        if let Err(e) = sent {
            self.port = None;
            return Err(e.into());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// USB

/// A USB printer through escpos's `NativeUsbDriver` (pure-Rust nusb). Its reads wait up to 5 s each.
pub struct UsbTransport {
    vendor_id: u16,
    product_id: u16,
    timeouts: Timeouts,
    driver: Option<NativeUsbDriver>,
}

impl UsbTransport {
    pub fn new(vendor_id: u16, product_id: u16, timeouts: Timeouts) -> Self {
        Self {
            vendor_id,
            product_id,
            timeouts,
            driver: None,
        }
    }

    fn open(&mut self) -> Result<&NativeUsbDriver, PrintError> {
        if self.driver.is_none() {
            let driver = NativeUsbDriver::open(self.vendor_id, self.product_id).map_err(|e| PrintError::Open {
                target: format!("usb:{:04x}:{:04x}", self.vendor_id, self.product_id),
                source: io::Error::other(e.to_string()),
            })?;
            self.driver = Some(driver);
        }
        self.driver.as_ref().ok_or(PrintError::Closed)
    }

    fn query(&mut self) -> Result<PrinterHealth, PrintError> {
        let status_timeout = self.timeouts.status;
        let driver = self.open()?;
        driver
            .write(&STATUS_QUERIES)
            .map_err(|e| io::Error::other(e.to_string()))?;
        // A read that fails (time-out, unplugged) counts as no answer.
        let answers = read_answers(Instant::now() + status_timeout, |buf, wait| {
            let n = driver
                .read(buf)
                .map_err(|e| io::Error::new(ErrorKind::TimedOut, e.to_string()))?;
            if n == 0 {
                thread::sleep(wait.min(Duration::from_millis(5)));
            }
            Ok(n)
        })?;
        health_of(answers)
    }
}

impl Transport for UsbTransport {
    fn health(&mut self) -> Result<PrinterHealth, PrintError> {
        let health = self.query();
        if !matches!(health, Ok(h) if h != PrinterHealth::Offline) {
            self.driver = None;
        }
        health
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), PrintError> {
        let driver = self.open()?;
        let sent = driver.write(bytes).and_then(|()| driver.flush());
        if let Err(e) = sent {
            self.driver = None;
            return Err(io::Error::other(e.to_string()).into());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Console

/// Development: prints a picture of each ticket on standard output, its text read as a printer
/// whose numbering gives the settings' code page its number. Always ready.
pub struct ConsoleTransport {
    paper: PaperWidth,
    numbering: Numbering,
}

impl ConsoleTransport {
    pub fn new(paper: PaperWidth) -> Self {
        Self {
            paper,
            numbering: Numbering::epson(),
        }
    }
}

impl Transport for ConsoleTransport {
    fn health(&mut self) -> Result<PrinterHealth, PrintError> {
        Ok(PrinterHealth::Ready)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), PrintError> {
        let picture = decode_with(bytes, &self.numbering).render_paper(self.paper.columns());
        let mut out = io::stdout().lock();
        out.write_all(picture.as_bytes())?;
        out.flush()?;
        Ok(())
    }
}
