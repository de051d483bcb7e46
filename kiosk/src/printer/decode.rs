//! A decoder of ESC/POS bytes into a readable structure: text lines decoded from the selected code
//! page with their size, emphasis and justification, QR and barcode payloads, raster images, code
//! page selections, cuts and status queries. It reads what `encode_ticket` writes (and the common
//! commands around it); tests and the fake printer check tickets with it, and the console driver
//! prints tickets through it. [`decode_with`] reads the bytes as a printer with another numbering of
//! its code pages would print them.

use std::fmt::{self, Write as _};
use std::ops::Range;

use super::barcode::{code128_modules, decode_code128};
use super::codepage::{Numbering, Table};

/// Horizontal justification (`ESC a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Justify {
    #[default]
    Left,
    Center,
    Right,
}

/// One printed line of code-page text, with the style it was printed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    pub text: String,
    /// Character width multiplier (`GS !`), 1–8.
    pub width: u8,
    /// Character height multiplier (`GS !`), 1–8.
    pub height: u8,
    pub bold: bool,
    pub reverse: bool,
    pub justify: Justify,
}

impl TextLine {
    /// Columns of font A the line takes: characters × width multiplier.
    pub fn columns(&self) -> usize {
        self.text.chars().count() * usize::from(self.width)
    }
}

/// A printed QR code (`GS ( k`, function 180/181).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    pub payload: String,
    /// Module size in dots.
    pub module_size: u8,
    /// Error correction level: L, M, Q or H.
    pub error_correction: char,
}

/// A printed one-dimensional barcode (`GS k`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode {
    /// "CODE128", "EAN13", …
    pub symbology: &'static str,
    /// The characters the barcode stands for.
    pub payload: String,
    /// Narrowest bar in dots (`GS w`).
    pub module_width: u8,
    /// Width of the symbol in modules, quiet zones excluded (CODE128 only).
    pub modules: Option<usize>,
    /// Height in dots (`GS h`).
    pub height: u8,
}

impl Barcode {
    /// Printed width of the bars in dots, quiet zones excluded (CODE128 only).
    pub fn width_dots(&self) -> Option<usize> {
        self.modules.map(|m| m * usize::from(self.module_width))
    }
}

/// A printed raster image (`GS v 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    /// Width in dots.
    pub width: u16,
    /// Height in dots.
    pub height: u16,
    /// Rows of `width / 8` bytes, most significant bit leftmost, 1 = black.
    pub bits: Vec<u8>,
}

impl Raster {
    /// Whether the dot at (`x`, `y`) is black.
    pub fn dot(&self, x: u16, y: u16) -> bool {
        let index = usize::from(y) * usize::from(self.width / 8) + usize::from(x / 8);
        self.bits.get(index).is_some_and(|byte| byte & (0x80 >> (x % 8)) != 0)
    }

    /// Number of black dots.
    pub fn ink(&self) -> usize {
        self.bits.iter().map(|b| b.count_ones() as usize).sum()
    }
}

/// One decoded element, in the order the printer met it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `ESC @`.
    Init,
    /// `ESC t n`: the code page of the text that follows.
    CodePage(u8),
    Justify(Justify),
    Bold(bool),
    Reverse(bool),
    /// `GS !` (or `ESC !`): character size multipliers.
    Size {
        width: u8,
        height: u8,
    },
    /// A line of text ended by LF (or by a command that prints the buffer).
    Text(TextLine),
    /// `ESC d n`: print and feed n lines.
    Feed(u8),
    Qr(QrCode),
    Barcode(Barcode),
    Raster(Raster),
    /// `GS V`.
    Cut {
        partial: bool,
    },
    /// `DLE EOT n`: a real-time status query.
    StatusQuery(u8),
    /// A recognised command that changes nothing this decoder models, described.
    Other(String),
    /// Bytes this decoder does not know (or a command cut short at the end of the stream).
    Unknown(Vec<u8>),
}

/// A decoded stream of ESC/POS bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    pub items: Vec<Item>,
    /// The numbering `ESC t` was read with.
    pub numbering: Numbering,
}

impl Decoded {
    /// The printed text lines.
    pub fn lines(&self) -> impl Iterator<Item = &TextLine> {
        self.items.iter().filter_map(|item| match item {
            Item::Text(line) => Some(line),
            _ => None,
        })
    }

    /// All printed text, one line per line.
    pub fn text(&self) -> String {
        self.lines().map(|line| format!("{}\n", line.text)).collect()
    }

    pub fn qr_codes(&self) -> impl Iterator<Item = &QrCode> {
        self.items.iter().filter_map(|item| match item {
            Item::Qr(qr) => Some(qr),
            _ => None,
        })
    }

    pub fn barcodes(&self) -> impl Iterator<Item = &Barcode> {
        self.items.iter().filter_map(|item| match item {
            Item::Barcode(barcode) => Some(barcode),
            _ => None,
        })
    }

    pub fn rasters(&self) -> impl Iterator<Item = &Raster> {
        self.items.iter().filter_map(|item| match item {
            Item::Raster(raster) => Some(raster),
            _ => None,
        })
    }

    /// The code pages selected, in order.
    pub fn code_pages(&self) -> Vec<u8> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::CodePage(page) => Some(*page),
                _ => None,
            })
            .collect()
    }

    pub fn cuts(&self) -> usize {
        self.items
            .iter()
            .filter(|item| matches!(item, Item::Cut { .. }))
            .count()
    }

    pub fn status_queries(&self) -> usize {
        self.items
            .iter()
            .filter(|item| matches!(item, Item::StatusQuery(_)))
            .count()
    }

    /// Whether the stream prints anything (text, codes, images, a cut), as opposed to holding only
    /// status queries and settings.
    pub fn prints_anything(&self) -> bool {
        self.items.iter().any(|item| {
            matches!(
                item,
                Item::Text(_) | Item::Feed(_) | Item::Qr(_) | Item::Barcode(_) | Item::Raster(_) | Item::Cut { .. }
            )
        })
    }

    /// A picture of the paper, `columns` characters wide: text placed by its justification (enlarged
    /// text at its plain width, so that it can still be searched), codes and images as bracketed
    /// placeholders, cuts as a dashed line.
    pub fn render_paper(&self, columns: usize) -> String {
        let mut out = String::new();
        let columns = columns.max(1);
        let mut place = |text: &str, justify: Justify| {
            let chars: Vec<char> = text.chars().collect();
            for piece in chars.chunks(columns).chain((chars.is_empty()).then_some(&[][..])) {
                let pad = columns - piece.len();
                let left = match justify {
                    Justify::Left => 0,
                    Justify::Center => pad / 2,
                    Justify::Right => pad,
                };
                let piece: String = piece.iter().collect();
                let _ = writeln!(out, "|{}{piece}{}|", " ".repeat(left), " ".repeat(pad - left));
            }
        };
        let mut justify = Justify::Left;
        for item in &self.items {
            match item {
                Item::Justify(j) => justify = *j,
                Item::Text(line) => place(&line.text, line.justify),
                Item::Feed(lines) => (0..*lines).for_each(|_| place("", justify)),
                Item::Qr(qr) => place(&format!("[QR {}]", qr.payload), justify),
                Item::Barcode(barcode) => place(&format!("[{} {}]", barcode.symbology, barcode.payload), justify),
                Item::Raster(raster) => place(&format!("[image {}x{} dots]", raster.width, raster.height), justify),
                Item::Cut { .. } => place(&"- ".repeat(columns / 2), Justify::Left),
                _ => {}
            }
        }
        out
    }
}

impl fmt::Display for Decoded {
    /// One element per line: text as `| text`, everything else in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            match item {
                Item::Init => writeln!(f, "[init]")?,
                Item::CodePage(page) => match self.numbering.table(*page) {
                    Some(table) => writeln!(f, "[code page {page} {table}]")?,
                    None => writeln!(f, "[code page {page}]")?,
                },
                Item::Justify(j) => writeln!(f, "[{}]", format!("{j:?}").to_lowercase())?,
                Item::Bold(on) => writeln!(f, "[bold {}]", if *on { "on" } else { "off" })?,
                Item::Reverse(on) => writeln!(f, "[reverse {}]", if *on { "on" } else { "off" })?,
                Item::Size { width, height } => writeln!(f, "[size {width}x{height}]")?,
                Item::Text(line) if line.text.is_empty() => writeln!(f, "|")?,
                Item::Text(line) => writeln!(f, "| {}", line.text)?,
                Item::Feed(n) => writeln!(f, "[feed {n}]")?,
                Item::Qr(qr) => writeln!(
                    f,
                    "[QR module {} ec {}] {}",
                    qr.module_size, qr.error_correction, qr.payload
                )?,
                Item::Barcode(b) => match b.modules {
                    Some(modules) => writeln!(
                        f,
                        "[{} {modules} modules × {} dots = {} dots, height {}] {}",
                        b.symbology,
                        b.module_width,
                        modules * usize::from(b.module_width),
                        b.height,
                        b.payload
                    )?,
                    None => writeln!(
                        f,
                        "[{} module {} height {}] {}",
                        b.symbology, b.module_width, b.height, b.payload
                    )?,
                },
                Item::Raster(r) => writeln!(f, "[raster {}x{}]", r.width, r.height)?,
                Item::Cut { partial } => writeln!(f, "[{} cut]", if *partial { "partial" } else { "full" })?,
                Item::StatusQuery(n) => writeln!(f, "[status query {n}]")?,
                Item::Other(what) => writeln!(f, "[{what}]")?,
                Item::Unknown(bytes) => writeln!(f, "[unknown {bytes:02X?}]")?,
            }
        }
        Ok(())
    }
}

/// Decodes a stream of ESC/POS bytes as a printer with Epson's numbering of code pages prints it.
pub fn decode(bytes: &[u8]) -> Decoded {
    decode_with(bytes, &Numbering::epson())
}

/// Decodes a stream of ESC/POS bytes as a printer that numbers its code pages by `numbering` prints
/// it: after `ESC t n`, text comes from the table its `n` selects (U+FFFD above 0x7F where it has
/// none); before any, from PC437, the power-on default.
pub fn decode_with(bytes: &[u8], numbering: &Numbering) -> Decoded {
    let mut decoder = Decoder {
        numbering,
        ..Decoder::default()
    };
    for (command, _) in commands(bytes) {
        decoder.apply(command);
    }
    decoder.flush_line();
    Decoded {
        items: decoder.items,
        numbering: numbering.clone(),
    }
}

/// `bytes` without its real-time status queries (`DLE EOT n`) found between commands: what a
/// printer would print.
pub fn strip_status_queries(bytes: &[u8]) -> Vec<u8> {
    commands(bytes)
        .into_iter()
        .filter(|(command, _)| !matches!(command, Command::StatusQuery(_)))
        .flat_map(|(_, range)| bytes[range].iter().copied())
        .collect()
}

/// One command (or text byte) as read from the stream, before the printer state gives it meaning.
#[derive(Debug)]
enum Command<'a> {
    Char(u8),
    LineFeed,
    Init,
    CodePage(u8),
    Justify(u8),
    Bold(u8),
    PrintMode(u8),
    Feed(u8),
    Size(u8),
    Reverse(u8),
    Cut {
        partial: bool,
    },
    BarcodeWidth(u8),
    BarcodeHeight(u8),
    /// `GS H` or `GS f`: where and in which font the barcode's text goes; not modelled.
    BarcodeText,
    Barcode {
        system: u8,
        data: &'a [u8],
    },
    Function2D {
        symbol: u8,
        function: u8,
        params: &'a [u8],
    },
    Raster {
        bytes_per_row: u16,
        rows: u16,
        bits: &'a [u8],
    },
    StatusQuery(u8),
    Other(String),
    Unknown(&'a [u8]),
}

/// Splits `bytes` into commands with their byte ranges.
fn commands(bytes: &[u8]) -> Vec<(Command<'_>, Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (command, len) = read_command(&bytes[at..]);
        let len = len.max(1);
        out.push((command, at..at + len));
        at += len;
    }
    out
}

/// Reads the command at the start of `b` (non-empty): the command and its length in bytes.
fn read_command(b: &[u8]) -> (Command<'_>, usize) {
    const ESC: u8 = 0x1B;
    const GS: u8 = 0x1D;
    const DLE: u8 = 0x10;
    let arg = |i: usize| b.get(i).copied();
    let truncated = || (Command::Unknown(b), b.len());
    let one = |make: fn(u8) -> Command<'static>| match arg(2) {
        Some(n) => (make(n), 3),
        None => truncated(),
    };
    let other = |what: &str, len: usize| {
        if b.len() < len {
            truncated()
        } else {
            (Command::Other(what.to_owned()), len)
        }
    };
    match (b[0], arg(1)) {
        (b'\n', _) => (Command::LineFeed, 1),
        (b'\r', _) => (Command::Other("carriage return".into()), 1),
        (0x20..=0x7E | 0x80..=0xFF, _) => (Command::Char(b[0]), 1),
        (ESC, Some(b'@')) => (Command::Init, 2),
        (ESC, Some(b't')) => one(Command::CodePage),
        (ESC, Some(b'a')) => one(Command::Justify),
        (ESC, Some(b'E')) => one(Command::Bold),
        (ESC, Some(b'!')) => one(Command::PrintMode),
        (ESC, Some(b'd')) => one(Command::Feed),
        (ESC, Some(b'2')) => other("default line spacing", 2),
        (ESC, Some(b'3')) => other("line spacing", 3),
        (ESC, Some(b'-')) => other("underline", 3),
        (ESC, Some(b'G')) => other("double strike", 3),
        (ESC, Some(b'M')) => other("font", 3),
        (ESC, Some(b'R')) => other("international character set", 3),
        (ESC, Some(b'J')) => other("feed dots", 3),
        (ESC, Some(b'{')) => other("upside down", 3),
        (ESC, Some(b'V')) => other("rotation", 3),
        (ESC, Some(b' ')) => other("character spacing", 3),
        (ESC, Some(b'p')) => other("cash drawer pulse", 5),
        (ESC, Some(b'c')) => other("paper sensor or panel setting", 4),
        (GS, Some(b'!')) => one(Command::Size),
        (GS, Some(b'B')) => one(Command::Reverse),
        (GS, Some(b'w')) => one(Command::BarcodeWidth),
        (GS, Some(b'h')) => one(Command::BarcodeHeight),
        (GS, Some(b'H' | b'f')) if b.len() >= 3 => (Command::BarcodeText, 3),
        (GS, Some(b'b')) => other("smoothing", 3),
        (GS, Some(b'a')) => other("automatic status back", 3),
        (GS, Some(b'L')) => other("left margin", 4),
        (GS, Some(b'W')) => other("print area width", 4),
        (GS, Some(b'P')) => other("motion units", 4),
        (GS, Some(b'V')) => match arg(2) {
            Some(m @ (0 | 1 | 48 | 49)) => (Command::Cut { partial: m % 48 == 1 }, 3),
            Some(m @ (65 | 66)) if b.len() >= 4 => (Command::Cut { partial: m == 66 }, 4),
            Some(m @ (97 | 98 | 103 | 104)) if b.len() >= 4 => (Command::Cut { partial: m % 2 == 0 }, 4),
            _ => truncated(),
        },
        (GS, Some(b'k')) => match arg(2) {
            Some(system @ 0..=6) => match b[3..].iter().position(|&c| c == 0) {
                Some(end) => (
                    Command::Barcode {
                        system,
                        data: &b[3..3 + end],
                    },
                    3 + end + 1,
                ),
                None => truncated(),
            },
            Some(system @ 65..=79) => match arg(3) {
                Some(n) if b.len() >= 4 + usize::from(n) => (
                    Command::Barcode {
                        system,
                        data: &b[4..4 + usize::from(n)],
                    },
                    4 + usize::from(n),
                ),
                _ => truncated(),
            },
            _ => truncated(),
        },
        (GS, Some(b'(')) => match (arg(2), arg(3), arg(4)) {
            (Some(kind), Some(pl), Some(ph)) => {
                let len = usize::from(pl) + 256 * usize::from(ph);
                if b.len() < 5 + len {
                    return truncated();
                }
                let body = &b[5..5 + len];
                match (kind, body) {
                    (b'k', [symbol, function, params @ ..]) => (
                        Command::Function2D {
                            symbol: *symbol,
                            function: *function,
                            params,
                        },
                        5 + len,
                    ),
                    _ => (Command::Other(format!("GS ( {}", kind as char)), 5 + len),
                }
            }
            _ => truncated(),
        },
        (GS, Some(b'v')) if b.get(2) == Some(&b'0') => {
            if b.len() < 8 {
                return truncated();
            }
            let bytes_per_row = u16::from_le_bytes([b[4], b[5]]);
            let rows = u16::from_le_bytes([b[6], b[7]]);
            let len = usize::from(bytes_per_row) * usize::from(rows);
            if b.len() < 8 + len {
                return truncated();
            }
            (
                Command::Raster {
                    bytes_per_row,
                    rows,
                    bits: &b[8..8 + len],
                },
                8 + len,
            )
        }
        (DLE, Some(0x04)) => match (arg(2), arg(3)) {
            (Some(n @ 1..=4), _) => (Command::StatusQuery(n), 3),
            (Some(n @ (7 | 8 | 18)), Some(_)) => (Command::StatusQuery(n), 4),
            _ => truncated(),
        },
        (ESC | GS | DLE, Some(_)) => (Command::Unknown(&b[..2]), 2),
        _ => (Command::Unknown(&b[..1]), 1),
    }
}

/// The printer state that gives commands their meaning.
struct Decoder<'n> {
    numbering: &'n Numbering,
    items: Vec<Item>,
    /// The selected table; `None` after an `ESC t` this numbering does not know.
    table: Option<Table>,
    justify: Justify,
    bold: bool,
    reverse: bool,
    size: (u8, u8),
    line: Option<TextLine>,
    barcode_width: u8,
    barcode_height: u8,
    qr_module: u8,
    qr_correction: char,
    qr_data: Vec<u8>,
}

impl Default for Decoder<'_> {
    fn default() -> Self {
        static EPSON: std::sync::LazyLock<Numbering> = std::sync::LazyLock::new(Numbering::epson);
        Self {
            numbering: &EPSON,
            items: Vec::new(),
            table: Some(Table::Pc437),
            justify: Justify::Left,
            bold: false,
            reverse: false,
            size: (1, 1),
            line: None,
            barcode_width: 3,
            barcode_height: 162,
            qr_module: 3,
            qr_correction: 'L',
            qr_data: Vec::new(),
        }
    }
}

impl Decoder<'_> {
    fn apply(&mut self, command: Command<'_>) {
        match command {
            Command::Char(byte) => {
                let c = match self.table {
                    Some(table) => table.decode_byte(byte),
                    None if byte.is_ascii() => Table::Ascii.decode_byte(byte),
                    None => char::REPLACEMENT_CHARACTER,
                };
                let line = self.line.get_or_insert_with(|| TextLine {
                    text: String::new(),
                    width: self.size.0,
                    height: self.size.1,
                    bold: self.bold,
                    reverse: self.reverse,
                    justify: self.justify,
                });
                line.text.push(c);
            }
            Command::LineFeed => {
                let line = self.line.take().unwrap_or_else(|| TextLine {
                    text: String::new(),
                    width: self.size.0,
                    height: self.size.1,
                    bold: self.bold,
                    reverse: self.reverse,
                    justify: self.justify,
                });
                self.items.push(Item::Text(line));
            }
            Command::Init => {
                self.flush_line();
                *self = Self {
                    numbering: self.numbering,
                    items: std::mem::take(&mut self.items),
                    ..Self::default()
                };
                self.items.push(Item::Init);
            }
            Command::CodePage(page) => {
                self.table = self.numbering.table(page);
                self.items.push(Item::CodePage(page));
            }
            Command::Justify(n) => {
                self.justify = match n % 48 {
                    1 => Justify::Center,
                    2 => Justify::Right,
                    _ => Justify::Left,
                };
                self.items.push(Item::Justify(self.justify));
            }
            Command::Bold(n) => {
                self.bold = n & 1 == 1;
                self.items.push(Item::Bold(self.bold));
            }
            Command::PrintMode(n) => {
                self.bold = n & 0x08 != 0;
                self.size = (1 + u8::from(n & 0x20 != 0), 1 + u8::from(n & 0x10 != 0));
                self.items.push(Item::Bold(self.bold));
                self.items.push(Item::Size {
                    width: self.size.0,
                    height: self.size.1,
                });
            }
            Command::Size(n) => {
                self.size = ((n >> 4 & 7) + 1, (n & 7) + 1);
                self.items.push(Item::Size {
                    width: self.size.0,
                    height: self.size.1,
                });
            }
            Command::Reverse(n) => {
                self.reverse = n & 1 == 1;
                self.items.push(Item::Reverse(self.reverse));
            }
            Command::Feed(n) => {
                self.flush_line();
                self.items.push(Item::Feed(n));
            }
            Command::Cut { partial } => {
                self.flush_line();
                self.items.push(Item::Cut { partial });
            }
            Command::BarcodeWidth(n) => self.barcode_width = n,
            Command::BarcodeHeight(n) => self.barcode_height = n,
            Command::BarcodeText => {}
            Command::Barcode { system, data } => {
                self.flush_line();
                let symbology = match system {
                    0 | 65 => "UPC-A",
                    1 | 66 => "UPC-E",
                    2 | 67 => "EAN13",
                    3 | 68 => "EAN8",
                    4 | 69 => "CODE39",
                    5 | 70 => "ITF",
                    6 | 71 => "CODABAR",
                    72 => "CODE93",
                    73 => "CODE128",
                    74 => "GS1-128",
                    _ => "GS1 DataBar",
                };
                let (payload, modules) = if system == 73 {
                    (decode_code128(data), Some(code128_modules(data)))
                } else {
                    (String::from_utf8_lossy(data).into_owned(), None)
                };
                self.items.push(Item::Barcode(Barcode {
                    symbology,
                    payload,
                    module_width: self.barcode_width,
                    modules,
                    height: self.barcode_height,
                }));
            }
            Command::Function2D {
                symbol: 49,
                function,
                params,
            } => match (function, params) {
                (65, _) => {} // model
                (67, [size, ..]) => self.qr_module = *size,
                (69, [level, ..]) => {
                    self.qr_correction = ['L', 'M', 'Q', 'H'][usize::from(level.saturating_sub(48).min(3))]
                }
                (80, [_, data @ ..]) => self.qr_data = data.to_vec(),
                (81, _) => {
                    self.flush_line();
                    self.items.push(Item::Qr(QrCode {
                        payload: String::from_utf8_lossy(&self.qr_data).into_owned(),
                        module_size: self.qr_module,
                        error_correction: self.qr_correction,
                    }));
                }
                _ => self.items.push(Item::Other(format!("QR setting {function}"))),
            },
            Command::Function2D { symbol, function, .. } => {
                self.items
                    .push(Item::Other(format!("2D symbol {symbol} function {function}")));
            }
            Command::Raster {
                bytes_per_row,
                rows,
                bits,
            } => {
                self.flush_line();
                self.items.push(Item::Raster(Raster {
                    width: bytes_per_row * 8,
                    height: rows,
                    bits: bits.to_vec(),
                }));
            }
            Command::StatusQuery(n) => self.items.push(Item::StatusQuery(n)),
            Command::Other(what) => self.items.push(Item::Other(what)),
            Command::Unknown(bytes) => self.items.push(Item::Unknown(bytes.to_vec())),
        }
    }

    /// Text left in the buffer is printed by the next printing command.
    fn flush_line(&mut self) {
        if let Some(line) = self.line.take() {
            self.items.push(Item::Text(line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_text_styles_codes_and_cuts() {
        let mut bytes = vec![0x1B, b'@', 0x1B, b't', 19, 0x1B, b'a', 1, 0x1D, b'!', 0x77];
        bytes.extend_from_slice(b"A001\n");
        bytes.extend_from_slice(&[0x1D, b'!', 0x00, 0x1B, b'E', 1, b'C', b'i', b't', b't', 0x85, b'\n']);
        bytes.extend_from_slice(&[
            0x1D, b'(', b'k', 3, 0, 49, 67, 6, 0x1D, b'(', b'k', 6, 0, 49, 80, 48, b'u', b'r', b'l',
        ]);
        bytes.extend_from_slice(&[0x1D, b'(', b'k', 3, 0, 49, 81, 48]);
        bytes.extend_from_slice(&[0x1D, b'w', 2, 0x1D, b'k', 73, 4, b'{', b'C', 12, 34, 0x10, 0x04, 1]);
        bytes.extend_from_slice(&[0x1D, b'v', b'0', 0, 1, 0, 2, 0, 0xFF, 0x81, 0x1D, b'V', 65, 0]);
        let decoded = decode(&bytes);
        assert_eq!(
            decoded.to_string(),
            "[init]\n[code page 19 PC858]\n[center]\n[size 8x8]\n| A001\n[size 1x1]\n[bold on]\n| Città\n\
             [QR module 6 ec L] url\n[CODE128 57 modules × 2 dots = 114 dots, height 162] 1234\n[status query 1]\n[raster 8x2]\n[full cut]\n"
        );
        let number = decoded.lines().next().unwrap();
        assert_eq!((number.columns(), number.justify), (32, Justify::Center));
        assert_eq!(decoded.rasters().next().unwrap().ink(), 10);
        assert_eq!(strip_status_queries(&bytes).len(), bytes.len() - 3);
    }

    #[test]
    fn unknown_and_truncated_commands_do_not_stop_the_decoder() {
        let decoded = decode(&[0x1B, b'Z', b'o', b'k', b'\n', 0x1D, b'v', b'0', 0, 9]);
        assert_eq!(
            decoded.to_string(),
            "[unknown [1B, 5A]]\n| ok\n[unknown [1D, 76, 30, 00, 09]]\n"
        );
    }
}
