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

/// The schema a `$ref` points to (followed until it is not one).
pub fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
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
    // The schema's own example, for a value or a list (objects are built field
    // by field).
    if !schema["example"].is_null() && !schema["example"].is_object() {
        return schema["example"].clone();
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
                // Today: neither in the past nor in the future.
                Some("date") => chrono::Utc::now().date_naive().to_string(),
                Some("date-time") => chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                Some("email") => "wang.li@example.com".to_owned(),
                _ => {
                    let min = schema["minLength"].as_u64().unwrap_or(1).max(1) as usize;
                    match schema["pattern"].as_str() {
                        Some(pattern) => matching(pattern, min),
                        None => "x".repeat(min),
                    }
                }
            };
            json!(s)
        }
        _ => Value::Null,
    }
}

/// A string for a simple pattern such as `^[A-Z0-9_]+$` or `^[A-Z]{3}$`: the
/// first character of its first class, as many times as its count asks (at
/// least `min`).
fn matching(pattern: &str, min: usize) -> String {
    let class_start = pattern.find('[').map(|i| i + 1);
    let c = class_start
        .and_then(|i| pattern[i..].chars().next())
        .unwrap_or('x');
    let count = pattern
        .find('{')
        .and_then(|i| {
            pattern[i + 1..]
                .split(|ch: char| !ch.is_ascii_digit())
                .next()
                .and_then(|n| n.parse::<usize>().ok())
        })
        .unwrap_or(min)
        .max(min);
    std::iter::repeat_n(c, count).collect()
}
