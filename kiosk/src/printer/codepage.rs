//! The printer's character tables and the encoding of text into them.
//!
//! A thermal printer prints bytes 0x80..=0xFF from the character table that `ESC t n` selected, but
//! printers do not agree on the numbers: Epson's PC858 is 19, other vendors put another table there
//! (an Xprinter printed "Carta d'identit▯" from it). So the kiosk's settings name both the table
//! ([`Table`]: PC858, PC850, WPC1252, …) and the number that selects it on that printer; the Epson
//! number is the default ([`Table::epson_number`]). Text the table cannot hold is printed as a raster
//! image instead (see `raster`), or with its nearest characters (see [`MissingCharacters`]).
//!
//! The tables come from `oem_cp` (IBM's PC437, PC850, PC852, PC858, …) and `encoding_rs` (Windows
//! and ISO tables): no table of our own to get wrong (escpos 0.20's PC858 has `Ô` twice where `Ò`
//! belongs, so its `write` is not used for text).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use oem_cp::code_table as oem;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A character table a printer can hold (the upper half, bytes 0x80..=0xFF; the lower half is ASCII).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Table {
    /// No table: only ASCII is printed as text, everything else as raster. `ESC t` is not sent, so
    /// it works whatever a printer's numbering.
    Ascii,
    /// IBM PC437 (USA), the power-on default: no `€`, no `À È Ì Ò Ù`.
    Pc437,
    /// IBM PC850 (Latin-1): the Italian letters, no `€`.
    Pc850,
    /// IBM PC852 (Latin-2, central Europe).
    Pc852,
    /// IBM PC858: PC850 with `€` at 0xD5.
    #[default]
    Pc858,
    /// IBM PC860 (Portuguese).
    Pc860,
    /// IBM PC863 (Canadian French).
    Pc863,
    /// IBM PC865 (Nordic).
    Pc865,
    /// IBM PC866 (Cyrillic).
    Pc866,
    /// Windows-1250 (central Europe).
    Wpc1250,
    /// Windows-1251 (Cyrillic).
    Wpc1251,
    /// Windows-1252 (western Europe, with `€`).
    Wpc1252,
    /// ISO 8859-2 (Latin-2).
    Iso8859_2,
    /// ISO 8859-15 (Latin-9, with `€`).
    Iso8859_15,
}

impl Table {
    /// Every table, in the order the settings' documentation lists them.
    pub const ALL: [Table; 14] = [
        Table::Pc858,
        Table::Pc850,
        Table::Pc437,
        Table::Wpc1252,
        Table::Iso8859_15,
        Table::Pc852,
        Table::Pc860,
        Table::Pc863,
        Table::Pc865,
        Table::Pc866,
        Table::Wpc1250,
        Table::Wpc1251,
        Table::Iso8859_2,
        Table::Ascii,
    ];

    /// The name used in the settings and printed on the test page.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ascii => "ASCII",
            Self::Pc437 => "PC437",
            Self::Pc850 => "PC850",
            Self::Pc852 => "PC852",
            Self::Pc858 => "PC858",
            Self::Pc860 => "PC860",
            Self::Pc863 => "PC863",
            Self::Pc865 => "PC865",
            Self::Pc866 => "PC866",
            Self::Wpc1250 => "WPC1250",
            Self::Wpc1251 => "WPC1251",
            Self::Wpc1252 => "WPC1252",
            Self::Iso8859_2 => "ISO8859-2",
            Self::Iso8859_15 => "ISO8859-15",
        }
    }

    /// The `ESC t n` value Epson gives this table (ESC/POS reference, "Select character code
    /// table"); `None` for [`Table::Ascii`], which selects nothing.
    pub const fn epson_number(self) -> Option<u8> {
        match self {
            Self::Ascii => None,
            Self::Pc437 => Some(0),
            Self::Pc850 => Some(2),
            Self::Pc860 => Some(3),
            Self::Pc863 => Some(4),
            Self::Pc865 => Some(5),
            Self::Wpc1252 => Some(16),
            Self::Pc866 => Some(17),
            Self::Pc852 => Some(18),
            Self::Pc858 => Some(19),
            Self::Iso8859_2 => Some(39),
            Self::Iso8859_15 => Some(40),
            Self::Wpc1250 => Some(45),
            Self::Wpc1251 => Some(46),
        }
    }

    /// The characters of bytes 0x80..=0xFF; U+FFFD where the table has no printable character.
    fn high(self) -> &'static [char; 128] {
        static NONE: [char; 128] = [char::REPLACEMENT_CHARACTER; 128];
        static WPC1250: OnceLock<[char; 128]> = OnceLock::new();
        static WPC1251: OnceLock<[char; 128]> = OnceLock::new();
        static WPC1252: OnceLock<[char; 128]> = OnceLock::new();
        static ISO8859_2: OnceLock<[char; 128]> = OnceLock::new();
        static ISO8859_15: OnceLock<[char; 128]> = OnceLock::new();
        match self {
            Self::Ascii => &NONE,
            Self::Pc437 => &oem::DECODING_TABLE_CP437,
            Self::Pc850 => &oem::DECODING_TABLE_CP850,
            Self::Pc852 => &oem::DECODING_TABLE_CP852,
            Self::Pc858 => &oem::DECODING_TABLE_CP858,
            Self::Pc860 => &oem::DECODING_TABLE_CP860,
            Self::Pc863 => &oem::DECODING_TABLE_CP863,
            Self::Pc865 => &oem::DECODING_TABLE_CP865,
            Self::Pc866 => &oem::DECODING_TABLE_CP866,
            Self::Wpc1250 => WPC1250.get_or_init(|| from_encoding(encoding_rs::WINDOWS_1250)),
            Self::Wpc1251 => WPC1251.get_or_init(|| from_encoding(encoding_rs::WINDOWS_1251)),
            Self::Wpc1252 => WPC1252.get_or_init(|| from_encoding(encoding_rs::WINDOWS_1252)),
            Self::Iso8859_2 => ISO8859_2.get_or_init(|| from_encoding(encoding_rs::ISO_8859_2)),
            Self::Iso8859_15 => ISO8859_15.get_or_init(|| from_encoding(encoding_rs::ISO_8859_15)),
        }
    }

    /// Byte of `c` in this table, if it has one. Control characters have none.
    pub fn encode_char(self, c: char) -> Option<u8> {
        match c {
            ' '..='~' => Some(c as u8),
            char::REPLACEMENT_CHARACTER => None,
            _ => self.high().iter().position(|&h| h == c).map(|i| 0x80 + i as u8),
        }
    }

    /// The character byte `b` prints from this table; U+FFFD for control bytes and holes.
    pub fn decode_byte(self, b: u8) -> char {
        match b {
            b' '..=b'~' => b as char,
            0x80..=0xFF => self.high()[usize::from(b - 0x80)],
            _ => char::REPLACEMENT_CHARACTER,
        }
    }

    /// Whether every character of `text` (already [`prepare`]d) prints from this table.
    pub fn fits(self, text: &str) -> bool {
        text.chars().all(|c| c == '\n' || self.encode_char(c).is_some())
    }

    /// `text` in this table, each character it cannot hold replaced by `?`. Line breaks are dropped:
    /// callers encode one printed line at a time.
    pub fn encode_lossy(self, text: &str) -> Vec<u8> {
        text.chars()
            .filter(|&c| c != '\n')
            .map(|c| self.encode_char(c).unwrap_or(b'?'))
            .collect()
    }

    /// `text` with every character this table lacks replaced by the nearest it holds: the letter
    /// without its accent (`Ò` → `O` where the table has no `Ò`), `EUR` for `€`, `?` for the rest.
    pub fn nearest(self, text: &str) -> String {
        let decompose = DecomposingNormalizerBorrowed::new_nfd();
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c == '\n' || self.encode_char(c).is_some() {
                out.push(c);
                continue;
            }
            if c == '€' {
                out.push_str("EUR");
                continue;
            }
            let mut buf = [0; 4];
            let base: String = decompose
                .normalize(c.encode_utf8(&mut buf))
                .chars()
                .filter(|&d| self.encode_char(d).is_some())
                .collect();
            let fits_alone = base.chars().count() == 1 && base.chars().all(|b| b.is_alphanumeric());
            if fits_alone {
                out.push_str(&base);
            } else {
                out.push('?');
            }
        }
        out
    }
}

/// The upper half of a single-byte encoding of `encoding_rs`, control characters as U+FFFD.
fn from_encoding(encoding: &'static encoding_rs::Encoding) -> [char; 128] {
    let mut high = [char::REPLACEMENT_CHARACTER; 128];
    for (i, slot) in high.iter_mut().enumerate() {
        let byte = [0x80 + i as u8];
        if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(&byte)
            && let Some(c) = text.chars().next()
            && !c.is_control()
        {
            *slot = c;
        }
    }
    high
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of reading a table's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown code page {0:?}: use one of {names}", names = Table::ALL.map(Table::name).join(", "))]
pub struct UnknownTable(String);

impl FromStr for Table {
    type Err = UnknownTable;

    /// The name as listed (`PC858`), any case, also `CP858`, `IBM858`, `858`, `CP1252`,
    /// `Windows-1252`, `ISO-8859-15`, `Latin-9`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_uppercase();
        let key = ["WINDOWS", "WPC", "CP", "PC", "IBM"]
            .iter()
            .find_map(|prefix| {
                key.strip_prefix(prefix)
                    .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            })
            .unwrap_or(&key);
        Ok(match key {
            "ASCII" => Self::Ascii,
            "437" => Self::Pc437,
            "850" => Self::Pc850,
            "852" => Self::Pc852,
            "858" => Self::Pc858,
            "860" => Self::Pc860,
            "863" => Self::Pc863,
            "865" => Self::Pc865,
            "866" => Self::Pc866,
            "1250" => Self::Wpc1250,
            "1251" => Self::Wpc1251,
            "1252" => Self::Wpc1252,
            "ISO88592" | "LATIN2" => Self::Iso8859_2,
            "ISO885915" | "LATIN9" => Self::Iso8859_15,
            _ => return Err(UnknownTable(s.to_owned())),
        })
    }
}

impl Serialize for Table {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Table {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The table a printer prints text from, and the `ESC t n` number that selects it on that printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodePage {
    pub table: Table,
    /// `None` only for [`Table::Ascii`]: no `ESC t` is sent.
    pub number: Option<u8>,
}

impl CodePage {
    /// `table` with Epson's number for it.
    pub const fn epson(table: Table) -> Self {
        Self {
            table,
            number: table.epson_number(),
        }
    }
}

impl Default for CodePage {
    fn default() -> Self {
        Self::epson(Table::Pc858)
    }
}

impl fmt::Display for CodePage {
    /// `PC858 (ESC t 19)`, or `ASCII (no ESC t)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Some(n) => write!(f, "{} (ESC t {n})", self.table),
            None => write!(f, "{} (no ESC t)", self.table),
        }
    }
}

impl FromStr for CodePage {
    type Err = UnknownTable;

    /// `TABLE` (Epson's number) or `TABLE:N`, as the `--code-page` flag takes it: `PC858`,
    /// `PC850:2`, `WPC1252:16`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, number) = match s.rsplit_once(':') {
            Some((name, n)) => (
                name,
                Some(n.trim().parse::<u8>().map_err(|_| UnknownTable(s.to_owned()))?),
            ),
            None => (s, None),
        };
        let table: Table = name.parse()?;
        Ok(match (table, number) {
            (Table::Ascii, _) => Self::epson(Table::Ascii),
            (table, Some(n)) => Self { table, number: Some(n) },
            (table, None) => Self::epson(table),
        })
    }
}

/// What becomes of a line holding a character the printer's table lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingCharacters {
    /// The whole paragraph is rendered with the system fonts and printed as a raster image, so it
    /// reads exactly as written (Arabic, Chinese, and `€` on a PC850 printer alike).
    #[default]
    Raster,
    /// The paragraph is printed as text with the nearest characters (`€` → `EUR`, `Ò` → `O`, `?`
    /// for the rest): for printers that cannot print images.
    Nearest,
}

/// How a ticket's text reaches the paper: the printer's table and number, and what to do with
/// characters it lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TextEncoding {
    pub code_page: CodePage,
    pub missing: MissingCharacters,
}

/// How a printer numbers its tables: which table each `ESC t n` selects. For the test decoder, which
/// reads bytes the way a given printer would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    tables: Vec<(u8, Table)>,
}

impl Numbering {
    /// Epson's numbering (and that of the printers that follow it).
    pub fn epson() -> Self {
        Self {
            tables: Table::ALL
                .iter()
                .filter_map(|&t| t.epson_number().map(|n| (n, t)))
                .collect(),
        }
    }

    /// A vendor's own numbering.
    pub fn new(tables: impl IntoIterator<Item = (u8, Table)>) -> Self {
        Self {
            tables: tables.into_iter().collect(),
        }
    }

    /// This numbering with `code_page`'s number selecting its table (a printer whose settings give
    /// that number).
    pub fn with(mut self, code_page: CodePage) -> Self {
        if let Some(number) = code_page.number {
            self.tables.retain(|(n, _)| *n != number);
            self.tables.push((number, code_page.table));
        }
        self
    }

    /// The table `ESC t number` selects, if this numbering has one there.
    pub fn table(&self, number: u8) -> Option<Table> {
        self.tables.iter().find(|(n, _)| *n == number).map(|&(_, t)| t)
    }
}

impl Default for Numbering {
    fn default() -> Self {
        Self::epson()
    }
}

/// Text made ready for a thermal printer: composed (NFC, so that `e` + combining grave is `è`),
/// typographic punctuation that the tables lack replaced by its plain form, tabs and other control
/// characters turned into spaces. Line breaks are kept.
pub fn prepare(text: &str) -> String {
    let composed = ComposingNormalizerBorrowed::new_nfc().normalize(text);
    let mut out = String::with_capacity(composed.len());
    for c in composed.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' | '\u{02BC}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{2022}' | '\u{2023}' | '\u{25CF}' => out.push('-'),
            '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' => out.push(' '),
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}' => {}
            '\n' => out.push('\n'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_letters_and_euro_have_their_pc858_bytes() {
        assert_eq!(
            Table::Pc858.encode_lossy("€àèéìòù ÀÈÉÌÒÙ"),
            [
                0xD5, 0x85, 0x8A, 0x82, 0x8D, 0x95, 0x97, b' ', 0xB7, 0xD4, 0x90, 0xDE, 0xE3, 0xEB
            ]
        );
        assert_eq!(Table::Pc858.encode_char('-'), Some(b'-'));
        assert_eq!(Table::Pc858.encode_char('\u{0628}'), None);
        assert_eq!(Table::Wpc1252.encode_lossy("€à"), [0x80, 0xE0]);
        assert_eq!(Table::Iso8859_15.encode_lossy("€à"), [0xA4, 0xE0]);
        // PC850 has 0xD5 for the dotless i, where PC858 has the euro.
        assert_eq!(Table::Pc850.encode_char('€'), None);
        assert_eq!(Table::Pc850.decode_byte(0xD5), 'ı');
    }

    #[test]
    fn every_byte_of_every_table_decodes_back_to_itself() {
        for table in Table::ALL {
            for b in (0x20..=0x7E).chain(0x80..=0xFF) {
                let c = table.decode_byte(b);
                if c != char::REPLACEMENT_CHARACTER {
                    assert_eq!(table.encode_char(c), Some(b), "{table} byte {b:#04x}");
                }
            }
        }
        // Windows-1252's holes are no characters.
        assert_eq!(Table::Wpc1252.decode_byte(0x81), char::REPLACEMENT_CHARACTER);
        assert_eq!(Table::Wpc1252.encode_char('\u{81}'), None);
    }

    #[test]
    fn names_and_numbers_read_as_written() {
        assert_eq!("pc858".parse::<Table>().unwrap(), Table::Pc858);
        assert_eq!("CP850".parse::<Table>().unwrap(), Table::Pc850);
        assert_eq!("Windows-1252".parse::<Table>().unwrap(), Table::Wpc1252);
        assert_eq!("iso-8859-15".parse::<Table>().unwrap(), Table::Iso8859_15);
        for table in Table::ALL {
            assert_eq!(table.name().parse::<Table>().unwrap(), table);
        }
        let err = "PC999".parse::<Table>().unwrap_err().to_string();
        assert!(err.contains("PC858") && err.contains("WPC1252"), "{err}");
        assert_eq!("PC858".parse::<CodePage>().unwrap(), CodePage::epson(Table::Pc858));
        assert_eq!(
            "PC850:13".parse::<CodePage>().unwrap(),
            CodePage {
                table: Table::Pc850,
                number: Some(13)
            }
        );
        assert!("PC850:300".parse::<CodePage>().is_err());
        assert_eq!(CodePage::default().to_string(), "PC858 (ESC t 19)");
        assert_eq!(Numbering::epson().table(16), Some(Table::Wpc1252));
    }

    #[test]
    fn nearest_drops_accents_the_table_lacks() {
        assert_eq!(Table::Pc437.nearest("Città È € 5"), "Città E EUR 5");
        assert_eq!(Table::Ascii.nearest("Carta d'identità"), "Carta d'identita");
        assert_eq!(Table::Pc858.nearest("Паспорт"), "???????");
    }

    #[test]
    fn prepare_composes_and_simplifies() {
        assert_eq!(
            prepare("Citta\u{300} \u{201C}bella\u{201D} l\u{2019}ufficio\u{2026}\t–"),
            "Città \"bella\" l'ufficio... -"
        );
        assert!(Table::Pc858.fits(&prepare("Carta d’identità — 16,00 €")));
        assert!(!Table::Pc858.fits(&prepare("Паспорт")));
    }
}
