//! Reading the served contract: its operations, and request bodies generated from
//! its own schemas, so that tests cover every route the day it lands instead of a
//! hand-kept list.

use serde_json::{Map, Value, json};

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub operation_id: String,
    /// The JSON request body schema, if the operation takes one.
    pub body: Option<Value>,
}

/// The generated contract, parsed.
pub fn spec() -> Value {
    serde_json::from_str(&gateway::openapi_json()).expect("the generated spec is JSON")
}

/// Every operation, in the spec's order.
pub fn operations(spec: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let body = op["requestBody"]["content"]["application/json"]["schema"].clone();
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                operation_id: op["operationId"].as_str().unwrap_or_default().to_owned(),
                body: (!body.is_null()).then_some(body),
            });
        }
    }
    out
}

/// A body that the schema describes, with every property it declares (optional
/// ones too), each given a value of its declared type within its declared limits.
pub fn example(spec: &Value, schema: &Value) -> Value {
    example_at(spec, schema, 0)
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let mut node = spec;
            for part in r.trim_start_matches("#/").split('/') {
                node = &node[part];
            }
            resolve(spec, node)
        }
        None => schema,
    }
}

fn example_at(spec: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(spec, schema);
    if depth > 8 {
        return Value::Null;
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(o) = example_at(spec, part, depth + 1) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema[key]
            .as_array()
            .and_then(|v| v.iter().find(|s| resolve(spec, s)["type"] != "null"))
        {
            return example_at(spec, first, depth + 1);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|v| v.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::String(s) => s.as_str(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema["properties"].is_object() => "object",
        _ => "null",
    };
    match kind {
        "object" => {
            let mut out = Map::new();
            for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
                out.insert(name.clone(), example_at(spec, prop, depth + 1));
            }
            Value::Object(out)
        }
        "array" => {
            let n = schema["minItems"].as_u64().unwrap_or(1).max(1);
            Value::Array(
                (0..n)
                    .map(|_| example_at(spec, &schema["items"], depth + 1))
                    .collect(),
            )
        }
        "integer" | "number" => {
            let min = schema["minimum"].as_i64().unwrap_or(1);
            let max = schema["maximum"].as_i64().unwrap_or(i64::MAX);
            json!(min.max(1).min(max))
        }
        "boolean" => json!(false),
        "string" => {
            let s = match schema["format"].as_str() {
                Some("date") => "2026-06-01".to_owned(),
                Some("date-time") => "2026-06-01T08:00:00Z".to_owned(),
                _ => {
                    let min = schema["minLength"].as_u64().unwrap_or(1).max(1) as usize;
                    "x".repeat(min)
                }
            };
            json!(s)
        }
        _ => Value::Null,
    }
}
