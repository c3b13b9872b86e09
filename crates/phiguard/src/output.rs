//! What the command line prints: results to standard output, errors to standard error.

use std::io::{IsTerminal, Write};

/// Prints an error to standard error, in red on a terminal.
pub(crate) fn error(message: &str) {
    labelled("error", "1;31", message);
}

/// Prints a warning to standard error, in yellow on a terminal: something the user should know
/// that does not stop the command.
pub(crate) fn warning(message: &str) {
    labelled("warning", "1;33", message);
}

fn labelled(label: &str, colour: &str, message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = if std::io::stderr().is_terminal() {
        writeln!(stderr, "\x1b[{colour}m{label}:\x1b[0m {message}")
    } else {
        writeln!(stderr, "{label}: {message}")
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
