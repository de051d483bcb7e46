//! Printer configuration: how the kiosk reaches its printer (the driver) and how wide the paper is,
//! as read from the `[printer]` table of the kiosk's TOML file or from a command-line flag.
//!
//! ```toml
//! [printer]
//! driver = "network"     # network | usb | serial | file | console
//! host = "192.168.1.50"
//! port = 9100            # optional, 9100 by default
//! paper = 80             # 58 or 80 (mm); also "58", "80", "58mm", "80mm"; 80 by default
//! code_page = "PC858"    # the printer's character table for text; PC858 by default
//! code_page_number = 19  # the ESC t number that selects it on this printer; Epson's by default
//! missing_characters = "raster"  # or "nearest": lines with characters the table lacks
//! ```
//!
//! The tables: PC858, PC850, PC437, WPC1252, ISO8859-15, PC852, PC860, PC863, PC865, PC866, WPC1250,
//! WPC1251, ISO8859-2, and ASCII (no `ESC t` at all: every line with another character is printed as
//! an image). Printers number the tables differently; their self-test page lists theirs, and
//! `turno-kiosk print-test` shows what the chosen table and number print.
//!
//! The other drivers: `driver = "usb"` with `vendor_id = 0x0416` and `product_id = 0x5011`;
//! `driver = "serial"` with `path = "/dev/ttyUSB0"` and `baud_rate = 38400` (9600 by default);
//! `driver = "file"` with `path = "/dev/usb/lp0"` (a device, or a plain file that collects the bytes);
//! `driver = "console"` (prints a readable rendering of each ticket on standard output).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::codepage::{CodePage, MissingCharacters, Table, TextEncoding};

/// Default TCP port of a network printer (raw printing, "JetDirect").
pub const DEFAULT_NETWORK_PORT: u16 = 9100;
/// Default baud rate of a serial printer.
pub const DEFAULT_BAUD_RATE: u32 = 9600;

/// Width of the paper roll.
///
/// In TOML it is the number of millimetres: `paper = 58` or `paper = 80`; the strings `"58"`, `"80"`,
/// `"58mm"` and `"80mm"` are accepted too. It serializes as the integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PaperWidth {
    /// 58 mm roll: 384 printable dots, 32 characters of font A per line.
    Mm58,
    /// 80 mm roll: 576 printable dots, 48 characters of font A per line.
    #[default]
    Mm80,
}

impl PaperWidth {
    /// Printable width in dots (203 dpi heads).
    pub const fn dots(self) -> u16 {
        match self {
            Self::Mm58 => 384,
            Self::Mm80 => 576,
        }
    }

    /// Characters per line in font A (12 × 24 dots) at normal size.
    pub const fn columns(self) -> usize {
        match self {
            Self::Mm58 => 32,
            Self::Mm80 => 48,
        }
    }

    /// The width in millimetres.
    pub const fn millimetres(self) -> u8 {
        match self {
            Self::Mm58 => 58,
            Self::Mm80 => 80,
        }
    }
}

impl fmt::Display for PaperWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} mm", self.millimetres())
    }
}

/// The error of parsing a [`PaperWidth`] or a [`PrinterDriver`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseConfigError(String);

impl FromStr for PaperWidth {
    type Err = ParseConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().trim_end_matches("mm").trim() {
            "58" => Ok(Self::Mm58),
            "80" => Ok(Self::Mm80),
            _ => Err(ParseConfigError(format!(
                "paper width must be 58 or 80 (mm), not {s:?}"
            ))),
        }
    }
}

impl Serialize for PaperWidth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.millimetres())
    }
}

impl<'de> Deserialize<'de> for PaperWidth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = PaperWidth;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a paper width of 58 or 80 (mm)")
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PaperWidth, E> {
                match v {
                    58 => Ok(PaperWidth::Mm58),
                    80 => Ok(PaperWidth::Mm80),
                    _ => Err(E::custom(format!("paper width must be 58 or 80 (mm), not {v}"))),
                }
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PaperWidth, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!("paper width must be 58 or 80 (mm), not {v}"))),
                }
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PaperWidth, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

/// How the kiosk reaches its printer. In TOML the variant is chosen by the `driver` key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "driver", rename_all = "lowercase")]
pub enum PrinterDriver {
    /// Raw TCP printing (port 9100), with connect, write and status-read timeouts.
    Network {
        /// Host name or IP address.
        host: String,
        /// TCP port, 9100 by default.
        #[serde(default = "default_port")]
        port: u16,
    },
    /// A USB printer claimed directly by vendor and product id (pure-Rust `nusb`, no libusb).
    /// The kiosk's user needs write access to the device (a udev rule).
    Usb {
        /// USB vendor id, e.g. `0x0416`.
        vendor_id: u16,
        /// USB product id, e.g. `0x5011`.
        product_id: u16,
    },
    /// A serial (RS-232 or USB-serial) printer, 8N1 without flow control.
    Serial {
        /// The tty, e.g. `/dev/ttyUSB0`.
        path: String,
        /// Baud rate, 9600 by default.
        #[serde(default = "default_baud_rate")]
        baud_rate: u32,
    },
    /// A device node such as `/dev/usb/lp0` (status read back where the device answers), or a plain
    /// file that collects the bytes (no status: always ready).
    File {
        /// Path of the device or file.
        path: PathBuf,
    },
    /// Development: every ticket is printed as readable text on standard output.
    Console,
}

fn default_port() -> u16 {
    DEFAULT_NETWORK_PORT
}

fn default_baud_rate() -> u32 {
    DEFAULT_BAUD_RATE
}

impl fmt::Display for PrinterDriver {
    /// The same syntax that [`FromStr`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network { host, port } if host.contains(':') => write!(f, "network:[{host}]:{port}"),
            Self::Network { host, port } => write!(f, "network:{host}:{port}"),
            Self::Usb { vendor_id, product_id } => write!(f, "usb:{vendor_id:04x}:{product_id:04x}"),
            Self::Serial { path, baud_rate } => write!(f, "serial:{path}:{baud_rate}"),
            Self::File { path } => write!(f, "file:{}", path.display()),
            Self::Console => f.write_str("console"),
        }
    }
}

impl FromStr for PrinterDriver {
    type Err = ParseConfigError;

    /// Reads the compact form used by command-line flags: `network:HOST[:PORT]` (an IPv6 address in
    /// brackets), `usb:VID:PID` (hexadecimal), `serial:PATH[:BAUD]`, `file:PATH` or `console`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| ParseConfigError(format!("invalid printer {s:?}: {why}"));
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        match kind {
            "console" if rest.is_empty() => Ok(Self::Console),
            "network" => {
                let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
                    let (host, after) = bracketed.split_once(']').ok_or_else(|| bad("missing ']'"))?;
                    (host, after.strip_prefix(':'))
                } else {
                    match rest.rsplit_once(':') {
                        Some((host, port)) if !host.contains(':') => (host, Some(port)),
                        _ => (rest, None),
                    }
                };
                if host.is_empty() {
                    return Err(bad("the host is missing"));
                }
                let port = match port {
                    Some(port) => port.parse().map_err(|_| bad("the port must be a number"))?,
                    None => DEFAULT_NETWORK_PORT,
                };
                Ok(Self::Network {
                    host: host.to_owned(),
                    port,
                })
            }
            "usb" => {
                let (vendor, product) = rest.split_once(':').ok_or_else(|| bad("expected usb:VID:PID"))?;
                let hex = |v: &str| u16::from_str_radix(v.trim_start_matches("0x"), 16);
                Ok(Self::Usb {
                    vendor_id: hex(vendor).map_err(|_| bad("the vendor id must be hexadecimal"))?,
                    product_id: hex(product).map_err(|_| bad("the product id must be hexadecimal"))?,
                })
            }
            "serial" => {
                let (path, baud_rate) = match rest.rsplit_once(':') {
                    Some((path, baud)) if !path.is_empty() && baud.bytes().all(|b| b.is_ascii_digit()) => {
                        (path, baud.parse().map_err(|_| bad("the baud rate is too large"))?)
                    }
                    _ => (rest, DEFAULT_BAUD_RATE),
                };
                if path.is_empty() {
                    return Err(bad("the path is missing"));
                }
                Ok(Self::Serial {
                    path: path.to_owned(),
                    baud_rate,
                })
            }
            "file" if !rest.is_empty() => Ok(Self::File {
                path: PathBuf::from(rest),
            }),
            _ => Err(bad(
                "expected network:HOST[:PORT], usb:VID:PID, serial:PATH[:BAUD], file:PATH or console",
            )),
        }
    }
}

/// The printer section of the kiosk configuration: the driver's keys sit beside `paper` and the
/// code page in one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterConfig {
    /// How to reach the printer.
    #[serde(flatten)]
    pub driver: PrinterDriver,
    /// Paper roll width; 80 mm when absent.
    #[serde(default)]
    pub paper: PaperWidth,
    /// The character table text is printed from; PC858 when absent.
    #[serde(default)]
    pub code_page: Table,
    /// The `ESC t` number that selects [`Self::code_page`] on this printer; Epson's number for the
    /// table when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_page_number: Option<u8>,
    /// What becomes of a paragraph holding a character the table lacks; raster when absent.
    #[serde(default)]
    pub missing_characters: MissingCharacters,
}

impl PrinterConfig {
    /// A printer reached by `driver` with the defaults: PC858 as Epson numbers it, raster for what
    /// it lacks.
    pub fn new(driver: PrinterDriver, paper: PaperWidth) -> Self {
        Self {
            driver,
            paper,
            code_page: Table::default(),
            code_page_number: None,
            missing_characters: MissingCharacters::default(),
        }
    }

    /// The table and number to select.
    pub fn code_page(&self) -> CodePage {
        match (self.code_page, self.code_page_number) {
            (Table::Ascii, _) | (_, None) => CodePage::epson(self.code_page),
            (table, Some(number)) => CodePage {
                table,
                number: Some(number),
            },
        }
    }

    /// Sets the table and number (the `--code-page` flag).
    pub fn set_code_page(&mut self, code_page: CodePage) {
        self.code_page = code_page.table;
        self.code_page_number = code_page.number;
    }

    /// How text is encoded for this printer.
    pub fn text_encoding(&self) -> TextEncoding {
        TextEncoding {
            code_page: self.code_page(),
            missing: self.missing_characters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: PrinterDriver) {
        let parsed: PrinterDriver = text.parse().unwrap();
        assert_eq!(parsed, expected);
        assert_eq!(parsed.to_string().parse::<PrinterDriver>().unwrap(), expected);
    }

    #[test]
    fn driver_flags_round_trip() {
        let network = |host: &str, port| PrinterDriver::Network {
            host: host.into(),
            port,
        };
        check("network:10.0.0.7", network("10.0.0.7", 9100));
        check("network:printer.local:9101", network("printer.local", 9101));
        check("network:[fe80::1]:9100", network("fe80::1", 9100));
        check("network:[::1]", network("::1", 9100));
        check(
            "usb:0416:5011",
            PrinterDriver::Usb {
                vendor_id: 0x0416,
                product_id: 0x5011,
            },
        );
        check(
            "usb:0x04b8:0x0202",
            PrinterDriver::Usb {
                vendor_id: 0x04b8,
                product_id: 0x0202,
            },
        );
        check(
            "serial:/dev/ttyUSB0",
            PrinterDriver::Serial {
                path: "/dev/ttyUSB0".into(),
                baud_rate: 9600,
            },
        );
        check(
            "serial:/dev/ttyS0:38400",
            PrinterDriver::Serial {
                path: "/dev/ttyS0".into(),
                baud_rate: 38400,
            },
        );
        check(
            "file:/dev/usb/lp0",
            PrinterDriver::File {
                path: "/dev/usb/lp0".into(),
            },
        );
        check("console", PrinterDriver::Console);
        for bad in [
            "",
            "laser",
            "network:",
            "network:host:port",
            "usb:1234",
            "usb:zz:11",
            "file:",
            "console:x",
        ] {
            assert!(bad.parse::<PrinterDriver>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn the_code_page_is_set_by_table_and_number() {
        let config: PrinterConfig = toml::from_str("driver = \"console\"").unwrap();
        assert_eq!(config.code_page(), CodePage::epson(Table::Pc858));
        assert_eq!(config.code_page().number, Some(19));
        assert_eq!(config.missing_characters, MissingCharacters::Raster);
        let config: PrinterConfig = toml::from_str(
            "driver = \"serial\"\npath = \"/dev/ttyS0\"\ncode_page = \"WPC1252\"\ncode_page_number = 71\n\
             missing_characters = \"nearest\"",
        )
        .unwrap();
        assert_eq!(
            config.text_encoding(),
            TextEncoding {
                code_page: CodePage {
                    table: Table::Wpc1252,
                    number: Some(71)
                },
                missing: MissingCharacters::Nearest,
            }
        );
        let config: PrinterConfig = toml::from_str("driver = \"console\"\ncode_page = \"pc850\"").unwrap();
        assert_eq!(config.code_page().number, Some(2), "Epson's number by default");
        for bad in [
            "driver = \"console\"\ncode_page = \"PC999\"",
            "driver = \"console\"\ncode_page_number = 256",
            "driver = \"console\"\nmissing_characters = \"drop\"",
        ] {
            let err = toml::from_str::<PrinterConfig>(bad).unwrap_err().to_string();
            assert!(!err.is_empty(), "{bad}");
        }
    }

    #[test]
    fn paper_width_from_text() {
        assert_eq!("58".parse::<PaperWidth>().unwrap(), PaperWidth::Mm58);
        assert_eq!("80mm".parse::<PaperWidth>().unwrap(), PaperWidth::Mm80);
        assert!("76".parse::<PaperWidth>().is_err());
    }
}
