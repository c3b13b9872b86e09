//! Static analysis of storefront code and infrastructure for PHI leaks.

mod classify;
mod finding;
mod js;
mod mask;
mod rule;
mod source;

pub use finding::{Finding, RawFinding};
pub use rule::{CATALOG, Rule, RuleId, Severity};
pub use source::{Language, SourceFile};
