//! The printer's character code page and the encoding of text into it. Tickets select PC858
//! (`ESC t 19`: IBM 850 with `€` at 0xD5), which holds the Italian accented letters, `€` and the rest
//! of Western European text; what it cannot hold is printed as a raster image instead (see `raster`).
//!
//! The tables are our own, checked against IBM's: escpos 0.20's PC858 table maps `-` to 0xF0 (a soft
//! hyphen) and has `Ô` twice where `Ò` belongs, so its `write` is not used for text.

use icu_normalizer::ComposingNormalizerBorrowed;

/// `ESC t n` value of code page PC858 (Epson numbering).
pub const PC858: u8 = 19;
/// `ESC t n` value of code page PC437, the printers' power-on default.
pub const PC437: u8 = 0;

/// Bytes 0x80..=0xFF of PC858.
const PC858_HIGH: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}', '\u{00E7}', // 0x80
    '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}', '\u{00C4}', '\u{00C5}', // 0x88
    '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}', '\u{00F2}', '\u{00FB}', '\u{00F9}', // 0x90
    '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00F8}', '\u{00A3}', '\u{00D8}', '\u{00D7}', '\u{0192}', // 0x98
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}', // 0xA0
    '\u{00BF}', '\u{00AE}', '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}', // 0xA8
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}', '\u{00C0}', // 0xB0
    '\u{00A9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{00A2}', '\u{00A5}', '\u{2510}', // 0xB8
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{00E3}', '\u{00C3}', // 0xC0
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{00A4}', // 0xC8
    '\u{00F0}', '\u{00D0}', '\u{00CA}', '\u{00CB}', '\u{00C8}', '\u{20AC}', '\u{00CD}', '\u{00CE}', // 0xD0
    '\u{00CF}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{00A6}', '\u{00CC}', '\u{2580}', // 0xD8
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{00D2}', '\u{00F5}', '\u{00D5}', '\u{00B5}', '\u{00FE}', // 0xE0
    '\u{00DE}', '\u{00DA}', '\u{00DB}', '\u{00D9}', '\u{00FD}', '\u{00DD}', '\u{00AF}', '\u{00B4}', // 0xE8
    '\u{00AD}', '\u{00B1}', '\u{2017}', '\u{00BE}', '\u{00B6}', '\u{00A7}', '\u{00F7}', '\u{00B8}', // 0xF0
    '\u{00B0}', '\u{00A8}', '\u{00B7}', '\u{00B9}', '\u{00B3}', '\u{00B2}', '\u{25A0}', '\u{00A0}', // 0xF8
];

/// Bytes 0x80..=0xFF of PC437, used to decode a stream that never selected a code page.
const PC437_HIGH: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}', '\u{00E7}', // 0x80
    '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}', '\u{00C4}', '\u{00C5}', // 0x88
    '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}', '\u{00F2}', '\u{00FB}', '\u{00F9}', // 0x90
    '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00A2}', '\u{00A3}', '\u{00A5}', '\u{20A7}', '\u{0192}', // 0x98
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}', // 0xA0
    '\u{00BF}', '\u{2310}', '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}', // 0xA8
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{2561}', '\u{2562}', '\u{2556}', // 0xB0
    '\u{2555}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{255C}', '\u{255B}', '\u{2510}', // 0xB8
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{255E}', '\u{255F}', // 0xC0
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{2567}', // 0xC8
    '\u{2568}', '\u{2564}', '\u{2565}', '\u{2559}', '\u{2558}', '\u{2552}', '\u{2553}', '\u{256B}', // 0xD0
    '\u{256A}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{258C}', '\u{2590}', '\u{2580}', // 0xD8
    '\u{03B1}', '\u{00DF}', '\u{0393}', '\u{03C0}', '\u{03A3}', '\u{03C3}', '\u{00B5}', '\u{03C4}', // 0xE0
    '\u{03A6}', '\u{0398}', '\u{03A9}', '\u{03B4}', '\u{221E}', '\u{03C6}', '\u{03B5}', '\u{2229}', // 0xE8
    '\u{2261}', '\u{00B1}', '\u{2265}', '\u{2264}', '\u{2320}', '\u{2321}', '\u{00F7}', '\u{2248}', // 0xF0
    '\u{00B0}', '\u{2219}', '\u{00B7}', '\u{221A}', '\u{207F}', '\u{00B2}', '\u{25A0}', '\u{00A0}', // 0xF8
];

/// Byte of `c` in PC858, if it has one. Control characters have none.
pub fn encode_char(c: char) -> Option<u8> {
    match c {
        ' '..='~' => Some(c as u8),
        _ => PC858_HIGH.iter().position(|&h| h == c).map(|i| 0x80 + i as u8),
    }
}

/// The character that byte `b` prints in code page `page` (an `ESC t` value). Unknown pages and
/// control bytes decode to U+FFFD.
pub fn decode_byte(page: u8, b: u8) -> char {
    match (b, page) {
        (b' '..=b'~', _) => b as char,
        (0x80..=0xFF, PC858) => PC858_HIGH[usize::from(b - 0x80)],
        (0x80..=0xFF, PC437) => PC437_HIGH[usize::from(b - 0x80)],
        _ => char::REPLACEMENT_CHARACTER,
    }
}

/// Text made ready for a thermal printer: composed (NFC, so that `e` + combining grave is `è`),
/// typographic punctuation that PC858 lacks replaced by its plain form, tabs and other control
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

/// Whether every character of `text` (already [`prepare`]d) prints from PC858.
pub fn fits(text: &str) -> bool {
    text.chars().all(|c| c == '\n' || encode_char(c).is_some())
}

/// `text` in PC858, each character it cannot hold replaced by `?`. Line breaks are dropped: callers
/// encode one printed line at a time.
pub fn encode_lossy(text: &str) -> Vec<u8> {
    text.chars()
        .filter(|&c| c != '\n')
        .map(|c| encode_char(c).unwrap_or(b'?'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_letters_and_euro_have_their_pc858_bytes() {
        assert_eq!(
            encode_lossy("€àèéìòù ÀÈÉÌÒÙ"),
            [
                0xD5, 0x85, 0x8A, 0x82, 0x8D, 0x95, 0x97, b' ', 0xB7, 0xD4, 0x90, 0xDE, 0xE3, 0xEB
            ]
        );
        assert_eq!(encode_char('-'), Some(b'-'));
        assert_eq!(encode_char('\u{0628}'), None);
    }

    #[test]
    fn every_pc858_byte_decodes_back_to_its_character() {
        for b in (0x20..=0x7E).chain(0x80..=0xFF) {
            assert_eq!(encode_char(decode_byte(PC858, b)), Some(b), "byte {b:#04x}");
        }
    }

    #[test]
    fn prepare_composes_and_simplifies() {
        assert_eq!(
            prepare("Citta\u{300} \u{201C}bella\u{201D} l\u{2019}ufficio\u{2026}\t–"),
            "Città \"bella\" l'ufficio... -"
        );
        assert!(fits(&prepare("Carta d’identità — 16,00 €")));
        assert!(!fits(&prepare("Паспорт")));
    }
}
