//! The document covers exactly the routes that exist, its examples are real, and
//! `docs/openapi.json` is what the code builds.

use std::collections::BTreeSet;

use super::*;

fn documented_operations() -> BTreeSet<(String, String)> {
    let paths = document()["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(|method| (method.to_ascii_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_route_is_documented_and_nothing_else_is() {
    let registered: BTreeSet<(String, String)> = access::routes()
        .map(|(method, path, _)| (method.to_owned(), path.to_owned()))
        .chain(
            crate::routes::public_routes()
                .map(|(method, path)| (method.to_owned(), path.to_owned())),
        )
        .collect();
    let documented = documented_operations();
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "not in the OpenAPI document: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&registered).collect();
    assert!(extra.is_empty(), "documented, not routed: {extra:?}");
}

#[test]
fn each_operation_names_its_scope_and_roles_as_the_access_table_does() {
    for (method, path, requirement) in access::routes() {
        let operation = &document()["paths"][path][method.to_ascii_lowercase()];
        assert_eq!(
            operation["security"][0]["bearer"][0],
            requirement.scope.as_str(),
            "{method} {path}"
        );
        let roles: Vec<&str> = requirement.roles.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            operation["x-tollgate-roles"],
            json!(roles),
            "{method} {path}"
        );
    }
}

#[test]
fn every_request_example_parses_into_its_dto_and_every_example_is_json() {
    let mut ids = BTreeSet::new();
    for operation in catalogue::operations() {
        assert!(
            ids.insert(operation.id),
            "operationId {} twice",
            operation.id
        );
        assert!(!operation.summary.is_empty(), "{}", operation.id);
        if let Some(request) = &operation.request {
            let example: Value = serde_json::from_str(request.example)
                .unwrap_or_else(|e| panic!("{}: request example: {e}", operation.id));
            (request.parses)(example)
                .unwrap_or_else(|e| panic!("{}: request example: {e}", operation.id));
        }
        if let Answer::Json { example, .. } = &operation.answer {
            serde_json::from_str::<Value>(example)
                .unwrap_or_else(|e| panic!("{}: answer example: {e}", operation.id));
        }
    }
}

/// Each example holds the fields its schema requires: a renamed field breaks this.
#[test]
fn answer_examples_hold_every_required_field_of_their_schema() {
    let document = document();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let content = &response["content"]["application/json"];
                if content.is_null() || response.get("$ref").is_some() {
                    continue;
                }
                let schema = resolve(document, &content["schema"]);
                for field in required(&schema) {
                    assert!(
                        content["example"].get(&field).is_some(),
                        "{method} {path} {status}: the example lacks `{field}`"
                    );
                }
            }
        }
    }
}

fn resolve(document: &Value, schema: &Value) -> Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            document["components"]["schemas"][name].clone()
        }
        None => schema.clone(),
    }
}

fn required(schema: &Value) -> Vec<String> {
    schema["required"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_error_code_is_in_the_error_schema() {
    let codes = &document()["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
        ["code"]["enum"];
    let listed: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, &json!(listed));
}

#[test]
fn the_document_is_openapi_3_1_that_utoipa_reads_back() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let parsed: utoipa::openapi::OpenApi =
        serde_json::from_value(document.clone()).expect("a valid OpenAPI document");
    assert!(!parsed.paths.paths.is_empty());
    // Every `$ref` points at something that exists.
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let pointer = target.trim_start_matches('#');
        assert!(
            document.pointer(pointer).is_some(),
            "dangling $ref {target}"
        );
    }
}

/// `docs/openapi.json` is what this code builds. `TOLLGATE_WRITE_OPENAPI=1 cargo test -p
/// tollgate-http openapi` writes it anew.
#[test]
fn docs_openapi_json_is_the_generated_document() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let generated = serde_json::to_string_pretty(document()).unwrap() + "\n";
    if std::env::var_os("TOLLGATE_WRITE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let kept = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        kept == generated,
        "docs/openapi.json is stale: run `TOLLGATE_WRITE_OPENAPI=1 cargo test -p tollgate-http \
         openapi` and commit it"
    );
}
