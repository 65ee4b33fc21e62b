//! The intermediate representation: what the token generators need, and nothing else.

use proc_macro2::TokenStream;

/// Everything the generators need to know about the API.
pub struct Api {
    /// The operations, in document order.
    pub operations: Vec<Operation>,
    /// The security schemes, in document order.
    pub schemes: Vec<Scheme>,
    /// The type of the one error body every rejection is answered with.
    pub error_type: TokenStream,
    /// The API's title, used as the authentication realm.
    pub title: String,
}

/// One operation of the spec.
pub struct Operation {
    /// The `operationId`, as written.
    pub id: String,
    /// The HTTP method, lower case as in the spec.
    pub method: String,
    /// The path template, e.g. `/{project_id}/leads`.
    pub path: String,
    /// The operation's summary.
    pub summary: Option<String>,
    /// The operation's description.
    pub description: Option<String>,
    /// Path parameters, in template order.
    pub path_params: Vec<Param>,
    /// Query parameters, in document order.
    pub query_params: Vec<Param>,
    /// Header parameters, in document order; `name` as the spec writes it.
    pub header_params: Vec<Param>,
    /// The JSON request body, if any.
    pub body: Option<Body>,
    /// The documented responses, by ascending status.
    pub responses: Vec<Reply>,
    /// Indices into [`Api::schemes`] of the schemes that may authenticate the call; empty
    /// when the operation is public.
    pub security: Vec<usize>,
}

/// One path, query or header parameter.
pub struct Param {
    /// The name on the wire.
    pub name: String,
    /// The parameter's description.
    pub description: Option<String>,
    /// Whether the parameter must be present.
    pub required: bool,
    /// Its type and the bounds checked when parsing.
    pub ty: ParamType,
    /// The spec's default, applied when the parameter is absent.
    pub default: Option<serde_json::Value>,
}

/// The type of a parameter.
pub enum ParamType {
    /// A model of `types`, which validates itself when deserialised.
    Model(TokenStream),
    /// An integer with inclusive bounds.
    Int {
        /// `i32` or `i64`.
        rust: IntType,
        /// The smallest accepted value.
        min: Option<i64>,
        /// The largest accepted value.
        max: Option<i64>,
    },
    /// A string with length bounds, in characters.
    Str {
        /// The shortest accepted length.
        min: Option<u64>,
        /// The longest accepted length.
        max: Option<u64>,
    },
    /// `true` or `false`.
    Bool,
    /// A repeated parameter (`tags=a&tags=b`).
    List {
        /// The type of one item.
        item: Box<ParamType>,
        /// The fewest accepted items.
        min: Option<u64>,
        /// The most accepted items.
        max: Option<u64>,
    },
}

/// The Rust type of an integer parameter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IntType {
    /// `format: int32`.
    I32,
    /// Anything else.
    I64,
}

/// A JSON request body.
pub struct Body {
    /// The model it deserialises into.
    pub ty: TokenStream,
    /// Whether an empty body is rejected.
    pub required: bool,
}

/// One documented response.
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The variant name: the reason phrase in UpperCamelCase.
    pub variant: String,
    /// The response's description.
    pub description: String,
    /// What the body carries.
    pub content: Content,
    /// Whether the spec declares a `WWW-Authenticate` header for it.
    pub www_authenticate: bool,
}

/// The body of a response.
pub enum Content {
    /// No body.
    Empty,
    /// A JSON model.
    Json(TokenStream),
    /// A streamed body of a non-JSON media type.
    Stream {
        /// The alias of the stream type, e.g. `CsvBody`.
        alias: String,
        /// The `Content-Type` header sent with it.
        content_type: String,
    },
}

/// A security scheme of `components/securitySchemes`.
pub struct Scheme {
    /// The scheme's key in the spec.
    pub key: String,
    /// The `Credentials` variant it produces.
    pub variant: String,
    /// The word that opens the `Authorization` header, matched case-insensitively.
    pub word: String,
    /// How the rest of the header is read.
    pub kind: SchemeKind,
    /// The scheme's description.
    pub description: Option<String>,
}

/// How a scheme's credentials are read from the `Authorization` header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SchemeKind {
    /// `Basic base64(user:password)`.
    Basic,
    /// `<word> <token>`.
    Token,
}
