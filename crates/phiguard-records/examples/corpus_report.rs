//! Classifies every record of a corpus directory and reports what went where.
//!
//! ```text
//! cargo run --release -p phiguard-records --example corpus_report -- /work/shared/corpus
//! ```
//!
//! Reads `fhir-r4/*.json` as FHIR bundles and `shopify/*.json` as order webhook bodies, splits
//! every record with its built-in type, and prints: resources per record type, how many
//! resources have leaves in each category and how many leaves each category got, every path
//! that fell to `free_text` because no rule covers it, and the time to split everything. It
//! prints paths and counts only, never a value.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use phiguard_records::fhir::parse_bundle;
use phiguard_records::shopify::parse_order;
use phiguard_records::{LeafValue, Part, builtin_type, split};
use serde_json::Value;

#[derive(Default)]
struct Report {
    resources: BTreeMap<String, usize>,
    resources_with_part: BTreeMap<&'static str, usize>,
    leaves_in_part: BTreeMap<&'static str, usize>,
    unmapped: BTreeMap<String, usize>,
    skipped: BTreeMap<String, usize>,
    split_time: Duration,
    parse_time: Duration,
    bytes: usize,
    record_json_bytes: usize,
    fragment_bytes: usize,
    files: usize,
}

impl Report {
    fn add(&mut self, type_name: &str, document: &Value) -> Result<(), Box<dyn Error>> {
        let record_type = builtin_type(type_name).ok_or("no built-in type")?;

        let started = Instant::now();
        let record = split(record_type, document)?;
        self.split_time += started.elapsed();

        *self.resources.entry(type_name.to_owned()).or_default() += 1;
        self.record_json_bytes += serde_json::to_vec(document)?.len();
        self.fragment_bytes += record
            .parts()
            .iter()
            .map(|(_, f)| f.encode().len())
            .sum::<usize>();
        for (part, fragment) in record.parts() {
            *self.resources_with_part.entry(part.as_str()).or_default() += 1;
            *self.leaves_in_part.entry(part.as_str()).or_default() += fragment.len();
            if *part == Part::Structure {
                continue;
            }
            for leaf in fragment.leaves() {
                let empty = matches!(leaf.value, LeafValue::EmptyObject | LeafValue::EmptyArray);
                if !empty && record_type.matching_rule(document, &leaf.path).is_none() {
                    let key = format!("{type_name} {}", leaf.path.generalized());
                    *self.unmapped.entry(key).or_default() += 1;
                }
            }
        }
        Ok(())
    }
}

fn json_files(directory: &Path) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn main() -> Result<(), Box<dyn Error>> {
    let corpus = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/work/shared/corpus".to_owned());
    let corpus = Path::new(&corpus);
    let mut report = Report::default();
    // The built-in types are parsed on first use; do that before anything is timed.
    let _ = phiguard_records::builtin_types();

    for file in json_files(&corpus.join("fhir-r4"))? {
        let bytes = std::fs::read(&file)?;
        let started = Instant::now();
        let import = parse_bundle(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
        report.parse_time += started.elapsed();
        report.bytes += bytes.len();
        report.files += 1;
        for (name, count) in import.skipped {
            *report.skipped.entry(name).or_default() += count;
        }
        for patient in &import.patients {
            for (type_name, resource) in patient.all_records() {
                report.add(type_name, resource)?;
            }
        }
    }
    for file in json_files(&corpus.join("shopify"))? {
        let bytes = std::fs::read(&file)?;
        let started = Instant::now();
        let import = parse_order(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
        report.parse_time += started.elapsed();
        report.bytes += bytes.len();
        report.files += 1;
        report.add("shopify.order", &import.order)?;
    }

    let total: usize = report.resources.values().sum();
    println!(
        "{} files, {:.1} MB, {total} records",
        report.files,
        report.bytes as f64 / 1e6
    );
    println!("\nrecords per type:");
    for (name, count) in &report.resources {
        println!("  {name:<28} {count:>6}");
    }
    println!("\nskipped resources (no patient, or no built-in type):");
    for (name, count) in &report.skipped {
        println!("  {name:<28} {count:>6}");
    }
    println!("\nper part: records with leaves in it, leaves in it:");
    let order: BTreeSet<usize> = Part::ALL.iter().map(|p| p.index()).collect();
    for index in order {
        let part = Part::ALL[index].as_str();
        let records = report.resources_with_part.get(part).copied().unwrap_or(0);
        let leaves = report.leaves_in_part.get(part).copied().unwrap_or(0);
        println!("  {part:<12} {records:>6} {leaves:>8}");
    }
    println!(
        "\nleaves that fell to free_text by default: {}",
        report.unmapped.len()
    );
    for (path, count) in &report.unmapped {
        println!("  {path} ({count})");
    }
    println!(
        "\nstorage: records as compact JSON {} bytes, as encoded fragments {} bytes ({:.0}%)",
        report.record_json_bytes,
        report.fragment_bytes,
        100.0 * report.fragment_bytes as f64 / report.record_json_bytes.max(1) as f64
    );
    println!(
        "\nimport parsing (JSON and reference resolution): {:.2} ms for all files",
        report.parse_time.as_secs_f64() * 1e3
    );
    let per_record = report.split_time.as_nanos() / total.max(1) as u128;
    println!(
        "\nsplit time: {:.2} ms for {total} records ({per_record} ns per record)",
        report.split_time.as_secs_f64() * 1e3
    );
    Ok(())
}
