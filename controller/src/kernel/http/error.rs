//! How an [`Error`] answers: its status and the `{code, message, fields?, held_by?}` JSON.
//! Causes of 500s are logged once, here, and never sent.

use crate::kernel::error::Error;
use axum::response::{IntoResponse, Response};
use axum::Json;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        (self.status(), Json(self.body())).into_response()
    }
}
