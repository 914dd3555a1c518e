//! One error type for every handler: a stable machine code, an HTTP status and a message that
//! never carries internals. Causes of 500s are logged once, here.

use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// A field that failed validation, and why (a message-catalogue key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("you do not have permission for this")]
    Forbidden,
    #[error("the form expired or did not come from this site; reload and try again")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict,
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("request body too large")]
    TooLarge,
    #[error("too many failed logins; try again later")]
    Locked,
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    IdempotencyInProgress,
    #[error("the enrollment token is unknown, used or expired; issue a new one")]
    EnrollmentRefused,
    #[error("the MQTT link is not configured or not connected")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A validation failure of one field.
    pub fn field(field: &'static str, code: &'static str) -> ApiError {
        ApiError::Validation(vec![FieldError { field, code }])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict => StatusCode::CONFLICT,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Locked => StatusCode::TOO_MANY_REQUESTS,
            ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::IdempotencyInProgress => StatusCode::CONFLICT,
            ApiError::EnrollmentRefused => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable, documented codes clients may match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden => "forbidden",
            ApiError::Csrf => "csrf_failed",
            ApiError::NotFound => "not_found",
            ApiError::Conflict => "conflict",
            ApiError::Validation(_) => "validation_failed",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::TooLarge => "payload_too_large",
            ApiError::Locked => "locked",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::IdempotencyInProgress => "idempotency_in_progress",
            ApiError::EnrollmentRefused => "enrollment_refused",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict => ApiError::Conflict,
            other => ApiError::Internal(other.into()),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let fields = match &self {
            ApiError::Validation(fields) => fields.as_slice(),
            _ => &[],
        };
        let body = Body {
            code: self.code(),
            message: self.to_string(),
            fields,
        };
        (self.status(), Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
