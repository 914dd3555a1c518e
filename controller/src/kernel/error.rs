//! One error type for every domain operation and handler: a stable machine code, an HTTP status
//! and a message that never carries internals. Jobs and callbacks get the same errors the API
//! answers with. Causes of 500s are logged once, where the response is made.

use super::db::StoreError;
use axum::http::StatusCode;
use serde::Serialize;

/// A field that failed validation, and why (a message-catalogue key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str) -> FieldError {
        FieldError { field, code }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("sign in first")]
    Unauthenticated,
    #[error("you do not have permission for this")]
    Forbidden,
    #[error("the form expired or did not come from this site; reload and try again")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// Something with the same name (or other unique value) exists; `fields` says which.
    #[error("already exists")]
    Conflict(Vec<FieldError>),
    /// The row is still referenced; `held_by` says by what, and how many.
    #[error("still in use")]
    InUse(Vec<(&'static str, i64)>),
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
    /// A domain rule refused the operation as asked; the code is one of [`REFUSALS`].
    #[error("{}", refusal_message(.0))]
    Refused(&'static str),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every code and the HTTP status it answers with.
pub const CODES: &[(&str, u16)] = &[
    ("unauthenticated", 401),
    ("forbidden", 403),
    ("csrf_failed", 403),
    ("not_found", 404),
    ("method_not_allowed", 405),
    ("conflict", 409),
    ("in_use", 409),
    ("validation_failed", 422),
    ("bad_request", 400),
    ("payload_too_large", 413),
    ("locked", 429),
    ("idempotency_key_reused", 422),
    ("idempotency_in_progress", 409),
    ("enrollment_refused", 401),
    ("unavailable", 503),
    ("internal", 500),
];

/// The codes of domain refusals ([`Error::Refused`]): each with its status and what it says.
pub const REFUSALS: &[(&str, u16, &str)] = &[
    (
        "billing_not_configured",
        409,
        "billing is not set up for this company: save its billing settings first",
    ),
    (
        "invoice_paid",
        409,
        "something has been paid or credited against this invoice: issue a credit note instead",
    ),
    ("not_a_draft", 409, "the document is no longer a draft"),
    (
        "not_finalised",
        409,
        "only a finalised document can be voided, credited or paid",
    ),
    (
        "not_an_invoice",
        409,
        "credit notes are corrected by voiding them, not by another credit note",
    ),
];

fn refusal_message(code: &str) -> &'static str {
    REFUSALS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("refused", |(_, _, message)| message)
}

/// The status of a code (500 for one not in [`CODES`]).
pub fn status_of(code: &str) -> u16 {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, status)| *status)
        .or_else(|| {
            REFUSALS
                .iter()
                .find(|(c, _, _)| *c == code)
                .map(|(_, status, _)| *status)
        })
        .unwrap_or(500)
}

impl Error {
    /// A validation failure of one field.
    pub fn field(field: &'static str, code: &'static str) -> Error {
        Error::Validation(vec![FieldError::new(field, code)])
    }

    /// `field` must be unique and this value is taken.
    pub fn taken(field: &'static str) -> Error {
        Error::Conflict(vec![FieldError::new(field, "field.taken")])
    }

    /// The field errors of a validation failure or a conflict (for forms).
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::Validation(fields) | Error::Conflict(fields) => fields,
            _ => &[],
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(status_of(self.code())).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Stable, documented codes clients may match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden => "forbidden",
            Error::Csrf => "csrf_failed",
            Error::NotFound => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Conflict(_) => "conflict",
            Error::InUse(_) => "in_use",
            Error::Validation(_) => "validation_failed",
            Error::BadRequest(_) => "bad_request",
            Error::TooLarge => "payload_too_large",
            Error::Locked => "locked",
            Error::IdempotencyKeyReused => "idempotency_key_reused",
            Error::IdempotencyInProgress => "idempotency_in_progress",
            Error::EnrollmentRefused => "enrollment_refused",
            Error::Unavailable => "unavailable",
            Error::Refused(code) => code,
            Error::Internal(_) => "internal",
        }
    }

    /// What a person reads: for `in_use`, what still holds the row.
    pub fn message(&self) -> String {
        match self {
            Error::InUse(held_by) if !held_by.is_empty() => {
                let parts: Vec<String> = held_by
                    .iter()
                    .map(|(what, n)| format!("{n} {what}"))
                    .collect();
                format!("still in use by {}", parts.join(", "))
            }
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound,
            StoreError::Conflict => Error::Conflict(Vec::new()),
            StoreError::InUse => Error::InUse(Vec::new()),
            other => Error::Internal(other.into()),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}

/// The JSON every error answers with.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// One of the stable codes.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// For `in_use`: what still refers to the row, and how many.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub held_by: std::collections::BTreeMap<&'static str, i64>,
}

impl Error {
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code(),
            message: self.message(),
            fields: self.fields().to_vec(),
            held_by: match self {
                Error::InUse(held) => held.iter().copied().collect(),
                _ => Default::default(),
            },
        }
    }
}
