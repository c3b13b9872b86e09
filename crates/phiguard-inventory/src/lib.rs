//! The platform inventory: one TOML file that declares what a commerce platform is made of, so
//! that `phiguard scan` and `phiguard assess` judge findings against the platform's real shape.
//!
//! ```text
//!   [platform]          name, kind (shopify_plus, magento, ...), owner, tenants
//!   [[systems]]         id, kind, handles_phi ........................ referred to by id from:
//!   [[data_stores]]     system, kind (database, cache, search_index, object_store, backup,
//!                       log_sink), holds_phi, categories, encryption_at_rest,
//!                       encryption_in_transit, terraform addresses, backup_of (a data store)
//!   [[integrations]]    vendor, aliases, kind, baa (signed, not_signed, ...), categories, systems
//!   [[surfaces]]        system, kind (storefront_page, checkout, account, admin, app_settings),
//!                       authenticated, audience, health_context, urls, files (globs)
//!   [[roles]]           id, systems, provisioning, categories, mfa, recertification
//!   [[attestations]]    control (45 CFR citation), title, owner, date, document, expires
//! ```
//!
//! `examples/schema.toml` in this crate annotates every key; `examples/shopify-plus-pharmacy.toml`
//! and `examples/magento-medical-supply.toml` are realistic inventories of a Shopify Plus
//! pharmacy and a Magento medical-supply store.
//!
//! # What this crate owns
//!
//! The schema, its loading with errors that name the file, line and key (unknown keys and wrong
//! types through `deny_unknown_fields` and TOML spans, undefined references and duplicate ids
//! through a check after parsing), and the look-ups scan and assess share: the integration of a
//! vendor ([`Inventory::integration_for_vendor`]), the data store behind a Terraform resource
//! ([`Inventory::data_store_for_resource`]) and the surfaces a source file renders
//! ([`Inventory::surface_matcher`]).
//!
//! # What it refuses to do
//!
//! It holds no PHI and judges nothing: whether a store without encryption is a gap is for
//! assess to say, whether a tracker call is a finding is for scan. It never guesses a missing
//! value: an absent key with no documented default is an error, and `unknown` is a value the
//! author must write down.
//!
//! # Example
//!
//! ```
//! use std::path::Path;
//! use phiguard_inventory::{BaaStatus, Inventory};
//!
//! let text = r#"
//! [platform]
//! name = "Demo pharmacy"
//! kind = "shopify_plus"
//! owner = "platform-team"
//!
//! [[systems]]
//! id = "storefront"
//! name = "Storefront"
//! kind = "storefront"
//! handles_phi = true
//!
//! [[integrations]]
//! id = "meta"
//! vendor = "Meta"
//! aliases = ["facebook"]
//! kind = "advertising"
//! baa = "not_signed"
//! systems = ["storefront"]
//! "#;
//! let inventory = Inventory::parse(text, Path::new("inventory.toml")).unwrap();
//! let meta = inventory.integration_for_vendor("Facebook").unwrap();
//! assert_eq!(meta.baa, BaaStatus::NotSigned);
//! assert!(!meta.baa.covers_phi());
//!
//! let broken = text.replace("systems = [\"storefront\"]", "systems = [\"shop\"]");
//! let error = Inventory::parse(&broken, Path::new("inventory.toml")).unwrap_err();
//! assert!(error.to_string().starts_with("inventory.toml:19:12: key `integrations.systems`"));
//! ```

mod load;
mod lookup;
mod schema;

pub use load::InventoryError;
pub use lookup::{SurfaceMatcher, normalise_vendor};
pub use schema::{
    AtRest, Attestation, Audience, BaaStatus, DataStore, DataStoreKind, InTransit, Integration,
    IntegrationKind, Inventory, Platform, PlatformKind, Provisioning, RoleGrant, Surface,
    SurfaceKind, System, SystemKind,
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use phiguard_core::Category;

    use super::*;

    const SHOPIFY: &str = include_str!("../examples/shopify-plus-pharmacy.toml");
    const MAGENTO: &str = include_str!("../examples/magento-medical-supply.toml");
    const SCHEMA: &str = include_str!("../examples/schema.toml");

    fn parse(text: &str) -> Result<Inventory, InventoryError> {
        Inventory::parse(text, Path::new("platform.toml"))
    }

    #[test]
    fn the_shipped_examples_load() {
        let shopify = parse(SHOPIFY).unwrap();
        assert_eq!(shopify.platform.kind, PlatformKind::ShopifyPlus);
        assert_eq!(shopify.systems.len(), 4);
        let cache = shopify
            .data_store_for_resource("aws_elasticache_replication_group.sessions")
            .unwrap();
        assert_eq!(cache.kind, DataStoreKind::Cache);
        assert!(cache.holds_phi);
        assert!(cache.categories.contains(&Category::Clinical));
        assert!(shopify.integration_for_vendor("gtag").is_some());
        assert!(shopify.integration_for_vendor("e-prescribing").is_none());
        assert_eq!(shopify.attestations[0].date.to_string(), "2026-02-02");

        let magento = parse(MAGENTO).unwrap();
        assert_eq!(magento.platform.kind, PlatformKind::Magento);
        assert_eq!(
            magento.integration_for_vendor("hotjar").unwrap().baa,
            BaaStatus::NotSigned
        );

        let schema = parse(SCHEMA).unwrap();
        assert_eq!(
            schema.data_stores[1].backup_of.as_ref().unwrap().get_ref(),
            "orders-db"
        );
    }

    #[test]
    fn surfaces_are_found_from_source_paths() {
        let shopify = parse(SHOPIFY).unwrap();
        let matcher = shopify.surface_matcher();

        let account = matcher.surfaces_for(Path::new("templates/customers/order.json"));
        assert_eq!(account.len(), 1);
        assert_eq!(account[0].id, "customer-account");
        assert!(account[0].trackers_see_phi());

        let public = matcher.surfaces_for(Path::new("templates/index.json"));
        assert!(!public[0].trackers_see_phi());
        assert!(
            matcher
                .surfaces_for(Path::new("assets/theme.js"))
                .is_empty()
        );
    }

    #[test]
    fn an_unknown_key_names_file_line_and_key() {
        let text = SHOPIFY.replacen(
            "handles_phi = true",
            "handles_phi = true\nhandles_pii = true",
            1,
        );
        let error = parse(&text).unwrap_err().to_string();
        let line = text
            .lines()
            .position(|l| l == "handles_pii = true")
            .unwrap()
            + 1;
        assert!(
            error.starts_with(&format!(
                "platform.toml:{line}:1: key `systems.handles_pii`"
            )),
            "{error}"
        );
        assert!(error.contains("unknown field"), "{error}");
    }

    #[test]
    fn a_wrong_type_names_the_key_without_echoing_the_value() {
        let text = SHOPIFY.replacen("handles_phi = true", "handles_phi = \"078-05-1120\"", 1);
        let error = parse(&text).unwrap_err().to_string();
        assert!(error.contains("key `systems.handles_phi`"), "{error}");
        assert!(!error.contains("078-05-1120"), "{error}");
    }

    #[test]
    fn an_undefined_system_is_an_error_at_the_reference() {
        let text = MAGENTO.replacen(
            "systems = [\"insurance-verifier\"]",
            "systems = [\"billing\"]",
            1,
        );
        let error = parse(&text);
        let Err(InventoryError::Reference {
            line, key, problem, ..
        }) = error
        else {
            panic!("expected a reference error, got {error:?}");
        };
        let expected = text
            .lines()
            .position(|l| l == "systems = [\"billing\"]")
            .unwrap()
            + 1;
        assert_eq!(line, expected);
        assert_eq!(key, "integrations.systems");
        assert!(problem.contains("`billing`"));
    }

    #[test]
    fn an_undefined_backup_source_and_duplicate_ids_are_errors() {
        let text = SCHEMA.replace("backup_of = \"orders-db\"", "backup_of = \"orders\"");
        let error = parse(&text);
        assert!(
            matches!(&error, Err(InventoryError::Reference { key, .. })
                if key == "data_stores.backup_of"),
            "{error:?}"
        );

        let text = SCHEMA.replace("id = \"backend\"", "id = \"storefront\"");
        let error = parse(&text);
        let Err(InventoryError::Reference { key, line, .. }) = error else {
            panic!("expected a duplicate id error, got {error:?}");
        };
        assert_eq!(key, "systems.id");
        let second = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("id = \"storefront\""))
            .nth(1)
            .unwrap()
            .0;
        assert_eq!(line, second + 1);
    }

    #[test]
    fn dates_must_be_plain_dates() {
        let text = SCHEMA.replace("date = 2026-01-15 ", "date = 2026-01-15T10:00:00Z ");
        let error = parse(&text).unwrap_err().to_string();
        assert!(error.contains("plain date"), "{error}");

        let text = SCHEMA.replace("date = 2026-01-15 ", "date = \"last week\" ");
        assert!(parse(&text).is_err());
    }

    #[test]
    fn an_unknown_attestation_citation_is_an_error_at_its_line() {
        let dir = std::env::temp_dir().join(format!("phiguard-inventory-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("platform.toml");
        let text = SHOPIFY.replacen(
            "control = \"164.308(a)(1)(ii)(C)\"",
            "control = \"164.308(a)(1)(ii)(Z)\"",
            1,
        );
        std::fs::write(&path, &text).unwrap();

        let known = |citation: &str| citation != "164.308(a)(1)(ii)(Z)";
        let error = Inventory::from_path_with_controls(&path, known).unwrap_err();
        let line = text.lines().position(|l| l.contains("(ii)(Z)")).unwrap() + 1;
        let Some(InventoryError::Reference { line: at, key, .. }) = Some(&error) else {
            panic!("expected a reference error, got {error:?}");
        };
        assert_eq!((*at, key.as_str()), (line, "attestations.control"));
        assert!(Inventory::from_path_with_controls(&path, |_| true).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_required_key_is_an_error() {
        let text = SCHEMA.replace("baa = \"not_signed\"", "");
        let error = parse(&text).unwrap_err().to_string();
        assert!(error.contains("baa"), "{error}");
    }
}
