//! Text from callers that phiguard keeps or repeats: whether free text it keeps in the clear
//! (break-glass reasons, incident notes, notice drafts, recipient names) carries something
//! shaped like an identifier, and parser messages with the rejected values taken out.
//!
//! [`looks_like_identifier`] looks for an email address (an `@`, in any of its Unicode forms) and for seven or more
//! digits in a row, where a digit is any Unicode decimal digit (full-width digits included)
//! and anything that is neither a letter nor a digit — spaces, dashes, slashes, commas, plus
//! signs — separates nothing. That catches SSNs, phone numbers, MRNs and member ids however
//! they are punctuated. It cannot tell a name or a street from ordinary words: text that names
//! a person passes, and callers say so.

/// Whether `text` holds an email address or a run of seven or more digits.
pub fn looks_like_identifier(text: &str) -> bool {
    if text
        .chars()
        .any(|c| matches!(c, '@' | '\u{ff20}' | '\u{fe6b}'))
    {
        return true;
    }
    let mut digits = 0;
    for c in text.chars() {
        if c.is_numeric() {
            digits += 1;
            if digits >= 7 {
                return true;
            }
        } else if c.is_alphabetic() {
            digits = 0;
        }
    }
    false
}

/// Removes the values a parser quotes from its message: double-quoted text, and the rejected
/// enum variant or number serde names in backticks (``unknown variant `x` ``, ``integer `7` ``).
/// Field names and the expected variants stay. A value pasted into the wrong key — a patient's
/// name where a status belongs — then never reaches a terminal or a log through an error.
pub fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(open) if c == open => {
                out.push_str("a value");
                quote = None;
            }
            Some(_) => {}
            None if c == '"' => quote = Some(c),
            None => out.push(c),
        }
    }
    hide_backticked_values(out.trim())
}

fn hide_backticked_values(message: &str) -> String {
    let mut out = message.to_owned();
    for marker in ["variant `", "integer `", "float `", "value `"] {
        while let Some(start) = out.find(marker) {
            let open = start + marker.len();
            let Some(close) = out[open..].find('`') else {
                break;
            };
            out.replace_range(
                start + marker.len() - 1..open + close + 1,
                "(value not shown)",
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_caught_however_punctuated() {
        for shaped in [
            "ssn 987-65-4311",
            "ssn 987,65,4311 callback",
            "987/65/4311",
            "987_65_4311",
            "512+555+0111",
            "(617) 555-0100",
            "ssn \u{ff19}\u{ff18}\u{ff17}\u{ff16}\u{ff15}\u{ff14}\u{ff13}",
            "mail jdoe\u{ff20}example.com",
            "jane@example.org",
            "02/29/1980",
        ] {
            assert!(looks_like_identifier(shaped), "{shaped}");
        }
    }

    #[test]
    fn ordinary_text_passes() {
        for plain in [
            "unresponsive on arrival",
            "records 12 to 345 read",
            "room 101, bed 4",
            "",
        ] {
            assert!(!looks_like_identifier(plain), "{plain}");
        }
    }

    #[test]
    fn rejected_variants_and_numbers_are_not_echoed() {
        let message = without_quoted_values(
            "unknown variant `Jane Doe 999-12-3456`, expected one of `storefront`, `backend`",
        );
        assert_eq!(
            message,
            "unknown variant (value not shown), expected one of `storefront`, `backend`"
        );
        let message = without_quoted_values("invalid value: integer `999123456`, expected u32");
        assert!(!message.contains("999123456"), "{message}");
    }

    #[test]
    fn quoted_values_are_removed_from_messages() {
        assert_eq!(
            without_quoted_values("invalid type: string \"123-45-6789\", expected a boolean"),
            "invalid type: string a value, expected a boolean"
        );
        assert_eq!(
            without_quoted_values("unknown field `colour`"),
            "unknown field `colour`"
        );
    }
}
