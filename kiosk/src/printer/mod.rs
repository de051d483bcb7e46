//! Ticket printing on ESC/POS thermal printers.
//!
//! - [`encode_ticket`] turns a [`TicketPrint`] into bytes: a pure function, tested without a printer.
//!   Text is sent in the printer's code page, set per printer by table and `ESC t` number
//!   ([`TextEncoding`]; PC858 as Epson numbers it, `ESC t 19`, by default, which holds `à è é ì ò ù`
//!   and `€`); text the table cannot hold (Arabic, Chinese, Ukrainian, or `€` on a PC850 printer…) is
//!   rendered with the system fonts and sent as raster images.
//! - [`encode_test_page`] and [`print_test_page`]: the page of `turno-kiosk print-test`.
//! - A [`Transport`] reaches the printer ([`open_transport`] from a [`PrinterConfig`]: network, USB,
//!   serial, device or file, console).
//! - [`print_ticket`] asks the printer's status (`DLE EOT`), refuses to print on paper out, cover open
//!   or offline, sends the ticket, asks again to confirm it, and reports a roll near its end as a
//!   warning.
//! - [`decode`] reads ESC/POS bytes back into a readable structure (tests, console driver); with the
//!   `test-support` feature, `FakePrinter` is a fake network printer for tests.

mod barcode;
mod codepage;
mod config;
mod decode;
#[cfg(feature = "test-support")]
mod fake;
mod raster;
mod status;
mod ticket;
mod transport;

pub use codepage::{CodePage, MissingCharacters, Numbering, Table, TextEncoding, UnknownTable};
pub use config::{DEFAULT_BAUD_RATE, DEFAULT_NETWORK_PORT, PaperWidth, ParseConfigError, PrinterConfig, PrinterDriver};
pub use decode::{
    Barcode, Decoded, Item, Justify, QrCode, Raster, TextLine, decode, decode_with, strip_status_queries,
};
#[cfg(feature = "test-support")]
pub use fake::{FakePrinter, FakeState};
pub use raster::TicketFonts;
pub use status::{BadStatusByte, PrinterHealth};
pub use ticket::{
    MAX_DOCUMENTS, TEST_LETTERS, TEST_RATING_CODE, TEST_TICKET_LINE, TicketLabels, TicketPrint, encode_test_page,
    encode_test_page_with_fonts, encode_ticket, encode_ticket_for, encode_ticket_with_fonts, preload_fonts,
};
pub use transport::{
    ConsoleTransport, FileTransport, NetworkTransport, PrintError, SerialTransport, Timeouts, Transport, UsbTransport,
    open_transport, open_transport_with,
};

use std::fmt;

use serde::Serialize;

/// Why a ticket was not printed (or not completely).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintFailureKind {
    /// The roll is empty.
    PaperOut,
    /// The paper cover is open.
    CoverOpen,
    /// The printer cannot be reached, does not answer, or reports an error.
    Offline,
    /// Sending the ticket failed, or the printer did not confirm it.
    WriteError,
}

impl PrintFailureKind {
    /// A stable code for alerts and logs: `paper_out`, `cover_open`, `offline`, `write_error`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::PaperOut => "paper_out",
            Self::CoverOpen => "cover_open",
            Self::Offline => "offline",
            Self::WriteError => "write_error",
        }
    }
}

impl fmt::Display for PrintFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A ticket that was not printed: the kind (for the screen and the printer alert) and a message for
/// the staff and the logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct PrintFailure {
    pub kind: PrintFailureKind,
    pub message: String,
}

impl PrintFailure {
    fn new(kind: PrintFailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Something worth telling the staff about a ticket that did print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintWarning {
    /// The paper roll is near its end.
    PaperNearEnd,
}

/// A printed ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintReport {
    /// Bytes sent to the printer.
    pub bytes_sent: usize,
    /// The printer's status after the ticket.
    pub health: PrinterHealth,
    /// `Some(PaperNearEnd)` when the roll is near its end (before or after the ticket).
    pub warning: Option<PrintWarning>,
}

/// Prints `ticket` in the code page of `text`: asks the printer's status first and sends nothing on
/// paper out, cover open or offline (no answer); then sends the ticket and asks the status again, so
/// that a connection that broke or a printer that stopped is reported rather than taken for a printed
/// ticket.
pub fn print_ticket(
    transport: &mut dyn Transport,
    ticket: &TicketPrint,
    text: TextEncoding,
) -> Result<PrintReport, PrintFailure> {
    print_checked(transport, || encode_ticket_for(ticket, text), "the ticket")
}

/// Prints the page of `turno-kiosk print-test` for the printer of `config`, with the same status
/// checks as a ticket.
pub fn print_test_page(transport: &mut dyn Transport, config: &PrinterConfig) -> Result<PrintReport, PrintFailure> {
    print_checked(transport, || encode_test_page(config), "the test page")
}

fn print_checked(
    transport: &mut dyn Transport,
    encode: impl FnOnce() -> Vec<u8>,
    what: &str,
) -> Result<PrintReport, PrintFailure> {
    use PrintFailureKind::{CoverOpen, Offline, PaperOut, WriteError};

    let before = transport
        .health()
        .map_err(|e| PrintFailure::new(Offline, format!("cannot ask the printer its status: {e}")))?;
    match before {
        PrinterHealth::Ready | PrinterHealth::PaperNearEnd => {}
        PrinterHealth::PaperOut => return Err(PrintFailure::new(PaperOut, "the printer has no paper")),
        PrinterHealth::CoverOpen => return Err(PrintFailure::new(CoverOpen, "the printer's cover is open")),
        PrinterHealth::Offline => {
            return Err(PrintFailure::new(Offline, "the printer is offline or does not answer"));
        }
    }

    let bytes = encode();
    transport
        .send(&bytes)
        .map_err(|e| PrintFailure::new(WriteError, format!("sending {what} failed: {e}")))?;

    let after = transport
        .health()
        .map_err(|e| PrintFailure::new(WriteError, format!("the printer did not confirm {what}: {e}")))?;
    match after {
        PrinterHealth::Ready | PrinterHealth::PaperNearEnd => {}
        PrinterHealth::PaperOut => {
            return Err(PrintFailure::new(
                PaperOut,
                format!("the paper ran out while printing {what}"),
            ));
        }
        PrinterHealth::CoverOpen => {
            return Err(PrintFailure::new(
                CoverOpen,
                format!("the cover was opened while printing {what}"),
            ));
        }
        PrinterHealth::Offline => {
            return Err(PrintFailure::new(
                WriteError,
                format!("the printer stopped answering after {what} was sent"),
            ));
        }
    }

    let near_end = before == PrinterHealth::PaperNearEnd || after == PrinterHealth::PaperNearEnd;
    Ok(PrintReport {
        bytes_sent: bytes.len(),
        health: after,
        warning: near_end.then_some(PrintWarning::PaperNearEnd),
    })
}
