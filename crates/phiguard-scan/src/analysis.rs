//! One file, one language: which analysis reads it.

use crate::finding::RawFinding;
use crate::html::{self, PageContext};
use crate::js::{self, Placeholders};
use crate::source::{Language, SourceFile};
use crate::{kubernetes, magento_env, php, prefilter, template, terraform};

/// How well a file parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parse {
    /// Cleanly.
    Clean,
    /// With syntax errors the parser recovered from; findings cover what parsed.
    Recovered,
    /// Not at all; the file is skipped. The line of the error, when known.
    Failed(Option<usize>),
    /// The file is YAML but no Kubernetes manifest; nothing to do.
    NotApplicable,
    /// The file names no sink at all, so it was not parsed (see the prefilter module).
    Prefiltered,
}

/// The findings of one file and how it parsed.
#[derive(Debug)]
pub(crate) struct FileAnalysis {
    pub findings: Vec<RawFinding>,
    pub parse: Parse,
}

fn recovered(errors: bool) -> Parse {
    if errors {
        Parse::Recovered
    } else {
        Parse::Clean
    }
}

/// Runs the analysis for the file's language.
pub(crate) fn analyze(source: &SourceFile, page: &PageContext) -> FileAnalysis {
    let text = source.text.as_str();
    let no_placeholders = Placeholders::new();

    let (findings, parse) = match source.language {
        Language::JavaScript | Language::TypeScript | Language::Tsx
            if !prefilter::script_may_leak(text) =>
        {
            (Vec::new(), Parse::Prefiltered)
        }
        Language::Php if !prefilter::php_may_leak(text) && !is_magento_env(source) => {
            (Vec::new(), Parse::Prefiltered)
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            let report = js::analyze(text, 0, source.language, &no_placeholders);
            (report.findings, recovered(report.had_errors))
        }
        Language::Html => {
            let (findings, errors) = html::analyze(text, &no_placeholders, page);
            (findings, recovered(errors))
        }
        Language::Liquid => {
            let shadow = template::liquid(text);
            let (mut findings, mut errors) =
                html::analyze(&shadow.text, &shadow.placeholders, page);
            for range in &shadow.scripts {
                let code = text.get(range.clone()).unwrap_or("");
                let report = js::analyze(code, range.start, Language::JavaScript, &no_placeholders);
                errors |= report.had_errors;
                findings.extend(report.findings);
            }
            (findings, recovered(errors || shadow.unterminated))
        }
        Language::Phtml => {
            let shadow = template::phtml(text);
            let (mut findings, errors) = html::analyze(&shadow.text, &shadow.placeholders, page);
            let (php_findings, php_errors) = php::analyze(text);
            findings.extend(php_findings);
            (findings, recovered(errors || php_errors))
        }
        Language::Php => {
            let (mut findings, errors) = php::analyze(text);
            if is_magento_env(source) {
                let (env_findings, env_errors) = magento_env::analyze(text);
                findings.extend(env_findings);
                (findings, recovered(errors || env_errors))
            } else {
                (findings, recovered(errors))
            }
        }
        Language::Terraform => match terraform::analyze(text) {
            Ok(findings) => (findings, Parse::Clean),
            Err(line) => (Vec::new(), Parse::Failed(Some(line))),
        },
        Language::Yaml => match kubernetes::analyze(text) {
            Ok(Some(findings)) => (findings, Parse::Clean),
            Ok(None) => (Vec::new(), Parse::NotApplicable),
            Err(line) => (Vec::new(), Parse::Failed(Some(line))),
        },
    };

    let mut findings = findings;
    findings.sort_by(|a, b| (a.offset, a.rule, &a.message).cmp(&(b.offset, b.rule, &b.message)));
    findings.dedup_by(|a, b| a.offset == b.offset && a.rule == b.rule && a.message == b.message);
    FileAnalysis { findings, parse }
}

fn is_magento_env(source: &SourceFile) -> bool {
    source
        .path
        .file_name()
        .is_some_and(|name| name == "env.php")
}
