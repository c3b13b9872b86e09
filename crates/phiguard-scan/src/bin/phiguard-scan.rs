//! A stand-alone `phiguard-scan` for development runs and benchmarks; `phiguard scan` in the
//! main binary takes the same arguments.

use std::process::ExitCode;

use clap::Parser;

/// Find PHI leaks in storefront code and infrastructure.
#[derive(Debug, Parser)]
#[command(name = "phiguard-scan", version)]
struct Cli {
    #[command(flatten)]
    scan: phiguard_scan::ScanArgs,
}

fn main() -> ExitCode {
    phiguard_scan::run(&Cli::parse().scan)
}
