//! The phiguard HTTP API (axum), with TLS through rustls.
