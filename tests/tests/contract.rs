//! The OpenAPI contract: what `/openapi.json` serves is what the code generates,
//! the committed `openapi/openapi.json` matches it (the drift check), and every
//! operation documents its problem+json errors.

use branchline_tests::{Backend, TestApp};
use serde_json::Value;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");

#[test]
fn committed_spec_matches_the_code() {
    let generated = gateway::openapi_json();
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        generated == committed,
        "openapi/openapi.json is stale: regenerate it with `scripts/openapi.sh` and commit the result"
    );
}

#[actix_web::test]
async fn served_spec_is_the_generated_one() {
    let app = TestApp::new(Backend::Sqlite).await;
    let served = app.get("/openapi.json").await.ok(200);
    let generated: Value = serde_json::from_str(&gateway::openapi_json()).unwrap();
    assert_eq!(served, generated);
}

#[actix_web::test]
async fn docs_page_is_served() {
    let app = TestApp::new(Backend::Sqlite).await;
    let res = app.get("/docs").await;
    assert_eq!(res.status, 308);
    assert_eq!(res.header("location"), Some("/docs/"));
    let res = app.get("/docs/").await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains("swagger-ui"), "{}", res.text());
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status, 200);
    assert!(init.text().contains("/openapi.json"));
}

#[test]
fn every_operation_documents_problem_errors() {
    let spec: Value = serde_json::from_str(&gateway::openapi_json()).unwrap();
    let responses = &spec["components"]["responses"];
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let op_id = op["operationId"].as_str().unwrap_or_default();
            assert!(!op_id.is_empty(), "{method} {path} has no operationId");
            let errors: Vec<(&String, &Value)> = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(status, _)| status.starts_with('4') || status.starts_with('5'))
                .collect();
            assert!(!errors.is_empty(), "{op_id} documents no error response");
            for (status, response) in errors {
                let response = match response["$ref"].as_str() {
                    Some(r) => &responses[r.trim_start_matches("#/components/responses/")],
                    None => response,
                };
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{op_id} {status} is not problem+json: {response}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} operations found");
}

/// Every `$ref` names a component the spec defines: a type used without
/// `ToSchema` registration (a query parameter of a type with only a hand-written
/// `PartialSchema`) leaves a reference no client or fuzzer can resolve.
#[test]
fn every_reference_resolves() {
    let text = gateway::openapi_json();
    let spec: Value = serde_json::from_str(&text).unwrap();
    let mut dangling = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("\"#/components/") {
        rest = &rest[at + "\"#/components/".len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        let (kind, name) = rest[..end].split_once('/').unwrap_or(("", ""));
        if spec["components"][kind][name].is_null() {
            dangling.push(format!("{kind}/{name}"));
        }
    }
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
}

/// utoipa names a component after its Rust type and keeps the last of two types
/// with one name *silently*: the spec then describes one type's body with
/// another's fields. So every `ToSchema` type in the workspace must have a name
/// of its own (its type name, or its `#[schema(as = …)]`).
#[test]
fn schema_names_are_unique_across_the_workspace() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates");
    let mut files = Vec::new();
    rust_files(std::path::Path::new(root), &mut files);
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (name, line) in schema_types(&text) {
            seen.entry(name)
                .or_default()
                .push(format!("{}:{line}", file.display()));
        }
    }
    assert!(seen.len() > 100, "found only {} schema types", seen.len());
    let clashes: Vec<String> = seen
        .iter()
        .filter(|(_, places)| places.len() > 1)
        .map(|(name, places)| format!("{name}: {}", places.join(", ")))
        .collect();
    assert!(
        clashes.is_empty(),
        "types that map to one schema name (rename one, or give it #[schema(as = …)]):\n{}",
        clashes.join("\n")
    );
}

/// An operation id names one operation (OpenAPI requires it unique): client
/// generators name their methods by it, and links between operations refer
/// to it. utoipa takes the handler's function name, so two handlers of the
/// same name in different crates would share one.
#[test]
fn operation_ids_are_unique() {
    let spec: Value = serde_json::from_str(&gateway::openapi_json()).unwrap();
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                seen.entry(id.to_owned())
                    .or_default()
                    .push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(seen.len() > 300, "found only {} operation ids", seen.len());
    let clashes: Vec<String> = seen
        .iter()
        .filter(|(_, ops)| ops.len() > 1)
        .map(|(id, ops)| format!("{id}: {}", ops.join(", ")))
        .collect();
    assert!(
        clashes.is_empty(),
        "operation ids used twice (rename a handler):\n{}",
        clashes.join("\n")
    );
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The schema name of every type deriving `ToSchema` in a source file, with the
/// line of its `struct` / `enum`.
fn schema_types(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut deriving = false;
    let mut renamed: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("#[derive(") && t.contains("ToSchema") {
            deriving = true;
        } else if deriving && t.starts_with("#[schema(") && t.contains(" as = ") {
            renamed = t.split(" as = ").nth(1).map(|r| {
                r.trim_end_matches(")]")
                    .trim_end_matches(',')
                    .trim()
                    .to_owned()
            });
        } else if deriving && !t.starts_with("#[") && !t.starts_with("//") {
            let words: Vec<&str> = t.split_whitespace().collect();
            if let Some(i) = words.iter().position(|w| *w == "struct" || *w == "enum") {
                let ident: String = words[i + 1]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push((renamed.take().unwrap_or(ident), n + 1));
            }
            deriving = false;
            renamed = None;
        }
    }
    found
}

branchline_tests::db_test! {
    /// Every operation that takes a JSON body accepts every field its schema in the
    /// served spec declares: a body made from the spec's own request schema is never
    /// refused as having unknown fields. (Two request types sharing one schema name
    /// documented order lines as expense-claim lines.)
    async fn every_request_schema_describes_the_body_the_server_takes(app) {
        app.load_demo();
        let token = app.login("hq.admin").await;
        let spec = branchline_tests::spec::spec();
        let mut checked = 0;
        for op in branchline_tests::spec::operations(&spec) {
            let Some(schema) = &op.body else { continue };
            let body = branchline_tests::spec::example(&spec, schema);
            let path = op.path.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/");
            let req = match op.method.as_str() {
                "POST" => actix_web::test::TestRequest::post(),
                "PATCH" => actix_web::test::TestRequest::patch(),
                "PUT" => actix_web::test::TestRequest::put(),
                other => panic!("{other} with a body"),
            }
            .uri(&path)
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header(("if-match", "\"1\""))
            .set_json(&body);
            let res = app.call(req).await;
            if res.status == 400 {
                let problem = res.json();
                assert_ne!(problem["code"], "unknown_field", "{}: the spec's body {body} was refused: {problem}", op.operation_id);
            }
            assert!(res.status.as_u16() < 500, "{}: {} {}", op.operation_id, res.status, res.text());
            checked += 1;
        }
        assert!(checked > 50, "only {checked} operations take a body");
    }
}
