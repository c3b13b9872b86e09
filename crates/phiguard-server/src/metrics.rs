//! Prometheus metrics: requests by route and status class, and a latency histogram.
//!
//! Hand-rolled on atomics: the set of routes is fixed and small, and a registry crate would
//! add more than these few counters need.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;

type Lock<T> = std::sync::Mutex<T>;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

#[derive(Default)]
struct RouteStats {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// Counters for `/metrics`.
#[derive(Default)]
pub(crate) struct Metrics {
    routes: Lock<BTreeMap<String, std::sync::Arc<RouteStats>>>,
}

impl Metrics {
    pub(crate) fn observe(&self, route: &str, status: StatusCode, elapsed: Duration) {
        let stats = {
            let mut routes = match self.routes.lock() {
                Ok(routes) => routes,
                Err(poisoned) => poisoned.into_inner(),
            };
            std::sync::Arc::clone(routes.entry(route.to_owned()).or_default())
        };

        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        stats.by_class[class].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in stats.buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        stats.count.fetch_add(1, Ordering::Relaxed);
        stats
            .sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub(crate) fn render(&self) -> String {
        let routes: Vec<(String, std::sync::Arc<RouteStats>)> = {
            let routes = match self.routes.lock() {
                Ok(routes) => routes,
                Err(poisoned) => poisoned.into_inner(),
            };
            routes
                .iter()
                .map(|(k, v)| (k.clone(), std::sync::Arc::clone(v)))
                .collect()
        };

        let mut out = String::new();
        out.push_str(
            "# HELP phiguard_http_requests_total HTTP requests by route and status class.\n",
        );
        out.push_str("# TYPE phiguard_http_requests_total counter\n");
        for (route, stats) in &routes {
            for (i, counter) in stats.by_class.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "phiguard_http_requests_total{{route=\"{route}\",status=\"{}xx\"}} {}",
                    i + 1,
                    counter.load(Ordering::Relaxed)
                );
            }
        }

        out.push_str("# HELP phiguard_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE phiguard_http_request_duration_seconds histogram\n");
        for (route, stats) in &routes {
            let name = "phiguard_http_request_duration_seconds";
            for (bucket, bound) in stats.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    bucket.load(Ordering::Relaxed)
                );
            }
            let count = stats.count.load(Ordering::Relaxed);
            let sum = stats.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {sum}");
            let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {count}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_show_up_in_the_exposition() {
        let metrics = Metrics::default();
        metrics.observe("/healthz", StatusCode::OK, Duration::from_micros(300));
        metrics.observe("/healthz", StatusCode::NOT_FOUND, Duration::from_millis(3));
        let text = metrics.render();
        assert!(text.contains(r#"phiguard_http_requests_total{route="/healthz",status="2xx"} 1"#));
        assert!(text.contains(r#"phiguard_http_requests_total{route="/healthz",status="4xx"} 1"#));
        assert!(text.contains(r#"le="0.0005"} 1"#));
        assert!(
            text.contains(r#"phiguard_http_request_duration_seconds_count{route="/healthz"} 2"#)
        );
    }
}
