//! Writing a reassembled document as JSON text, streaming, from leaves in path order.

use std::fmt::Write as _;

use serde_json::Value;

use crate::fragment::{StepRef, ValueRef};
use crate::reassemble::Disclosed;

/// An open container below the document.
struct Open<'v, 'b> {
    /// The step from its parent.
    step: &'v StepRef<'b>,
    array: bool,
    has_children: bool,
}

/// Writes leaves pushed in path order as one compact JSON object.
///
/// Sorted input keeps each container's leaves together, so every container is opened once,
/// filled, and closed: no tree is built. Array indices are not written, which compacts arrays
/// with missing elements. A leaf that conflicts with what was written (a duplicate path, a path
/// below a scalar, a key where an array is open or an index where an object is) is skipped,
/// exactly as [`crate::reassemble::Builder`] drops it.
pub(crate) struct JsonWriter<'v, 'b> {
    out: String,
    open: Vec<Open<'v, 'b>>,
    root_has_children: bool,
    /// The path of the last leaf written.
    last: &'v [StepRef<'b>],
}

impl<'v, 'b> JsonWriter<'v, 'b> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity);
        out.push('{');
        JsonWriter {
            out,
            open: Vec::new(),
            root_has_children: false,
            last: &[],
        }
    }

    pub(crate) fn push(&mut self, steps: &'v [StepRef<'b>], value: Disclosed<'_, '_>) {
        let Some((last, parents)) = steps.split_last() else {
            return;
        };
        if !self.last.is_empty() && steps.starts_with(self.last) {
            return;
        }

        let shared = parents
            .iter()
            .zip(&self.open)
            .take_while(|(step, open)| *step == open.step)
            .count();
        let receiving_array = match shared {
            0 => false,
            depth => self.open[depth - 1].array,
        };
        if receiving_array != matches!(steps[shared], StepRef::Index(_)) {
            return;
        }

        while self.open.len() > shared {
            self.close();
        }
        for (depth, step) in parents.iter().enumerate().skip(shared) {
            self.begin_child(step);
            let array = matches!(steps[depth + 1], StepRef::Index(_));
            self.out.push(if array { '[' } else { '{' });
            self.open.push(Open {
                step,
                array,
                has_children: false,
            });
        }

        self.begin_child(last);
        self.write_value(value);
        self.last = steps;
    }

    pub(crate) fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out.push('}');
        self.out
    }

    fn close(&mut self) {
        if let Some(open) = self.open.pop() {
            self.out.push(if open.array { ']' } else { '}' });
        }
    }

    /// Writes the separator and, inside an object, the key before a new child at `step`.
    fn begin_child(&mut self, step: &StepRef<'_>) {
        let has_children = match self.open.last_mut() {
            Some(open) => &mut open.has_children,
            None => &mut self.root_has_children,
        };
        if *has_children {
            self.out.push(',');
        }
        *has_children = true;

        if let StepRef::Key(key) = step {
            write_string(&mut self.out, key);
            self.out.push(':');
        }
    }

    fn write_value(&mut self, value: Disclosed<'_, '_>) {
        match value {
            Disclosed::AsIs(ValueRef::Null) => self.out.push_str("null"),
            Disclosed::AsIs(ValueRef::Bool(flag)) => {
                self.out.push_str(if *flag { "true" } else { "false" });
            }
            Disclosed::AsIs(ValueRef::Number(number)) => {
                let _ = write!(self.out, "{number}");
            }
            Disclosed::AsIs(ValueRef::Str(text)) => write_string(&mut self.out, text),
            Disclosed::AsIs(ValueRef::EmptyObject) => self.out.push_str("{}"),
            Disclosed::AsIs(ValueRef::EmptyArray) => self.out.push_str("[]"),
            Disclosed::Masked(Value::String(text)) => write_string(&mut self.out, &text),
            Disclosed::Masked(other) => {
                let _ = write!(self.out, "{other}");
            }
        }
    }
}

/// For each byte, whether it must be escaped in a JSON string: quotes, backslashes and control
/// characters. All are ASCII, so scanning bytes never splits a character.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// The position of the first byte of `bytes` that must be escaped. Checks eight bytes at a
/// time: most strings (codes, URLs, dates) need no escape at all.
fn first_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let has_zero_byte = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;

    let chunks = bytes.chunks_exact(8);
    let tail_start = bytes.len() - chunks.remainder().len();
    for (number, chunk) in chunks.enumerate() {
        let Ok(eight) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(eight);
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
        let quote = has_zero_byte(word ^ (ONES * u64::from(b'"')));
        let backslash = has_zero_byte(word ^ (ONES * u64::from(b'\\')));
        if control || quote || backslash {
            let found = chunk.iter().position(|&b| NEEDS_ESCAPE[b as usize]);
            if let Some(offset) = found {
                return Some(number * 8 + offset);
            }
        }
    }
    bytes[tail_start..]
        .iter()
        .position(|&b| NEEDS_ESCAPE[b as usize])
        .map(|offset| tail_start + offset)
}

/// Writes `text` as a JSON string, the same bytes serde_json writes.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    let mut rest = text;
    while let Some(at) = first_escape(rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let byte = rest.as_bytes()[at];
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                let _ = write!(out, "\\u{byte:04x}");
            }
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_scan_finds_every_escape() {
        for length in 0..40 {
            for position in 0..length {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut bytes = vec![b'a'; length];
                    bytes[position] = special;
                    assert_eq!(first_escape(&bytes), Some(position), "{length} {position}");
                }
            }
            // Bytes just outside the escaped ranges, and multi-byte characters.
            let clean: Vec<u8> = "\u{7f} !#[]é€".bytes().cycle().take(length).collect();
            assert_eq!(first_escape(&clean), None);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(text in ".{0,40}") {
            let mut out = String::new();
            write_string(&mut out, &text);
            proptest::prop_assert_eq!(out, serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_does() {
        let texts = [
            "plain",
            "quote \" and \\ slash / too",
            "line\nbreak\ttab\r\u{8}\u{c}",
            "\u{1}\u{1f}\u{7f}",
            "Zoë 김",
            "",
        ];
        for text in texts {
            let mut out = String::new();
            write_string(&mut out, text);
            assert_eq!(out, serde_json::to_string(text).unwrap());
        }
    }
}
