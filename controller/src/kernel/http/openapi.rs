//! The OpenAPI 3.1 document of the JSON API, assembled from the route table: every route's
//! path and method, the permission it needs (`x-permission`), its parameters, request and
//! response schemas (from the Rust types) and the error codes it can answer with.

use super::doc::Components;
use super::{Access, RouteInfo};
use crate::kernel::error::{status_of, ErrorBody};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem, PathsBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ComponentsBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, Required, ResponseBuilder,
};
use utoipa::{PartialSchema, ToSchema};

/// Which error codes a route can answer with: those its access, method and path imply, plus
/// its own.
pub fn error_codes(route: &RouteInfo) -> Vec<&'static str> {
    let mut codes = vec!["internal"];
    if route.access != Access::Public {
        codes.push("unauthenticated");
    }
    if matches!(route.access, Access::Needs(_)) {
        codes.push("forbidden");
    }
    if route.method != "GET" {
        codes.extend([
            "csrf_failed",
            "bad_request",
            "payload_too_large",
            "validation_failed",
        ]);
    } else {
        codes.push("bad_request");
    }
    if route.method == "POST" {
        codes.extend(["idempotency_key_reused", "idempotency_in_progress"]);
    }
    if route.path.contains('{') {
        codes.push("not_found");
    }
    if let Some(doc) = &route.doc {
        codes.extend(doc.errors.iter().copied());
    }
    codes.sort_unstable();
    codes.dedup();
    codes
}

fn method(name: &str) -> HttpMethod {
    match name {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        other => unreachable!("no API route uses {other}"),
    }
}

/// The document for `routes`.
pub fn document(routes: &[RouteInfo]) -> OpenApi {
    let mut components: Components = Vec::new();
    components.push((ErrorBody::name().into_owned(), ErrorBody::schema()));
    ErrorBody::schemas(&mut components);
    let mut paths = PathsBuilder::new();
    for route in routes.iter().filter(|r| r.doc.is_some()) {
        let doc = route.doc.expect("filtered");
        let tag = route.path.split('/').nth(3).unwrap_or("api");
        let mut op = OperationBuilder::new()
            .summary(Some(doc.summary))
            .operation_id(Some(format!(
                "{}{}",
                route.method.to_lowercase(),
                route.path.replace(['{', '}'], "").replace('/', "_")
            )))
            .tag(tag);
        for segment in route.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer))),
                );
            }
        }
        if let Some(query) = doc.query {
            for parameter in query() {
                op = op.parameter(parameter);
            }
        }
        if let Some(body) = doc.body {
            let schema = body(&mut components);
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(schema)).build(),
                    )
                    .build(),
            ));
        }
        let mut ok = ResponseBuilder::new().description(doc.summary);
        if let Some(response) = doc.response {
            let schema = response(&mut components);
            ok = ok.content(
                doc.media,
                ContentBuilder::new().schema(Some(schema)).build(),
            );
        }
        op = op.response(doc.status.to_string(), ok.build());
        let mut by_status: std::collections::BTreeMap<u16, Vec<&str>> = Default::default();
        for code in error_codes(route) {
            by_status.entry(status_of(code)).or_default().push(code);
        }
        for (status, codes) in by_status {
            op = op.response(
                status.to_string(),
                ResponseBuilder::new()
                    .description(format!("Error: {}", codes.join(", ")))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                            .build(),
                    )
                    .build(),
            );
        }
        let permission = match route.access {
            Access::Public => "public".to_owned(),
            Access::SignedIn => "signed-in".to_owned(),
            Access::Needs(p) => p.name().to_owned(),
        };
        op = op.extensions(Some(
            ExtensionsBuilder::new()
                .add("x-permission", permission)
                .build(),
        ));
        if route.access != Access::Public {
            op = op
                .security(SecurityRequirement::new("token", Vec::<String>::new()))
                .security(SecurityRequirement::new("session", Vec::<String>::new()));
        }
        paths = paths.path(route.path, PathItem::new(method(route.method), op.build()));
    }
    let components = ComponentsBuilder::new()
        .schemas_from_iter(components)
        .security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("__Host-setu_session"))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Setu controller API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Errors are `{code, message, fields?, held_by?}` with stable codes. Send \
                     `Idempotency-Key` on a POST to make a retry safe. Lists take \
                     `?after=&limit=` and answer `{items, next_after}`.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_code_an_error_gives_has_a_status() {
        use crate::kernel::error::{status_of, Error, CODES};
        let all = [
            Error::Unauthenticated,
            Error::Forbidden,
            Error::Csrf,
            Error::NotFound,
            Error::MethodNotAllowed,
            Error::Conflict(vec![]),
            Error::InUse(vec![]),
            Error::Validation(vec![]),
            Error::BadRequest(String::new()),
            Error::TooLarge,
            Error::Locked,
            Error::IdempotencyKeyReused,
            Error::IdempotencyInProgress,
            Error::EnrollmentRefused,
            Error::Unavailable,
            Error::Internal(anyhow::anyhow!("x")),
        ];
        assert_eq!(all.len(), CODES.len());
        for e in all {
            assert!(CODES.iter().any(|(c, _)| *c == e.code()), "{}", e.code());
        }
        assert_eq!(status_of("in_use"), 409);
        assert_eq!(status_of("internal"), 500);
        for (code, status, message) in crate::kernel::error::REFUSALS {
            let e = Error::Refused(code);
            assert_eq!(e.code(), *code);
            assert_eq!(status_of(code), *status);
            assert_eq!(e.to_string(), *message);
            assert!(!CODES.iter().any(|(c, _)| c == code), "{code} twice");
        }
    }
}
