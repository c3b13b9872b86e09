//! Shared set-up of the assess integration tests: the example inventories, a real scan of the
//! scanner's labelled corpus, and a fixed clock so reports compare byte for byte.

// Each test binary uses part of this module; set-up failures may panic in tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use phiguard_assess::{Assessment, Catalog, Evidence, Options, RegimeId, ScanEvidence, assess};
use phiguard_inventory::Inventory;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn example(name: &str) -> PathBuf {
    workspace()
        .join("crates/phiguard-inventory/examples")
        .join(name)
}

/// The example inventory, named as a user would name it on the command line.
pub fn inventory(name: &str) -> (Inventory, PathBuf) {
    let path = example(name);
    let inventory = Inventory::from_path(&path).unwrap();
    (inventory, PathBuf::from(format!("examples/{name}")))
}

/// Scans the scanner's labelled corpus with `inventory` and returns the JSON report, as
/// `phiguard scan --format json` writes it.
pub fn scan_json(inventory: &Inventory) -> String {
    let root = workspace().join("crates/phiguard-scan/tests/corpus/plain");
    let mut options = phiguard_scan::ScanOptions::new(vec![root]);
    options.inventory = Some(inventory.clone());
    options.progress = false;
    options.threads = 1;
    options.today = "2026-12-01".parse().unwrap();
    let mut report = phiguard_scan::scan(&options).unwrap();
    report.roots = vec![PathBuf::from("corpus/plain")];
    report.summary.duration_ms = 0;
    phiguard_scan::render(&report, phiguard_scan::Format::Json)
}

pub fn scan_evidence(inventory: &Inventory) -> ScanEvidence {
    ScanEvidence::parse(&scan_json(inventory), Path::new("scan.json")).unwrap()
}

/// The evidence of an example inventory, with a scan of the labelled corpus when asked.
pub fn example_evidence(name: &str, with_scan: bool) -> Evidence {
    let (inventory, path) = inventory(name);
    let scan = with_scan.then(|| scan_evidence(&inventory));
    Evidence {
        inventory,
        inventory_path: path,
        scan,
        vault: None,
        as_of: as_of(),
    }
}

pub fn as_of() -> jiff::civil::Date {
    "2026-12-01".parse().unwrap()
}

pub fn options() -> Options {
    Options {
        capacity_weeks_per_quarter: 12.0,
        generated_at: "2026-12-01T09:30:00Z".parse().unwrap(),
    }
}

pub fn run(evidence: &Evidence, regime: RegimeId, previous: Option<&Assessment>) -> Assessment {
    let catalog = Catalog::load(regime).unwrap();
    assess(&catalog, evidence, &options(), previous)
}
