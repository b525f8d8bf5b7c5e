//! The foundation, as a client sees it: problem+json for every kind of bad request,
//! request ids, security headers, CORS, readiness through a database outage,
//! metrics, and migrations from empty — each on SQLite and PostgreSQL.

use actix_web::test::TestRequest;
use actix_web::{HttpResponse, post};
use branchline_tests::{Backend, TestApp, db_test, json};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use kernel::{ApiError, ValidJson, ValidQuery};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
struct EchoLine {
    #[validate(range(min = 1))]
    amount: i64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
struct EchoBody {
    #[validate(length(min = 1, max = 20))]
    name: String,
    #[validate(nested)]
    lines: Vec<EchoLine>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct EchoQuery {
    #[validate(range(min = 1, max = 5))]
    times: Option<i64>,
}

/// A handler that exists only in tests, to drive the validated extractors through
/// the real middleware.
#[utoipa::path(request_body = EchoBody, responses((status = 200, description = "echo")))]
#[post("/test/echo")]
async fn echo(
    body: ValidJson<EchoBody>,
    query: ValidQuery<EchoQuery>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let total: i64 = body.lines.iter().map(|l| l.amount).sum();
    Ok(HttpResponse::Ok().json(json!({
        "name": body.name, "total": total, "times": query.into_inner().times.unwrap_or(1)
    })))
}

fn echo_routes(cfg: &mut ServiceConfig) {
    cfg.service(echo);
}

async fn echo_app(backend: Backend) -> Option<TestApp> {
    TestApp::try_with(
        backend,
        |c| c.cors_allowed_origins = vec!["https://app.example.com".to_owned()],
        echo_routes,
    )
    .await
}

#[actix_web::test]
async fn valid_body_passes_through() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app
        .post_json(
            "/test/echo?times=2",
            &json!({"name": "GZ01", "lines": [{"amount": 5}, {"amount": 7}]}),
        )
        .await;
    assert_eq!(
        res.ok(200),
        json!({"name": "GZ01", "total": 12, "times": 2})
    );
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app
        .post_raw(
            "/test/echo",
            "application/json",
            r#"{"name": "GZ01", "lines": ["#,
        )
        .await;
    let body = res.problem(400, "malformed_json");
    assert_eq!(body["instance"], "/test/echo");
}

#[actix_web::test]
async fn wrong_type_names_the_field() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app
        .post_json(
            "/test/echo",
            &json!({"name": "GZ01", "lines": [{"amount": "five"}]}),
        )
        .await;
    let body = res.problem(400, "malformed_json");
    assert_eq!(body["errors"][0]["field"], "lines[0].amount");
}

#[actix_web::test]
async fn unknown_field_is_400_naming_it() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app
        .post_json(
            "/test/echo",
            &json!({"name": "GZ01", "lines": [], "office": 3}),
        )
        .await;
    let body = res.problem(400, "unknown_field");
    assert_eq!(body["errors"][0]["field"], "office");
    assert_eq!(body["errors"][0]["code"], "unknown_field");
}

#[actix_web::test]
async fn every_invalid_field_is_listed() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app
        .post_json(
            "/test/echo",
            &json!({"name": "", "lines": [{"amount": 1}, {"amount": 0}, {"amount": -3}]}),
        )
        .await;
    let body = res.problem(422, "validation_failed");
    let fields: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            ("lines[1].amount".to_owned(), "range".to_owned()),
            ("lines[2].amount".to_owned(), "range".to_owned()),
            ("name".to_owned(), "length".to_owned()),
        ]
    );
}

#[actix_web::test]
async fn missing_field_is_required() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let body = app
        .post_json("/test/echo", &json!({"lines": []}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        body["errors"][0],
        json!({"field": "name", "code": "required", "message": "is required"})
    );
}

#[actix_web::test]
async fn unknown_and_invalid_query_parameters_are_400() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let ok_body = json!({"name": "x", "lines": []});
    let body = app
        .post_json("/test/echo?tims=2", &ok_body)
        .await
        .problem(400, "invalid_parameter");
    assert_eq!(body["errors"][0]["field"], "query.tims");
    let body = app
        .post_json("/test/echo?times=9", &ok_body)
        .await
        .problem(400, "invalid_parameter");
    assert_eq!(body["errors"][0]["field"], "query.times");
}

#[actix_web::test]
async fn oversized_body_is_413() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let big = format!(
        r#"{{"name": "x", "lines": [], "pad": "{}"}}"#,
        "a".repeat(100 * 1024)
    );
    app.post_raw("/test/echo", "application/json", big)
        .await
        .problem(413, "payload_too_large");
}

#[actix_web::test]
async fn non_json_body_is_415() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    app.post_raw("/test/echo", "text/plain", "name=x")
        .await
        .problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn unknown_route_is_404_problem() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let body = app
        .get("/api/v1/nothing-here")
        .await
        .problem(404, "route_not_found");
    assert_eq!(body["instance"], "/api/v1/nothing-here");
}

#[actix_web::test]
async fn wrong_method_is_405_with_allow() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app.call(TestRequest::delete().uri("/healthz")).await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET"));
    let res = app
        .call(
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/healthz"),
        )
        .await;
    res.problem(405, "method_not_allowed");
    let res = app.get("/test/echo").await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
}

#[actix_web::test]
async fn problems_speak_chinese_when_asked() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app
        .call(
            TestRequest::get()
                .uri("/nope")
                .insert_header(("accept-language", "zh-CN,zh;q=0.9")),
        )
        .await;
    assert_eq!(res.problem(404, "route_not_found")["title"], "接口不存在");
}

#[actix_web::test]
async fn request_id_is_echoed_or_generated() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app
        .call(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("x-request-id", "abc-123")),
        )
        .await;
    assert_eq!(res.header("x-request-id"), Some("abc-123"));
    let res = app.get("/nope").await;
    let generated = res.header("x-request-id").unwrap().to_owned();
    assert_eq!(generated.len(), 36, "{generated}");
    assert_eq!(res.json()["request_id"], generated.as_str());
    // A header that cannot be logged safely is replaced, not echoed.
    let res = app
        .call(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("x-request-id", "a b")),
        )
        .await;
    assert_ne!(res.header("x-request-id"), Some("a b"));
}

#[actix_web::test]
async fn security_headers_are_set() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app.get("/healthz").await;
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    assert!(
        res.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}

#[actix_web::test]
async fn cors_allows_only_configured_origins() {
    let app = echo_app(Backend::Sqlite).await.unwrap();
    let res = app
        .call(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("origin", "https://app.example.com")),
        )
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert!(
        res.header("access-control-expose-headers")
            .unwrap()
            .contains("ETag")
    );
    let res = app
        .call(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("origin", "https://evil.example")),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), None);

    let preflight = |origin: &'static str| {
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/test/echo")
            .insert_header(("origin", origin))
            .insert_header(("access-control-request-method", "POST"))
    };
    let res = app.call(preflight("https://app.example.com")).await;
    assert_eq!(res.status, 204);
    assert!(
        res.header("access-control-allow-methods")
            .unwrap()
            .contains("PATCH")
    );
    assert!(
        res.header("access-control-allow-headers")
            .unwrap()
            .contains("Idempotency-Key")
    );
    app.call(preflight("https://evil.example"))
        .await
        .problem(403, "forbidden");
}

db_test! {
    async fn health_names_the_backend(app) {
        let body = app.get("/healthz").await.ok(200);
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], app.backend().as_str());
    }
}

db_test! {
    async fn readiness_follows_the_database(app) {
        assert_eq!(app.get("/readyz").await.ok(200)["status"], "ready");

        take_database_away(&app);
        let res = app.get("/readyz").await;
        res.problem(503, "database_unavailable");
        assert_eq!(res.header("retry-after"), Some("5"));

        bring_database_back(&app);
        assert_eq!(app.get("/readyz").await.ok(200)["status"], "ready");
    }
}

/// SQLite: the database file disappears (its directory is moved away).
/// PostgreSQL: the database refuses connections and its sessions are ended.
fn take_database_away(app: &TestApp) {
    if let Some(path) = app.database.sqlite_path() {
        let dir = path.parent().unwrap();
        std::fs::rename(dir, dir.with_extension("gone")).unwrap();
        return;
    }
    let (admin_url, name) = app.database.postgres_admin().unwrap();
    let mut admin = PgConnection::establish(admin_url).unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .unwrap();
}

fn bring_database_back(app: &TestApp) {
    if let Some(path) = app.database.sqlite_path() {
        let dir = path.parent().unwrap();
        std::fs::rename(dir.with_extension("gone"), dir).unwrap();
        return;
    }
    let (admin_url, name) = app.database.postgres_admin().unwrap();
    let mut admin = PgConnection::establish(admin_url).unwrap();
    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .unwrap();
}

db_test! {
    async fn metrics_count_requests_and_show_the_pool(app) {
        app.get("/healthz").await.ok(200);
        app.get("/healthz").await.ok(200);
        app.get("/nope").await.problem(404, "route_not_found");
        app.get("/readyz").await.ok(200);
        let res = app.get("/metrics").await;
        assert_eq!(res.status, 200);
        assert!(res.header("content-type").unwrap().starts_with("text/plain"));
        let text = res.text();
        assert!(text.contains(r#"branchline_http_requests_total{route="/healthz",method="GET",status="200"} 2"#), "{text}");
        assert!(text.contains(r#"branchline_http_requests_total{route="unmatched",method="GET",status="404"} 1"#), "{text}");
        assert!(text.contains(r#"branchline_http_request_duration_seconds_count{route="/healthz"} 2"#), "{text}");
        assert!(text.contains("branchline_db_pool_max_connections 8"), "{text}");
        assert!(text.contains("branchline_db_pool_connections "), "{text}");
    }
}

db_test! {
    async fn migrations_apply_from_empty_revert_and_reapply(app) {
        let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/postgres"))
            .unwrap()
            .count();
        app.conn(|conn| {
            // The harness applied everything: nothing is pending.
            assert_eq!(store::migrate::pending_count(conn).unwrap(), 0);
            // Every down.sql works, and every up.sql applies again from empty.
            assert_eq!(store::migrate::revert_all(conn).unwrap(), migrations);
            assert_eq!(store::migrate::pending_count(conn).unwrap(), migrations);
            assert_eq!(store::migrate::run_pending(conn).unwrap().len(), migrations);
            assert_eq!(store::migrate::pending_count(conn).unwrap(), 0);
        });
        assert_eq!(app.get("/readyz").await.ok(200)["status"], "ready");
    }
}

db_test! {
    async fn audit_events_are_append_only_in_the_database(app) {
        app.conn(|conn| {
            conn.batch_execute(
                "INSERT INTO audit_events (occurred_at, action, entity_type, entity_id) \
                 VALUES ('2026-11-22 08:00:00', 'create', 'office', 1)",
            )
            .unwrap();
            let update = conn.batch_execute("UPDATE audit_events SET action = 'x'").unwrap_err();
            assert!(update.to_string().contains("append-only"), "{update}");
            let delete = conn.batch_execute("DELETE FROM audit_events").unwrap_err();
            assert!(delete.to_string().contains("append-only"), "{delete}");
            if let store::AnyConnection::Postgresql(_) = conn {
                let truncate = conn.batch_execute("TRUNCATE audit_events").unwrap_err();
                assert!(truncate.to_string().contains("append-only"), "{truncate}");
            }
        });
    }
}
