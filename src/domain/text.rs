//! The one rule for text that arrives from outside (forms, query strings, paths, headers,
//! API bodies): no control characters and no invisible bidirectional controls. PostgreSQL
//! refuses NUL in `text` and `\u0000` in `jsonb`, and the others disguise text on screen or
//! in logs, so such text is refused at the edge, before it reaches SQL, the audit or the logs.
//! Form and query decoding replaces bytes that are not UTF-8 with U+FFFD, which no person
//! types: refusing it here is how invalid UTF-8 is refused field by field.

use super::DomainError;

/// Whether a text field may span lines (a reason, a note) or not (everything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    /// Tab, line feed and carriage return are allowed.
    Multi,
}

/// Whether `c` may never appear in text of this kind.
pub fn is_refused(c: char, lines: Lines) -> bool {
    let allowed_whitespace = match lines {
        Lines::Single => false,
        Lines::Multi => matches!(c, '\t' | '\n' | '\r'),
    };
    (c.is_control() && !allowed_whitespace)
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || c == char::REPLACEMENT_CHARACTER
}

/// Whether `raw` contains nothing refused.
pub fn is_clean(raw: &str, lines: Lines) -> bool {
    !raw.chars().any(|c| is_refused(c, lines))
}

/// `raw` itself, or `InvalidCharacters` (whose message goes next to the field).
pub fn checked(raw: &str, lines: Lines) -> Result<&str, DomainError> {
    if is_clean(raw, lines) {
        Ok(raw)
    } else {
        Err(DomainError::InvalidCharacters)
    }
}

/// Machine text quoted from outside that must be kept rather than refused (a mail server's
/// bounce diagnostic, often several lines long): every refused character and every run of
/// whitespace becomes one space, and the result is cut to `max_chars` characters.
pub fn cleaned(raw: &str, max_chars: usize) -> String {
    let spaced: String = raw
        .chars()
        .map(|c| if is_refused(c, Lines::Single) { ' ' } else { c })
        .collect();
    spaced
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max_chars)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaned_text_keeps_the_words_on_one_line_within_the_limit() {
        assert_eq!(
            cleaned(
                "550-5.1.1 <luca@example.it>\r\n550 5.1.1 user\0 unknown\u{202E}",
                100
            ),
            "550-5.1.1 <luca@example.it> 550 5.1.1 user unknown"
        );
        assert_eq!(cleaned("  àèìòù  ", 3), "àèì");
        assert_eq!(cleaned("\u{7}\t", 10), "");
    }

    #[test]
    fn nul_controls_and_bidi_overrides_are_refused_newlines_only_where_allowed() {
        for bad in [
            "a\0b",
            "\u{7}",
            "x\u{1b}[31m",
            "\u{202E}gpj.exe",
            "a\u{85}b",
        ] {
            assert!(!is_clean(bad, Lines::Single), "{bad:?}");
            assert!(!is_clean(bad, Lines::Multi), "{bad:?}");
        }
        assert!(!is_clean("riga uno\nriga due", Lines::Single));
        assert!(is_clean("riga uno\r\n\triga due", Lines::Multi));
        assert!(is_clean("Niccolò D'Amico — ticket #42 🚀", Lines::Single));
        assert_eq!(
            checked("a\0", Lines::Single),
            Err(DomainError::InvalidCharacters)
        );
    }
}
