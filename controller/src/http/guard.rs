//! The per-route access check: authentication, permission, CSRF; then idempotency keys on the
//! JSON API's POSTs.

use super::{Access, ApiError, AppState, Auth};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Requests whose path starts with this get JSON errors; the rest get pages.
pub const API_PREFIX: &str = "/api/";

pub async fn check(access: Access, req: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(req).await;
    }
    let is_api = req.uri().path().starts_with(API_PREFIX);
    let Some(auth) = req.extensions().get::<Auth>().cloned() else {
        return if is_api {
            ApiError::Unauthenticated.into_response()
        } else {
            Redirect::to(&format!("/login?next={}", urlencode(req.uri().path()))).into_response()
        };
    };
    if let Access::Needs(permission) = access {
        if !auth.can(permission) {
            return if is_api {
                ApiError::Forbidden.into_response()
            } else {
                super::pages::forbidden(&req).into_response()
            };
        }
    }
    let Some(state) = req.extensions().get::<AppState>().cloned() else {
        return ApiError::Internal(anyhow::anyhow!("session layer missing")).into_response();
    };
    let body_limit = state.config.http.max_body_bytes;
    // Token requests carry no ambient credential a third-party page could ride on.
    let req = if is_state_changing(req.method()) && !auth.via_token {
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
async fn csrf_checked(req: Request, expected: &str, limit: usize) -> Result<Request, ApiError> {
    if let Some(token) = req.headers().get("x-csrf-token") {
        return if crate::random::constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            Ok(req)
        } else {
            Err(ApiError::Csrf)
        };
    }
    let is_form = req.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    if !is_form {
        return Err(ApiError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::TooLarge)?;
    let token = form_field(&bytes, "csrf").unwrap_or_default();
    if !crate::random::constant_time_eq(token.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    url_pairs(body).find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Every value of a repeated field (checkboxes), which `Form` cannot collect.
pub fn form_values(body: &[u8], name: &str) -> Vec<String> {
    url_pairs(body)
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

fn url_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&').filter_map(|pair| {
        let mut it = pair.splitn(2, |b| *b == b'=');
        Some((
            urldecode(it.next()?),
            urldecode(it.next().unwrap_or_default()),
        ))
    })
}

fn urldecode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_decode() {
        let body = b"name=Mirpur+POP&csrf=ab%2Fcd&empty=&x";
        assert_eq!(form_field(body, "name").as_deref(), Some("Mirpur POP"));
        assert_eq!(form_field(body, "csrf").as_deref(), Some("ab/cd"));
        assert_eq!(form_field(body, "empty").as_deref(), Some(""));
        assert_eq!(form_field(body, "missing"), None);
        assert_eq!(form_field(b"a=%zz%4", "a").as_deref(), Some("%zz%4"));
        assert_eq!(form_values(b"p=a&q=1&p=b", "p"), ["a", "b"]);
    }
}
