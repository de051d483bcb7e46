//! The languages a citizen can choose at the kiosk: Italian (the reference, the source strings of the
//! designs) and the translations bundled from `ui/translations/<code>/LC_MESSAGES/turno-ui.po`.

use std::fmt;
use std::str::FromStr;

use turno_shared::api::Localized;

/// A language of the kiosk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    Italian,
    English,
    French,
    German,
    Spanish,
    Ukrainian,
    Chinese,
    Arabic,
}

impl Language {
    /// In the order of the buttons on the welcome screen.
    pub const ALL: [Language; 8] = [
        Language::Italian,
        Language::English,
        Language::French,
        Language::German,
        Language::Spanish,
        Language::Ukrainian,
        Language::Chinese,
        Language::Arabic,
    ];

    /// The ISO 639-1 code: the folder of its translation, the language sent to the server.
    pub fn code(self) -> &'static str {
        match self {
            Language::Italian => "it",
            Language::English => "en",
            Language::French => "fr",
            Language::German => "de",
            Language::Spanish => "es",
            Language::Ukrainian => "uk",
            Language::Chinese => "zh",
            Language::Arabic => "ar",
        }
    }

    /// The language's name in itself, as its speakers look for it.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::Italian => "Italiano",
            Language::English => "English",
            Language::French => "Français",
            Language::German => "Deutsch",
            Language::Spanish => "Español",
            Language::Ukrainian => "Українська",
            Language::Chinese => "中文",
            Language::Arabic => "العربية",
        }
    }

    /// Written right to left: the layout mirrors.
    pub fn is_rtl(self) -> bool {
        self == Language::Arabic
    }

    /// The name to give `slint::select_bundled_translation`: the empty string selects the source
    /// strings, which are Italian.
    pub fn bundle_name(self) -> &'static str {
        match self {
            Language::Italian => "",
            other => other.code(),
        }
    }
}

/// A service's text in `language`, else in the first of `fallbacks` it has (English, by default: more citizens
/// read it than Italian), else in Italian, else in any language.
pub fn localized<'a>(text: &'a Localized, language: Language, fallbacks: &[Language]) -> &'a str {
    std::iter::once(language)
        .chain(fallbacks.iter().copied())
        .find_map(|l| text.0.get(l.code()))
        .map_or_else(|| text.get(Language::Italian.code()), String::as_str)
}

/// Whether `text` is written right to left: its first letter is of a right-to-left script (Arabic, Hebrew,
/// Syriac, Thaana, N'Ko…). An Italian text shown on an Arabic screen for want of a translation reads left to right.
pub fn is_rtl_text(text: &str) -> bool {
    text.chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(|c| matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF))
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Language::ALL
            .into_iter()
            .find(|l| l.code() == s)
            .ok_or_else(|| format!("{s:?} is not a kiosk language"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_missing_in_arabic_falls_back_to_english_then_italian() {
        let both = Localized::it("Anagrafe").with("en", "Registry office");
        let italian = Localized::it("Protocollo");
        let arabic = Localized::it("Anagrafe").with("ar", "السجل المدني");
        let en = [Language::English];
        assert_eq!(localized(&both, Language::Arabic, &en), "Registry office");
        assert_eq!(localized(&both, Language::Arabic, &[]), "Anagrafe");
        assert_eq!(localized(&italian, Language::Arabic, &en), "Protocollo");
        assert_eq!(localized(&arabic, Language::Arabic, &en), "السجل المدني");
        assert_eq!(localized(&both, Language::Italian, &en), "Anagrafe");
    }

    #[test]
    fn the_direction_of_a_text_is_its_first_letter_s() {
        assert!(is_rtl_text("السجل المدني"));
        assert!(is_rtl_text("« السجل » A"));
        assert!(!is_rtl_text("Anagrafe – Carta d'identità"));
        assert!(!is_rtl_text("12 Registry"));
        assert!(!is_rtl_text(""));
    }
}
