//! Turning a request into what domain code takes: a [`Work`] (scope, actor, transaction), the
//! signed-in [`Auth`], where it came from ([`Origin`]), the page language, and bodies, queries
//! and path parameters whose rejections answer in the API's `{code, message}` form.

use super::form::pairs;
use super::page::lang;
use super::Auth;
use crate::kernel::error::Error;
use crate::kernel::i18n::Lang;
use crate::kernel::work::{Origin, Work};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use serde::de::DeserializeOwned;

impl FromRequestParts<AppState> for Work {
    type Rejection = Error;

    /// A read for `GET`/`HEAD`, otherwise a transaction, in the signed-in user's scope.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Work, Error> {
        let auth = Auth::from_request_parts(parts, state).await?;
        let scope = auth.scope()?;
        if matches!(parts.method, Method::GET | Method::HEAD) {
            Ok(Work::read(state, scope, auth.actor(), auth.held()).await?)
        } else {
            let origin = origin(parts);
            Ok(Work::begin(state, scope, auth.actor(), auth.held(), origin).await?)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .cloned()
            .ok_or(Error::Unauthenticated)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(origin(parts))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    /// The language chosen with the switch (cookie), English by default.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(lang(&parts.headers))
    }
}

/// The client's address and user agent (bounded), for the audit log and login throttling.
pub fn origin(parts: &Parts) -> Origin {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    Origin {
        ip: peer.map(|p| p.ip().to_string()).unwrap_or_default(),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect(),
    }
}

/// A JSON body whose rejections use our error format.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(Error::TooLarge)
            }
            Err(rejection) => Err(Error::BadRequest(rejection.body_text())),
        }
    }
}

/// One input type for both twins: the JSON API's body or the page's form. A form is read as a
/// JSON object of strings (a repeated field becomes a list; the guard's `csrf` field is dropped),
/// so numeric fields of input types accept numbers and numeric text alike (see [`loose`]).
pub struct Input<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Input<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
            v.as_bytes()
                .starts_with(b"application/x-www-form-urlencoded")
        });
        if !is_form {
            return ApiJson::<T>::from_request(req, state)
                .await
                .map(|ApiJson(v)| Input(v));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| Error::TooLarge)?;
        Ok(Input(from_form(&bytes)?))
    }
}

/// A form body as `T` (see [`Input`]).
pub fn from_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let mut object = serde_json::Map::new();
    for (key, value) in pairs(body).filter(|(k, _)| k != "csrf") {
        match object.get_mut(&key) {
            Some(serde_json::Value::Array(values)) => values.push(value.into()),
            Some(first) => *first = serde_json::Value::Array(vec![first.take(), value.into()]),
            None => {
                object.insert(key, value.into());
            }
        }
    }
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| Error::BadRequest(e.to_string()))
}

/// A query string whose rejections (unknown fields, text where a number belongs) use our error
/// format.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(Error::BadRequest(rejection.body_text())),
        }
    }
}

/// Path parameters whose rejections (`/api/v1/subscribers/abc`) use our error format.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(Error::BadRequest(rejection.body_text())),
        }
    }
}

/// Deserializers that take a number from JSON and the same number as text from a form.
pub mod loose {
    use serde::de::{Deserializer, Error as _};
    use serde::Deserialize;
    use std::str::FromStr;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(i64),
        Text(String),
    }

    /// An optional number: `5`, `"5"`; `null`, `""` or absent are `None`.
    pub fn opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: From<i64>,
    {
        match Option::<NumberOrText>::deserialize(d)? {
            None => Ok(None),
            Some(NumberOrText::Number(n)) => Ok(Some(T::from(n))),
            Some(NumberOrText::Text(t)) if t.trim().is_empty() => Ok(None),
            Some(NumberOrText::Text(t)) => i64::from_str(t.trim())
                .map(|n| Some(T::from(n)))
                .map_err(|_| D::Error::custom(format!("expected a number, got {t:?}"))),
        }
    }

    /// A yes/no: a JSON boolean, or a form checkbox (`on`, `true`, `1` when ticked; absent,
    /// empty, `false` or `0` when not).
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum BoolOrText {
            Bool(bool),
            Text(String),
        }
        match Option::<BoolOrText>::deserialize(d)? {
            None => Ok(false),
            Some(BoolOrText::Bool(b)) => Ok(b),
            Some(BoolOrText::Text(t)) => match t.trim() {
                "on" | "true" | "1" => Ok(true),
                "" | "off" | "false" | "0" => Ok(false),
                other => Err(D::Error::custom(format!(
                    "expected yes or no, got {other:?}"
                ))),
            },
        }
    }

    /// A list of strings: a JSON array, or one form value (a single ticked checkbox).
    pub fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match Option::<OneOrMany>::deserialize(d)? {
            None => Vec::new(),
            Some(OneOrMany::One(one)) => vec![one],
            Some(OneOrMany::Many(many)) => many,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::RouterId;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: String,
        #[serde(default, deserialize_with = "loose::opt")]
        router_id: Option<RouterId>,
        #[serde(default, deserialize_with = "loose::list")]
        permission: Vec<String>,
    }

    #[test]
    fn forms_and_json_read_into_one_type() {
        let form: Sample =
            from_form(b"csrf=x&name=Mirpur&router_id=7&permission=a&permission=b").unwrap();
        let json: Sample =
            serde_json::from_str(r#"{"name":"Mirpur","router_id":7,"permission":["a","b"]}"#)
                .unwrap();
        assert_eq!(form, json);
        let one: Sample = from_form(b"name=x&router_id=&permission=a").unwrap();
        assert_eq!(
            (one.router_id, one.permission),
            (None, vec!["a".to_owned()])
        );
        assert!(from_form::<Sample>(b"name=x&router_id=seven").is_err());
        assert!(
            from_form::<Sample>(b"name=x&sneaky=1").is_err(),
            "unknown fields refused"
        );
    }
}
