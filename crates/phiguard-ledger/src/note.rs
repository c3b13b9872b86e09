//! C2SP signed notes (<https://c2sp.org/signed-note>): text, a blank line, and signature lines
//! `— <key name> <base64(4-byte key id || signature)>`.
//!
//! This module only parses and writes the format; [`crate::checkpoint`] holds the keys that sign
//! and verify. Parsing is strict, because a note arrives from an operator the verifier does not
//! trust: UTF-8 only, no control characters but newline, at most [`MAX_NOTE_BYTES`] bytes and
//! [`MAX_SIGNATURES`] signatures, canonical base64, and key names without spaces or `+`.

use data_encoding::BASE64;

/// The largest note accepted, in bytes. Room for the checkpoint text and [`MAX_SIGNATURES`]
/// signatures as large as post-quantum ones, as the spec asks verifiers to allow.
pub const MAX_NOTE_BYTES: usize = 128 * 1024;

/// The most signature lines accepted on one note (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 32;

const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Why text is not a well-formed signed note. Never quotes the note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note is larger than [`MAX_NOTE_BYTES`].
    #[error("the signed note is {len} bytes long, more than the {MAX_NOTE_BYTES} allowed")]
    TooLarge {
        /// The note's length.
        len: usize,
    },
    /// The note is not UTF-8.
    #[error("the signed note is not valid UTF-8")]
    NotUtf8,
    /// The note holds an ASCII control character other than newline.
    #[error("the signed note contains a control character at byte {offset}")]
    ControlCharacter {
        /// Where the character is.
        offset: usize,
    },
    /// No blank line separates the text from signature lines, or none follow it.
    #[error("the signed note has no blank line followed by signature lines")]
    MissingSignatures,
    /// The note's text is empty or does not end in a newline.
    #[error("the signed note's text must be non-empty and end with a newline")]
    BadText,
    /// A signature line is not `— <name> <base64>`.
    #[error("signature line {line} of the note is malformed: {reason}")]
    BadSignatureLine {
        /// The 1-based number of the signature line.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More signature lines than [`MAX_SIGNATURES`].
    #[error("the signed note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// A key name is empty or holds a space or `+`.
    #[error("a key name must be non-empty and contain no spaces and no '+'")]
    BadKeyName,
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's key name.
    pub name: String,
    /// The 32-bit key id (big-endian on the wire).
    pub key_id: u32,
    /// The signature bytes, after the key id.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line as it appears in the note, without its newline.
    pub fn to_line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_id.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}", self.name, BASE64.encode(&bytes))
    }
}

/// A signed note: text ending in a newline, and at least one signature (once parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

/// Checks a key name (or origin): non-empty, no Unicode space, no `+`, no control character.
pub fn check_key_name(name: &str) -> Result<(), NoteError> {
    let bad = name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control());
    if bad {
        Err(NoteError::BadKeyName)
    } else {
        Ok(())
    }
}

fn check_characters(text: &str) -> Result<(), NoteError> {
    match text.bytes().position(|b| b < 0x20 && b != b'\n') {
        Some(offset) => Err(NoteError::ControlCharacter { offset }),
        None => Ok(()),
    }
}

impl Note {
    /// An unsigned note over `text`, which must end with a newline and contain no control
    /// characters but newlines.
    pub fn new(text: String) -> Result<Self, NoteError> {
        check_characters(&text)?;
        if text.is_empty() || text == "\n" || !text.ends_with('\n') || text.ends_with("\n\n") {
            return Err(NoteError::BadText);
        }
        Ok(Note {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note from untrusted bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge { len: bytes.len() });
        }
        let whole = std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?;
        check_characters(whole)?;

        // The text ends at the last blank line; signature lines are never empty.
        let Some(split) = whole.rfind("\n\n") else {
            return Err(NoteError::MissingSignatures);
        };
        let (text, block) = (&whole[..=split], &whole[split + 2..]);
        let Some(block) = block.strip_suffix('\n') else {
            return Err(NoteError::MissingSignatures);
        };
        if block.is_empty() {
            return Err(NoteError::MissingSignatures);
        }

        let mut note = Note::new(text.to_owned())?;
        for (number, line) in block.split('\n').enumerate() {
            if number >= MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            note.signatures
                .push(parse_signature_line(number + 1, line)?);
        }
        Ok(note)
    }

    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signatures, in the order they appear.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line (after checking its key name).
    pub fn add_signature(&mut self, signature: NoteSignature) -> Result<(), NoteError> {
        check_key_name(&signature.name)?;
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        self.signatures.push(signature);
        Ok(())
    }

    /// The note as text: the text, a blank line, one line per signature.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 128 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
            out.push('\n');
        }
        out
    }
}

fn parse_signature_line(line: usize, text: &str) -> Result<NoteSignature, NoteError> {
    let bad = |reason| NoteError::BadSignatureLine { line, reason };

    let rest = text
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(bad("it does not start with an em dash and a space"))?;
    let (name, encoded) = rest
        .split_once(' ')
        .ok_or(bad("it has no space between key name and signature"))?;
    check_key_name(name).map_err(|_| bad("the key name is empty or holds a space or '+'"))?;

    let bytes = BASE64
        .decode(encoded.as_bytes())
        .map_err(|_| bad("the signature is not canonical standard base64"))?;
    if bytes.len() <= 4 {
        return Err(bad(
            "the signature is too short to hold a key id and a signature",
        ));
    }

    let (id, signature) = bytes.split_at(4);
    let key_id = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id,
        signature: signature.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example note of the C2SP signed-note specification.
    const SPEC_EXAMPLE: &str = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di \
        sole:\n\ned è subito sera.\n\n\u{2014} quasimodo.example/salvatore \
        NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaq\
        P3ZekRwNtIc=\n";

    #[test]
    fn the_specification_example_parses_and_writes_back() {
        let note = Note::parse(SPEC_EXAMPLE.as_bytes()).unwrap();
        assert!(note.text().ends_with("ed è subito sera.\n"));
        assert!(note.text().contains("\n\n"), "text may hold blank lines");
        assert_eq!(note.signatures().len(), 1);
        assert_eq!(note.signatures()[0].name, "quasimodo.example/salvatore");
        assert_eq!(note.signatures()[0].signature.len(), 64);
        assert_eq!(note.to_text(), SPEC_EXAMPLE);
    }

    #[test]
    fn malformed_notes_are_refused() {
        let good = SPEC_EXAMPLE;
        let cases: Vec<(String, &str)> = vec![
            (good.replace("\n\n\u{2014}", "\n\u{2014}"), "no blank line"),
            (good.trim_end().to_owned(), "no final newline"),
            (good.replace("\u{2014} ", "- "), "ascii dash"),
            (good.replace("salvatore ", "salvatore+1 "), "plus in name"),
            (good.replace("Nnug", "Nn!g"), "bad base64"),
            (good.replace("NtIc=", "NtIc"), "missing padding"),
            (good.replace("terra", "te\rra"), "control character"),
            (format!("{good}\n"), "trailing blank line"),
            (
                good.replace("\n\u{2014}", "\n\u{2014} x AAAA\n\u{2014}"),
                "short signature",
            ),
        ];
        for (text, why) in cases {
            assert!(
                Note::parse(text.as_bytes()).is_err(),
                "accepted a note with {why}"
            );
        }

        assert_eq!(Note::parse(&[0xff, b'\n']), Err(NoteError::NotUtf8));
        let huge = vec![b'a'; MAX_NOTE_BYTES + 1];
        assert!(matches!(
            Note::parse(&huge),
            Err(NoteError::TooLarge { .. })
        ));

        let line = SPEC_EXAMPLE.split("\n\n").nth(2).unwrap();
        let many = format!("text\n\n{}", line.repeat(MAX_SIGNATURES + 1));
        assert_eq!(
            Note::parse(many.as_bytes()),
            Err(NoteError::TooManySignatures)
        );
    }
}
