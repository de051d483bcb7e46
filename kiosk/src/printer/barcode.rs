//! CODE128 barcodes (escpos 0.20 has no CODE128 builder): the `GS k 73` data with the shortest mix
//! of code sets B (printable ASCII) and C (digit pairs), and the number of modules it takes, so the
//! ticket can choose the widest bars that still fit the paper with their quiet zones.

/// Modules of blank paper each side of the bars, so a scanner finds where they start (ISO/IEC 15417).
pub(crate) const QUIET_ZONE: usize = 10;

/// A CODE128 symbol ready for `GS k 73 n d1…dn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Code128 {
    /// `d1…dn`: code set selectors (`{B`, `{C`) and the encoded characters.
    pub data: Vec<u8>,
    /// Width of the symbol in modules, quiet zones excluded.
    pub modules: usize,
}

impl Code128 {
    /// Encodes `payload`, or `None` if it is empty, holds a character outside printable ASCII, or is
    /// too long for one `GS k` command.
    pub fn new(payload: &str) -> Option<Self> {
        Self::encode(payload, true)
            .filter(|code| !holds_realtime_command(&code.data))
            .or_else(|| {
                // Digit pairs are sent as binary bytes, which could read as a real-time command (DLE EOT…)
                // to the printer; code set B alone sends only printable ASCII.
                Self::encode(payload, false)
            })
    }

    /// The widest module (1–4 dots) with which the symbol and its quiet zones fit in `dots`, if any.
    pub fn module_width(&self, dots: u16) -> Option<u8> {
        (1..=4_u8)
            .rev()
            .find(|&w| (self.modules + 2 * QUIET_ZONE) * usize::from(w) <= usize::from(dots))
    }

    /// The complete `GS k 73` command.
    pub fn command(&self) -> Vec<u8> {
        let mut command = vec![0x1D, b'k', 73, self.data.len() as u8];
        command.extend_from_slice(&self.data);
        command
    }

    fn encode(payload: &str, allow_set_c: bool) -> Option<Self> {
        let chars = payload.as_bytes();
        if chars.is_empty() || !payload.chars().all(|c| (' '..='~').contains(&c)) {
            return None;
        }
        let n = chars.len();
        let pair_at = |i: usize| allow_set_c && i + 1 < n && chars[i].is_ascii_digit() && chars[i + 1].is_ascii_digit();
        // stay[i][s]: fewest symbols to encode chars[i..] when the next symbol is a character of set s
        // (B = 0, C = 1); best[i][s]: the same when set s is active, switching allowed.
        const NEVER: usize = usize::MAX / 4;
        let mut stay = vec![[0_usize; 2]; n + 1];
        let mut best = vec![[0_usize; 2]; n + 1];
        for i in (0..n).rev() {
            stay[i][0] = 1 + best[i + 1][0];
            stay[i][1] = if pair_at(i) { 1 + best[(i + 2).min(n)][1] } else { NEVER };
            best[i][0] = stay[i][0].min(1 + stay[i][1]);
            best[i][1] = stay[i][1].min(1 + stay[i][0]);
        }
        let mut set = usize::from(stay[0][1] < stay[0][0]);
        let mut data = if set == 1 { b"{C".to_vec() } else { b"{B".to_vec() };
        let mut symbols = 1 + stay[0][set];
        let mut i = 0;
        while i < n {
            if stay[i][set] > best[i][set] {
                set = 1 - set;
                data.extend_from_slice(if set == 1 { b"{C" } else { b"{B" });
            }
            if set == 1 {
                data.push((chars[i] - b'0') * 10 + (chars[i + 1] - b'0'));
                i += 2;
            } else {
                if chars[i] == b'{' {
                    data.push(b'{');
                }
                data.push(chars[i]);
                i += 1;
            }
        }
        symbols += 1; // check symbol
        if data.len() > 255 {
            return None;
        }
        Some(Self {
            data,
            modules: symbols * 11 + 13,
        })
    }
}

fn holds_realtime_command(data: &[u8]) -> bool {
    data.windows(2)
        .any(|w| w[0] == 0x10 && matches!(w[1], 0x04 | 0x05 | 0x14))
}

/// The width in modules of the symbol that `GS k 73` data prints (quiet zones excluded): 11 for each
/// symbol (start, code set switches, characters, the check the printer adds), 13 for the stop.
pub(crate) fn code128_modules(data: &[u8]) -> usize {
    let mut symbols = 0;
    let mut i = 0;
    while i < data.len() {
        // `{` and the character after it (a code set, a function, or `{` itself) make one symbol.
        i += if data[i] == b'{' { 2 } else { 1 };
        symbols += 1;
    }
    (symbols + 1) * 11 + 13
}

/// The text that `GS k 73` data stands for: the inverse of [`Code128::new`], used by the decoder.
pub(crate) fn decode_code128(data: &[u8]) -> String {
    let mut text = String::new();
    let mut set = b'B';
    let mut i = 0;
    while i < data.len() {
        match (data[i], data.get(i + 1)) {
            (b'{', Some(&b'{')) => {
                text.push('{');
                i += 2;
            }
            (b'{', Some(&selector @ (b'A' | b'B' | b'C'))) => {
                set = selector;
                i += 2;
            }
            (b'{', Some(_)) => i += 2, // FNC1–FNC4, SHIFT: no character
            (byte, _) if set == b'C' => {
                text.push_str(&format!("{byte:02}"));
                i += 1;
            }
            (byte, _) => {
                text.push(if (0x20..0x7F).contains(&byte) {
                    byte as char
                } else {
                    char::REPLACEMENT_CHARACTER
                });
                i += 1;
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(payload: &str, expected_data: &[u8], expected_modules: usize) {
        let code = Code128::new(payload).unwrap();
        assert_eq!(code.data, expected_data, "{payload}");
        assert_eq!(code.modules, expected_modules, "{payload}");
        assert_eq!(decode_code128(&code.data), payload);
        assert_eq!(
            code128_modules(&code.data),
            expected_modules,
            "{payload}: as the decoder counts"
        );
    }

    #[test]
    fn chooses_the_shortest_mix_of_code_sets() {
        check("ab", b"{Bab", 4 * 11 + 13);
        check("1234", b"{C\x0c\x22", 4 * 11 + 13);
        // A digit run is worth switching to set C only when it saves more than the switches cost.
        check("a1234b", b"{Ba1234b", 8 * 11 + 13);
        check("a123456b", b"{Ba{C\x0c\x22\x38{Bb", 9 * 11 + 13);
        check("{x}", b"{B{{x}", 5 * 11 + 13);
    }

    #[test]
    fn bars_are_as_wide_as_the_paper_allows_with_quiet_zones() {
        // A rating code: 134 modules, and 10 of quiet zone each side.
        let code = Code128::new("A0127K3MX").unwrap();
        assert_eq!(code.modules, 134);
        assert_eq!(code.module_width(384), Some(2), "58 mm: (134 + 20) × 2 = 308 dots");
        assert_eq!(code.module_width(576), Some(3), "80 mm: (134 + 20) × 3 = 462 dots");
        // A ticket's 32-character token fits 80 mm paper only with one-dot bars, and not 58 mm.
        let token = Code128::new("0f3a9c2e4b7d8a1f6e5c3b2a1d0e9f8c").unwrap();
        assert!(token.modules + 2 * QUIET_ZONE > 288, "more than half of 576 dots");
        assert_eq!(token.module_width(576), Some(1));
        assert_eq!(Code128::new(&"abcdef".repeat(6)).unwrap().module_width(384), None);
    }

    #[test]
    fn digit_pairs_that_would_read_as_dle_eot_are_sent_in_set_b() {
        let code = Code128::new("160401").unwrap();
        assert_eq!(code.data, b"{B160401");
    }

    #[test]
    fn refuses_what_it_cannot_encode() {
        assert_eq!(Code128::new(""), None);
        assert_eq!(Code128::new("città"), None);
        assert_eq!(Code128::new(&"x".repeat(300)), None);
    }
}
