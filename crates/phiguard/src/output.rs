//! What the command line prints: results to standard output, errors to standard error.

use std::io::{IsTerminal, Write};

/// Prints an error to standard error, in red on a terminal.
pub(crate) fn error(message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = if std::io::stderr().is_terminal() {
        writeln!(stderr, "\x1b[1;31merror:\x1b[0m {message}")
    } else {
        writeln!(stderr, "error: {message}")
    };
}

/// Prints a line to standard output.
pub(crate) fn line(message: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{message}");
}

/// Prints a value as pretty JSON to standard output.
pub(crate) fn json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => line(&text),
        Err(e) => error(&format!("could not render the result as JSON: {e}")),
    }
}
