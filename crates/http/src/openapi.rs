//! The OpenAPI 3.1 document of Tollgate's HTTP API, served at `GET /api/openapi.json` and kept
//! in `docs/openapi.json`.
//!
//! Schemas come from the DTOs themselves (utoipa derives), so a field cannot change without
//! the document following. Which routes exist, and what each needs, comes from the access
//! table; [`catalogue`] adds what a reader needs beyond that: a summary, the bodies, one example
//! each. Tests fail when the catalogue and the access table disagree, when an example request
//! does not parse into its DTO, and when `docs/openapi.json` is not what this module builds.

mod catalogue;
mod schemas;

use std::{collections::BTreeMap, sync::OnceLock};

use actix_web::{HttpResponse, http::header};
use serde_json::{Map, Value, json};
use tollgate_domain::ErrorCode;

use crate::{access, error::status};
use catalogue::{Answer, Operation};
use schemas::Schemas;

/// The document, built once: it depends on nothing but the code.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

/// `GET /api/openapi.json`: public, like any published API reference.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(document())
}

fn build() -> Value {
    let mut schemas = Schemas::default();
    let requirements: BTreeMap<(&str, &str), _> = access::routes()
        .map(|(method, path, requirement)| ((method, path), requirement))
        .collect();
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for operation in catalogue::operations() {
        let mut built = operation_object(&operation, &mut schemas);
        if let Some(requirement) = requirements.get(&(operation.method, operation.path)) {
            let roles: Vec<&str> = requirement.roles.iter().map(|r| r.as_str()).collect();
            built["security"] = json!([{ "bearer": [requirement.scope.as_str()] }]);
            built["x-tollgate-roles"] = json!(roles);
        } else {
            built["security"] = operation.public_security();
        }
        paths
            .entry(operation.path)
            .or_default()
            .insert(operation.method.to_ascii_lowercase(), built);
    }
    schemas.insert("Error".to_owned(), error_schema());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tollgate",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Usage metering, rating, billing and invoices for AI products.",
            "description": "Every amount is a decimal string, never a JSON number; every time is \
                UTC in RFC 3339. Lists page with `limit` (1-500) and `cursor`; the answer's \
                `next_cursor` is `null` on the last page. Every `POST /api/...` takes an \
                `Idempotency-Key`. Errors are `{\"error\": {\"code\", \"message\"}}`; the codes \
                are listed in the `Error` schema and in docs/api.md.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "servers": [{ "url": "http://127.0.0.1:8080", "description": "make run" }],
        "tags": catalogue::TAGS.iter().map(|(name, description)| json!({
            "name": name, "description": description,
        })).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas.into_map(),
            "responses": error_responses(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (`tg_live_...`), an Ory Hydra access token, or \
                        a token of the embedded issuer (`make token`). The scope named by each \
                        operation is required; a person also needs one of its \
                        `x-tollgate-roles`.",
                },
                "litellm_secret": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The LiteLLM webhook secret (`Authorization: Bearer ...`).",
                },
                "lago_signature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Lago-Signature",
                    "description": "Lago's HMAC signature of the body.",
                },
            },
        },
    })
}

fn operation_object(operation: &Operation, schemas: &mut Schemas) -> Value {
    let mut parameters: Vec<Value> = path_parameters(operation.path);
    if let Some(query) = operation.query {
        parameters.extend(query());
    }
    // Written out in each operation: utoipa's model (which a test reads the document back
    // into) has no `$ref` parameters.
    let shared = schemas::shared_parameters();
    if operation.paged {
        parameters.push(shared["limit"].clone());
        parameters.push(shared["cursor"].clone());
    }
    if operation.method == "POST" && operation.path.starts_with("/api/") {
        parameters.push(shared["idempotency_key"].clone());
    }
    let mut object = json!({
        "operationId": operation.id,
        "tags": [operation.tag],
        "summary": operation.summary,
        "responses": responses(operation, schemas),
    });
    if !parameters.is_empty() {
        object["parameters"] = Value::Array(parameters);
    }
    if let Some(request) = &operation.request {
        object["requestBody"] = json!({
            "required": true,
            "content": { "application/json": {
                "schema": (request.schema)(schemas),
                "example": request.example(),
            }},
        });
    }
    object
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "description": "The resource's id (a UUID; a plan also by its code).",
                "schema": { "type": "string" },
            })
        })
        .collect()
}

fn responses(operation: &Operation, schemas: &mut Schemas) -> Value {
    let mut responses = Map::new();
    let (status, success) = match &operation.answer {
        Answer::Json {
            status,
            schema,
            example,
        } => (
            *status,
            json!({
                "description": operation.summary,
                "content": { "application/json": {
                    "schema": schema(schemas),
                    "example": catalogue::example(example),
                }},
            }),
        ),
        Answer::File { media_type } => (
            200,
            json!({
                "description": operation.summary,
                "content": { *media_type: { "schema": {
                    "type": "string", "contentMediaType": media_type,
                }}},
            }),
        ),
        Answer::Empty { status } => (*status, json!({ "description": operation.summary })),
    };
    responses.insert(status.to_string(), success);
    for (status, name) in operation.errors() {
        responses.insert(
            status.to_string(),
            json!({ "$ref": format!("#/components/responses/{name}") }),
        );
    }
    Value::Object(responses)
}

/// The error statuses an operation can answer, each with the codes it may carry.
fn error_responses() -> Value {
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in ErrorCode::ALL {
        by_status
            .entry(status(*code).as_u16())
            .or_default()
            .push(*code);
    }
    let mut responses = Map::new();
    for (status, codes) in by_status {
        let listed: Vec<String> = codes
            .iter()
            .map(|code| format!("`{}`: {}", code.as_str(), code.meaning()))
            .collect();
        responses.insert(
            catalogue::error_response_name(status).to_owned(),
            json!({
                "description": format!("Codes: {}.", listed.join("; ")),
                "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Error" },
                    "example": { "error": {
                        "code": codes[0].as_str(),
                        "message": codes[0].meaning(),
                    }},
                }},
            }),
        );
    }
    Value::Object(responses)
}

fn error_schema() -> Value {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    json!({
        "type": "object",
        "required": ["error"],
        "properties": { "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": { "type": "string", "enum": codes },
                "message": {
                    "type": "string",
                    "description": "For people; never more than 64 characters of the input.",
                },
                "line": { "type": "integer", "description": "Where a JSON body broke." },
                "column": { "type": "integer" },
                "request_id": {
                    "type": "string",
                    "description": "On a 500 only: the request id the log holds it under.",
                },
            },
        }},
    })
}

#[cfg(test)]
mod tests;
