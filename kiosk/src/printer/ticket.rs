//! The printed ticket: what it says ([`TicketPrint`], [`TicketLabels`]) and its ESC/POS encoding, a
//! pure function of the ticket (`encode_ticket`), built with escpos's `Printer` over an in-memory
//! driver.
//!
//! Layout, centred unless noted: office name (bold), date and time, service (bold, double height),
//! the priority mark (reversed), the number at the largest size that fits, people ahead and estimated
//! wait, the documents to bring (left, or right for right-to-left languages), the QR code of the
//! status page with its caption, the rating caption, the rating code in large type and as a CODE128
//! barcode, the footer; then a cut.
//!
//! Text goes out in the printer's code page (PC858 by default, see [`TextEncoding`]) when every
//! character of a paragraph fits it, wrapped to the paper's columns; any other paragraph is rendered
//! as a raster image (`GS v 0`) the width of the paper (or, with `missing_characters = "nearest"`,
//! printed with the nearest characters the table holds); if even the image fails (no font has the
//! characters) the paragraph prints with the nearest characters.
//!
//! [`encode_test_page`] writes the page of `turno-kiosk print-test` with the same writer.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Mutex, PoisonError};

use escpos::driver::Driver;
use escpos::errors::Result as EscposResult;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};

use turno_shared::api::{IssuedTicket, ServiceView, WaitRange};
use turno_shared::domain::{Priority, RatingCode};

use crate::controller::shown_range;
use crate::kiosk::TicketSettings;
use crate::lang::{self, Language};

use super::barcode::Code128;
use super::codepage::{self, MissingCharacters, TextEncoding};
use super::config::{PaperWidth, PrinterConfig};
use super::raster::{Bitmap, RasterLook, TicketFonts};

/// The documents printed at most; the information sheet on screen has the full list.
pub const MAX_DOCUMENTS: usize = 8;
/// Rows per `GS v 0` command.
const RASTER_BAND_ROWS: u16 = 256;
/// Height of the rating barcode in dots (10 mm).
const BARCODE_HEIGHT: u8 = 80;
/// Font size of raster text in dots, for a character height multiplier of 1 (font A is 24 dots).
const RASTER_PIXELS: f32 = 22.0;

/// The words printed around the ticket's data, in the ticket's language (from the kiosk's
/// translations).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketLabels {
    /// "Persone prima di lei": printed as `{people_ahead}: {n}`.
    pub people_ahead: String,
    /// "Attesa stimata": printed as `{estimated_wait}: {minutes}` (the `{}` of `minutes` being the
    /// range `15–25` when there is one, else the estimate) or `{estimated_wait}: {wait_unknown}`.
    pub estimated_wait: String,
    /// "{} min": the `{}` is replaced by the number of minutes (without `{}`, the number goes first).
    pub minutes: String,
    /// "non disponibile": when there is no estimate.
    pub wait_unknown: String,
    /// "Documenti da portare": heading of the list of documents.
    pub documents: String,
    /// "Segua il suo turno dal telefono": under the QR code.
    pub follow_your_turn: String,
    /// "Dopo la visita valuti il servizio al totem": above the rating code.
    pub rate_your_visit: String,
    /// "Codice per la valutazione": printed as `{rating_code}:` above the code itself.
    pub rating_code: String,
    /// "Precedenza": the priority mark.
    pub priority: String,
    /// Last line(s) of the ticket.
    pub footer: String,
}

/// Everything printed on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketPrint {
    pub office_name: String,
    /// Date and time of issue, already formatted for the ticket's language.
    pub issued_at: String,
    pub service_name: String,
    /// The ticket number, e.g. "A001".
    pub number: String,
    pub priority: bool,
    pub people_ahead: u32,
    pub estimated_wait_minutes: Option<u32>,
    /// The range the wait falls in for about 80% of tickets: printed instead of the minutes when
    /// [`crate::controller::shown_range`] shows it.
    pub estimated_wait_range: Option<WaitRange>,
    /// Documents to bring; the first [`MAX_DOCUMENTS`] are printed.
    pub documents: Vec<String>,
    /// Payload of the QR code: the ticket's public status page.
    pub status_url: String,
    /// What the citizen types or scans at the kiosk to rate the visit: printed `A012-7K3MX` and
    /// carried by the CODE128 barcode as `A0127K3MX`.
    pub rating_code: RatingCode,
    /// Language of the labels ("it", "en", "ar", …): chooses fonts and direction for raster text.
    pub language: String,
    pub labels: TicketLabels,
    pub paper: PaperWidth,
}

impl TicketPrint {
    /// The ticket printed for `issued`, a ticket of `service` taken at `office_name`'s kiosk: the
    /// kiosk's window calls it with the words of its `TicketTexts` in the chosen `language` (a
    /// service's texts missing in it taken from `fallbacks`, then Italian), and so do the benchmarks and examples (through `kiosk::ticket_print`), so that
    /// they measure the ticket the kiosk prints. The QR code links the settings' `public_url` + the ticket's status
    /// path; the date is in the system's time zone.
    pub fn from_issued(
        issued: &IssuedTicket,
        service: &ServiceView,
        office_name: &str,
        settings: &TicketSettings,
        language: Language,
        fallbacks: &[Language],
        labels: TicketLabels,
    ) -> Self {
        let TicketSettings { public_url, paper } = settings;
        let paper = *paper;
        Self {
            office_name: office_name.to_owned(),
            issued_at: issued
                .ticket
                .issued_at
                .to_zoned(jiff::tz::TimeZone::system())
                .strftime("%d/%m/%Y %H:%M")
                .to_string(),
            service_name: lang::localized(&service.name, language, fallbacks).to_owned(),
            number: issued.ticket.number.to_string(),
            priority: issued.ticket.priority == Priority::Priority,
            people_ahead: issued.people_ahead,
            estimated_wait_minutes: issued.estimated_wait_minutes,
            estimated_wait_range: issued.estimated_wait_range,
            documents: service
                .documents
                .iter()
                .map(|d| lang::localized(d, language, fallbacks).to_owned())
                .collect(),
            status_url: crate::kiosk::status_url(public_url, &issued.status_path),
            rating_code: issued.rating_code,
            language: language.code().to_owned(),
            labels,
            paper,
        }
    }
}

/// The fonts shared by every `encode_ticket` call of the process, loaded at the first ticket that
/// needs a raster line (or by [`preload_fonts`]).
static SYSTEM_FONTS: Mutex<Option<TicketFonts>> = Mutex::new(None);

/// Loads the system fonts now rather than at the first ticket that needs them (a kiosk calls it at
/// start-up so that no citizen waits for it).
pub fn preload_fonts() {
    let mut fonts = SYSTEM_FONTS.lock().unwrap_or_else(PoisonError::into_inner);
    fonts.get_or_insert_with(TicketFonts::system);
}

/// The ESC/POS bytes of `ticket` for a printer with the default code page (PC858, `ESC t 19`),
/// ending with a cut. Pure: no printer I/O (raster lines read the system fonts, once per process).
/// Never fails: what cannot be encoded is printed as well as can be.
pub fn encode_ticket(ticket: &TicketPrint) -> Vec<u8> {
    encode_ticket_for(ticket, TextEncoding::default())
}

/// [`encode_ticket`] for a printer with the code page and mode of `text`.
pub fn encode_ticket_for(ticket: &TicketPrint, text: TextEncoding) -> Vec<u8> {
    encode(ticket, text, &mut Fonts::System)
}

/// [`encode_ticket_for`] with the given fonts for raster lines instead of the system's.
pub fn encode_ticket_with_fonts(ticket: &TicketPrint, text: TextEncoding, fonts: &mut TicketFonts) -> Vec<u8> {
    encode(ticket, text, &mut Fonts::Given(fonts))
}

/// The page `turno-kiosk print-test` prints on the printer of `config`: the table's name and number,
/// the Italian accented letters and `€` as text in that table and, below, as an image (where the two
/// differ, the number selects another table on this printer), a line as a ticket prints it, a QR
/// code and a CODE128 barcode; then a cut.
pub fn encode_test_page(config: &PrinterConfig) -> Vec<u8> {
    encode_test_page_with(config, &mut Fonts::System)
}

/// [`encode_test_page`] with the given fonts for raster lines instead of the system's.
pub fn encode_test_page_with_fonts(config: &PrinterConfig, fonts: &mut TicketFonts) -> Vec<u8> {
    encode_test_page_with(config, &mut Fonts::Given(fonts))
}

/// What the test page prints in the table, then as an image.
pub const TEST_LETTERS: &str = "àèéìòù ÀÈÉÌÒÙ €";
/// The line the test page prints as a ticket would.
pub const TEST_TICKET_LINE: &str = "Carta d'identità: € 22,21";
/// The rating code whose barcode the test page prints.
pub const TEST_RATING_CODE: &str = "A001-7K3MX";

fn encode_test_page_with(config: &PrinterConfig, fonts: &mut Fonts<'_>) -> Vec<u8> {
    let memory = Memory::default();
    let mut writer = Writer::new(memory.clone(), config.paper, "it", config.text_encoding(), fonts);
    match writer.test_page(config) {
        Ok(()) => memory.take(),
        Err(error) => {
            tracing::error!(%error, "cannot encode the test page");
            let mut bytes = vec![0x1B, b'@'];
            bytes.extend_from_slice(b"print-test\n");
            bytes.extend_from_slice(&[0x1D, b'V', 65, 0]);
            bytes
        }
    }
}

enum Fonts<'a> {
    System,
    Given(&'a mut TicketFonts),
}

impl Fonts<'_> {
    fn render(&mut self, text: &str, language: &str, width: u16, look: &RasterLook) -> Option<Bitmap> {
        match self {
            Self::System => {
                let mut fonts = SYSTEM_FONTS.lock().unwrap_or_else(PoisonError::into_inner);
                fonts
                    .get_or_insert_with(TicketFonts::system)
                    .render(text, language, width, look)
            }
            Self::Given(fonts) => fonts.render(text, language, width, look),
        }
    }
}

fn encode(ticket: &TicketPrint, text: TextEncoding, fonts: &mut Fonts<'_>) -> Vec<u8> {
    let memory = Memory::default();
    let mut writer = Writer::new(memory.clone(), ticket.paper, &ticket.language, text, fonts);
    match writer.ticket(ticket) {
        Ok(()) => memory.take(),
        Err(error) => {
            // escpos refuses only arguments out of range, which the writer never passes; should it
            // happen, the citizen still gets the number.
            tracing::error!(%error, "cannot encode the ticket; printing the number alone");
            let mut bytes = vec![0x1B, b'@', 0x1B, b'a', 1, 0x1D, b'!', 0x33];
            bytes.extend(codepage::Table::Ascii.encode_lossy(&codepage::prepare(&ticket.number)));
            bytes.extend_from_slice(&[b'\n', 0x1D, b'!', 0x00, 0x1D, b'V', 65, 0]);
            bytes
        }
    }
}

/// An escpos driver that keeps the bytes.
#[derive(Clone, Default)]
struct Memory(Rc<RefCell<Vec<u8>>>);

impl Memory {
    fn take(&self) -> Vec<u8> {
        self.0.take()
    }
}

impl Driver for Memory {
    fn name(&self) -> String {
        "memory".to_owned()
    }

    fn write(&self, data: &[u8]) -> EscposResult<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> EscposResult<usize> {
        Ok(0)
    }

    fn flush(&self) -> EscposResult<()> {
        Ok(())
    }
}

/// How a paragraph looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Look {
    bold: bool,
    width: u8,
    height: u8,
    reverse: bool,
    centered: bool,
}

impl Look {
    const NORMAL: Self = Self {
        bold: false,
        width: 1,
        height: 1,
        reverse: false,
        centered: true,
    };
    const BOLD: Self = Self {
        bold: true,
        ..Self::NORMAL
    };
}

struct Writer<'t, 'f, 'g> {
    printer: Printer<Memory>,
    paper: PaperWidth,
    language: &'t str,
    text: TextEncoding,
    fonts: &'f mut Fonts<'g>,
    /// The style the printer is in.
    current: Look,
}

impl<'t, 'f, 'g> Writer<'t, 'f, 'g> {
    fn new(memory: Memory, paper: PaperWidth, language: &'t str, text: TextEncoding, fonts: &'f mut Fonts<'g>) -> Self {
        // No page code in the options: escpos knows only Epson's numbers; `init` selects ours.
        let options = PrinterOptions::new(None, None, paper.columns() as u8);
        Self {
            printer: Printer::new(memory, Protocol::default(), Some(options)),
            paper,
            language,
            text,
            fonts,
            current: Look {
                centered: false,
                ..Look::NORMAL
            },
        }
    }

    /// `ESC @`, then `ESC t n` selecting the printer's table (none for ASCII).
    fn init(&mut self) -> EscposResult<()> {
        self.printer.init()?;
        if let Some(number) = self.text.code_page.number {
            self.printer.custom(&[0x1B, b't', number])?;
        }
        Ok(())
    }

    fn ticket(&mut self, t: &TicketPrint) -> EscposResult<()> {
        let labels = &t.labels;
        self.init()?;

        self.paragraph(&t.office_name, Look::BOLD)?;
        self.paragraph(&t.issued_at, Look::NORMAL)?;
        self.blank()?;
        self.paragraph(
            &t.service_name,
            Look {
                height: 2,
                ..Look::BOLD
            },
        )?;
        if t.priority {
            self.paragraph(
                &format!("\u{BB} {} \u{AB}", labels.priority.trim()),
                Look {
                    reverse: true,
                    ..Look::BOLD
                },
            )?;
        }
        self.number(&t.number)?;
        self.blank()?;
        self.paragraph(&format!("{}: {}", labels.people_ahead, t.people_ahead), Look::NORMAL)?;
        // The range when there is one: "15–25 min" (the dash prints as "-" in the code pages without
        // it); a plain "-" in a right-to-left language, where only it keeps "15" before "25" (bidi rule W4).
        let dash = match t.language.parse::<Language>() {
            Ok(language) if language.is_rtl() => "-",
            _ => "\u{2013}",
        };
        let figure = match shown_range(t.estimated_wait_minutes, t.estimated_wait_range) {
            Some(range) => Some(format!("{}{dash}{}", range.low_minutes, range.high_minutes)),
            None => t.estimated_wait_minutes.map(|m| m.to_string()),
        };
        let wait = match figure {
            Some(figure) if labels.minutes.contains("{}") => labels.minutes.replacen("{}", &figure, 1),
            Some(figure) => format!("{figure} {}", labels.minutes).trim_end().to_owned(),
            None => labels.wait_unknown.clone(),
        };
        self.paragraph(&format!("{}: {wait}", labels.estimated_wait), Look::NORMAL)?;

        let documents: Vec<&str> = t
            .documents
            .iter()
            .map(|d| d.trim())
            .filter(|d| !d.is_empty())
            .take(MAX_DOCUMENTS)
            .collect();
        if !documents.is_empty() {
            self.blank()?;
            let start = Look {
                centered: false,
                ..Look::NORMAL
            };
            self.paragraph(
                &format!("{}:", labels.documents.trim_end_matches(':')),
                Look { bold: true, ..start },
            )?;
            for document in documents {
                self.list_item(document, start)?;
            }
        }

        if !t.status_url.is_empty() {
            self.blank()?;
            self.qr(&t.status_url)?;
            self.paragraph(&labels.follow_your_turn, Look::NORMAL)?;
        }
        self.blank()?;
        self.paragraph(&labels.rate_your_visit, Look::NORMAL)?;
        if !labels.rating_code.trim().is_empty() {
            self.paragraph(
                &format!("{}:", labels.rating_code.trim().trim_end_matches(':')),
                Look::NORMAL,
            )?;
        }
        // Twice the normal size: ten or eleven characters take at most 22 of the 32 columns of 58 mm
        // paper, large enough to be copied on the keypad without glasses.
        self.paragraph(
            &t.rating_code.to_string(),
            Look {
                width: 2,
                height: 2,
                ..Look::BOLD
            },
        )?;
        self.barcode(&barcode_payload(&t.rating_code))?;
        if !labels.footer.trim().is_empty() {
            self.blank()?;
            self.paragraph(&labels.footer, Look::NORMAL)?;
        }
        // GS V A 0: feed to the cutter and cut; print_cut hands every command to the driver.
        self.printer.print_cut()?;
        Ok(())
    }

    /// The page of `turno-kiosk print-test` (see [`encode_test_page`]). Its words are technical and
    /// the same in every language: the table's name and number, `text:` and `raster:`.
    fn test_page(&mut self, config: &PrinterConfig) -> EscposResult<()> {
        let code_page = self.text.code_page;
        let table = code_page.table;
        self.init()?;
        self.paragraph(
            "Turno print-test",
            Look {
                width: 2,
                height: 2,
                ..Look::BOLD
            },
        )?;
        // The table and number as plain ASCII, readable whatever the printer does with the rest.
        let number = match code_page.number {
            Some(n) => format!("ESC t {n}"),
            None => "no ESC t".to_owned(),
        };
        self.text_lines(&[format!("code_page = {table}")], Look::BOLD)?;
        self.text_lines(&[format!("code_page_number = {number}")], Look::BOLD)?;
        let missing = match self.text.missing {
            MissingCharacters::Raster => "raster",
            MissingCharacters::Nearest => "nearest",
        };
        self.text_lines(&[format!("missing_characters = {missing}")], Look::NORMAL)?;
        self.text_lines(
            &wrap(
                &format!(
                    "{} - {}",
                    codepage::Table::Ascii.nearest(&config.driver.to_string()),
                    self.paper
                ),
                self.paper.columns(),
            ),
            Look::NORMAL,
        )?;
        let lacking: String = TEST_LETTERS
            .chars()
            .filter(|&c| c != ' ' && table.encode_char(c).is_none())
            .collect();
        if !lacking.is_empty() {
            // Named, not shown: the table cannot print them.
            let names: Vec<String> = lacking.chars().map(|c| format!("U+{:04X}", u32::from(c))).collect();
            self.text_lines(
                &wrap(&format!("not in {table}: {}", names.join(" ")), self.paper.columns()),
                Look::NORMAL,
            )?;
        }
        self.blank()?;

        // The letters from the table as they are (`?` where it lacks one), then as an image: where
        // the two differ, this number selects another table on this printer.
        let left = Look {
            centered: false,
            ..Look::NORMAL
        };
        self.text_lines(&["text:".to_owned()], left)?;
        self.text_lines(&[TEST_LETTERS.to_owned()], Look::NORMAL)?;
        self.text_lines(&["raster:".to_owned()], left)?;
        self.raster_or_lossy(TEST_LETTERS, Look::NORMAL, wrap)?;
        self.blank()?;

        // As a ticket prints it: text where the table holds every character, else by the mode.
        self.text_lines(&["ticket:".to_owned()], left)?;
        self.paragraph(TEST_TICKET_LINE, Look::BOLD)?;
        self.blank()?;
        self.qr(&format!("Turno print-test {code_page}"))?;
        let code: RatingCode = TEST_RATING_CODE
            .parse()
            .map_err(|_| escpos::errors::PrinterError::Input(format!("{TEST_RATING_CODE} is not a rating code")))?;
        self.blank()?;
        self.barcode(&barcode_payload(&code))?;
        self.paragraph(TEST_RATING_CODE, Look::NORMAL)?;
        self.printer.print_cut()?;
        Ok(())
    }

    /// The number, at the largest size whose width fits the paper (height 8, the maximum).
    fn number(&mut self, number: &str) -> EscposResult<()> {
        let chars = number.chars().count().max(1);
        let width = (self.paper.columns() / chars).clamp(1, 8) as u8;
        self.paragraph(
            number,
            Look {
                bold: true,
                width,
                height: 8,
                reverse: false,
                centered: true,
            },
        )
    }

    /// A paragraph: code-page text wrapped to the paper, or a raster image, or the nearest text.
    fn paragraph(&mut self, text: &str, look: Look) -> EscposResult<()> {
        let text = codepage::prepare(text);
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let table = self.text.code_page.table;
        if table.fits(text) {
            return self.text_lines(&wrap(text, self.columns(look)), look);
        }
        if self.text.missing == MissingCharacters::Nearest {
            return self.text_lines(&wrap(&table.nearest(text), self.columns(look)), look);
        }
        self.raster_or_lossy(text, look, wrap)
    }

    /// "- document", wrapped with a hanging indent.
    fn list_item(&mut self, text: &str, look: Look) -> EscposResult<()> {
        let text = codepage::prepare(text);
        let text = text.trim();
        let table = self.text.code_page.table;
        if table.fits(text) {
            return self.text_lines(&wrap_item(text, self.columns(look)), look);
        }
        if self.text.missing == MissingCharacters::Nearest {
            return self.text_lines(&wrap_item(&table.nearest(text), self.columns(look)), look);
        }
        self.raster_or_lossy(&format!("\u{2022} {text}"), look, |_, width| {
            wrap_item(&table.nearest(text), width)
        })
    }

    fn raster_or_lossy(
        &mut self,
        text: &str,
        look: Look,
        wrap_lossy: impl Fn(&str, usize) -> Vec<String>,
    ) -> EscposResult<()> {
        let raster_look = RasterLook {
            pixels: RASTER_PIXELS * f32::from(look.height.min(6)),
            bold: look.bold,
            centered: look.centered,
            inverted: look.reverse,
        };
        let one_line = text.replace('\n', " ");
        match self
            .fonts
            .render(&one_line, self.language, self.paper.dots(), &raster_look)
        {
            Some(bitmap) => {
                // The image is as wide as the paper: justification does not move it, and
                // right-to-left text already sits at the right edge.
                for command in bitmap.commands(RASTER_BAND_ROWS) {
                    self.printer.custom(&command)?;
                }
                Ok(())
            }
            None => {
                tracing::warn!(text = %one_line, "no font can print this text; printing what the code page holds");
                let nearest = self.text.code_page.table.nearest(text);
                self.text_lines(&wrap_lossy(&nearest, self.columns(look)), look)
            }
        }
    }

    fn text_lines(&mut self, lines: &[String], look: Look) -> EscposResult<()> {
        self.style(look)?;
        for line in lines {
            let mut bytes = self.text.code_page.table.encode_lossy(line);
            bytes.push(b'\n');
            self.printer.custom(&bytes)?;
        }
        Ok(())
    }

    /// An empty line of normal height.
    fn blank(&mut self) -> EscposResult<()> {
        self.style(Look {
            width: 1,
            height: 1,
            ..self.current
        })?;
        self.printer.custom(b"\n")?;
        Ok(())
    }

    fn qr(&mut self, payload: &str) -> EscposResult<()> {
        self.style(Look::NORMAL)?;
        let preferred = match self.paper {
            PaperWidth::Mm58 => 6,
            PaperWidth::Mm80 => 8,
        };
        let Some(modules) = qr_modules(payload.len()) else {
            return self.paragraph(payload, Look::NORMAL);
        };
        // Four modules of quiet zone on each side.
        let fit = usize::from(self.paper.dots()) / (modules + 8);
        let module_size = preferred.min(fit).clamp(1, 16) as u8;
        let option = QRCodeOption::new(QRCodeModel::Model2, module_size, QRCodeCorrectionLevel::M);
        self.printer.qrcode_option(payload, option)?;
        Ok(())
    }

    fn barcode(&mut self, payload: &str) -> EscposResult<()> {
        let code = Code128::new(payload);
        let width = code.as_ref().and_then(|code| code.module_width(self.paper.dots()));
        let (Some(code), Some(width)) = (code, width) else {
            // Too long for the paper, or not printable ASCII: the code printed above is still there.
            tracing::warn!(payload, "the rating code does not fit a CODE128 barcode on this paper");
            return Ok(());
        };
        self.style(Look::NORMAL)?;
        // Bar width, height, no human-readable text (GS w, GS h, GS H 0), then GS k 73.
        self.printer
            .custom(&[0x1D, b'w', width, 0x1D, b'h', BARCODE_HEIGHT, 0x1D, b'H', 0])?;
        self.printer.custom(&code.command())?;
        Ok(())
    }

    fn columns(&self, look: Look) -> usize {
        (self.paper.columns() / usize::from(look.width.max(1))).max(1)
    }

    /// Sends only the style commands that change something.
    fn style(&mut self, look: Look) -> EscposResult<()> {
        if look.centered != self.current.centered {
            self.printer.justify(if look.centered {
                JustifyMode::CENTER
            } else {
                JustifyMode::LEFT
            })?;
        }
        if look.bold != self.current.bold {
            self.printer.bold(look.bold)?;
        }
        if (look.width, look.height) != (self.current.width, self.current.height) {
            self.printer.size(look.width, look.height)?;
        }
        if look.reverse != self.current.reverse {
            self.printer.reverse(look.reverse)?;
        }
        self.current = look;
        Ok(())
    }
}

/// What the barcode carries: the rating code without its dash, `A0127K3MX`. Letters and digits only,
/// so a keyboard-wedge scanner types it back right even when it is set to another keyboard layout
/// than the kiosk's (the dash sits on different keys in the US and Italian layouts); the rating code's
/// parser reads it as it reads `A012-7K3MX`, and it makes a shorter barcode.
pub(crate) fn barcode_payload(code: &RatingCode) -> String {
    format!("{}{}", code.number(), code.check())
}

/// Words wrapped to `width` characters; a word longer than a line is split.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line: Vec<char> = Vec::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let mut word: Vec<char> = word.chars().collect();
            if !line.is_empty() && line.len() + 1 + word.len() <= width {
                line.push(' ');
                line.append(&mut word);
                continue;
            }
            if !line.is_empty() {
                lines.push(line.drain(..).collect());
            }
            while word.len() > width {
                lines.push(word.drain(..width).collect());
            }
            line = word;
        }
        if !line.is_empty() {
            lines.push(line.into_iter().collect());
        }
    }
    lines
}

/// `- text` wrapped to `width`, continuation lines indented under the text.
fn wrap_item(text: &str, width: usize) -> Vec<String> {
    wrap(text, width.saturating_sub(2).max(1))
        .into_iter()
        .enumerate()
        .map(|(i, line)| format!("{}{line}", if i == 0 { "- " } else { "  " }))
        .collect()
}

/// Modules per side of the QR code (model 2, level M, byte mode) that holds `bytes` bytes.
fn qr_modules(bytes: usize) -> Option<usize> {
    const CAPACITY_M: [usize; 40] = [
        14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666, 711, 779, 857,
        911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331,
    ];
    let version = CAPACITY_M.iter().position(|&capacity| bytes <= capacity)? + 1;
    Some(17 + 4 * version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_and_splits_long_ones() {
        assert_eq!(wrap("Carta d'identità  valida", 12), ["Carta", "d'identità", "valida"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb c", 3), ["a", "b c"]);
        assert_eq!(wrap_item("Marca da bollo", 10), ["- Marca da", "  bollo"]);
    }

    #[test]
    fn the_barcode_carries_the_rating_code_without_its_dash_and_reads_back_as_it() {
        for printed in ["A012-7K3MX", "Z9999-ZZZZZ", "B001-00000"] {
            let code: RatingCode = printed.parse().unwrap();
            let payload = barcode_payload(&code);
            assert!(payload.bytes().all(|b| b.is_ascii_alphanumeric()), "{payload}");
            assert_eq!(payload.parse::<RatingCode>().unwrap(), code);
        }
    }

    #[test]
    fn every_rating_code_is_a_barcode_of_two_dot_bars_on_58mm_and_three_on_80mm() {
        // The longest: a number of four digits, no digit pairs for code set C to shorten.
        let longest = barcode_payload(&"Z9999-ZZZZZ".parse().unwrap());
        let code = Code128::new(&longest).unwrap();
        assert_eq!(code.modules, 145);
        assert_eq!(code.module_width(PaperWidth::Mm58.dots()), Some(2));
        assert_eq!(code.module_width(PaperWidth::Mm80.dots()), Some(3));
    }

    #[test]
    fn qr_version_grows_with_the_payload() {
        assert_eq!(qr_modules(14), Some(21));
        assert_eq!(qr_modules(60), Some(33));
        assert_eq!(qr_modules(5000), None);
    }
}
