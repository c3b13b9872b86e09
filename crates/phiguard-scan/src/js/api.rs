//! The browser and library APIs the JavaScript analysis knows: where PHI must not go (sinks),
//! which objects are worth following through aliases, and what imports bind.
//!
//! Callees are compared as canonical dotted paths: `window.localStorage.setItem`, an alias
//! `const s = localStorage; s.setItem` and `globalThis.localStorage.setItem` all become
//! `localStorage.setItem`.

use crate::rule::RuleId;

/// Which arguments of a call carry the data a sink receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Args {
    /// Every argument.
    All,
    /// Arguments from this index on.
    From(usize),
    /// A storage write: the key at the first index names the value at the second.
    KeyValue(usize, usize),
    /// These properties of the object at this index.
    Props(usize, &'static [&'static str]),
}

/// A place PHI must not reach.
#[derive(Debug, Clone)]
pub(crate) struct Sink {
    /// The rule a leak into this sink breaks.
    pub rule: RuleId,
    /// The receiving party, for third-party sinks.
    pub recipient: Option<&'static str>,
    /// The arguments to inspect.
    pub args: Args,
}

const fn sink(rule: RuleId, recipient: Option<&'static str>, args: Args) -> Option<Sink> {
    Some(Sink {
        rule,
        recipient,
        args,
    })
}

const LOG_METHODS: &[&str] = &[
    "log", "info", "warn", "warning", "error", "debug", "trace", "fatal", "verbose", "silly",
    "notice", "critical", "table", "dir",
];

const LOGGER_NAMES: &[&str] = &["logger", "log", "winston", "pino", "bunyan", "logging"];

const PAYMENT_PROPS: &[&str] = &[
    "metadata",
    "description",
    "statement_descriptor",
    "customFields",
    "custom_fields",
    "descriptor",
];

/// The roots of paths worth keeping as aliases: binding `const s = localStorage` remembers `s`
/// as `localStorage`, while `const x = foo.bar` is just a value.
const KNOWN_ROOTS: &[&str] = &[
    "localStorage",
    "sessionStorage",
    "document",
    "console",
    "dataLayer",
    "fbq",
    "_fbq",
    "ttq",
    "pintrk",
    "gtag",
    "ga",
    "analytics",
    "hj",
    "FS",
    "klaviyo",
    "_learnq",
    "Cookies",
    "localforage",
    "indexedDB",
    "navigator",
    "Shopify",
    "ReactGA",
    "ReactPixel",
    "Hotjar",
    "idbkeyval",
    "zustand",
    "reduxpersist",
    "firebase",
    "stripe",
    "braintree",
    "authorizenet",
    "ApiContracts",
    "logger",
    "segment",
    "jQuery",
    "$",
    "idb",
    "URLSearchParams",
    "winston",
    "pino",
    "bunyan",
    "log4js",
    "loglevel",
];

/// Whether a canonical path starts at an API worth aliasing.
pub(crate) fn is_known_root(path: &str) -> bool {
    let root = path.split('.').next().unwrap_or("");
    KNOWN_ROOTS.contains(&root)
}

/// The sink a call to `path` writes into, if any.
pub(crate) fn call_sink(path: &str) -> Option<Sink> {
    use Args::*;
    use RuleId::*;

    let (receiver, method) = path.rsplit_once('.').unwrap_or(("", path));
    let receiver_last = receiver.rsplit('.').next().unwrap_or("");

    let storage_write =
        path.ends_with("localStorage.setItem") || path.ends_with("sessionStorage.setItem");
    if storage_write || path == "localforage.setItem" {
        return sink(BrowserStorage, None, KeyValue(0, 1));
    }

    match path {
        "Cookies.set" | "$.cookie" | "jQuery.cookie" | "idbkeyval.set" | "idbkeyval.update" => {
            return sink(BrowserStorage, None, KeyValue(0, 1));
        }
        "idb.store.put" | "idb.store.add" => return sink(BrowserStorage, None, All),
        "idb.db.put" | "idb.db.add" => return sink(BrowserStorage, None, From(1)),
        "fbq" | "_fbq" => return sink(Tracker, Some("Meta"), All),
        "pintrk" => return sink(Tracker, Some("Pinterest"), All),
        "gtag" | "ga" | "dataLayer.push" => return sink(Tracker, Some("Google"), All),
        "hj" => return sink(Tracker, Some("Hotjar"), All),
        "FS" => return sink(Tracker, Some("FullStory"), All),
        "_learnq.push" => return sink(Tracker, Some("Klaviyo"), All),
        "analytics.publish" | "Shopify.analytics.publish" => {
            return sink(Tracker, Some("Shopify"), From(1));
        }
        "authorizenet.order.setDescription" | "authorizenet.userfield.setValue" => {
            return sink(PaymentMetadata, Some("Authorize.net"), All);
        }
        _ => {}
    }

    match receiver {
        "console" if LOG_METHODS.contains(&method) => return sink(Logging, None, All),
        "ReactPixel" => return sink(Tracker, Some("Meta"), All),
        "ttq" => return sink(Tracker, Some("TikTok"), All),
        "ReactGA" | "firebase" if method != "initialize" => {
            return sink(Tracker, Some("Google"), All);
        }
        "analytics" | "segment" | "segment.analytics"
            if matches!(
                method,
                "track" | "identify" | "page" | "group" | "alias" | "screen"
            ) =>
        {
            return sink(Tracker, Some("Segment"), All);
        }
        "Hotjar" if matches!(method, "identify" | "event") => {
            return sink(Tracker, Some("Hotjar"), All);
        }
        "FS" if method != "init" => return sink(Tracker, Some("FullStory"), All),
        "klaviyo" if matches!(method, "push" | "identify" | "track") => {
            return sink(Tracker, Some("Klaviyo"), All);
        }
        "URLSearchParams" if matches!(method, "set" | "append") => {
            return sink(UrlQuery, None, KeyValue(0, 1));
        }
        _ => {}
    }

    if receiver_last == "searchParams" && matches!(method, "set" | "append") {
        return sink(UrlQuery, None, KeyValue(0, 1));
    }

    let logger = receiver_last.trim_start_matches('_').to_ascii_lowercase();
    if LOG_METHODS.contains(&method) && LOGGER_NAMES.contains(&logger.as_str()) {
        return sink(Logging, None, All);
    }

    let stripe_like = receiver
        .split('.')
        .next()
        .is_some_and(|root| root == "stripe" || root.to_ascii_lowercase().contains("stripe"));
    let stripe_call = [
        "paymentIntents.create",
        "paymentIntents.update",
        "customers.create",
        "customers.update",
        "charges.create",
        "checkout.sessions.create",
        "subscriptions.create",
        "invoices.create",
        "setupIntents.create",
    ]
    .iter()
    .any(|suffix| path.ends_with(suffix));
    if stripe_like && stripe_call {
        return sink(PaymentMetadata, Some("Stripe"), Props(0, PAYMENT_PROPS));
    }

    let gateway_like = receiver.split('.').next().is_some_and(|root| {
        root.starts_with("braintree") || root.to_ascii_lowercase().contains("gateway")
    });
    if gateway_like && (path.ends_with("transaction.sale") || path.ends_with("customer.create")) {
        return sink(PaymentMetadata, Some("Braintree"), Props(0, PAYMENT_PROPS));
    }

    None
}

/// The canonical path of what a call to `callee` returns, when that result is itself an API
/// worth following (`db.transaction(..).objectStore(..)` is an IndexedDB object store).
pub(crate) fn call_result(callee: &str) -> Option<String> {
    let result = match callee {
        "idb.openDB" | "openDB" => "idb.db",
        "pino"
        | "winston.createLogger"
        | "bunyan.createLogger"
        | "log4js.getLogger"
        | "loglevel.getLogger" => "logger",
        "ttq.instance" => "ttq",
        "segment.AnalyticsBrowser.load" => "analytics",
        "stripe.module" => "stripe",
        _ if callee.ends_with(".objectStore") => "idb.store",
        _ if callee.starts_with("logger.") && callee.ends_with(".child") => "logger",
        _ => return None,
    };
    Some(result.to_owned())
}

/// The canonical path of an object built with `new constructor(..)`.
pub(crate) fn construction(constructor: &str) -> Option<String> {
    let built = match constructor {
        "URLSearchParams" => "URLSearchParams",
        "stripe.module" => "stripe",
        "braintree.BraintreeGateway" => "braintree.gateway",
        _ if constructor.ends_with("Contracts.OrderType") => "authorizenet.order",
        _ if constructor.ends_with("Contracts.UserField") => "authorizenet.userfield",
        _ => return None,
    };
    Some(built.to_owned())
}

/// What importing `module` binds: the path of the default (or namespace) import, and the prefix
/// for named imports.
pub(crate) fn module_binding(module: &str) -> Option<(&'static str, &'static str)> {
    Some(match module {
        "js-cookie" => ("Cookies", "Cookies"),
        "idb-keyval" => ("idbkeyval", "idbkeyval"),
        "localforage" => ("localforage", "localforage"),
        "zustand/middleware" => ("zustand", "zustand"),
        "redux-persist" => ("reduxpersist", "reduxpersist"),
        "@segment/analytics-next" => ("segment", "segment"),
        "react-ga4" | "react-ga" => ("ReactGA", "ReactGA"),
        "react-facebook-pixel" => ("ReactPixel", "ReactPixel"),
        "@fullstory/browser" | "@fullstory/react" => ("FS", "FS"),
        "@hotjar/browser" => ("Hotjar", "Hotjar"),
        "stripe" => ("stripe.module", "stripe"),
        "braintree" => ("braintree", "braintree"),
        "authorizenet" => ("authorizenet", "authorizenet"),
        "idb" => ("idb", "idb"),
        "firebase/analytics" => ("firebase", "firebase"),
        "winston" => ("winston", "winston"),
        "pino" => ("pino", "pino"),
        "bunyan" => ("bunyan", "bunyan"),
        "log4js" => ("log4js", "log4js"),
        "loglevel" => ("loglevel", "loglevel"),
        _ => return None,
    })
}

/// Tracker hosts: a `fetch` or `sendBeacon` to one of these is a call to that vendor.
const TRACKER_HOSTS: &[(&str, &str)] = &[
    ("facebook.com", "Meta"),
    ("facebook.net", "Meta"),
    ("google-analytics.com", "Google"),
    ("googletagmanager.com", "Google"),
    ("doubleclick.net", "Google"),
    ("analytics.google.com", "Google"),
    ("tiktok.com", "TikTok"),
    ("pinterest.com", "Pinterest"),
    ("segment.io", "Segment"),
    ("segment.com", "Segment"),
    ("hotjar.com", "Hotjar"),
    ("hotjar.io", "Hotjar"),
    ("fullstory.com", "FullStory"),
    ("klaviyo.com", "Klaviyo"),
];

/// The vendor behind an absolute URL, if it is a known tracker host.
pub(crate) fn tracker_host(url: &str) -> Option<&'static str> {
    let host = host_of(url)?;
    TRACKER_HOSTS
        .iter()
        .find(|(domain, _)| host == *domain || host.ends_with(&format!(".{domain}")))
        .map(|(_, vendor)| *vendor)
}

/// The host of an absolute `http(s)://` URL.
pub(crate) fn host_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    rest.get(..end).filter(|host| !host.is_empty())
}

/// Functions whose result carries their arguments unchanged (or re-encoded, which hides
/// nothing: base64 and hashes of identifiers still identify).
pub(crate) fn passes_through(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path).to_ascii_lowercase();
    matches!(
        path,
        "JSON.stringify"
            | "JSON.parse"
            | "String"
            | "Object.assign"
            | "Object.values"
            | "Object.entries"
            | "Object.fromEntries"
            | "encodeURIComponent"
            | "encodeURI"
            | "btoa"
            | "escape"
            | "structuredClone"
            | "Array.from"
            | "Array.of"
            | "_.pick"
            | "_.omit"
            | "_.merge"
            | "_.cloneDeep"
            | "Date"
    ) || matches!(
        last.as_str(),
        "sha256" | "sha1" | "md5" | "hash" | "digest" | "hashsha256"
    )
}

/// Calls that look a value up by a name given as a string: the result is as sensitive as the
/// name (`getElementById('ssn').value`, `formData.get('dob')`).
pub(crate) fn is_lookup(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    matches!(
        last,
        "getElementById"
            | "querySelector"
            | "getElementsByName"
            | "get"
            | "getItem"
            | "getAll"
            | "getFieldValue"
            | "getValue"
            | "$"
            | "jQuery"
            | "getCookie"
    )
}

/// Methods whose result reveals nothing of a PHI receiver (booleans, counts, encryption).
pub(crate) fn method_hides_receiver(method: &str) -> bool {
    let lower = method.to_ascii_lowercase();
    matches!(
        method,
        "includes"
            | "startsWith"
            | "endsWith"
            | "test"
            | "indexOf"
            | "lastIndexOf"
            | "has"
            | "some"
            | "every"
            | "hasOwnProperty"
            | "isValid"
            | "validate"
            | "forEach"
            | "addEventListener"
            | "removeEventListener"
            | "focus"
            | "blur"
            | "preventDefault"
            | "remove"
            | "setAttribute"
            | "bind"
            | "then"
            | "catch"
            | "finally"
            | "subscribe"
            | "getTime"
            | "localeCompare"
            | "checkValidity"
            | "reportValidity"
    ) || [
        "encrypt",
        "mask",
        "redact",
        "anonymi",
        "pseudonymi",
        "tokeni",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_log_and_tracker_sinks_are_known() {
        assert_eq!(
            call_sink("localStorage.setItem").unwrap().rule,
            RuleId::BrowserStorage
        );
        assert_eq!(call_sink("console.error").unwrap().rule, RuleId::Logging);
        assert_eq!(call_sink("this.logger.info").unwrap().rule, RuleId::Logging);
        assert_eq!(call_sink("req.log.warn").unwrap().rule, RuleId::Logging);
        assert_eq!(call_sink("fbq").unwrap().recipient, Some("Meta"));
        assert_eq!(
            call_sink("analytics.track").unwrap().recipient,
            Some("Segment")
        );
        assert!(call_sink("analytics.subscribe").is_none());
        assert_eq!(
            call_sink("stripe.paymentIntents.create").unwrap().recipient,
            Some("Stripe")
        );
        assert!(call_sink("localStorage.getItem").is_none());
        assert!(call_sink("blog.error").is_none());
    }

    #[test]
    fn hosts_are_matched_on_domain_boundaries() {
        assert_eq!(
            tracker_host("https://www.facebook.com/tr?id=1"),
            Some("Meta")
        );
        assert_eq!(tracker_host("https://notfacebook.com/x"), None);
        assert_eq!(tracker_host("/api/collect"), None);
        assert_eq!(host_of("https://a.example:8443/x"), Some("a.example"));
    }
}
