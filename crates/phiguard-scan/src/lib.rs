//! `phiguard scan`: finds PHI leaks in storefront code and infrastructure, with HIPAA
//! citations, for people (text), machines (JSON) and GitHub code scanning (SARIF 2.1.0).
//!
//! ```text
//!  paths ──► walk (ignore: parallel, .gitignore, symlink loops) ──► --changed-since filter
//!                │
//!                ▼  one file per rayon task
//!   .js .jsx .ts .tsx ─────────► js: tree-sitter + taint through aliases, spreads,
//!   .html ─────► html ──┐            destructuring, JSON.stringify, local functions
//!   .liquid ─► template ├─ <script> ─┘
//!   .phtml ──► template ┘   (Liquid / PHP output becomes placeholders carrying taint)
//!   .php ──────► php (+ magento_env for app/etc/env.php)
//!   .tf ───────► terraform (hcl-edit)          .yaml ──► kubernetes (saphyr)
//!                │
//!                ▼
//!   engine: inventory (BAA-covered vendors, checkout/account pages, stores without PHI),
//!           baseline (justified, expiring), fingerprints, masked excerpts ──► output
//! ```
//!
//! # What it finds
//!
//! The rules are in [`CATALOG`]: PHI in browser storage and persisted framework state, in
//! logs, in trackers and analytics of parties without a BAA (Meta, TikTok, Pinterest, Google
//! Analytics/GTM, Segment, Hotjar, FullStory, Klaviyo, Shopify Web Pixels), in payment metadata
//! (Stripe, Braintree, Authorize.net), in URLs, in remembered health-form inputs; caches,
//! search clusters, databases, backups and snapshots without encryption at rest or in transit
//! in Terraform; Redis and search engines without TLS and plaintext secrets in Kubernetes
//! manifests and Magento's `env.php`.
//!
//! Values are classified as PHI from names and shapes ([`classify`](crate#classification)):
//! `dob`, `insuranceMemberId`, `diagnosis`, `rx`, Shopify `checkout`, `customer`,
//! `order.note`, `note_attributes`, line-item `properties`, `cart.attributes`, Magento getters
//! such as `getCustomerDob()`, FHIR resources by `resourceType`. Every finding says why.
//!
//! # What it refuses to do
//!
//! * It never executes, imports or evaluates the code it reads, and never touches the network.
//! * It never guesses an encryption setting: a variable or conditional is "depends on input",
//!   a default-encrypted service without a customer key is "not customer-managed".
//! * It never prints a PHI-shaped literal: excerpts are masked before any output.
//! * It follows values within one file, not across files or packages, and does not model
//!   scopes (one name means one thing per file); this errs towards reporting.
//! * It never loses a file silently: binary, oversized, non-UTF-8, unparsable and unreadable
//!   files and symlink loops are counted and listed as skipped.
//!
//! # Speed
//!
//! Files are analysed in parallel (one rayon task per file, `--threads`). Scripts and PHP files
//! that name no sink at all (no `localStorage`, `console`, `fbq`, logger, payment SDK, `?x=` …)
//! are recognised by one case-insensitive Aho-Corasick pass and not parsed; they still count as
//! scanned and are reported as `files_prefiltered` in the summary.
//!
//! # Classification
//!
//! A name is split into words and matched against phrases: a PHI phrase ending the name wins
//! (`memberId`), a harmless last word (`token`, `id`, `label`, `error`) makes it safe
//! (`checkoutToken`, `dobLabel`), otherwise any PHI phrase classifies it (`emailInput`).
//!
//! # Why Liquid has a hand-written tokenizer
//!
//! No maintained tree-sitter grammar for Liquid is published as a Rust crate. Liquid's lexical
//! layer is small (`{{ }}`, `{% %}`, whitespace dashes, `raw`/`comment` blocks), so the
//! [`template`](crate#why-liquid-has-a-hand-written-tokenizer) module scans it exactly and
//! hands the HTML around it to tree-sitter-html.
//!
//! # Example
//!
//! ```
//! use phiguard_scan::{RuleId, ScanOptions, scan};
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(
//!     dir.path().join("checkout.js"),
//!     "const s = window.localStorage;\n\
//!      const { dob } = form;\n\
//!      s.setItem('p', JSON.stringify({ dob }));\n",
//! )
//! .unwrap();
//!
//! let report = scan(&ScanOptions::new(vec![dir.path().to_path_buf()])).unwrap();
//! assert_eq!(report.findings.len(), 1);
//! assert_eq!(report.findings[0].rule, RuleId::BrowserStorage);
//! assert_eq!(report.findings[0].line, 3);
//! ```
//!
//! The `phiguard` binary wires the command in with [`ScanArgs`] and [`run`]:
//!
//! ```ignore
//! Command::Scan(args) => phiguard_scan::run(&args),
//! ```

mod analysis;
mod baseline;
mod classify;
mod cli;
mod engine;
mod finding;
mod html;
mod js;
mod kubernetes;
mod magento_env;
mod mask;
mod output;
mod php;
mod prefilter;
mod rule;
mod source;
mod template;
mod terraform;
mod walk;

pub use baseline::{Accepted, Baseline, BaselineError};
pub use cli::{FailOn, ScanArgs, ScanError, ScanOutcome, execute, run};
pub use engine::{REPORT_VERSION, ScanOptions, ScanReport, Summary, scan};
pub use finding::Finding;
pub use output::{Format, render};
pub use rule::{CATALOG, Rule, RuleId, Severity, UnknownRule, UnknownSeverity};
pub use source::Language;
pub use walk::{ChangedSinceError, SkipReason, Skipped};
