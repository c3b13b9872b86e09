//! One check for free text that phiguard keeps in the clear (break-glass reasons, incident
//! notes, notice drafts, recipient names): does it carry something shaped like an identifier?
//!
//! It looks for an email address (an `@`, in any of its Unicode forms) and for seven or more
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
}
