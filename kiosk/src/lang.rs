//! The languages a citizen can choose at the kiosk: Italian (the reference, the source strings of the
//! designs) and the translations bundled from `ui/translations/<code>/LC_MESSAGES/turno-ui.po`.

use std::fmt;
use std::str::FromStr;

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
