//! Masking PHI-looking literals in code excerpts before they reach a report.
//!
//! Findings quote the line they point at. Test fixtures and seed data sometimes hold real-looking
//! values, so anything shaped like an SSN, a date, an email address, a phone number or a long
//! run of digits is replaced by `*` of the same length before it is printed, written to JSON or
//! uploaded as SARIF.

/// Replaces PHI-shaped substrings of `line` with asterisks, keeping the length.
pub(crate) fn mask_excerpt(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut masked = vec![false; chars.len()];

    mask_digit_runs(&chars, &mut masked);
    mask_emails(&chars, &mut masked);

    chars
        .iter()
        .zip(&masked)
        .map(|(&c, &hide)| if hide { '*' } else { c })
        .collect()
}

/// Runs of digits joined by `-`, `/`, `.`, spaces or parentheses that hold at least six
/// digits: SSNs, dates, phone numbers, member and record numbers.
fn mask_digit_runs(chars: &[char], masked: &mut [bool]) {
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && is_word_char(chars[i - 1])) {
            i += 1;
            continue;
        }

        let start = i;
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                digits += 1;
                end = j + 1;
            } else if !matches!(c, '-' | '/' | '.' | ' ' | '(' | ')') {
                break;
            }
            j += 1;
        }
        let ends_cleanly = chars.get(end).is_none_or(|&c| !is_word_char(c));
        if digits >= 6 && ends_cleanly {
            for slot in &mut masked[start..end] {
                *slot = true;
            }
        }
        i = end.max(i + 1);
    }
}

fn mask_emails(chars: &[char], masked: &mut [bool]) {
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let is_email_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+');
        let mut start = at;
        while start > 0 && is_email_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_email_char(chars[end]) {
            end += 1;
        }
        let domain: String = chars[at + 1..end].iter().collect();
        if start < at && domain.contains('.') && !domain.starts_with('.') {
            for slot in &mut masked[start..end] {
                *slot = true;
            }
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phi_shapes_are_masked() {
        assert_eq!(mask_excerpt("ssn = '078-05-1120';"), "ssn = '***********';");
        assert_eq!(mask_excerpt("dob: \"1961-07-04\""), "dob: \"**********\"");
        assert_eq!(
            mask_excerpt("to: ana.ruiz@example.org"),
            "to: ********************"
        );
        assert_eq!(
            mask_excerpt("call (555) 010-2030 now"),
            "call (************* now"
        );
    }

    #[test]
    fn code_is_left_alone() {
        let line = "localStorage.setItem('step', 2); items[12].price = 3.5; v1.2.3";
        assert_eq!(mask_excerpt(line), line);
        assert_eq!(mask_excerpt("foo123456"), "foo123456");
        assert_eq!(
            mask_excerpt("@media (max-width: 750px)"),
            "@media (max-width: 750px)"
        );
    }

    proptest! {
        #[test]
        fn masking_keeps_length_and_hides_every_nine_digit_run(
            before in "[a-z =:'\"]{0,10}", digits in "[0-9]{9}", after in "[ ;'\"]{0,5}",
        ) {
            let line = format!("{before}'{digits}{after}");
            let masked = mask_excerpt(&line);
            prop_assert_eq!(masked.chars().count(), line.chars().count());
            prop_assert!(!masked.contains(&digits));
        }
    }
}
