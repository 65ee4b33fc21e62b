//! The client's types, with the schemas `schemars` derives for them.

use super::RustSchema;

/// Lists a client type per spec component, with its schemars schema.
macro_rules! client_types {
    ($($name:ident),* $(,)?) => {
        &[$(RustSchema {
            component: stringify!($name),
            rust_type: concat!("leads_client::types::", stringify!($name)),
            schema: || {
                let root = serde_json::to_value(schemars::schema_for!(leads_client::types::$name))
                    .unwrap_or_default();
                (root.clone(), root)
            },
        }),*]
    };
}

/// Every client type that stands for a spec component.
pub const TYPES: &[RustSchema] = client_types![
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
