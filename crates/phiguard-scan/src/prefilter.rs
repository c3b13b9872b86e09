//! A literal prefilter: a script or PHP file that names no sink at all cannot leak through
//! one, so it is not parsed.
//!
//! Every sink the analyses know is reached through a name that appears in the file's text
//! (`localStorage`, `console`, `fbq`, an import of `js-cookie`, a `?name=` in a URL literal …).
//! Searching for those names, case-insensitively, with one Aho-Corasick automaton is an order
//! of magnitude cheaper than parsing, and most component files of a large front-end name none
//! of them. The corpus test guards the list: a sink missing here would lose its findings there.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

const SCRIPT_TRIGGERS: &[&str] = &[
    "localstorage",
    "sessionstorage",
    "cookie",
    "indexeddb",
    "objectstore",
    "idb",
    "persist",
    "setitem",
    "console",
    "log",
    "fbq",
    "ttq",
    "pintrk",
    "gtag",
    "ga(",
    "datalayer",
    "analytics",
    "hj(",
    "fs.",
    "fs(",
    "fullstory",
    "hotjar",
    "klaviyo",
    "_learnq",
    "stripe",
    "braintree",
    "authorizenet",
    "contracts",
    "gateway",
    "fetch",
    "sendbeacon",
    "searchparams",
    "localforage",
    "reactga",
    "react-ga",
    "reactpixel",
    "facebook-pixel",
    "firebase",
    "shopify",
    "winston",
    "pino",
    "bunyan",
    "segment",
];

const PHP_TRIGGERS: &[&str] = &[
    "log",
    "cookie",
    "header",
    "http_build_query",
    "stripe",
    "braintree",
    "transaction",
    "setdescription",
    "file_put_contents",
];

fn automaton(words: &[&str]) -> Option<AhoCorasick> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(words)
        .ok()
}

static SCRIPT: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| automaton(SCRIPT_TRIGGERS));
static PHP: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| automaton(PHP_TRIGGERS));

/// Whether a JavaScript or TypeScript file may reach a sink.
pub(crate) fn script_may_leak(text: &str) -> bool {
    matches(&SCRIPT, text) || has_query_parameter(text)
}

/// Whether a PHP file may reach a sink.
pub(crate) fn php_may_leak(text: &str) -> bool {
    matches(&PHP, text) || has_query_parameter(text)
}

fn matches(automaton: &Option<AhoCorasick>, text: &str) -> bool {
    // Without an automaton (it cannot fail to build for these fixed words) parse everything.
    automaton.as_ref().is_none_or(|a| a.is_match(text))
}

/// `?name=` or `&name=` anywhere: a URL being built with a parameter.
fn has_query_parameter(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        if b != b'?' && b != b'&' {
            return false;
        }
        let name = bytes
            .get(i + 1..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'[' | b']' | b'-')
            })
            .count();
        name > 0 && bytes.get(i + 1 + name) == Some(&b'=')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_without_sinks_are_filtered() {
        assert!(!script_may_leak(
            "export const Button = ({ label }) => <b>{label}</b>;"
        ));
        assert!(script_may_leak("window.LocalStorage"));
        assert!(script_may_leak("fetch(`/x?dob=${d}`)"));
        assert!(script_may_leak("const u = base + '&member_id=' + id;"));
        assert!(!script_may_leak("const a = b ? c : d; x?.y;"));
        assert!(php_may_leak("<?php $this->_logger->info($x);"));
        assert!(!php_may_leak(
            "<?php class A { public function b() { return 1; } }"
        ));
    }
}
