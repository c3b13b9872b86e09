//! Writes the fictional sample files used by the README's walkthrough.
//!
//! ```text
//! cargo run -p phiguard-records --example write_samples -- examples/data
//! ```
//!
//! Produces `patient-bundle.json` (one Synthea-shaped FHIR R4 transaction bundle) and
//! `order-1.json`, `order-2.json` (Shopify order webhook bodies). Everything in them is made up
//! by [`phiguard_records::synthetic`]; the same command always writes the same bytes.

use std::error::Error;
use std::path::PathBuf;

use phiguard_records::synthetic::{BundleShape, Generator};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "examples/data".into()),
    );
    std::fs::create_dir_all(&dir)?;

    let mut generator = Generator::new(2026);
    let shape = BundleShape {
        encounters: 4,
        ..BundleShape::default()
    };
    let bundle = generator.patient_bundle(&shape);
    std::fs::write(
        dir.join("patient-bundle.json"),
        serde_json::to_vec_pretty(&bundle.bundle)?,
    )?;

    for n in 1..=2 {
        let order = generator.shopify_order();
        std::fs::write(
            dir.join(format!("order-{n}.json")),
            serde_json::to_vec_pretty(&order.body)?,
        )?;
    }
    println!("wrote sample files to {}", dir.display());
    Ok(())
}
