//! Two `branchline serve` processes on one database, as two replicas run: each
//! caches the callers it resolved, and a change to who may do what made through
//! one takes effect at once on that one and within the stated bound (2 s) on the
//! other — a deactivated user, an ended role assignment, an ended acting
//! assignment — while a closed office takes no new record on either at once. On
//! SQLite (one file) and on PostgreSQL (when `TEST_DATABASE_URL` is set).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_branchline");
const SECRET: &str = "replicas-test-secret-of-at-least-32-bytes";
/// How soon another replica must follow a change (docs/scaling.md).
const BOUND: Duration = Duration::from_secs(2);

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(url: &str, demo: bool, dir: &std::path::Path) -> Server {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve");
    if demo {
        cmd.arg("--demo");
    }
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("BRANCHLINE_")) {
        cmd.env_remove(k);
    }
    let child = cmd
        .env("BRANCHLINE_DATABASE_URL", url)
        .env("BRANCHLINE_BIND", format!("127.0.0.1:{port}"))
        .env("BRANCHLINE_JWT_SECRET", SECRET)
        .env("BRANCHLINE_LOG", "warn")
        .env("BRANCHLINE_WORKERS", "2")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start branchline");
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = try_call(&server, "GET", "/readyz", None, None, &[]) {
            return server;
        }
        assert!(Instant::now() < deadline, "the server did not get ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One HTTP/1.1 request on a fresh connection: (status, JSON body or null).
fn try_call(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        payload.len()
    );
    if body.is_some() {
        req.push_str("Content-Type: application/json\r\n");
    }
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&payload);
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

fn call(
    server: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    try_call(server, method, path, Some(token), body, &[]).expect("request")
}

fn login(server: &Server, username: &str) -> String {
    let body = json!({"username": username, "password": "branchline-demo"});
    let (status, res) =
        try_call(server, "POST", "/api/v1/auth/login", None, Some(&body), &[]).unwrap();
    assert_eq!(status, 200, "{username}: {res}");
    res["access_token"].as_str().unwrap().to_owned()
}

fn user_id(server: &Server, admin: &str, username: &str) -> (i64, i64) {
    let (_, page) = call(
        server,
        "GET",
        &format!("/api/v1/org/users?q={username}"),
        admin,
        None,
    );
    let user = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username}: {page}"));
    (
        user["id"].as_i64().unwrap(),
        user["version"].as_i64().unwrap(),
    )
}

/// Polls `check` on `server` until it answers `want`; the time it took.
fn follows(server: &Server, what: &str, want: u16, check: impl Fn(&Server) -> u16) -> Duration {
    let started = Instant::now();
    loop {
        let got = check(server);
        if got == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < BOUND,
            "{what}: still {got} after {:?} on the other replica",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn replicas_follow_changes(url: &str, dir: &std::path::Path) {
    let a = start(url, true, dir);
    let b = start(url, false, dir);
    let admin = login(&a, "hq.admin");

    // A deactivated user: refused at once on A, within the bound on B.
    let staff = login(&a, "gz01.staff");
    let me = |s: &Server| call(s, "GET", "/api/v1/me", &staff, None).0;
    assert_eq!((me(&a), me(&b)), (200, 200));
    let (id, version) = user_id(&a, &admin, "gz01.staff");
    let etag = format!("\"{version}\"");
    let (status, res) = try_call(
        &a,
        "PATCH",
        &format!("/api/v1/org/users/{id}"),
        Some(&admin),
        Some(&json!({"active": false})),
        &[("If-Match", &etag)],
    )
    .unwrap();
    assert_eq!(status, 200, "{res}");
    assert_eq!(me(&a), 401);
    follows(&b, "deactivated user", 401, me);

    // An ended role assignment: the sales rep's customers, then 403.
    let rep = login(&a, "gz01.sales_rep");
    let customers = |s: &Server| call(s, "GET", "/api/v1/sales/customers", &rep, None).0;
    assert_eq!((customers(&a), customers(&b)), (200, 200));
    let (rep_id, _) = user_id(&a, &admin, "gz01.sales_rep");
    let (_, page) = call(
        &a,
        "GET",
        &format!("/api/v1/org/role-assignments?user_id={rep_id}"),
        &admin,
        None,
    );
    let assignment = page["items"][0]["id"].as_i64().unwrap();
    let (status, res) = call(
        &a,
        "POST",
        &format!("/api/v1/org/role-assignments/{assignment}/end"),
        &admin,
        Some(&json!({})),
    );
    assert_eq!(status, 200, "{res}");
    assert_eq!(customers(&a), 403);
    follows(&b, "ended assignment", 403, customers);

    // An acting assignment (代行): the deputy acts for the director, then no more.
    let deputy = login(&a, "gz01.deputy_director");
    let can_manage_budgets = |s: &Server| {
        let (_, me) = call(s, "GET", "/api/v1/me", &deputy, None);
        let held = me["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "budget:manage");
        if held { 200 } else { 403 }
    };
    assert_eq!((can_manage_budgets(&a), can_manage_budgets(&b)), (403, 403));
    let (deputy_id, _) = user_id(&a, &admin, "gz01.deputy_director");
    let (director_id, _) = user_id(&a, &admin, "gz01.office_director");
    let (_, offices) = call(&a, "GET", "/api/v1/org/offices?limit=200", &admin, None);
    let gz = offices["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["code"] == "GZ01")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let (status, acting) = call(
        &a,
        "POST",
        "/api/v1/org/role-assignments",
        &admin,
        Some(&json!({
        "user_id": deputy_id, "role": "office_director", "scope_kind": "office", "scope_id": gz,
        "valid_from": today, "valid_to": today + chrono::Days::new(7), "acting_for_user_id": director_id})),
    );
    assert_eq!(status, 201, "{acting}");
    assert_eq!(can_manage_budgets(&a), 200);
    follows(&b, "acting assignment granted", 200, can_manage_budgets);
    let acting = acting["id"].as_i64().unwrap();
    let (status, res) = call(
        &a,
        "POST",
        &format!("/api/v1/org/role-assignments/{acting}/end"),
        &admin,
        Some(&json!({})),
    );
    assert_eq!(status, 200, "{res}");
    assert_eq!(can_manage_budgets(&a), 403);
    follows(&b, "acting assignment ended", 403, can_manage_budgets);

    // A closed office takes no new record, on either replica, at once.
    let sz_director = login(&b, "sz01.office_director");
    let network = login(&a, "hq.network_manager");
    let sz = offices["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["code"] == "SZ01")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, request) = call(
        &a,
        "POST",
        "/api/v1/org/office-requests",
        &network,
        Some(&json!({
        "kind": "close", "office_id": sz, "reason": "merged into GZ01", "effective_date": today})),
    );
    assert_eq!(status, 201, "{request}");
    let approval = request["approval_id"].as_i64().unwrap();
    let executive = login(&a, "hq.executive");
    let (_, state) = call(
        &a,
        "GET",
        &format!("/api/v1/approvals/{approval}"),
        &executive,
        None,
    );
    let (status, decided) = try_call(
        &a,
        "POST",
        &format!("/api/v1/approvals/{approval}/approve"),
        Some(&executive),
        Some(&json!({})),
        &[("If-Match", &format!("\"{}\"", state["version"]))],
    )
    .unwrap();
    assert_eq!(status, 200, "{decided}");
    let customer = json!({"name": "深圳新客戶有限公司", "classification": "potential"});
    let (status, refused) = call(
        &b,
        "POST",
        "/api/v1/sales/customers",
        &sz_director,
        Some(&customer),
    );
    assert_eq!(
        (status, refused["code"].clone()),
        (409, json!("invalid_transition")),
        "{refused}"
    );
}

#[test]
fn replicas_follow_changes_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("branchline-replicas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("branchline.db").display());
    replicas_follow_changes(&url, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replicas_follow_changes_on_postgres() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        assert_ne!(
            std::env::var("BRANCHLINE_REQUIRE_POSTGRES").as_deref(),
            Ok("1"),
            "TEST_DATABASE_URL is not set, and BRANCHLINE_REQUIRE_POSTGRES=1"
        );
        eprintln!("postgres: skipped (TEST_DATABASE_URL is not set)");
        return;
    };
    let name = format!("bl_replicas_{}", std::process::id());
    let mut admin = PgConnection::establish(&admin_url).expect("TEST_DATABASE_URL");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let dir = std::env::temp_dir().join(format!("branchline-replicas-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    replicas_follow_changes(&url, &dir);
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
}
