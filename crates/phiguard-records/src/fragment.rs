//! Fragments: the leaves of one part of a record, and their byte encoding.
//!
//! # Encoding, version 1
//!
//! Compact, deterministic (the same leaves always give the same bytes) and decodable in one
//! pass without lookahead. Integers are LEB128 varints.
//!
//! ```text
//! fragment := 0x01 leaf-count leaf*
//! leaf     := shared fresh step{fresh} value
//!             shared: steps taken over from the previous leaf's path
//!             fresh:  steps that follow
//! step     := varint(len << 1) utf8-bytes{len}     an object key
//!           | varint(index << 1 | 1)              an array index
//! value    := 0x00 null | 0x01 false | 0x02 true
//!           | 0x03 varint                         non-negative integer
//!           | 0x04 varint(!n)                     negative integer n
//!           | 0x05 f64-little-endian              other number
//!           | 0x06 varint(len) utf8-bytes{len}    string
//!           | 0x07 empty object | 0x08 empty array
//! ```
//!
//! Leaves are kept sorted by path, so consecutive leaves share long prefixes
//! (`code.coding[0].system`, `code.coding[0].code`) and the shared count saves repeating them.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use phiguard_core::Category;
use serde_json::{Map, Number, Value};

use crate::path::{LeafPath, PathStep};
use crate::walk::MAX_DEPTH;

/// The format version written as the first byte of every encoded fragment.
pub const FRAGMENT_FORMAT_VERSION: u8 = 1;

/// One part of a split record: the structure, or one PHI category. The vault stores one
/// ciphertext per part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// Leaves classified `not_phi`, and empty objects and arrays. Always disclosed.
    Structure,
    /// Leaves of one PHI category.
    Phi(Category),
}

impl Part {
    /// Every part, structure first, then the categories in [`Category::ALL`] order.
    pub const ALL: [Part; 10] = [
        Part::Structure,
        Part::Phi(Category::Identifier),
        Part::Phi(Category::Name),
        Part::Phi(Category::Contact),
        Part::Phi(Category::Address),
        Part::Phi(Category::Birthdate),
        Part::Phi(Category::Demographic),
        Part::Phi(Category::Clinical),
        Part::Phi(Category::Financial),
        Part::Phi(Category::FreeText),
    ];

    /// `structure` or the category's name: the form to use in storage and AAD.
    pub const fn as_str(self) -> &'static str {
        match self {
            Part::Structure => "structure",
            Part::Phi(category) => category.as_str(),
        }
    }

    /// The position of this part in [`Part::ALL`].
    pub const fn index(self) -> usize {
        match self {
            Part::Structure => 0,
            Part::Phi(category) => 1 + category.index(),
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is neither `structure` nor a category name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record part; expected structure or a PHI category name")]
pub struct UnknownPart;

impl FromStr for Part {
    type Err = UnknownPart;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Part::ALL
            .into_iter()
            .find(|part| part.as_str() == text)
            .ok_or(UnknownPart)
    }
}

/// The value of one leaf: a scalar, or an empty object or array.
#[derive(Clone, PartialEq)]
pub enum LeafValue {
    /// JSON `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, exactly as parsed.
    Number(Number),
    /// A string.
    String(String),
    /// `{}`.
    EmptyObject,
    /// `[]`.
    EmptyArray,
}

impl LeafValue {
    /// The leaf value of `value`, or `None` for a non-empty object or array (not a leaf).
    pub fn from_json(value: &Value) -> Option<LeafValue> {
        Some(match value {
            Value::Null => LeafValue::Null,
            Value::Bool(flag) => LeafValue::Bool(*flag),
            Value::Number(number) => LeafValue::Number(number.clone()),
            Value::String(text) => LeafValue::String(text.clone()),
            Value::Object(map) if map.is_empty() => LeafValue::EmptyObject,
            Value::Array(items) if items.is_empty() => LeafValue::EmptyArray,
            Value::Object(_) | Value::Array(_) => return None,
        })
    }

    /// The JSON value.
    pub fn into_json(self) -> Value {
        match self {
            LeafValue::Null => Value::Null,
            LeafValue::Bool(flag) => Value::Bool(flag),
            LeafValue::Number(number) => Value::Number(number),
            LeafValue::String(text) => Value::String(text),
            LeafValue::EmptyObject => Value::Object(Map::new()),
            LeafValue::EmptyArray => Value::Array(Vec::new()),
        }
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            LeafValue::String(text) => Some(text),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            LeafValue::Null => "null",
            LeafValue::Bool(_) => "boolean",
            LeafValue::Number(_) => "number",
            LeafValue::String(_) => "string",
            LeafValue::EmptyObject => "{}",
            LeafValue::EmptyArray => "[]",
        }
    }
}

/// Shows the kind of value only: leaf values are PHI.
impl fmt::Debug for LeafValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.kind())
    }
}

/// One leaf: where it is and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// The path from the top-level object.
    pub path: LeafPath,
    /// The value.
    pub value: LeafValue,
}

/// The leaves of one part of a record, sorted by path.
///
/// `Debug` lists paths and value kinds, never values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    leaves: Vec<Leaf>,
}

/// Why bytes are not an encoded fragment. Positions are byte offsets into the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    /// No bytes at all.
    #[error("the fragment is empty; expected at least the format version byte")]
    Empty,
    /// The first byte is not a version this build reads.
    #[error("fragment format version {found} is not supported; this build reads version 1")]
    UnsupportedVersion {
        /// The version byte found.
        found: u8,
    },
    /// The input ends in the middle of an item.
    #[error("the fragment ends early, at byte {offset}")]
    Truncated {
        /// Where more input was expected.
        offset: usize,
    },
    /// A varint is longer than 64 bits or a count is implausibly large.
    #[error("the fragment has an out-of-range number at byte {offset}")]
    OutOfRange {
        /// Where the number starts.
        offset: usize,
    },
    /// A key or string is not UTF-8.
    #[error("the fragment has text that is not UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// Where the text starts.
        offset: usize,
    },
    /// An unknown value tag, or a float that is not finite.
    #[error("the fragment has an invalid value at byte {offset}")]
    InvalidValue {
        /// Where the value starts.
        offset: usize,
    },
    /// A leaf shares more steps than the previous path has, or is deeper than the limit.
    #[error("the fragment has an invalid path at byte {offset}")]
    InvalidPath {
        /// Where the path starts.
        offset: usize,
    },
    /// Bytes remain after the last leaf.
    #[error("the fragment has trailing bytes after byte {offset}")]
    TrailingBytes {
        /// Where the trailing bytes start.
        offset: usize,
    },
}

impl Fragment {
    /// A fragment of `leaves`, sorted into path order.
    pub fn new(mut leaves: Vec<Leaf>) -> Self {
        leaves.sort_by(|a, b| a.path.cmp(&b.path));
        Fragment { leaves }
    }

    /// A fragment that keeps `leaves` in the given order, to test readers against input the
    /// encoder never writes.
    #[cfg(test)]
    pub(crate) fn unsorted(leaves: Vec<Leaf>) -> Self {
        Fragment { leaves }
    }

    /// The leaves, in path order.
    pub fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    /// The leaves, taking ownership.
    pub fn into_leaves(self) -> Vec<Leaf> {
        self.leaves
    }

    /// How many leaves the fragment holds.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// Whether the fragment holds no leaf.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The bytes of the version-1 encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.leaves.len() * 24);
        out.push(FRAGMENT_FORMAT_VERSION);
        write_varint(&mut out, self.leaves.len() as u64);

        let mut previous: &[PathStep] = &[];
        for leaf in &self.leaves {
            let steps = leaf.path.steps();
            let shared = previous
                .iter()
                .zip(steps)
                .take_while(|(a, b)| a == b)
                .count();
            write_varint(&mut out, shared as u64);
            write_varint(&mut out, (steps.len() - shared) as u64);
            for step in &steps[shared..] {
                match step {
                    PathStep::Key(key) => {
                        write_varint(&mut out, (key.len() as u64) << 1);
                        out.extend_from_slice(key.as_bytes());
                    }
                    PathStep::Index(index) => write_varint(&mut out, (u64::from(*index) << 1) | 1),
                }
            }
            write_value(&mut out, &leaf.value);
            previous = steps;
        }
        out
    }

    /// Decodes a version-1 encoding. Keys shared between consecutive leaves are shared in
    /// memory too.
    pub fn decode(bytes: &[u8]) -> Result<Fragment, FragmentError> {
        let view = FragmentView::decode(bytes)?;

        let mut current: Vec<PathStep> = Vec::with_capacity(MAX_DEPTH);
        let mut leaves = Vec::with_capacity(view.leaves.len());
        for leaf in &view.leaves {
            let steps = view.steps_of(leaf);
            current.truncate(leaf.shared as usize);
            current.extend(steps[current.len()..].iter().map(|step| step.owned()));
            leaves.push(Leaf {
                path: LeafPath::from_steps(current.clone()),
                value: leaf.value.to_owned(),
            });
        }
        Ok(Fragment { leaves })
    }
}

/// A path step borrowed from encoded bytes. Orders like [`PathStep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum StepRef<'b> {
    Key(&'b str),
    Index(u32),
}

impl StepRef<'_> {
    fn owned(self) -> PathStep {
        match self {
            StepRef::Key(key) => PathStep::Key(Arc::from(key)),
            StepRef::Index(index) => PathStep::Index(index),
        }
    }
}

/// A leaf value borrowed from encoded bytes.
#[derive(Debug, Clone)]
pub(crate) enum ValueRef<'b> {
    Null,
    Bool(bool),
    Number(Number),
    Str(&'b str),
    EmptyObject,
    EmptyArray,
}

impl ValueRef<'_> {
    pub(crate) fn to_json(&self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Bool(flag) => Value::Bool(*flag),
            ValueRef::Number(number) => Value::Number(number.clone()),
            ValueRef::Str(text) => Value::String((*text).to_owned()),
            ValueRef::EmptyObject => Value::Object(Map::new()),
            ValueRef::EmptyArray => Value::Array(Vec::new()),
        }
    }

    fn to_owned(&self) -> LeafValue {
        match self {
            ValueRef::Null => LeafValue::Null,
            ValueRef::Bool(flag) => LeafValue::Bool(*flag),
            ValueRef::Number(number) => LeafValue::Number(number.clone()),
            ValueRef::Str(text) => LeafValue::String((*text).to_owned()),
            ValueRef::EmptyObject => LeafValue::EmptyObject,
            ValueRef::EmptyArray => LeafValue::EmptyArray,
        }
    }
}

/// One leaf of a [`FragmentView`]: its path is `steps[start..start + len]`.
pub(crate) struct LeafRef<'b> {
    start: u32,
    len: u32,
    /// Steps shared with the previous leaf's path.
    shared: u32,
    pub(crate) value: ValueRef<'b>,
}

/// A decoded fragment that borrows its keys and strings from the encoded bytes: the read path
/// reassembles from it without allocating per key.
pub(crate) struct FragmentView<'b> {
    steps: Vec<StepRef<'b>>,
    pub(crate) leaves: Vec<LeafRef<'b>>,
    /// Whether every leaf's path comes after the previous one's, as the encoder writes them.
    pub(crate) sorted: bool,
}

impl<'b> FragmentView<'b> {
    /// The full path of `leaf`.
    pub(crate) fn steps_of(&self, leaf: &LeafRef<'b>) -> &[StepRef<'b>] {
        &self.steps[leaf.start as usize..(leaf.start + leaf.len) as usize]
    }

    /// Decodes and checks a version-1 encoding.
    pub(crate) fn decode(bytes: &'b [u8]) -> Result<FragmentView<'b>, FragmentError> {
        let mut reader = Reader { bytes, at: 0 };
        match reader.byte()? {
            FRAGMENT_FORMAT_VERSION => {}
            found => return Err(FragmentError::UnsupportedVersion { found }),
        }

        let count_at = reader.at;
        let count = reader.varint()?;
        // Every leaf takes at least three bytes, which bounds the allocations below.
        if count > (bytes.len() / 3) as u64 {
            return Err(FragmentError::OutOfRange { offset: count_at });
        }
        let mut view = FragmentView {
            steps: Vec::with_capacity(count as usize * 4),
            leaves: Vec::with_capacity(count as usize),
            sorted: true,
        };

        let mut current: Vec<StepRef<'b>> = Vec::with_capacity(MAX_DEPTH);
        for _ in 0..count {
            let path_at = reader.at;
            let shared = reader.varint()?;
            let fresh = reader.varint()?;
            let depth_ok =
                shared <= current.len() as u64 && shared.saturating_add(fresh) <= MAX_DEPTH as u64;
            if !depth_ok {
                return Err(FragmentError::InvalidPath { offset: path_at });
            }
            // Paths sharing `shared` steps are ordered by the step after them, so one comparison
            // per leaf tells whether the encoder's order holds.
            let previous_next = current.get(shared as usize).copied();
            current.truncate(shared as usize);
            for _ in 0..fresh {
                current.push(reader.step()?);
            }
            let value = reader.value()?;
            let next = current.get(shared as usize).copied();
            if !view.leaves.is_empty()
                && !matches!((previous_next, next), (Some(a), Some(b)) if a < b)
            {
                view.sorted = false;
            }

            let start = view.steps.len() as u32;
            view.steps.extend_from_slice(&current);
            let (len, shared) = (current.len() as u32, shared as u32);
            view.leaves.push(LeafRef {
                start,
                len,
                shared,
                value,
            });
        }

        if reader.at != bytes.len() {
            return Err(FragmentError::TrailingBytes { offset: reader.at });
        }
        Ok(view)
    }
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn write_value(out: &mut Vec<u8>, value: &LeafValue) {
    match value {
        LeafValue::Null => out.push(0),
        LeafValue::Bool(false) => out.push(1),
        LeafValue::Bool(true) => out.push(2),
        LeafValue::Number(number) => {
            if let Some(unsigned) = number.as_u64() {
                out.push(3);
                write_varint(out, unsigned);
            } else if let Some(signed) = number.as_i64() {
                out.push(4);
                write_varint(out, !(signed as u64));
            } else {
                out.push(5);
                out.extend_from_slice(&number.as_f64().unwrap_or(0.0).to_le_bytes());
            }
        }
        LeafValue::String(text) => {
            out.push(6);
            write_varint(out, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        LeafValue::EmptyObject => out.push(7),
        LeafValue::EmptyArray => out.push(8),
    }
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn byte(&mut self) -> Result<u8, FragmentError> {
        let byte = *self.bytes.get(self.at).ok_or(if self.at == 0 {
            FragmentError::Empty
        } else {
            FragmentError::Truncated { offset: self.at }
        })?;
        self.at += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, FragmentError> {
        let start = self.at;
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(FragmentError::OutOfRange { offset: start });
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FragmentError::OutOfRange { offset: start })
    }

    fn take(&mut self, len: u64) -> Result<&'b [u8], FragmentError> {
        let remaining = (self.bytes.len() - self.at) as u64;
        if len > remaining {
            return Err(FragmentError::Truncated {
                offset: self.bytes.len(),
            });
        }
        let slice = &self.bytes[self.at..self.at + len as usize];
        self.at += len as usize;
        Ok(slice)
    }

    fn text(&mut self, len: u64) -> Result<&'b str, FragmentError> {
        let start = self.at;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| FragmentError::InvalidUtf8 { offset: start })
    }

    fn step(&mut self) -> Result<StepRef<'b>, FragmentError> {
        let start = self.at;
        let header = self.varint()?;
        if header & 1 == 1 {
            let index = u32::try_from(header >> 1)
                .map_err(|_| FragmentError::OutOfRange { offset: start })?;
            return Ok(StepRef::Index(index));
        }
        Ok(StepRef::Key(self.text(header >> 1)?))
    }

    fn value(&mut self) -> Result<ValueRef<'b>, FragmentError> {
        let start = self.at;
        Ok(match self.byte()? {
            0 => ValueRef::Null,
            1 => ValueRef::Bool(false),
            2 => ValueRef::Bool(true),
            3 => ValueRef::Number(Number::from(self.varint()?)),
            4 => ValueRef::Number(Number::from(!self.varint()? as i64)),
            5 => {
                let bytes = self.take(8)?;
                let mut raw = [0u8; 8];
                raw.copy_from_slice(bytes);
                let number = Number::from_f64(f64::from_le_bytes(raw))
                    .ok_or(FragmentError::InvalidValue { offset: start })?;
                ValueRef::Number(number)
            }
            6 => {
                let len = self.varint()?;
                ValueRef::Str(self.text(len)?)
            }
            7 => ValueRef::EmptyObject,
            8 => ValueRef::EmptyArray,
            _ => return Err(FragmentError::InvalidValue { offset: start }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaf(path: &str, value: LeafValue) -> Leaf {
        Leaf {
            path: path.parse().unwrap(),
            value,
        }
    }

    fn sample() -> Fragment {
        Fragment::new(vec![
            leaf(
                "code.coding[0].system",
                LeafValue::String("http://loinc.org".into()),
            ),
            leaf("code.coding[0].code", LeafValue::String("8302-2".into())),
            leaf(
                "valueQuantity.value",
                LeafValue::Number(Number::from_f64(172.5).unwrap()),
            ),
            leaf("count", LeafValue::Number(Number::from(-3))),
            leaf("big", LeafValue::Number(Number::from(u64::MAX))),
            leaf("flag", LeafValue::Bool(true)),
            leaf("none", LeafValue::Null),
            leaf("empty.o", LeafValue::EmptyObject),
            leaf("empty.a[3]", LeafValue::EmptyArray),
        ])
    }

    #[test]
    fn encoding_round_trips_and_starts_with_the_version() {
        let fragment = sample();
        let bytes = fragment.encode();
        assert_eq!(bytes[0], FRAGMENT_FORMAT_VERSION);
        assert_eq!(Fragment::decode(&bytes).unwrap(), fragment);
        assert_eq!(Fragment::decode(&[1, 0]).unwrap(), Fragment::default());
    }

    #[test]
    fn shared_prefixes_are_written_once() {
        let one = Fragment::new(vec![leaf("code.coding[0].system", LeafValue::Null)]);
        let two = Fragment::new(vec![
            leaf("code.coding[0].system", LeafValue::Null),
            leaf("code.coding[0].code", LeafValue::Null),
        ]);
        // Version and count take 2 bytes. A full leaf `code.coding[0].system` takes shared (1),
        // fresh (1), `code` (1 + 4), `coding` (1 + 6), `[0]` (1), `system` (1 + 6), null (1).
        assert_eq!(one.encode().len(), 2 + 23);
        // Sorted, `code.coding[0].code` comes first in full (21 bytes); `system` then shares
        // three steps: shared (1), fresh (1), `system` (1 + 6), null (1).
        assert_eq!(two.encode().len(), 2 + 21 + 10);
    }

    #[test]
    fn leaves_are_sorted_so_encoding_is_deterministic() {
        let mut reversed = sample().into_leaves();
        reversed.reverse();
        assert_eq!(Fragment::new(reversed).encode(), sample().encode());
    }

    #[test]
    fn malformed_bytes_are_rejected() {
        let good = sample().encode();
        assert_eq!(Fragment::decode(&[]), Err(FragmentError::Empty));
        assert_eq!(
            Fragment::decode(&[2, 0]),
            Err(FragmentError::UnsupportedVersion { found: 2 })
        );
        assert!(matches!(
            Fragment::decode(&good[..good.len() - 1]),
            Err(FragmentError::Truncated { .. })
        ));
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(
            Fragment::decode(&trailing),
            Err(FragmentError::TrailingBytes { .. })
        ));
        // One leaf that claims to share a step with a previous leaf that does not exist.
        assert!(matches!(
            Fragment::decode(&[1, 1, 1, 0, 0]),
            Err(FragmentError::InvalidPath { .. })
        ));
        // One leaf, path `a`, with an unknown value tag.
        assert!(matches!(
            Fragment::decode(&[1, 1, 0, 1, 2, b'a', 9]),
            Err(FragmentError::InvalidValue { .. })
        ));
        // A key that is not UTF-8.
        assert!(matches!(
            Fragment::decode(&[1, 1, 0, 1, 2, 0xff, 0]),
            Err(FragmentError::InvalidUtf8 { .. })
        ));
        // A NaN float.
        let mut nan = vec![1, 1, 0, 1, 2, b'a', 5];
        nan.extend_from_slice(&f64::NAN.to_le_bytes());
        assert!(matches!(
            Fragment::decode(&nan),
            Err(FragmentError::InvalidValue { .. })
        ));
        // A count far beyond what the bytes could hold.
        assert!(matches!(
            Fragment::decode(&[1, 0xff, 0xff, 0xff, 0x0f]),
            Err(FragmentError::OutOfRange { .. })
        ));
        // A path deeper than the limit.
        let mut deep = vec![1, 1, 0, MAX_DEPTH as u8 + 1];
        deep.extend(std::iter::repeat_n(1, MAX_DEPTH + 1));
        deep.push(0);
        assert!(matches!(
            Fragment::decode(&deep),
            Err(FragmentError::InvalidPath { .. })
        ));
    }

    #[test]
    fn debug_output_shows_no_values() {
        let text = format!("{:?}", sample());
        assert!(
            !text.contains("8302-2") && !text.contains("loinc"),
            "{text}"
        );
        assert!(text.contains("<string>"));
    }

    #[test]
    fn parts_have_stable_names_and_positions() {
        for (position, part) in Part::ALL.into_iter().enumerate() {
            assert_eq!(part.index(), position);
            assert_eq!(part.as_str().parse(), Ok(part));
        }
        assert_eq!(Part::Phi(Category::FreeText).as_str(), "free_text");
    }

    fn arbitrary_step() -> impl Strategy<Value = PathStep> {
        prop_oneof![
            ".{0,6}".prop_map(|key| PathStep::Key(Arc::from(key.as_str()))),
            any::<u32>().prop_map(PathStep::Index),
        ]
    }

    fn arbitrary_value() -> impl Strategy<Value = LeafValue> {
        prop_oneof![
            Just(LeafValue::Null),
            any::<bool>().prop_map(LeafValue::Bool),
            any::<u64>().prop_map(|n| LeafValue::Number(n.into())),
            any::<i64>().prop_map(|n| LeafValue::Number(n.into())),
            any::<f64>()
                .prop_filter_map("finite", Number::from_f64)
                .prop_map(LeafValue::Number),
            ".{0,12}".prop_map(LeafValue::String),
            Just(LeafValue::EmptyObject),
            Just(LeafValue::EmptyArray),
        ]
    }

    proptest! {
        #[test]
        fn any_fragment_round_trips(
            leaves in prop::collection::vec(
                (prop::collection::vec(arbitrary_step(), 0..6), arbitrary_value()),
                0..20,
            )
        ) {
            let fragment = Fragment::new(
                leaves
                    .into_iter()
                    .map(|(steps, value)| Leaf { path: LeafPath::from_steps(steps), value })
                    .collect(),
            );
            let bytes = fragment.encode();
            prop_assert_eq!(Fragment::decode(&bytes).unwrap(), fragment);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(
            bytes in prop::collection::vec(any::<u8>(), 0..64)
        ) {
            let _ = Fragment::decode(&bytes);
        }
    }
}
