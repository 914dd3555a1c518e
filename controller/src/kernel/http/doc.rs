//! What an API route says about itself for the OpenAPI document: a summary, the request body
//! and query parameters, the success answer, and the error codes beyond those every route of
//! its kind can give. Schemas come from the Rust types (`utoipa::ToSchema`), never by hand.

use utoipa::openapi::path::Parameter;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, ToSchema};

/// Named schemas collected while describing routes.
pub type Components = Vec<(String, RefOr<Schema>)>;
/// Registers a type's schema (and those it refers to) and returns a reference to it.
pub type SchemaFn = fn(&mut Components) -> RefOr<Schema>;
pub type ParamsFn = fn() -> Vec<Parameter>;

#[derive(Debug, Clone, Copy)]
pub struct Doc {
    pub summary: &'static str,
    pub body: Option<SchemaFn>,
    pub query: Option<ParamsFn>,
    pub status: u16,
    pub response: Option<SchemaFn>,
    /// The success answer's media type.
    pub media: &'static str,
    /// Codes this route can answer besides the ones its access, method and path imply.
    pub errors: &'static [&'static str],
}

fn reference<T: ToSchema>(components: &mut Components) -> RefOr<Schema> {
    let name = T::name().into_owned();
    if !components.iter().any(|(n, _)| *n == name) {
        components.push((name.clone(), T::schema()));
        T::schemas(components);
    }
    Ref::from_schema_name(name).into()
}

/// `{items: [T], next_after}`: the shape of every list (`kernel::http::list::Paged`).
fn paged<T: ToSchema>(components: &mut Components) -> RefOr<Schema> {
    let item = reference::<T>(components);
    ObjectBuilder::new()
        .property("items", ArrayBuilder::new().items(item))
        .required("items")
        .property(
            "next_after",
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::Integer,
                    Type::Null,
                ]))
                .description(Some(
                    "Pass as `after` for the next page; absent on the last page.",
                )),
        )
        .property(
            "next_before",
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::Integer,
                    Type::Null,
                ]))
                .description(Some("Logs: pass as `before` for the next (older) page.")),
        )
        .into()
}

/// A file's bytes.
fn binary(_: &mut Components) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/octet-stream")
        .into()
}

fn params<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(utoipa::openapi::path::ParameterIn::Query))
}

impl Doc {
    pub const fn new(summary: &'static str) -> Doc {
        Doc {
            summary,
            body: None,
            query: None,
            status: 200,
            response: None,
            media: "application/json",
            errors: &[],
        }
    }

    /// The JSON request body.
    pub fn body<T: ToSchema>(mut self) -> Doc {
        self.body = Some(reference::<T>);
        self
    }

    /// Query parameters.
    pub fn query<T: IntoParams>(mut self) -> Doc {
        self.query = Some(params::<T>);
        self
    }

    /// 200 with `T`.
    pub fn ok<T: ToSchema>(mut self) -> Doc {
        self.response = Some(reference::<T>);
        self
    }

    /// 200 with a page of `T`.
    pub fn list<T: ToSchema>(mut self) -> Doc {
        self.response = Some(paged::<T>);
        self
    }

    /// 201 with the created `T`.
    pub fn created<T: ToSchema>(mut self) -> Doc {
        self.status = 201;
        self.response = Some(reference::<T>);
        self
    }

    /// 202 with `T` (accepted, happens later).
    pub fn accepted<T: ToSchema>(mut self) -> Doc {
        self.status = 202;
        self.response = Some(reference::<T>);
        self
    }

    /// 200 with a PDF file.
    pub fn pdf(mut self) -> Doc {
        self.response = Some(binary);
        self.media = "application/pdf";
        self
    }

    /// 204, no body.
    pub fn no_content(mut self) -> Doc {
        self.status = 204;
        self.response = None;
        self
    }

    pub fn errors(mut self, codes: &'static [&'static str]) -> Doc {
        self.errors = codes;
        self
    }
}
