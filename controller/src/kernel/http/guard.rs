//! The per-route access check: authentication, permission, CSRF; then idempotency keys on the
//! JSON API's POSTs. And the answers for a path or method no route serves.

use super::form::{form_field, urlencode};
use super::{Access, Auth, API_PREFIX};
use crate::kernel::error::Error;
use crate::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub async fn check(access: Access, req: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(req).await;
    }
    let is_api = req.uri().path().starts_with(API_PREFIX);
    let Some(auth) = req.extensions().get::<Auth>().cloned() else {
        return if is_api {
            Error::Unauthenticated.into_response()
        } else {
            Redirect::to(&format!("/login?next={}", urlencode(req.uri().path()))).into_response()
        };
    };
    if let Access::Needs(permission) = access {
        if !auth.can(permission) {
            return if is_api {
                Error::Forbidden.into_response()
            } else {
                super::page::forbidden(&req).into_response()
            };
        }
    }
    let Some(state) = req.extensions().get::<AppState>().cloned() else {
        return Error::Internal(anyhow::anyhow!("session layer missing")).into_response();
    };
    let body_limit = state.config.http.max_body_bytes;
    // Token requests carry no ambient credential a third-party page could ride on.
    let req = if is_state_changing(req.method()) && !auth.via_token() {
        match csrf_checked(req, &auth.csrf_token, body_limit).await {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        }
    } else {
        req
    };
    if is_api && req.method() == Method::POST {
        if let Some(key) = req.headers().get(super::idempotency::HEADER).cloned() {
            return super::idempotency::run(&state, &auth, &key, body_limit, req, next)
                .await
                .unwrap_or_else(IntoResponse::into_response);
        }
    }
    next.run(req).await
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The token comes in the `x-csrf-token` header (scripts, JSON) or the `csrf` form field.
async fn csrf_checked(req: Request, expected: &str, limit: usize) -> Result<Request, Error> {
    use crate::kernel::random::constant_time_eq;
    if let Some(token) = req.headers().get("x-csrf-token") {
        return if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            Ok(req)
        } else {
            Err(Error::Csrf)
        };
    }
    let is_form = req.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    if !is_form {
        return Err(Error::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Error::TooLarge)?;
    let token = form_field(&bytes, "csrf").unwrap_or_default();
    if !constant_time_eq(token.as_bytes(), expected.as_bytes()) {
        return Err(Error::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// No route has this path: JSON on the API, a page elsewhere.
pub async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with(API_PREFIX) {
        Error::NotFound.into_response()
    } else {
        super::page::not_found(&req).into_response()
    }
}

/// A route has this path but not this method.
pub async fn method_not_allowed() -> Response {
    Error::MethodNotAllowed.into_response()
}
