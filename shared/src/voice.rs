//! How Turno speaks: the espeak-ng voice of each language and the speaking rate, the same for the
//! waiting-room board's announcements (made by the office server) and the kiosk's spoken mode.

/// Words a minute: slower than espeak-ng's 175, as public-address voices speak.
pub const WORDS_PER_MINUTE: &str = "140";

/// The espeak-ng voice of a language code: the code itself, but British English and Mandarin Chinese.
pub fn espeak_voice(code: &str) -> &str {
    match code {
        "en" => "en-gb",
        "zh" => "cmn",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn voices_are_espeak_s_names() {
        assert_eq!(super::espeak_voice("en"), "en-gb");
        assert_eq!(super::espeak_voice("zh"), "cmn");
        assert_eq!(super::espeak_voice("it"), "it");
    }
}
