//! Reading the spec into the [`Api`] representation, refusing what the router cannot serve.
//!
//! Every refusal is a [`CodegenError::Unsupported`] whose location is the JSON pointer of
//! the construct, e.g. `#/paths/~1{project_id}~1leads/get/responses/200`.

use std::collections::BTreeMap;

use heck::ToUpperCamelCase;
use openapiv3::{
    APIKeyLocation, OpenAPI, Operation as SpecOperation, Parameter, ParameterSchemaOrContent,
    ReferenceOr, Schema, SchemaKind, SecurityScheme, StatusCode, Type,
};
use proc_macro2::TokenStream;

use super::ir::{
    Api, Body, Content, IntType, Operation, Param, ParamType, Reply, Scheme, SchemeKind,
};
use super::models::Models;
use super::names::{escape, reason_variant};
use super::resolve;
use crate::CodegenError;

/// The one request and response media type of JSON bodies.
const JSON: &str = "application/json";

fn unsupported(at: &str, message: impl Into<String>) -> CodegenError {
    CodegenError::Unsupported {
        location: at.to_owned(),
        message: message.into(),
    }
}

/// Reads every operation, security scheme and the error body of the spec.
pub fn collect(spec: &OpenAPI, models: &mut Models) -> Result<Api, CodegenError> {
    let schemes = schemes(spec)?;
    let mut operations = Vec::new();
    let mut error_type: Option<(String, TokenStream)> = None;
    let mut ids = BTreeMap::new();
    let mut shapes = BTreeMap::new();
    if schemes.is_empty() {
        return Err(unsupported(
            "#/components/securitySchemes",
            "the generator needs at least one security scheme to derive the credentials from",
        ));
    }
    for (path, item) in spec.paths.iter() {
        let item_at = format!("#/paths/{}", escape(path));
        check_path(path, &item_at, &mut shapes)?;
        let ReferenceOr::Item(item) = item else {
            return Err(unsupported(
                &item_at,
                "a path item that is a `$ref` is not supported",
            ));
        };
        for (method, operation) in item.iter() {
            let at = format!("{item_at}/{method}");
            let mut reader = OperationReader {
                spec,
                models: &mut *models,
                at: &at,
                error_type: &mut error_type,
            };
            let operation =
                reader.operation(path, method, &item.parameters, operation, &schemes)?;
            if let Some(first) = ids.insert(operation.id.clone(), at.clone()) {
                return Err(unsupported(
                    &format!("{at}/operationId"),
                    format!("`{}` is also the operationId of {first}", operation.id),
                ));
            }
            operations.push(operation);
        }
    }
    let (error_at, error_type) = error_type.ok_or_else(|| {
        unsupported(
            "#/paths",
            "no operation documents an error response; the router needs one error schema for its rejections",
        )
    })?;
    check_error_schema(spec, &error_at)?;
    Ok(Api {
        operations,
        schemes,
        error_type,
        title: spec.info.title.clone(),
    })
}

/// The router builds rejections as `{"success": false, "msg": "..."}`; the error schema
/// must have exactly that shape.
fn check_error_schema(spec: &OpenAPI, reference: &str) -> Result<(), CodegenError> {
    let name = reference.trim_start_matches(super::schema::COMPONENT_PREFIX);
    let at = format!("{}{}", super::schema::COMPONENT_PREFIX, escape(name));
    let schema = spec
        .components
        .as_ref()
        .and_then(|c| c.schemas.get(name))
        .and_then(ReferenceOr::as_item);
    let fits = schema.is_some_and(|schema| match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            let is = |property: &str, check: fn(&Type) -> bool| {
                object
                    .properties
                    .get(property)
                    .and_then(ReferenceOr::as_item)
                    .is_some_and(|p| matches!(&p.schema_kind, SchemaKind::Type(t) if check(t)))
            };
            is("success", |t| matches!(t, Type::Boolean(_)))
                && is("msg", |t| matches!(t, Type::String(s) if s.pattern.is_none() && s.min_length.is_none() && s.max_length.is_none() && s.enumeration.is_empty()))
                && object.required.iter().all(|r| r == "success" || r == "msg")
                && object.properties.len() == 2
        }
        _ => false,
    });
    if fits {
        Ok(())
    } else {
        Err(unsupported(
            &at,
            "the error schema must be an object of exactly `success` (boolean) and `msg` (an unconstrained string): the router answers every rejection with it",
        ))
    }
}

/// The security schemes, each mapped to a way of reading the `Authorization` header.
fn schemes(spec: &OpenAPI) -> Result<Vec<Scheme>, CodegenError> {
    let mut schemes: Vec<Scheme> = Vec::new();
    let Some(components) = &spec.components else {
        return Ok(schemes);
    };
    for (key, scheme) in &components.security_schemes {
        let at = format!("#/components/securitySchemes/{}", escape(key));
        let ReferenceOr::Item(scheme) = scheme else {
            return Err(unsupported(
                &at,
                "a security scheme that is a `$ref` is not supported",
            ));
        };
        let scheme = match scheme {
            SecurityScheme::HTTP {
                scheme, description, ..
            } if scheme.eq_ignore_ascii_case("basic") => Scheme {
                key: key.clone(),
                variant: "Basic".to_owned(),
                word: "Basic".to_owned(),
                kind: SchemeKind::Basic,
                description: description.clone(),
            },
            SecurityScheme::HTTP {
                scheme, description, ..
            } if scheme.eq_ignore_ascii_case("bearer") => Scheme {
                key: key.clone(),
                variant: "Bearer".to_owned(),
                word: "Bearer".to_owned(),
                kind: SchemeKind::Token,
                description: description.clone(),
            },
            SecurityScheme::APIKey {
                location: APIKeyLocation::Header,
                name,
                description,
                ..
            } if name.eq_ignore_ascii_case("authorization") => {
                // A token under a scheme word of its own: the word is the key without its
                // `Auth` suffix, e.g. `jwtAuth` → `JWT <token>`.
                let stem = key
                    .strip_suffix("Auth")
                    .or_else(|| key.strip_suffix("_auth"))
                    .unwrap_or(key);
                Scheme {
                    key: key.clone(),
                    variant: stem.to_upper_camel_case(),
                    word: stem.to_uppercase(),
                    kind: SchemeKind::Token,
                    description: description.clone(),
                }
            }
            _ => {
                return Err(unsupported(
                    &at,
                    "only HTTP `basic`, HTTP `bearer` and an `apiKey` in the `Authorization` header are supported",
                ))
            }
        };
        if let Some(other) = schemes
            .iter()
            .find(|s| s.word.eq_ignore_ascii_case(&scheme.word) || s.variant == scheme.variant)
        {
            return Err(unsupported(
                &at,
                format!(
                    "reads the same `Authorization: {} ...` as `{}`",
                    scheme.word, other.key
                ),
            ));
        }
        schemes.push(scheme);
    }
    Ok(schemes)
}

/// An operation's parameters: path (in template order), query and header.
type Parameters = (Vec<Param>, Vec<Param>, Vec<Param>);

struct OperationReader<'s, 'm> {
    spec: &'s OpenAPI,
    models: &'m mut Models,
    at: &'m str,
    error_type: &'m mut Option<(String, TokenStream)>,
}

impl OperationReader<'_, '_> {
    fn operation(
        &mut self,
        path: &str,
        method: &str,
        shared: &[ReferenceOr<Parameter>],
        operation: &SpecOperation,
        schemes: &[Scheme],
    ) -> Result<Operation, CodegenError> {
        let at = self.at;
        let id = operation
            .operation_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                unsupported(
                    at,
                    "every operation needs an `operationId`: it names the trait method",
                )
            })?;
        let (path_params, query_params, header_params) =
            self.parameters(&id, path, shared, operation)?;
        let body = match &operation.request_body {
            Some(body) => Some(self.body(&id, body)?),
            None => None,
        };
        let responses = self.responses(&id, operation)?;
        let security = self.security(operation, schemes)?;
        Ok(Operation {
            id,
            method: method.to_owned(),
            path: path.to_owned(),
            summary: operation.summary.clone(),
            description: operation.description.clone(),
            path_params,
            query_params,
            header_params,
            body,
            responses,
            security,
        })
    }

    /// Path-level parameters, overridden by operation-level ones of the same name and place.
    fn parameters(
        &mut self,
        id: &str,
        path: &str,
        shared: &[ReferenceOr<Parameter>],
        operation: &SpecOperation,
    ) -> Result<Parameters, CodegenError> {
        let item_at = self
            .at
            .rsplit_once('/')
            .map_or("", |(item, _)| item)
            .to_owned();
        let mut found: Vec<(String, bool, Param)> = Vec::new();
        let mut headers: Vec<Param> = Vec::new();
        let listed = shared
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("{item_at}/parameters/{i}"), p))
            .chain(
                operation
                    .parameters
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("{}/parameters/{i}", self.at), p)),
            )
            .collect::<Vec<_>>();
        for (at, parameter) in listed {
            let resolve::Found { item, at } = resolve::parameter(self.spec, parameter, &at)?;
            let (data, in_path) = match item {
                Parameter::Path { parameter_data, .. } => (parameter_data, true),
                Parameter::Query { parameter_data, .. } => (parameter_data, false),
                Parameter::Header { parameter_data, .. } => {
                    let param = self.header_param(id, parameter_data, &at)?;
                    headers.retain(|h| !h.name.eq_ignore_ascii_case(&param.name));
                    headers.push(param);
                    continue;
                }
                Parameter::Cookie { .. } => {
                    return Err(unsupported(&at, "cookie parameters are not supported"))
                }
            };
            let ParameterSchemaOrContent::Schema(schema) = &data.format else {
                return Err(unsupported(
                    &at,
                    "a parameter with `content` is not supported; give it a `schema`",
                ));
            };
            let schema_at = format!("{at}/schema");
            // Named as progenitor names the client's type for it, e.g. `ListLeadsEmail`.
            let name = type_name(&format!("{id}-{}", data.name));
            let ty = self.param_type(schema, &schema_at, &name)?;
            if in_path && matches!(ty, ParamType::List { .. }) {
                return Err(unsupported(
                    &schema_at,
                    "an array in a path parameter is not supported",
                ));
            }
            let default = match schema {
                ReferenceOr::Item(schema) => schema.schema_data.default.clone(),
                ReferenceOr::Reference { .. } => None,
            };
            if let Some(default) = &default {
                check_default(&ty, default, &format!("{schema_at}/default"))?;
            }
            found.retain(|(name, path, _)| !(*name == data.name && *path == in_path));
            found.push((
                data.name.clone(),
                in_path,
                Param {
                    name: data.name.clone(),
                    description: data.description.clone(),
                    required: data.required || in_path,
                    ty,
                    default,
                },
            ));
        }
        let mut path_params = Vec::new();
        for segment in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            let index = found
                .iter()
                .position(|(name, in_path, _)| *in_path && name == segment)
                .ok_or_else(|| {
                    unsupported(
                        self.at,
                        format!("the path parameter `{segment}` is not documented"),
                    )
                })?;
            path_params.push(found.remove(index).2);
        }
        if let Some((name, _, _)) = found.iter().find(|(_, in_path, _)| *in_path) {
            return Err(unsupported(
                self.at,
                format!("the path parameter `{name}` does not appear in the path"),
            ));
        }
        Ok((
            path_params,
            found.into_iter().map(|(_, _, p)| p).collect(),
            headers,
        ))
    }

    /// A header parameter: one value, read from a header the router does not own.
    fn header_param(
        &mut self,
        id: &str,
        data: &openapiv3::ParameterData,
        at: &str,
    ) -> Result<Param, CodegenError> {
        let name = &data.name;
        let is_token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !is_token {
            return Err(unsupported(
                &format!("{at}/name"),
                format!("`{name}` is not a valid HTTP header name"),
            ));
        }
        const OWNED: [&str; 4] = ["authorization", "content-type", "accept", "content-length"];
        if OWNED.iter().any(|owned| name.eq_ignore_ascii_case(owned)) {
            return Err(unsupported(
                &format!("{at}/name"),
                format!("the router reads `{name}` itself (security schemes, request bodies); it cannot be a parameter"),
            ));
        }
        let ParameterSchemaOrContent::Schema(schema) = &data.format else {
            return Err(unsupported(
                at,
                "a parameter with `content` is not supported; give it a `schema`",
            ));
        };
        let schema_at = format!("{at}/schema");
        // Named as progenitor names the client's type for it, e.g. `CreateLeadIdempotencyKey`.
        let type_name = type_name(&format!("{id}-{name}"));
        let ty = self.param_type(schema, &schema_at, &type_name)?;
        if matches!(ty, ParamType::List { .. }) {
            return Err(unsupported(
                &schema_at,
                "an array in a header parameter is not supported; send one value",
            ));
        }
        let default = match schema {
            ReferenceOr::Item(schema) => schema.schema_data.default.clone(),
            ReferenceOr::Reference { .. } => None,
        };
        if let Some(default) = &default {
            check_default(&ty, default, &format!("{schema_at}/default"))?;
        }
        Ok(Param {
            name: name.clone(),
            description: data.description.clone(),
            required: data.required,
            ty,
            default,
        })
    }

    /// A parameter's type: integers, booleans, plain strings and arrays of them are
    /// checked by the runtime; any other string (a pattern, an enum, a format) becomes a
    /// typify model named `name`, which checks itself.
    fn param_type(
        &mut self,
        schema: &ReferenceOr<Schema>,
        at: &str,
        name: &str,
    ) -> Result<ParamType, CodegenError> {
        let ReferenceOr::Item(item) = schema else {
            return Ok(ParamType::Model(self.models.reference(schema, at)?));
        };
        if item.schema_data.nullable {
            return Err(unsupported(at, "a nullable parameter is not supported"));
        }
        let SchemaKind::Type(ty) = &item.schema_kind else {
            return Err(unsupported(
                at,
                "a composed parameter schema is not supported; `$ref` a component schema",
            ));
        };
        Ok(match ty {
            Type::Integer(int) if int.enumeration.is_empty() && int.multiple_of.is_none() => {
                let rust = if matches!(&int.format, openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32)) {
                    IntType::I32
                } else {
                    IntType::I64
                };
                ParamType::Int {
                    rust,
                    min: int.minimum.map(|m| m + i64::from(int.exclusive_minimum)),
                    max: int.maximum.map(|m| m - i64::from(int.exclusive_maximum)),
                }
            }
            Type::String(string)
                if string.enumeration.is_empty()
                    && string.pattern.is_none()
                    && matches!(string.format, openapiv3::VariantOrUnknownOrEmpty::Empty) =>
            {
                ParamType::Str {
                    min: string.min_length.map(|n| n as u64),
                    max: string.max_length.map(|n| n as u64),
                }
            }
            Type::String(_) => ParamType::Model(self.models.named(schema, at, name)?),
            Type::Boolean(_) => ParamType::Bool,
            Type::Array(array) if !array.unique_items => {
                let items = array
                    .items
                    .as_ref()
                    .ok_or_else(|| unsupported(at, "an array parameter needs `items`"))?
                    .clone()
                    .unbox();
                let item = self.param_type(&items, &format!("{at}/items"), &format!("{name}Item"))?;
                let bounded_item = match &item {
                    ParamType::List { .. } => true,
                    ParamType::Int { min, max, .. } => min.is_some() || max.is_some(),
                    ParamType::Str { min, max } => min.is_some() || max.is_some(),
                    ParamType::Bool => false,
                    // A named inline string checks its own pattern; a component checks itself.
                    ParamType::Model(_) => false,
                };
                if bounded_item {
                    return Err(unsupported(&format!("{at}/items"), "array items may not be arrays or carry bounds; `$ref` a component schema for them"));
                }
                ParamType::List {
                    item: Box::new(item),
                    min: array.min_items.map(|n| n as u64),
                    max: array.max_items.map(|n| n as u64),
                }
            }
            _ => {
                return Err(unsupported(
                    at,
                    "inline parameter schemas may be integers with bounds, strings, booleans or arrays of them; `$ref` a component schema for anything else",
                ))
            }
        })
    }

    fn body(
        &mut self,
        id: &str,
        body: &ReferenceOr<openapiv3::RequestBody>,
    ) -> Result<Body, CodegenError> {
        let at = format!("{}/requestBody", self.at);
        let resolve::Found { item, at } = resolve::request_body(self.spec, body, &at)?;
        let mut content = item.content.iter();
        let (Some((media_type, media)), None) = (content.next(), content.next()) else {
            return Err(unsupported(
                &format!("{at}/content"),
                "a request body needs exactly one media type, `application/json`",
            ));
        };
        let media_at = format!("{at}/content/{}", escape(media_type));
        if media_type != JSON {
            return Err(unsupported(
                &media_at,
                format!("`{media_type}` request bodies are not supported; only `{JSON}`"),
            ));
        }
        let schema = media
            .schema
            .as_ref()
            .ok_or_else(|| unsupported(&media_at, "the request body needs a `schema`"))?;
        // An inline schema is named as progenitor names it: `CreateLeadBody`.
        let name = type_name(&format!("{id}-body"));
        Ok(Body {
            ty: self
                .models
                .named(schema, &format!("{media_at}/schema"), &name)?,
            required: item.required,
        })
    }

    fn responses(
        &mut self,
        id: &str,
        operation: &SpecOperation,
    ) -> Result<Vec<Reply>, CodegenError> {
        let responses_at = format!("{}/responses", self.at);
        if operation.responses.default.is_some() {
            return Err(unsupported(
                &format!("{responses_at}/default"),
                "a `default` response is not supported; document each status",
            ));
        }
        let mut replies = Vec::new();
        for (status, response) in &operation.responses.responses {
            let at = format!("{responses_at}/{status}");
            let StatusCode::Code(status) = *status else {
                return Err(unsupported(
                    &at,
                    "status ranges are not supported; document each status",
                ));
            };
            let variant = reason_variant(status).ok_or_else(|| {
                unsupported(
                    &at,
                    format!("status {status} has no known reason phrase to name its variant"),
                )
            })?;
            let resolve::Found { item, at } = resolve::response(self.spec, response, &at)?;
            let content = self.content(id, item, &at, status)?;
            replies.push(Reply {
                status,
                variant: variant.to_owned(),
                description: item.description.clone(),
                content,
                www_authenticate: item
                    .headers
                    .keys()
                    .any(|h| h.eq_ignore_ascii_case("www-authenticate")),
            });
        }
        replies.sort_by_key(|reply| reply.status);
        let successes: Vec<u16> = replies
            .iter()
            .map(|r| r.status)
            .filter(|s| (200..300).contains(s))
            .collect();
        match successes.as_slice() {
            [_] => Ok(replies),
            [] => Err(unsupported(
                &responses_at,
                "the operation documents no success response",
            )),
            _ => Err(unsupported(
                &responses_at,
                format!(
                    "the operation has several success types ({successes:?}); document exactly one"
                ),
            )),
        }
    }

    fn content(
        &mut self,
        id: &str,
        response: &openapiv3::Response,
        at: &str,
        status: u16,
    ) -> Result<Content, CodegenError> {
        let mut content = response.content.iter();
        let (media_type, media) = match (content.next(), content.next()) {
            (None, _) => return Ok(Content::Empty),
            (Some(first), None) => first,
            (Some(_), Some(_)) => {
                return Err(unsupported(
                    &format!("{at}/content"),
                    "a response with several media types is not supported",
                ))
            }
        };
        let media_at = format!("{at}/content/{}", escape(media_type));
        let schema = media
            .schema
            .as_ref()
            .ok_or_else(|| unsupported(&media_at, "the response needs a `schema`"))?;
        let schema_at = format!("{media_at}/schema");
        if media_type == JSON {
            let is_success = (200..300).contains(&status);
            if !is_success && schema.as_item().is_some() {
                return Err(unsupported(
                    &schema_at,
                    "an error response must `$ref` the one error schema in `components/schemas`: the router answers its own rejections with it",
                ));
            }
            // An inline success schema is named as progenitor names it: `GetLeadResponse`.
            let name = type_name(&format!("{id}-response"));
            let ty = self.models.named(schema, &schema_at, &name)?;
            if let (false, ReferenceOr::Reference { reference }) = (is_success, schema) {
                match &*self.error_type {
                    Some((first, _)) if first != reference => {
                        return Err(unsupported(&schema_at, format!("every error response must use one schema, `{first}`; this one is `{reference}`")))
                    }
                    Some(_) => {}
                    None => *self.error_type = Some((reference.clone(), ty.clone())),
                }
            }
            return Ok(Content::Json(ty));
        }
        let subtype = media_type
            .strip_prefix("text/")
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let is_string = matches!(schema, ReferenceOr::Item(s) if matches!(s.schema_kind, SchemaKind::Type(Type::String(_))));
        match subtype {
            Some(subtype) if is_string && (200..300).contains(&status) => Ok(Content::Stream {
                alias: format!("{}Body", subtype.to_upper_camel_case()),
                content_type: format!("{media_type}; charset=utf-8"),
            }),
            _ => Err(unsupported(&media_at, format!("`{media_type}` responses are supported only as success responses of `type: string` under `text/*`; otherwise use `{JSON}`"))),
        }
    }

    fn security(
        &self,
        operation: &SpecOperation,
        schemes: &[Scheme],
    ) -> Result<Vec<usize>, CodegenError> {
        let (requirements, at) = match &operation.security {
            Some(requirements) => (requirements, format!("{}/security", self.at)),
            None => match &self.spec.security {
                Some(requirements) => (requirements, "#/security".to_owned()),
                None => return Ok(Vec::new()),
            },
        };
        let mut allowed = Vec::new();
        for (index, requirement) in requirements.iter().enumerate() {
            let here = format!("{at}/{index}");
            let mut names = requirement.keys();
            let (Some(name), None) = (names.next(), names.next()) else {
                return Err(unsupported(&here, "each security requirement must name exactly one scheme: optional auth and scheme combinations are not supported"));
            };
            let position = schemes.iter().position(|s| s.key == *name).ok_or_else(|| {
                unsupported(
                    &here,
                    format!("`{name}` is not in `components/securitySchemes`"),
                )
            })?;
            if !allowed.contains(&position) {
                allowed.push(position);
            }
        }
        Ok(allowed)
    }
}

/// The name typify and progenitor give an inline schema, from its dash-separated origin
/// (`listLeads-email` → `ListLeadsEmail`).
fn type_name(origin: &str) -> String {
    origin.to_upper_camel_case()
}

/// A default must be a value the parameter's own checks accept.
fn check_default(
    ty: &ParamType,
    default: &serde_json::Value,
    at: &str,
) -> Result<(), CodegenError> {
    let fits = match ty {
        ParamType::Int { rust, min, max } => default.as_i64().is_some_and(|n| {
            let (low, high) = match rust {
                IntType::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
                IntType::I64 => (i64::MIN, i64::MAX),
            };
            n >= min.unwrap_or(low) && n <= max.unwrap_or(high)
        }),
        ParamType::Str { min, max } => default.as_str().is_some_and(|s| {
            let length = s.chars().count() as u64;
            length >= min.unwrap_or(0) && length <= max.unwrap_or(u64::MAX)
        }),
        ParamType::Bool => default.is_boolean(),
        ParamType::Model(_) | ParamType::List { .. } => {
            return Err(unsupported(
                at,
                "a default is supported on integer, boolean and string parameters only",
            ))
        }
    };
    if fits {
        Ok(())
    } else {
        Err(unsupported(
            at,
            "the default does not satisfy the parameter's own type and bounds",
        ))
    }
}

/// Each path template must map onto the router's: parameters span whole segments, and no
/// two templates differ only in parameter names.
fn check_path(
    path: &str,
    at: &str,
    seen: &mut BTreeMap<String, String>,
) -> Result<(), CodegenError> {
    let mut shape = Vec::new();
    for segment in path.split('/') {
        let is_param = segment.starts_with('{') && segment.ends_with('}') && segment.len() > 2;
        if !is_param && (segment.contains('{') || segment.contains('}')) {
            return Err(unsupported(at, format!("the segment `{segment}` mixes text and a parameter; a parameter must span a whole segment")));
        }
        shape.push(if is_param { "{}" } else { segment });
    }
    if let Some(other) = seen.insert(shape.join("/"), path.to_owned()) {
        if other != path {
            return Err(unsupported(at, format!("`{path}` and `{other}` differ only in parameter names; the router cannot tell them apart")));
        }
    }
    Ok(())
}
