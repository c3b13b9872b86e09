//! Concrete paths to the leaves of a JSON document.
//!
//! A leaf is a scalar (string, number, boolean, null) or an empty object or array: the smallest
//! pieces a document is split into. Its path is the list of object keys and array indices that
//! lead to it from the top-level object.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// One step from a container to one of its children.
///
/// Keys are reference-counted so that the many leaves below one object share its key text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// A key of an object.
    Key(Arc<str>),
    /// A position in an array, counting from 0.
    Index(u32),
}

impl PathStep {
    /// The key, when this step is one.
    pub fn as_key(&self) -> Option<&str> {
        match self {
            PathStep::Key(key) => Some(key),
            PathStep::Index(_) => None,
        }
    }
}

/// The path from the top-level object of a document to one leaf, such as `name[0].given[1]`.
///
/// Paths order step by step (keys by their text, indices by number), which is the order in
/// which [`crate::Fragment`]s keep their leaves. A path names object keys, so it is only as free
/// of PHI as the document's keys are; record types with keys that carry PHI are not supported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeafPath(Vec<PathStep>);

impl LeafPath {
    /// The empty path: the top-level object itself.
    pub fn root() -> Self {
        LeafPath(Vec::new())
    }

    /// The path made of `steps`.
    pub fn from_steps(steps: Vec<PathStep>) -> Self {
        LeafPath(steps)
    }

    /// The steps, from the top-level object down.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// How many steps the path has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the empty path.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends an object key.
    pub fn push_key(&mut self, key: &str) {
        self.0.push(PathStep::Key(Arc::from(key)));
    }

    /// Appends an array index.
    pub fn push_index(&mut self, index: u32) {
        self.0.push(PathStep::Index(index));
    }

    /// The last object key on the path: `line` for `address[0].line[1]`. Masking decides by it.
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(PathStep::as_key)
    }

    /// The path with every array index written `[*]`, such as `name[*].given[*]`: the form
    /// reports group leaves by, and the form a record type rule for this leaf would take.
    pub fn generalized(&self) -> String {
        let mut text = String::new();
        for step in &self.0 {
            match step {
                PathStep::Key(key) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(key);
                }
                PathStep::Index(_) => text.push_str("[*]"),
            }
        }
        text
    }
}

impl fmt::Display for LeafPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Key(key) if position == 0 => f.write_str(key)?,
                PathStep::Key(key) => write!(f, ".{key}")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl FromIterator<PathStep> for LeafPath {
    fn from_iter<I: IntoIterator<Item = PathStep>>(iter: I) -> Self {
        LeafPath(iter.into_iter().collect())
    }
}

/// The text is not a leaf path in the `key.key[0].key` form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("leaf path is malformed at byte {offset}: expected a key, `.key` or `[index]`")]
pub struct LeafPathError {
    /// Where the problem starts, in bytes from the start of the text.
    pub offset: usize,
}

impl FromStr for LeafPath {
    type Err = LeafPathError;

    /// Parses the [`Display`](fmt::Display) form, such as `name[0].given[1]`. Keys may not
    /// contain `.`, `[` or `]`; paths with such keys can only be built step by step.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut path = LeafPath::root();
        let mut offset = 0;

        while offset < text.len() {
            let rest = &text[offset..];
            if let Some(after) = rest.strip_prefix('[').filter(|_| !path.is_empty()) {
                let close = after.find(']').ok_or(LeafPathError { offset })?;
                let index = after[..close]
                    .parse()
                    .map_err(|_| LeafPathError { offset })?;
                path.push_index(index);
                offset += close + 2;
                continue;
            }

            let key_start = match rest.strip_prefix('.') {
                Some(_) if !path.is_empty() => offset + 1,
                None if path.is_empty() => offset,
                _ => return Err(LeafPathError { offset }),
            };
            let key_text = &text[key_start..];
            let key_len = key_text.find(['.', '[', ']']).unwrap_or(key_text.len());
            if key_len == 0 {
                return Err(LeafPathError { offset: key_start });
            }
            path.push_key(&key_text[..key_len]);
            offset = key_start + key_len;
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_agree() {
        let path: LeafPath = "name[0].given[12]".parse().unwrap();
        assert_eq!(path.len(), 4);
        assert_eq!(path.steps()[3], PathStep::Index(12));
        assert_eq!(path.to_string(), "name[0].given[12]");
        assert_eq!(path.generalized(), "name[*].given[*]");
        assert_eq!(path.last_key(), Some("given"));
    }

    #[test]
    fn malformed_paths_are_rejected() {
        for bad in ["a..b", ".a", "a[", "a[x]", "a[0]b", "a.", "[0]]"] {
            assert!(bad.parse::<LeafPath>().is_err(), "{bad} should not parse");
        }
        assert!("".parse::<LeafPath>().unwrap().is_empty());
    }

    #[test]
    fn paths_order_step_by_step() {
        let a: LeafPath = "a[2]".parse().unwrap();
        let b: LeafPath = "a[10]".parse().unwrap();
        let c: LeafPath = "a[10].x".parse().unwrap();
        assert!(a < b && b < c);
    }
}
