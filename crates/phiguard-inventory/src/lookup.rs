//! Questions scan and assess ask of an inventory.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::schema::{DataStore, Integration, Inventory, Surface};

/// Lowercase letters and digits only: `Authorize.Net`, `authorize_net` and `AuthorizeNet` all
/// name the same vendor.
pub fn normalise_vendor(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Integration {
    /// Whether `vendor` names this integration's vendor or one of its aliases.
    pub fn is_vendor(&self, vendor: &str) -> bool {
        let wanted = normalise_vendor(vendor);
        !wanted.is_empty()
            && std::iter::once(&self.vendor)
                .chain(&self.aliases)
                .any(|name| normalise_vendor(name) == wanted)
    }
}

impl Inventory {
    /// The integration for a vendor, matched by name or alias ignoring case and punctuation.
    pub fn integration_for_vendor(&self, vendor: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.is_vendor(vendor))
    }

    /// The data store a Terraform resource address (`aws_db_instance.orders`) creates.
    pub fn data_store_for_resource(&self, address: &str) -> Option<&DataStore> {
        self.data_stores
            .iter()
            .find(|store| store.terraform.iter().any(|declared| declared == address))
    }

    /// A matcher from source files to the surfaces they render.
    pub fn surface_matcher(&self) -> SurfaceMatcher<'_> {
        SurfaceMatcher::new(&self.surfaces)
    }
}

/// Finds the surfaces whose `files` patterns match a path; built once per scan.
#[derive(Debug)]
pub struct SurfaceMatcher<'a> {
    surfaces: &'a [Surface],
    set: GlobSet,
    owner: Vec<usize>,
}

impl<'a> SurfaceMatcher<'a> {
    fn new(surfaces: &'a [Surface]) -> Self {
        let mut builder = GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (index, surface) in surfaces.iter().enumerate() {
            for pattern in &surface.files {
                // Patterns were validated when the inventory was loaded.
                if let Ok(glob) = Glob::new(pattern) {
                    builder.add(glob);
                    owner.push(index);
                }
            }
        }
        let set = builder.build().unwrap_or_else(|_| GlobSet::empty());
        SurfaceMatcher {
            surfaces,
            set,
            owner,
        }
    }

    /// The surfaces rendered by `relative_path` (a path relative to the scanned root).
    pub fn surfaces_for(&self, relative_path: &Path) -> Vec<&'a Surface> {
        let mut found: Vec<&Surface> = Vec::new();
        for pattern in self.set.matches(relative_path) {
            if let Some(surface) = self.owner.get(pattern).and_then(|&i| self.surfaces.get(i))
                && !found.iter().any(|s| s.id == surface.id)
            {
                found.push(surface);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vendor_names_match_across_spellings() {
        assert_eq!(
            normalise_vendor("Authorize.Net"),
            normalise_vendor("authorize_net")
        );
        assert_ne!(normalise_vendor("Meta"), normalise_vendor("Metabase"));
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(name in "\\PC{0,24}") {
            let once = normalise_vendor(&name);
            prop_assert_eq!(normalise_vendor(&once), once.clone());
            prop_assert!(once.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        }
    }
}
