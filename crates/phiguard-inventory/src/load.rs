//! Reading an inventory file and checking that its references hold together.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::schema::Inventory;

/// Why an inventory could not be used.
///
/// Every variant names the file, and where it can, the line and key. Messages never quote a
/// value from the file: an inventory is configuration, but someone may paste anything into it.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The file could not be read.
    #[error("cannot read the inventory file {}: {cause}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// What the operating system said (in the message, not repeated as a source).
        cause: std::io::Error,
    },
    /// The file is not valid TOML, or a key is unknown or has the wrong type.
    #[error("{}:{line}:{column}: {key_part}{problem}", file.display(), key_part = key_phrase(key))]
    Schema {
        /// The file.
        file: PathBuf,
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column of the offending text.
        column: usize,
        /// The key at fault, with its table, when it can be told.
        key: Option<String>,
        /// What is wrong, with quoted values removed.
        problem: String,
    },
    /// An entry refers to a system, data store or other entry that the file does not define,
    /// or two entries share an id.
    #[error("{}:{line}:{column}: key `{key}`: {problem}", file.display())]
    Reference {
        /// The file.
        file: PathBuf,
        /// 1-based line of the reference.
        line: usize,
        /// 1-based column of the reference.
        column: usize,
        /// The key that holds the reference.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

fn key_phrase(key: &Option<String>) -> String {
    match key {
        Some(key) => format!("key `{key}`: "),
        None => String::new(),
    }
}

impl Inventory {
    /// Reads and checks the inventory at `path`.
    ///
    /// # Errors
    /// [`InventoryError::Read`] if the file cannot be read, [`InventoryError::Schema`] for bad
    /// TOML, unknown keys and wrong types, [`InventoryError::Reference`] for references to
    /// undefined entries and duplicate ids.
    pub fn from_path(path: &Path) -> Result<Inventory, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|cause| InventoryError::Read {
            file: path.to_owned(),
            cause,
        })?;
        Inventory::parse(&text, path)
    }

    /// Parses and checks inventory text; `origin` names the file in errors.
    ///
    /// # Errors
    /// As [`Inventory::from_path`], without the read error.
    pub fn parse(text: &str, origin: &Path) -> Result<Inventory, InventoryError> {
        let inventory: Inventory = toml::from_str(text).map_err(|error| {
            let span = error.span().unwrap_or(0..0);
            let (line, column) = line_and_column(text, span.start);
            InventoryError::Schema {
                file: origin.to_owned(),
                line,
                column,
                key: key_at(text, &span),
                problem: phiguard_core::without_quoted_values(error.message()),
            }
        })?;

        References { text, origin }.check(&inventory)?;
        Ok(inventory)
    }

    /// Reads and checks the inventory at `path` as [`Inventory::from_path`] does, and also
    /// checks that every attestation names a control `is_known` accepts, so a mistyped
    /// citation is an error at its line rather than a statement that silently attests nothing.
    ///
    /// # Errors
    /// As [`Inventory::from_path`], and [`InventoryError::Reference`] for an unknown citation.
    pub fn from_path_with_controls(
        path: &Path,
        is_known: impl Fn(&str) -> bool,
    ) -> Result<Inventory, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|cause| InventoryError::Read {
            file: path.to_owned(),
            cause,
        })?;
        let inventory = Inventory::parse(&text, path)?;
        let references = References {
            text: &text,
            origin: path,
        };
        for attestation in &inventory.attestations {
            if !is_known(attestation.control.get_ref()) {
                return Err(references.at(
                    &attestation.control,
                    "attestations.control",
                    format!(
                        "`{}` is not a control of the HIPAA Security Rule catalog; write a \
                         citation such as 164.308(a)(1)(ii)(C)",
                        attestation.control.get_ref()
                    ),
                ));
            }
        }
        Ok(inventory)
    }
}

struct References<'a> {
    text: &'a str,
    origin: &'a Path,
}

impl References<'_> {
    fn check(&self, inventory: &Inventory) -> Result<(), InventoryError> {
        let systems = self.unique_ids("systems", inventory.systems.iter().map(|s| &s.id))?;
        let stores = self.unique_ids("data_stores", inventory.data_stores.iter().map(|s| &s.id))?;
        self.unique_ids("integrations", inventory.integrations.iter().map(|i| &i.id))?;
        self.unique_ids("surfaces", inventory.surfaces.iter().map(|s| &s.id))?;

        for store in &inventory.data_stores {
            self.defined(&systems, &store.system, "data_stores.system", "system")?;
            if let Some(original) = &store.backup_of {
                self.defined(&stores, original, "data_stores.backup_of", "data store")?;
                if *original.get_ref() == store.id {
                    return Err(self.at(
                        original,
                        "data_stores.backup_of",
                        format!("data store `{}` names itself as what it backs up", store.id),
                    ));
                }
            }
            if !store.holds_phi && !store.categories.is_empty() {
                return Err(self.at(
                    &store.system,
                    "data_stores.holds_phi",
                    format!(
                        "data store `{}` lists PHI categories but says `holds_phi = false`; \
                         set `holds_phi = true` or remove the categories",
                        store.id
                    ),
                ));
            }
        }
        for integration in &inventory.integrations {
            for system in &integration.systems {
                self.defined(&systems, system, "integrations.systems", "system")?;
            }
        }
        for surface in &inventory.surfaces {
            self.defined(&systems, &surface.system, "surfaces.system", "system")?;
            for pattern in &surface.files {
                if globset::Glob::new(pattern).is_err() {
                    return Err(self.at(
                        &surface.system,
                        "surfaces.files",
                        format!(
                            "surface `{}` has a file pattern that is not a valid glob",
                            surface.id
                        ),
                    ));
                }
            }
        }
        for role in &inventory.roles {
            for system in &role.systems {
                self.defined(&systems, system, "roles.systems", "system")?;
            }
        }
        Ok(())
    }

    fn unique_ids<'i>(
        &self,
        table: &str,
        ids: impl Iterator<Item = &'i String>,
    ) -> Result<HashSet<&'i str>, InventoryError> {
        let mut seen = HashSet::new();
        for id in ids {
            if !seen.insert(id.as_str()) {
                let (line, column) = self.position_of_id(table, id);
                return Err(InventoryError::Reference {
                    file: self.origin.to_owned(),
                    line,
                    column,
                    key: format!("{table}.id"),
                    problem: format!("the id `{id}` is used by two entries of [[{table}]]"),
                });
            }
        }
        Ok(seen)
    }

    fn defined(
        &self,
        known: &HashSet<&str>,
        reference: &Spanned<String>,
        key: &str,
        what: &str,
    ) -> Result<(), InventoryError> {
        if known.contains(reference.get_ref().as_str()) {
            return Ok(());
        }
        Err(self.at(
            reference,
            key,
            format!(
                "refers to the {what} `{}`, which the inventory does not define",
                reference.get_ref()
            ),
        ))
    }

    fn at(&self, reference: &Spanned<String>, key: &str, problem: String) -> InventoryError {
        let (line, column) = line_and_column(self.text, reference.span().start);
        InventoryError::Reference {
            file: self.origin.to_owned(),
            line,
            column,
            key: key.to_owned(),
            problem,
        }
    }

    /// The second occurrence of `id = "<id>"` after the `[[table]]` headers, for duplicate ids.
    fn position_of_id(&self, table: &str, id: &str) -> (usize, usize) {
        let header = format!("[[{table}]]");
        let mut in_table = false;
        let mut seen = 0;
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                in_table = trimmed == header;
            } else if in_table && is_id_line(trimmed, id) {
                seen += 1;
                if seen == 2 {
                    return line_and_column(self.text, offset);
                }
            }
            offset += line.len();
        }
        (1, 1)
    }
}

fn is_id_line(line: &str, id: &str) -> bool {
    let Some((key, value)) = line.split_once('=') else {
        return false;
    };
    let value = value.split('#').next().unwrap_or("").trim();
    key.trim() == "id" && value.trim_matches(|c| c == '"' || c == '\'') == id
}

/// 1-based line and column of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// The key an error span points at or into, prefixed by the table it sits in.
fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let start = span.start.min(text.len());
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text
        .get(start..)?
        .find('\n')
        .map_or(text.len(), |i| start + i);
    let line = text.get(line_start..line_end)?;

    let key = line
        .split_once('=')
        .map(|(key, _)| key.trim())
        .filter(|k| !k.is_empty())?;
    let key = key.trim_matches(|c| c == '"' || c == '\'');

    let table = text
        .get(..line_start)?
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|header| {
            header
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned()
        });

    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        assert_eq!(line_and_column(text, 9), (2, 4));
    }

    #[test]
    fn keys_carry_their_table() {
        let text = "[platform]\nname = 1\n";
        assert_eq!(key_at(text, &(18..19)).as_deref(), Some("platform.name"));
    }
}
