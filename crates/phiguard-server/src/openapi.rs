//! The OpenAPI 3.1 document, written by hand beside the routes and checked against them by
//! this crate's tests.

/// The OpenAPI document served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");
