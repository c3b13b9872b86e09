//! Checks and escaping for the free text an operator writes into notices and reports.

/// Why a piece of operator text is refused; the caller names the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextProblem {
    /// Empty or only white space.
    Blank,
    /// Holds `{{` or `}}`, which would collide with the mail-merge placeholders.
    Placeholder,
    /// Holds a control character (other than a line break where allowed) or a bidirectional
    /// override, which could make the text read differently from what it says.
    Control,
}

impl TextProblem {
    /// The problem as the end of a sentence that starts with the field's name.
    pub(crate) const fn describe(self) -> &'static str {
        match self {
            TextProblem::Blank => "is empty; write it out",
            TextProblem::Placeholder => {
                "contains `{{` or `}}`, which are reserved for the recipient placeholders; \
                 remove them"
            }
            TextProblem::Control => {
                "contains a control or bidirectional formatting character; remove it"
            }
        }
    }
}

/// Checks one field of a notice: [`check`], and no placeholder braces either.
pub(crate) fn check_notice(text: &str, multiline: bool) -> Result<(), TextProblem> {
    check(text, multiline)?;
    if text.contains("{{") || text.contains("}}") {
        return Err(TextProblem::Placeholder);
    }
    Ok(())
}

/// Checks one field: not blank, no control characters; line breaks are allowed only when
/// `multiline`.
pub(crate) fn check(text: &str, multiline: bool) -> Result<(), TextProblem> {
    if text.trim().is_empty() {
        return Err(TextProblem::Blank);
    }

    let bad = |c: char| {
        let allowed_break = multiline && (c == '\n' || c == '\r');
        (c.is_control() && !allowed_break) || is_bidi_control(c)
    };
    if text.chars().any(bad) {
        return Err(TextProblem::Control);
    }
    Ok(())
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Escapes text for Markdown so that it renders as written: no emphasis, links, HTML, tables
/// or headings can be smuggled in, and a line cannot start a list or a quote.
pub(crate) fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);

    for (index, line) in text.lines().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let trimmed = line.trim_start();
        out.push_str(&line[..line.len() - trimmed.len()]);

        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        for (position, c) in trimmed.char_indices() {
            let at_start = position == 0 && matches!(c, '-' | '+' | '=');
            let ordered = digits > 0 && position == digits && matches!(c, '.' | ')');
            if at_start || ordered || "\\`*_[]<>|~#!&".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked() {
        assert_eq!(check("  ", false), Err(TextProblem::Blank));
        assert_eq!(
            check_notice("Hi {{recipient_name}}", false),
            Err(TextProblem::Placeholder)
        );
        assert_eq!(check("Hi {{recipient_name}}", false), Ok(()));
        assert_eq!(check("a\nb", false), Err(TextProblem::Control));
        assert_eq!(check("a\nb", true), Ok(()));
        assert_eq!(check("a\u{202e}b", true), Err(TextProblem::Control));
        assert_eq!(check("a\u{7}b", true), Err(TextProblem::Control));
    }

    #[test]
    fn markdown_renders_as_written() {
        assert_eq!(
            markdown("*bold* <b> [x](y)"),
            "\\*bold\\* \\<b\\> \\[x\\](y)"
        );
        assert_eq!(
            markdown("- item\n# head\n2026. year"),
            "\\- item\n\\# head\n2026\\. year"
        );
        assert_eq!(markdown("a - b, 3.5"), "a - b, 3.5");
    }
}
