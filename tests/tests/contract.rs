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
