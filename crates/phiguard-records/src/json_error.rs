//! JSON syntax errors described without quoting the input.
//!
//! `serde_json::Error`'s own message can quote parts of the document (an unknown variant, an
//! invalid escape), and documents here hold PHI; only its position and class are kept.

use std::fmt;

/// Where and how a JSON document failed to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonSyntax {
    /// The 1-based line of the error.
    pub line: usize,
    /// The 1-based column of the error.
    pub column: usize,
    /// `syntax error`, `unexpected end of input` or `invalid data`.
    pub kind: &'static str,
}

impl From<&serde_json::Error> for JsonSyntax {
    fn from(error: &serde_json::Error) -> Self {
        let kind = match error.classify() {
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Eof => "unexpected end of input",
            serde_json::error::Category::Data => "invalid data",
            serde_json::error::Category::Io => "read error",
        };
        JsonSyntax {
            line: error.line(),
            column: error.column(),
            kind,
        }
    }
}

impl fmt::Display for JsonSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {}, column {}",
            self.kind, self.line, self.column
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_position_without_content() {
        let error = serde_json::from_str::<serde_json::Value>("{\n  \"ssn\": 999-38}").unwrap_err();
        let syntax = JsonSyntax::from(&error);
        assert_eq!(syntax.line, 2);
        assert!(!syntax.to_string().contains("999"));
        assert!(syntax.to_string().starts_with("syntax error at line 2"));
    }
}
