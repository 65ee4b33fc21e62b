//! The server trait's types, with the schemas `utoipa` derives for them (OpenAPI 3.1).

use serde_json::{json, Map, Value};

use super::RustSchema;

/// The schema of `T` and the components it refers to, as one document.
fn document<T: utoipa::ToSchema>() -> (Value, Value) {
    let mut dependencies = Vec::new();
    T::schemas(&mut dependencies);
    let components: Map<String, Value> = dependencies
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or_default()))
        .collect();
    let schema = serde_json::to_value(<T as utoipa::PartialSchema>::schema()).unwrap_or_default();
    (json!({"components": {"schemas": components}}), schema)
}

/// Lists a server type per spec component, with its utoipa schema.
macro_rules! server_types {
    ($($name:ident),* $(,)?) => {
        &[$(RustSchema {
            component: stringify!($name),
            rust_type: concat!("leads_api::types::", stringify!($name)),
            schema: document::<leads_api::types::$name>,
        }),*]
    };
}

/// Every server type that stands for a spec component.
pub const TYPES: &[RustSchema] = server_types![
    IdempotencyKey,
    ObjectId,
    Cursor,
    Tag,
    TagList,
    FreeForm,
    LeadStatus,
    SortField,
    Direction,
    Role,
    Lead,
    LeadList,
    LeadCreate,
    LeadUpdate,
    SigninRequest,
    SigninResponse,
    User,
    Membership,
    Error,
];
