//! The PHI leak scanner: every PHI string a test put into the vault, searched for in files,
//! logs and responses.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use phiguard_records::synthetic::{SyntheticBundle, SyntheticOrder, phi_strings};
use phiguard_records::{builtin_type, fhir, shopify};
use serde_json::Value;

/// The shortest needle searched for verbatim in binary files. Ciphertext is random bytes, and a
/// given 4-byte string turns up by chance about once in 4 GiB: across a few dozen short names
/// and tens of megabytes of database and WAL, that makes a false alarm every few dozen runs.
/// Shorter needles are searched for in binary files as JSON strings (with their quotes), the
/// form in which a document, an event or an error would leak them.
pub(crate) const MIN_BINARY_NEEDLE: usize = 5;

/// Every PHI string of a set of imported documents.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhiStrings {
    strings: BTreeSet<String>,
}

/// One needle found in one place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    /// Where it was found.
    pub(crate) place: String,
    /// What was found.
    pub(crate) needle: String,
}

impl PhiStrings {
    /// An empty set.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds the PHI strings a built-in record type finds in `document`.
    pub(crate) fn add_document(&mut self, record_type: &str, document: &Value) {
        let record_type =
            builtin_type(record_type).unwrap_or_else(|| panic!("no built-in type {record_type}"));
        self.strings.extend(phi_strings(record_type, document));
    }

    /// Adds values the generator says it planted, at least four characters long.
    pub(crate) fn add_planted(&mut self, planted: &[String]) {
        self.strings.extend(
            planted
                .iter()
                .filter(|value| value.chars().count() >= 4)
                .cloned(),
        );
    }

    /// Adds everything PHI in a FHIR bundle: each resource's PHI strings by its record type.
    pub(crate) fn add_bundle_bytes(&mut self, bytes: &[u8]) {
        let bundle = fhir::parse_bundle(bytes).expect("a fixture bundle parses");
        for patient in &bundle.patients {
            for (record_type, resource) in patient.all_records() {
                self.add_document(record_type, resource);
            }
        }
    }

    /// Adds everything PHI in a generated bundle, planted values included.
    pub(crate) fn add_bundle(&mut self, bundle: &SyntheticBundle) {
        self.add_bundle_bytes(&bundle.to_bytes());
        self.add_planted(&bundle.planted);
    }

    /// Adds everything PHI in an order webhook body.
    pub(crate) fn add_order_bytes(&mut self, bytes: &[u8]) {
        let order = shopify::parse_order(bytes).expect("a fixture order parses");
        self.add_document("shopify.order", &order.order);
    }

    /// Adds everything PHI in a generated order, planted values included.
    pub(crate) fn add_order(&mut self, order: &SyntheticOrder) {
        self.add_order_bytes(&order.to_bytes());
        self.add_planted(&order.planted);
    }

    /// Removes a value that is PHI in a document but also appears legitimately elsewhere.
    pub(crate) fn forget(&mut self, value: &str) {
        self.strings.remove(value);
    }

    /// The strings.
    pub(crate) fn strings(&self) -> &BTreeSet<String> {
        &self.strings
    }

    /// How many strings there are.
    pub(crate) fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Every string that occurs in `text` as a whole word (not inside a longer run of letters
    /// and digits: `normal` in "does not normalise" is no leak).
    pub(crate) fn find_in_text(&self, place: &str, text: &[u8]) -> Vec<Hit> {
        let needles: Vec<&str> = self.strings.iter().map(String::as_str).collect();
        find_all(place, text, &needles, |_| true)
    }

    /// Every string that occurs in binary `bytes`: verbatim when at least
    /// [`MIN_BINARY_NEEDLE`] bytes long, as a quoted JSON string otherwise. Values without a
    /// letter (ZIP codes, dates, numbers) must stand alone, because SQLite files are full of
    /// digits (timestamps, hexadecimal request ids) where they turn up by chance; values with
    /// letters count anywhere, since SQLite stores adjacent text columns without a separator.
    pub(crate) fn find_in_binary(&self, place: &str, bytes: &[u8]) -> Vec<Hit> {
        let long: Vec<String> = self
            .strings
            .iter()
            .filter(|s| s.len() >= MIN_BINARY_NEEDLE)
            .cloned()
            .collect();
        let quoted: Vec<String> = self
            .strings
            .iter()
            .filter(|s| s.len() < MIN_BINARY_NEEDLE)
            .map(|s| format!("\"{s}\""))
            .collect();
        let needles: Vec<&str> = long.iter().chain(&quoted).map(String::as_str).collect();
        find_all(place, bytes, &needles, |needle| {
            !needle.chars().any(char::is_alphabetic)
        })
    }
}

/// Every needle that occurs in `haystack`, each reported once. A needle for which
/// `must_stand_alone` holds counts only where no ASCII letter or digit touches it.
pub(crate) fn find_all(
    place: &str,
    haystack: &[u8],
    needles: &[&str],
    must_stand_alone: impl Fn(&str) -> bool,
) -> Vec<Hit> {
    if needles.is_empty() {
        return Vec::new();
    }
    let automaton = AhoCorasick::new(needles).expect("an automaton over the needles");
    let touches = |index: Option<usize>| {
        index
            .and_then(|i| haystack.get(i))
            .is_some_and(u8::is_ascii_alphanumeric)
    };
    let found: BTreeSet<usize> = automaton
        .find_overlapping_iter(haystack)
        .filter(|m| {
            let needle = needles[m.pattern().as_usize()];
            !must_stand_alone(needle)
                || (!touches(m.start().checked_sub(1)) && !touches(Some(m.end())))
        })
        .map(|m| m.pattern().as_usize())
        .collect();
    found
        .into_iter()
        .map(|index| Hit {
            place: place.to_owned(),
            needle: needles[index].to_owned(),
        })
        .collect()
}

/// Every regular file under `dir`, recursively.
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
