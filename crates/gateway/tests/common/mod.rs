//! What the process-level tests share: `branchline serve` started as a child
//! process on a free port, raw HTTP/1.1 round trips, a scratch directory and a
//! PostgreSQL database of the test's own (when `TEST_DATABASE_URL` is set).
#![allow(dead_code)] // each test file uses its own part of it

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_branchline");
pub const SECRET: &str = "process-tests-secret-of-at-least-32-bytes";

pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// SIGKILL: no shutdown, no flush, as a crash or an OOM kill.
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_9();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a server and waits until `/readyz` answers 200.
pub fn start(url: &str, demo: bool, dir: &Path) -> Server {
    start_with(url, demo, dir, &[])
}

/// [`start`] with more environment (`BRANCHLINE_*` settings).
pub fn start_with(url: &str, demo: bool, dir: &Path, env: &[(&str, &str)]) -> Server {
    let server = spawn(url, demo, dir, env);
    wait_ready(&server);
    server
}

/// Starts a server without waiting for it.
pub fn spawn(url: &str, demo: bool, dir: &Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve");
    if demo {
        cmd.arg("--demo");
    }
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("BRANCHLINE_")) {
        cmd.env_remove(k);
    }
    cmd.env("BRANCHLINE_DATABASE_URL", url)
        .env("BRANCHLINE_BIND", format!("127.0.0.1:{port}"))
        .env("BRANCHLINE_JWT_SECRET", SECRET)
        .env("BRANCHLINE_LOG", "warn")
        .env("BRANCHLINE_WORKERS", "2")
        .env("BRANCHLINE_RATE_LIMIT_PER_SECOND", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start branchline");
    Server { child, port }
}

pub fn wait_ready(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = try_call(server, "GET", "/readyz", None, None, &[]) {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not get ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One HTTP/1.1 request on a fresh connection: (status, head, JSON body or null).
/// The head's header names are as sent; search it lowercased.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
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
    if status == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "no HTTP answer",
        ));
    }
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((
        status,
        head.to_owned(),
        serde_json::from_str(&body).unwrap_or(Value::Null),
    ))
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

/// [`request`] without the head.
pub fn try_call(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, Value)> {
    request(server.port, method, path, token, body, headers).map(|(s, _, b)| (s, b))
}

pub fn call(
    server: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    try_call(server, method, path, Some(token), body, &[]).expect("request")
}

/// A demo user's access token.
pub fn login(server: &Server, username: &str) -> String {
    let body = json!({"username": username, "password": "branchline-demo"});
    let (status, res) =
        try_call(server, "POST", "/api/v1/auth/login", None, Some(&body), &[]).unwrap();
    assert_eq!(status, 200, "{username}: {res}");
    res["access_token"].as_str().unwrap().to_owned()
}

/// Every item of a paged collection, following `next_cursor`.
pub fn all_items(server: &Server, path: &str, token: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
            None => format!("{path}{sep}limit=200"),
        };
        let (status, page) = call(server, "GET", &page_path, token, None);
        assert_eq!(status, 200, "{page_path}: {page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

/// A directory of the test's own, removed afterwards.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new(name: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("branchline-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        ScratchDir(dir)
    }

    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.0.join("branchline.db").display())
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `test` with the URL of a new SQLite file and a scratch directory.
pub fn on_sqlite(name: &str, test: impl FnOnce(&str, &Path)) {
    let dir = ScratchDir::new(name);
    test(&dir.sqlite_url(), &dir.0);
}

/// Runs `test` with the URL of a new PostgreSQL database and a scratch
/// directory; skips when `TEST_DATABASE_URL` is not set (see [`PgDatabase`]).
pub fn on_postgres(name: &str, test: impl FnOnce(&str, &Path)) {
    let Some(db) = PgDatabase::create(name) else {
        return;
    };
    let dir = ScratchDir::new(&format!("{name}-pg"));
    test(&db.url, &dir.0);
}

/// A PostgreSQL database of the test's own on the server `TEST_DATABASE_URL`
/// names, dropped afterwards; `None` (the test skips) when it is not set,
/// unless `BRANCHLINE_REQUIRE_POSTGRES=1`.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(name: &str) -> Option<PgDatabase> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            assert_ne!(
                std::env::var("BRANCHLINE_REQUIRE_POSTGRES").as_deref(),
                Ok("1"),
                "TEST_DATABASE_URL is not set, and BRANCHLINE_REQUIRE_POSTGRES=1"
            );
            eprintln!("postgres: skipped (TEST_DATABASE_URL is not set)");
            return None;
        };
        let name = format!("bl_{name}_{}", std::process::id());
        let mut admin = PgConnection::establish(&admin_url).expect("TEST_DATABASE_URL");
        // One statement each: neither may run inside a transaction block.
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
        Some(PgDatabase {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
