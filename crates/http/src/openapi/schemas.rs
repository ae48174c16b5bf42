//! Turning DTOs into the document's schemas: each named once under `components/schemas` and
//! referred to by `$ref` wherever it is used.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema, openapi::path::ParameterIn};

/// How an operation names a body's schema: registers what it needs, returns the reference.
pub type SchemaOf = fn(&mut Schemas) -> Value;

/// The document's named schemas.
#[derive(Default)]
pub struct Schemas(BTreeMap<String, Value>);

impl Schemas {
    pub fn insert(&mut self, name: String, schema: Value) {
        self.0.insert(name, schema);
    }

    pub fn into_map(self) -> BTreeMap<String, Value> {
        self.0
    }
}

fn to_json(schema: impl serde::Serialize) -> Value {
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// `T`'s schema (and those it refers to), by reference.
pub fn dto<T: ToSchema>(schemas: &mut Schemas) -> Value {
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    for (name, schema) in nested {
        schemas.insert(name, to_json(schema));
    }
    let name = T::name().into_owned();
    schemas.insert(name.clone(), to_json(T::schema()));
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// One page of `T`: the shape of every list.
pub fn page_of<T: ToSchema>(schemas: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": { "type": "array", "items": dto::<T>(schemas) },
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Opaque; give it as `cursor` for the next page. `null` on the last.",
            },
        },
    })
}

/// `T`'s fields as query parameters.
pub fn query<T: IntoParams>() -> Vec<Value> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(to_json)
        .collect()
}

/// Whether `example` parses into `T` as the route would parse it.
pub fn parses<T: DeserializeOwned>(example: Value) -> Result<(), String> {
    serde_json::from_value::<T>(example)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The parameters every list and every `POST /api/...` share.
pub fn shared_parameters() -> Value {
    json!({
        "limit": {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Rows per page, 1-500 (100 when not given); anything else is a 422.",
            "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 },
        },
        "cursor": {
            "name": "cursor",
            "in": "query",
            "required": false,
            "description": "The previous page's `next_cursor`; a changed or made-up one is a \
                422 `invalid_cursor`.",
            "schema": { "type": "string" },
        },
        "idempotency_key": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Kept 24 h per organization: the same key with the same request \
                (method, path, body) answers the first 2xx or 4xx answer again \
                (`Idempotent-Replayed: true`, without a one-time `secret`); with another \
                request 422 `idempotency_key_reused`; while the first still runs 409 \
                `idempotency_key_in_use`; after a 5xx the retry runs. 1-255 printable ASCII \
                characters, else 422 `invalid_idempotency_key`.",
            "schema": { "type": "string", "minLength": 1, "maxLength": 255 },
        },
    })
}
