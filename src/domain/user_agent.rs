//! The `User-Agent` a browser sends, as the sessions list and the "Nuovo accesso" e-mail
//! name it: "Firefox su Windows". Only names from the fixed lists below are ever shown, never
//! the header's own text (it is whatever the client chose to send).

use super::text::{Lines, is_refused};

/// Longer headers are cut before they are stored.
pub const MAX_STORED: usize = 512;

/// The header as stored: control characters removed, cut to [`MAX_STORED`] characters.
pub fn stored(raw: &str) -> String {
    raw.chars()
        .filter(|c| !is_refused(*c, Lines::Single))
        .take(MAX_STORED)
        .collect()
}

/// Browser families, most specific first: Edge, Opera and Samsung Internet also say
/// "Chrome" and "Safari", and Chrome says "Safari".
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
];

/// Systems, most specific first: iPhones and Android phones also say "like Mac OS X" or
/// "Linux".
const SYSTEMS: &[(&str, &str)] = &[
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

fn first_match(ua: &str, table: &[(&'static str, &'static str)]) -> Option<&'static str> {
    table
        .iter()
        .find(|(marker, _)| ua.contains(marker))
        .map(|(_, name)| *name)
}

/// The browser's name, if it is one we know.
pub fn browser(ua: &str) -> Option<&'static str> {
    // Safari names itself "Safari" with a "Version/": checked after the browsers built on it.
    first_match(ua, BROWSERS)
        .or_else(|| (ua.contains("Safari/") && ua.contains("Version/")).then_some("Safari"))
}

/// The operating system's name, if it is one we know.
pub fn system(ua: &str) -> Option<&'static str> {
    first_match(ua, SYSTEMS)
}

/// "Firefox su Windows", "Browser sconosciuto su Linux", or "Browser sconosciuto".
pub fn describe(ua: &str) -> String {
    let name = browser(ua).unwrap_or("Browser sconosciuto");
    match system(ua) {
        Some(os) => format!("{name} su {os}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome su Windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                "Edge su Windows",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox su Linux",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari su macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari su iOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
                "Chrome su iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
                "Samsung Internet su Android",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0",
                "Opera su Android",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome su ChromeOS",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "Safari su iPadOS",
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(describe(ua), expected, "{ua}");
        }
    }

    #[test]
    fn unknown_or_empty_headers_say_so_and_never_echo_the_header() {
        assert_eq!(describe(""), "Browser sconosciuto");
        assert_eq!(describe("curl/8.5.0"), "Browser sconosciuto");
        assert_eq!(
            describe("<script>alert(1)</script> (X11; Linux)"),
            "Browser sconosciuto su Linux"
        );
    }

    #[test]
    fn stored_headers_lose_control_characters_and_are_cut() {
        assert_eq!(stored("Firefox/1\u{0}\r\n\u{202E}x"), "Firefox/1x");
        let long = "a".repeat(2000);
        assert_eq!(stored(&long).chars().count(), MAX_STORED);
    }
}
