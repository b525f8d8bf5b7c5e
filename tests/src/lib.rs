//! The test harness: the real app, built by `gateway::build_app`, called in
//! process against a fresh database per test — a new SQLite file, or a new
//! PostgreSQL database created on the server `TEST_DATABASE_URL` points at.
//!
//! `db_test!` writes each test once and runs it on both backends, as
//! `<name>::sqlite` and `<name>::postgres`. Without `TEST_DATABASE_URL` the
//! PostgreSQL half says it was skipped, unless `BRANCHLINE_REQUIRE_POSTGRES=1`
//! (as in CI), where a missing server fails the test.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use actix_service::boxed::{BoxService, service};
use actix_service::{Service, ServiceExt};
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::test::{self as atest, TestRequest};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use gateway::{AppState, Config, build_app_with};
use serde_json::Value;
use store::{AnyConnection, DatabaseUrl, Db, PoolOptions};
use utoipa_actix_web::service_config::ServiceConfig;

pub mod spec;

pub use serde_json::json;

/// Writes a test once and runs it on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            #[actix_web::test]
            async fn sqlite() {
                let $app = $crate::TestApp::new($crate::Backend::Sqlite).await;
                $body
            }

            $(#[$meta])*
            #[actix_web::test]
            async fn postgres() {
                let Some($app) = $crate::TestApp::try_new($crate::Backend::Postgres).await else {
                    return;
                };
                $body
            }
        }
    };
}

pub use store::Backend;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("bl_test_{}_{n}_{}", std::process::id(), &rand[..8])
}

/// A throw-away database, removed when dropped.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub fn sqlite() -> TestDatabase {
        let dir = std::env::temp_dir()
            .join("branchline-tests")
            .join(unique_name());
        let path = dir.join("data").join("branchline.db");
        TestDatabase {
            url: DatabaseUrl::Sqlite(path),
            cleanup: Cleanup::Dir(dir),
        }
    }

    /// `None` when `TEST_DATABASE_URL` is unset (and CI does not require it).
    pub fn postgres() -> Option<TestDatabase> {
        let admin_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                if std::env::var("BRANCHLINE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!("TEST_DATABASE_URL is not set, and BRANCHLINE_REQUIRE_POSTGRES=1");
                }
                eprintln!("postgres: skipped (TEST_DATABASE_URL is not set)");
                return None;
            }
        };
        let name = unique_name();
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("cannot reach TEST_DATABASE_URL: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let url = with_database(&admin_url, &name);
        Some(TestDatabase {
            url: DatabaseUrl::Postgres(url),
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    pub fn new(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => Some(TestDatabase::sqlite()),
            Backend::Postgres => TestDatabase::postgres(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// The PostgreSQL database's name and the admin URL that created it.
    pub fn postgres_admin(&self) -> Option<(&str, &str)> {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, name } => Some((admin_url, name)),
            Cleanup::Dir(_) => None,
        }
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        self.url.sqlite_path()
    }
}

/// Swaps the database name in a libpq URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

type AppService = BoxService<actix_http::Request, ServiceResponse<BoxBody>, actix_web::Error>;

/// The app, in process, over a fresh migrated database.
pub struct TestApp {
    service: AppService,
    pub state: AppState,
    pub db: Db,
    // Dropped last: the pool above closes before the database goes.
    pub database: TestDatabase,
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        Self::try_new(backend).await.expect("database for the test")
    }

    pub async fn try_new(backend: Backend) -> Option<TestApp> {
        Self::try_with(backend, test_config, |_| {}).await
    }

    /// A test app with adjusted configuration and extra test-only routes.
    pub async fn try_with(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
        routes: fn(&mut ServiceConfig),
    ) -> Option<TestApp> {
        Self::try_build(backend, configure, routes, Vec::new()).await
    }

    /// Like `try_with`, with document types for the approval engine that exist
    /// only in tests.
    pub async fn try_build(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
        routes: fn(&mut ServiceConfig),
        documents: Vec<std::sync::Arc<dyn workflow::ApprovalDocument>>,
    ) -> Option<TestApp> {
        // Server errors are logged with their cause; shown for failing tests only.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn")
            .with_test_writer()
            .try_init();
        let database = TestDatabase::new(backend)?;
        let mut config = Config::from_sources(None, &Default::default()).expect("default config");
        config.database_url = database.url.clone();
        test_config(&mut config);
        configure(&mut config);
        let db = Db::connect(
            database.url.clone(),
            &PoolOptions {
                max_size: 8,
                checkout_timeout: std::time::Duration::from_secs(10),
            },
        )
        .expect("connect to the test database");
        {
            let mut conn = db.pool().get().expect("connection");
            store::migrate::run_pending(&mut conn).expect("migrations");
        }
        let mut state = AppState::new(db.clone(), config);
        for doc in documents {
            state = state.with_document(doc);
        }
        let app = atest::init_service(build_app_with(state.clone(), routes)).await;
        gateway::app::spawn_epoch_watch(db.clone(), state.principals.clone());
        let service = service(app.map(|res: ServiceResponse<_>| res.map_into_boxed_body()));
        Some(TestApp {
            service,
            state,
            db,
            database,
        })
    }

    pub fn backend(&self) -> Backend {
        self.database.backend()
    }

    /// Runs a closure on a pooled connection, for arranging and checking stored state.
    pub fn conn<T>(&self, f: impl FnOnce(&mut AnyConnection) -> T) -> T {
        let mut conn = self.db.pool().get().expect("connection");
        f(&mut conn)
    }

    pub async fn call(&self, req: TestRequest) -> TestResponse {
        let res = self
            .service
            .call(req.peer_addr(peer()).to_request())
            .await
            .expect("service call");
        let status = res.status();
        let headers = res.headers().clone();
        let body = atest::read_body(res).await.to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.call(TestRequest::get().uri(path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        self.call(TestRequest::post().uri(path).set_json(body))
            .await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> TestResponse {
        let body: Vec<u8> = body.into();
        self.call(
            TestRequest::post()
                .uri(path)
                .insert_header(("content-type", content_type))
                .set_payload(body),
        )
        .await
    }
}

fn test_config(config: &mut Config) {
    config.body_limit = 64 * 1024;
    // Every test request comes from one address; the limit has its own test.
    config.rate_limit_per_second = 0;
    config.jwt_secret = Some(gateway::config::Secret::new(TEST_JWT_SECRET));
}

fn peer() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 40000))
}

/// What a client received.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(HeaderName::from_bytes(name.as_bytes()).ok()?)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    }

    /// Asserts a problem+json body with this status and code, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status; body: {}",
            self.text()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type; body: {}",
            self.text()
        );
        let body = self.json();
        assert_eq!(body["code"], code, "code; body: {body}");
        assert_eq!(body["status"], status, "status member; body: {body}");
        assert_eq!(body["type"], format!("urn:branchline:problem:{code}"));
        assert!(
            body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "title; body: {body}"
        );
        assert!(
            body["detail"].as_str().is_some_and(|t| !t.is_empty()),
            "detail; body: {body}"
        );
        body
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status; body: {}",
            self.text()
        );
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }
}

/// The signing key tests configure, so they can forge tokens to prove they fail.
pub const TEST_JWT_SECRET: &str = "test-signing-key-0123456789-abcdefghij";
pub const DEMO_PASSWORD: &str = "branchline-demo";

impl TestApp {
    /// Loads only the demo organization (regions, offices, a user per role), for
    /// tests that count documents and want none but their own.
    pub fn load_demo_org(&self) {
        self.conn(|c| org::demo::load_demo(c).expect("demo organization"));
        self.observe_epoch();
    }

    /// Makes the server see the principal epoch the arranged records moved, as
    /// it sees its own writes: otherwise its watch may learn of it only after a
    /// test's first request cached a caller, and drop that entry under the test.
    fn observe_epoch(&self) {
        let generation = self.conn(|c| store::epoch::read(c).expect("principal epoch"));
        self.db.epoch().observe(generation);
    }

    /// Loads the demo company: the organization and every module's demo records.
    pub fn load_demo(&self) {
        let registry = self.state.documents.clone();
        self.conn(|c| gateway::demo::load(c, &registry).expect("demo company"));
        self.observe_epoch();
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, username: &str) -> String {
        self.login_pair(username, DEMO_PASSWORD).await["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    pub async fn login_pair(&self, username: &str, password: &str) -> Value {
        let res = self
            .post_json(
                "/api/v1/auth/login",
                &json!({"username": username, "password": password}),
            )
            .await;
        res.ok(200)
    }

    pub async fn get_as(&self, token: &str, path: &str) -> TestResponse {
        self.call(
            TestRequest::get()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {token}"))),
        )
        .await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> TestResponse {
        self.call(
            TestRequest::post()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {token}")))
                .set_json(body),
        )
        .await
    }

    /// A POST with `If-Match` (actions on a versioned record).
    pub async fn act_as(&self, token: &str, path: &str, etag: &str, body: &Value) -> TestResponse {
        self.call(
            TestRequest::post()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {token}")))
                .insert_header(("if-match", etag))
                .set_json(body),
        )
        .await
    }

    pub async fn patch_as(
        &self,
        token: &str,
        path: &str,
        etag: &str,
        body: &Value,
    ) -> TestResponse {
        self.call(
            TestRequest::patch()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {token}")))
                .insert_header(("if-match", etag))
                .set_json(body),
        )
        .await
    }

    /// Approves the current step of an approval as `username`, reading its ETag
    /// first; returns the approval after the decision.
    pub async fn approve_as(&self, username: &str, approval: i64) -> Value {
        let token = self.login(username).await;
        let res = self
            .get_as(&token, &format!("/api/v1/approvals/{approval}"))
            .await;
        let etag = res.header("etag").expect("etag").to_owned();
        self.act_as(
            &token,
            &format!("/api/v1/approvals/{approval}/approve"),
            &etag,
            &json!({"comment": "ok"}),
        )
        .await
        .ok(200)
    }

    /// The sales department of a demo office, by the office's code.
    pub fn sales_department(&self, code: &str) -> i64 {
        use diesel::prelude::*;
        use store::schema::departments;
        let office = self.office_id(code);
        self.conn(|c| {
            departments::table
                .filter(departments::office_id.eq(office))
                .filter(departments::kind.eq("sales"))
                .select(departments::id)
                .first(c)
                .expect("the office's sales department")
        })
    }

    /// The id of a demo office by code.
    pub fn office_id(&self, code: &str) -> i64 {
        use diesel::prelude::*;
        use store::schema::offices;
        self.conn(|c| {
            offices::table
                .filter(offices::code.eq(code))
                .select(offices::id)
                .first(c)
                .expect("office")
        })
    }

    /// The id of a user by username.
    pub fn user_id(&self, username: &str) -> i64 {
        use diesel::prelude::*;
        use store::schema::users;
        self.conn(|c| {
            users::table
                .filter(users::username.eq(username))
                .select(users::id)
                .first(c)
                .expect("user")
        })
    }

    /// Audit events stored for one entity, oldest first: (action, actor, acting for, before, after, request id).
    pub fn audit_events(&self, entity_type: &str, entity_id: i64) -> Vec<store::audit::AuditEvent> {
        use diesel::prelude::*;
        use store::schema::audit_events as ae;
        self.conn(|c| {
            ae::table
                .filter(ae::entity_type.eq(entity_type))
                .filter(ae::entity_id.eq(entity_id))
                .select(store::audit::AuditEvent::as_select())
                .order(ae::id.asc())
                .load(c)
                .expect("audit events")
        })
    }
}

/// One record of office B, as routes address it, for the isolation check.
pub struct Isolated<'a> {
    /// A list route whose items carry `id`; the record must not be in it.
    pub list: &'a str,
    /// The record's own route (GET, and PATCH when `patch` is set).
    pub item: String,
    pub id: i64,
    /// A valid PATCH body, when the record can be changed.
    pub patch: Option<Value>,
    /// Actions on the record: (path, body).
    pub actions: Vec<(String, Value)>,
}

/// Proves a caller of office A cannot list, read, change or act on office B's
/// record: it is absent from the list, and every route answers 404 — exactly as
/// for a record that does not exist.
pub async fn assert_isolated(app: &TestApp, token: &str, case: Isolated<'_>) {
    let list = app.get_as(token, case.list).await;
    let body = list.ok(200);
    let ids: Vec<i64> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_i64())
        .collect();
    assert!(
        !ids.contains(&case.id),
        "{} lists foreign record {}: {ids:?}",
        case.list,
        case.id
    );

    app.get_as(token, &case.item)
        .await
        .problem(404, "not_found");
    if let Some(patch) = &case.patch {
        app.patch_as(token, &case.item, "\"1\"", patch)
            .await
            .problem(404, "not_found");
    }
    for (path, body) in &case.actions {
        app.act_as(token, path, "\"1\"", body)
            .await
            .problem(404, "not_found");
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_swapped() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
    }
}
