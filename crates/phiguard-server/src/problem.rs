//! RFC 9457 problem documents: every error the API returns.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use phiguard_vault::VaultError;
use serde::Serialize;

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error on its way to the client.
///
/// `detail` is always a sentence written by phiguard (never a fragment of the request), so a
/// problem document cannot echo PHI that a caller sent.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
}

#[derive(Serialize)]
struct ProblemDocument<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl ApiError {
    /// A problem with a stable type slug.
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: String,
    ) -> Self {
        ApiError {
            status,
            slug,
            title,
            detail,
        }
    }

    /// The problem's stable type URI.
    pub fn type_uri(slug: &str) -> String {
        format!("urn:phiguard:problem:{slug}")
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A malformed JSON body, located by line and column only.
    pub fn malformed_json(line: usize, column: usize, syntax: bool) -> Self {
        let what = if syntax {
            "is not valid JSON"
        } else {
            "does not have the expected shape"
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "Malformed JSON body",
            format!("the request body {what} (line {line}, column {column})"),
        )
    }

    /// A body of the wrong media type.
    pub fn unsupported_media_type(expected: &str) -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!("send the body as {expected}"),
        )
    }

    /// A body over the size limit.
    pub fn too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request body too large",
            format!("the request body exceeds the limit of {limit} bytes"),
        )
    }

    /// A query string that does not parse.
    pub fn bad_query(detail: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "Invalid query string",
            detail.to_owned(),
        )
    }

    /// A request header that is malformed; the detail says what it should hold, never what it
    /// held.
    pub fn bad_header(name: &str, expected: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-header",
            "Invalid request header",
            format!("the {name} header is not valid: {expected}"),
        )
    }
}

impl From<VaultError> for ApiError {
    fn from(error: VaultError) -> Self {
        use StatusCode as S;

        let (status, slug, title) = match &error {
            VaultError::Unauthenticated(_) => {
                (S::UNAUTHORIZED, "unauthenticated", "Unauthenticated")
            }
            VaultError::TenantMismatch { .. } => (S::FORBIDDEN, "tenant-mismatch", "Wrong tenant"),
            VaultError::Forbidden { .. } => (S::FORBIDDEN, "forbidden", "Not allowed by policy"),
            VaultError::PolicyFailure => (S::FORBIDDEN, "policy-error", "Policy evaluation failed"),
            VaultError::NotFound(_) => (S::NOT_FOUND, "not-found", "Not found"),
            VaultError::PurposeRequired => (
                S::BAD_REQUEST,
                "purpose-required",
                "Purpose of use required",
            ),
            VaultError::UnknownPurpose(_) => {
                (S::BAD_REQUEST, "unknown-purpose", "Unknown purpose of use")
            }
            VaultError::BreakGlassReasonRequired => (
                S::BAD_REQUEST,
                "break-glass-reason-required",
                "Break-glass reason required",
            ),
            VaultError::BreakGlassReasonInvalid(_) => (
                S::BAD_REQUEST,
                "break-glass-reason-invalid",
                "Invalid break-glass reason",
            ),
            VaultError::InvalidId(_) => (S::BAD_REQUEST, "invalid-id", "Invalid identifier"),
            VaultError::InvalidInput { .. } => {
                (S::UNPROCESSABLE_ENTITY, "invalid-input", "Invalid input")
            }
            VaultError::InvalidFile { .. } => (
                S::UNPROCESSABLE_ENTITY,
                "invalid-file",
                "Invalid import file",
            ),
            VaultError::UnknownRecordType => (
                S::UNPROCESSABLE_ENTITY,
                "unknown-record-type",
                "Unknown record type",
            ),
            VaultError::InvalidPolicy { .. } => {
                (S::UNPROCESSABLE_ENTITY, "invalid-policy", "Invalid policy")
            }
            VaultError::Conflict(_) => (S::CONFLICT, "conflict", "Conflict"),
            VaultError::Internal(_) | VaultError::Setup(_) => {
                (S::INTERNAL_SERVER_ERROR, "internal", "Internal error")
            }
        };

        let detail = match &error {
            VaultError::Internal(message) | VaultError::Setup(message) => {
                tracing::error!(error = %message, "internal error");
                "the vault failed internally; nothing was disclosed".to_owned()
            }
            other => other.to_string(),
        };
        ApiError {
            status,
            slug,
            title,
            detail,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let document = ProblemDocument {
            kind: ApiError::type_uri(self.slug),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
        };
        let body = serde_json::to_vec(&document).unwrap_or_default();

        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
