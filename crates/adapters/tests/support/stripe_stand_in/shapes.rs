//! Request bodies and queries checked against `request_shapes.json`: the parameters of each
//! call as the official SDK (generated from Stripe's OpenAPI) types them. A key it does not
//! list, a required key left out, a value outside an enum or of the wrong type is refused as
//! Stripe refuses it: 400 `invalid_request_error` with the parameter named.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

const SHAPES: &str = include_str!("../../fixtures/stripe/request_shapes.json");

/// Why a request's parameters are refused: Stripe's `error.code`, `error.param` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub param: String,
    pub message: String,
}

impl Problem {
    fn new(code: &'static str, param: &str, message: String) -> Self {
        Self {
            code,
            param: param.to_owned(),
            message,
        }
    }
}

pub struct Endpoint {
    pub method: String,
    /// `/v1/customers/{customer}` as segments; `{…}` matches any one segment.
    segments: Vec<String>,
    required: Vec<Value>,
    properties: Map<String, Value>,
}

impl Endpoint {
    /// The path's template (`/v1/checkout/sessions/{session}/expire`).
    pub fn template(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }
}

pub struct Shapes {
    pub api_version: String,
    endpoints: Vec<Endpoint>,
}

impl Shapes {
    pub fn load() -> Self {
        let shapes: Value = serde_json::from_str(SHAPES).expect("request_shapes.json is JSON");
        let endpoints = shapes["endpoints"]
            .as_array()
            .expect("endpoints")
            .iter()
            .map(|endpoint| Endpoint {
                method: endpoint["method"].as_str().expect("method").to_owned(),
                segments: split(endpoint["path"].as_str().expect("path")),
                required: endpoint["required"].as_array().cloned().unwrap_or_default(),
                properties: endpoint["properties"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect();
        Self {
            api_version: shapes["stripe_api_version"]
                .as_str()
                .expect("stripe_api_version")
                .to_owned(),
            endpoints,
        }
    }

    /// The endpoint `method path` calls, with the values of its `{…}` segments.
    pub fn find(&self, method: &str, path: &str) -> Option<(&Endpoint, Vec<String>)> {
        let segments = split(path);
        self.endpoints.iter().find_map(|endpoint| {
            if endpoint.method != method || endpoint.segments.len() != segments.len() {
                return None;
            }
            let mut ids = Vec::new();
            for (template, segment) in endpoint.segments.iter().zip(&segments) {
                if template.starts_with('{') {
                    ids.push(segment.clone());
                } else if template != segment {
                    return None;
                }
            }
            Some((endpoint, ids))
        })
    }
}

fn split(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// A form's keys as the tree their brackets spell: `a[b][0]=x` is `a → b → 0 → "x"`.
#[derive(Debug, Clone)]
pub enum Node {
    Leaf(String),
    Branch(BTreeMap<String, Node>),
}

impl Node {
    /// The value at `path` (`["line_items", "0", "quantity"]`), when it is a leaf.
    pub fn leaf(&self, path: &[&str]) -> Option<&str> {
        match (self, path.split_first()) {
            (Node::Leaf(value), None) => Some(value),
            (Node::Branch(children), Some((first, rest))) => children.get(*first)?.leaf(rest),
            _ => None,
        }
    }

    pub fn branch(&self, key: &str) -> Option<&BTreeMap<String, Node>> {
        match self {
            Node::Branch(children) => match children.get(key)? {
                Node::Branch(grandchildren) => Some(grandchildren),
                Node::Leaf(_) => None,
            },
            Node::Leaf(_) => None,
        }
    }
}

/// The tree of `pairs`.
///
/// # Errors
/// A key that is not `name[part]…`, or a key given both as a value and as an object.
pub fn tree(pairs: &[(String, String)]) -> Result<Node, Problem> {
    let mut root = Node::Branch(BTreeMap::new());
    for (key, value) in pairs {
        let parts = key_parts(key).ok_or_else(|| {
            Problem::new(
                "parameter_unknown",
                key,
                format!("Invalid parameter: {key}"),
            )
        })?;
        insert(&mut root, &parts, value.clone()).map_err(|()| {
            Problem::new(
                "parameter_invalid_string",
                key,
                format!("Invalid {key}: given as a value and as an object"),
            )
        })?;
    }
    Ok(root)
}

fn key_parts(key: &str) -> Option<Vec<String>> {
    let (name, mut rest) = key
        .split_once('[')
        .map_or((key, ""), |(name, _)| (name, &key[name.len()..]));
    if name.is_empty() {
        return None;
    }
    let mut parts = vec![name.to_owned()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        parts.push(inner[..end].to_owned());
        rest = &inner[end + 1..];
    }
    Some(parts)
}

fn insert(node: &mut Node, parts: &[String], value: String) -> Result<(), ()> {
    let Node::Branch(children) = node else {
        return Err(());
    };
    match parts {
        [last] => match children.insert(last.clone(), Node::Leaf(value)) {
            None => Ok(()),
            Some(_) => Err(()),
        },
        [first, rest @ ..] => insert(
            children
                .entry(first.clone())
                .or_insert_with(|| Node::Branch(BTreeMap::new())),
            rest,
            value,
        ),
        [] => Err(()),
    }
}

/// Checks the parameters of a call to `endpoint`.
///
/// # Errors
/// The first parameter Stripe would refuse.
pub fn check(endpoint: &Endpoint, params: &Node) -> Result<(), Problem> {
    let Node::Branch(children) = params else {
        return Err(Problem::new(
            "parameter_unknown",
            "",
            "not a form".to_owned(),
        ));
    };
    object(&endpoint.properties, &endpoint.required, children, "")
}

fn object(
    properties: &Map<String, Value>,
    required: &[Value],
    children: &BTreeMap<String, Node>,
    at: &str,
) -> Result<(), Problem> {
    for (key, child) in children {
        let param = join(at, key);
        let schema = properties.get(key).ok_or_else(|| {
            Problem::new(
                "parameter_unknown",
                &param,
                format!("Received unknown parameter: {param}"),
            )
        })?;
        value(schema, child, &param)?;
    }
    for key in required.iter().filter_map(Value::as_str) {
        if !children.contains_key(key) {
            let param = join(at, key);
            return Err(Problem::new(
                "parameter_missing",
                &param,
                format!("Missing required param: {param}."),
            ));
        }
    }
    Ok(())
}

fn value(schema: &Value, node: &Node, param: &str) -> Result<(), Problem> {
    let wrong = |expected: &str| {
        Problem::new(
            "parameter_invalid_type",
            param,
            format!("Invalid {param}: expected {expected}"),
        )
    };
    match (schema, node) {
        (Value::String(kind), Node::Leaf(text)) => {
            let fits = match kind.as_str() {
                "integer" => text.parse::<i64>().is_ok(),
                "number" => text.parse::<f64>().is_ok(),
                "boolean" => text == "true" || text == "false",
                _ => true,
            };
            if fits {
                Ok(())
            } else {
                Err(Problem::new(
                    if kind == "integer" {
                        "parameter_invalid_integer"
                    } else {
                        "parameter_invalid_type"
                    },
                    param,
                    format!("Invalid {kind}: {text}"),
                ))
            }
        }
        (Value::String(kind), Node::Branch(_)) => Err(wrong(kind)),
        (Value::Object(schema), _) if schema.contains_key("anyOf") => {
            let alternatives = schema["anyOf"].as_array().cloned().unwrap_or_default();
            let mut first = None;
            for alternative in &alternatives {
                match value(alternative, node, param) {
                    Ok(()) => return Ok(()),
                    // An alternative of the node's own kind explains best what is wrong.
                    Err(problem) if problem.code != "parameter_invalid_type" => {
                        return Err(problem);
                    }
                    Err(problem) => first = first.or(Some(problem)),
                }
            }
            Err(first.unwrap_or_else(|| wrong("one of its forms")))
        }
        (Value::Object(schema), Node::Leaf(text)) if schema.contains_key("enum") => {
            let allowed: Vec<&str> = schema["enum"]
                .as_array()
                .map(|values| values.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            // `[""]` the SDK also types as any string is its "a string, or empty to clear it"
            // (`description`); other enums it widens to `str` only for values Stripe may add.
            let any_string = allowed == [""]
                && schema.get("sdk_also_accepts_any_string") == Some(&Value::Bool(true));
            if any_string || allowed.contains(&text.as_str()) {
                Ok(())
            } else {
                Err(Problem::new(
                    "parameter_invalid_string",
                    param,
                    format!("Invalid {param}: must be one of {}", allowed.join(", ")),
                ))
            }
        }
        (Value::Object(schema), _) if schema.get("expanded") == Some(&Value::Bool(false)) => Ok(()),
        (Value::Object(schema), Node::Branch(children)) if schema.contains_key("properties") => {
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            object(&properties, &required, children, param)
        }
        (Value::Object(schema), Node::Branch(children)) if schema.contains_key("array") => {
            for (key, child) in children {
                // Unique keys each below the count are exactly 0, 1, 2…
                let indexed = key
                    .parse::<usize>()
                    .is_ok_and(|n| n < children.len() && n.to_string() == *key);
                if !indexed {
                    return Err(wrong("an array indexed from 0"));
                }
                value(&schema["array"], child, &format!("{param}[{key}]"))?;
            }
            Ok(())
        }
        (Value::Object(schema), Node::Branch(children)) if schema.contains_key("map") => {
            for (key, child) in children {
                value(&schema["map"], child, &format!("{param}[{key}]"))?;
            }
            Ok(())
        }
        (Value::Object(_), Node::Leaf(_)) => Err(wrong("an object")),
        (Value::Object(_), Node::Branch(_)) => Err(wrong("a value")),
        _ => Err(wrong("what request_shapes.json lists")),
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}[{key}]")
    }
}
