//! Faults from outside the process, on the real binary:
//! - kill -9 under write load: every write the server acknowledged (201) is
//!   there after a restart, with its audit event (SQLite and PostgreSQL);
//! - the database becoming unreachable (a TCP proxy in front of PostgreSQL is
//!   cut): requests get 503 `database_unavailable` with `Retry-After` within the
//!   pool's checkout timeout, `/readyz` says 503, and when the database is back
//!   the same process answers again without a restart;
//! - three gateway processes on one database: the escalation jobs, which every
//!   replica runs, escalate each overdue approval step once, and each service
//!   request past its deadlines up the chain once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    PgDatabase, ScratchDir, Server, all_items, call, login, on_postgres, on_sqlite, request, spawn,
    start, start_with, wait_ready,
};
use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use serde_json::{Value, json};

// --- kill -9 under write load --------------------------------------------------

const WRITERS: usize = 8;

fn acknowledged_writes_survive_kill_9(url: &str, dir: &std::path::Path) {
    let mut server = start(url, true, dir);
    let rep = login(&server, "gz01.sales_rep");
    let (status, page) = call(
        &server,
        "GET",
        "/api/v1/sales/customers?limit=8",
        &rep,
        None,
    );
    assert_eq!(status, 200, "{page}");
    let customers: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(!customers.is_empty(), "the demo sales rep has customers");
    let today = chrono::Utc::now().date_naive().to_string();

    // Eight clients write interactions, each with its own Idempotency-Key, until
    // the connection fails; what the server answered 201 is kept.
    let acknowledged: Arc<Mutex<Vec<(i64, i64, String)>>> = Arc::default();
    let port = server.port;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (acknowledged, rep, customers, today) = (
                acknowledged.clone(),
                rep.clone(),
                customers.clone(),
                today.clone(),
            );
            std::thread::spawn(move || {
                for n in 0.. {
                    let customer = customers[(w + n) % customers.len()];
                    let summary = format!("kill-9 writer {w} call {n}");
                    let body = json!({"kind": "call", "occurred_on": today, "summary": summary});
                    let key = format!("kill-9-{w}-{n}");
                    let Ok((status, _, res)) = request(
                        port,
                        "POST",
                        &format!("/api/v1/sales/customers/{customer}/interactions"),
                        Some(&rep),
                        Some(&body),
                        &[("Idempotency-Key", &key)],
                    ) else {
                        return;
                    };
                    if status == 201 {
                        let id = res["id"].as_i64().expect("the created interaction's id");
                        acknowledged.lock().unwrap().push((customer, id, summary));
                    }
                }
            })
        })
        .collect();
    // Killed while every writer has a request in flight.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill_9();
    for w in writers {
        w.join().unwrap();
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        acknowledged.len() >= 50,
        "only {} writes were acknowledged before the kill",
        acknowledged.len()
    );

    eprintln!("{} writes acknowledged before kill -9", acknowledged.len());
    let server = start(url, false, dir);
    let admin = login(&server, "hq.admin");
    let mut stored: BTreeMap<i64, String> = BTreeMap::new();
    for customer in &customers {
        for item in all_items(
            &server,
            &format!("/api/v1/sales/customers/{customer}/interactions"),
            &admin,
        ) {
            stored.insert(
                item["id"].as_i64().unwrap(),
                item["summary"].as_str().unwrap_or_default().to_owned(),
            );
        }
    }
    let audited: BTreeSet<i64> = all_items(
        &server,
        "/api/v1/audit-events?entity_type=customer_interaction",
        &admin,
    )
    .iter()
    .filter(|e| e["action"] == "create")
    .map(|e| e["entity_id"].as_i64().unwrap())
    .collect();
    for (customer, id, summary) in &acknowledged {
        assert_eq!(
            stored.get(id),
            Some(summary),
            "interaction {id} of customer {customer} was acknowledged but is not stored"
        );
        assert!(
            audited.contains(id),
            "interaction {id} was acknowledged but its audit event is missing"
        );
    }
    // Nothing is stored without its audit event either (a write the kill cut
    // short is wholly absent or wholly there).
    for id in stored.keys() {
        assert!(audited.contains(id), "interaction {id} has no audit event");
    }
}

#[test]
fn acknowledged_writes_survive_kill_9_on_sqlite() {
    on_sqlite("kill9", acknowledged_writes_survive_kill_9);
}

#[test]
fn acknowledged_writes_survive_kill_9_on_postgres() {
    on_postgres("kill9", acknowledged_writes_survive_kill_9);
}

// --- the database becoming unreachable ------------------------------------------

/// A TCP proxy in front of the database that can be cut (every open
/// connection reset, new ones closed at once) and restored.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (c, o) = (cut.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if c.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                {
                    let mut open = o.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                pump(server, client);
            }
        });
        Proxy { port, cut, open }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// `postgres://user@host:port/name` → ("host:port", the url with `host:port`
/// replaced by `via`).
fn split_host(url: &str, via: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    (host, format!("{scheme}://{user}{via}/{path}"))
}

/// The checkout timeout the server is started with.
const CHECKOUT: Duration = Duration::from_secs(2);
/// What a 503 may take beyond the checkout timeout (scheduling on a busy
/// 2-core machine; the work itself is a failed connection attempt).
const SLACK: Duration = Duration::from_millis(1500);

fn is_unavailable(status: u16, head: &str, body: &Value) -> bool {
    let head = head.to_ascii_lowercase();
    status == 503
        && head.contains("content-type: application/problem+json")
        && head.contains("retry-after:")
        && body["status"] == 503
        && body["code"] == "database_unavailable"
}

#[test]
fn an_unreachable_database_is_a_503_and_the_server_recovers_on_postgres() {
    let Some(db) = PgDatabase::create("unreachable") else {
        return;
    };
    let dir = ScratchDir::new("unreachable");
    let (upstream, _) = split_host(&db.url, "");
    let proxy = Proxy::start(upstream);
    let (_, via_proxy) = split_host(&db.url, &format!("127.0.0.1:{}", proxy.port));
    let secs = CHECKOUT.as_secs().to_string();
    let server = start_with(
        &via_proxy,
        true,
        &dir.0,
        &[("BRANCHLINE_DB_CHECKOUT_TIMEOUT_SECS", &secs)],
    );
    let director = login(&server, "gz01.office_director");
    let customers = "/api/v1/sales/customers?limit=5";
    let (status, page) = call(&server, "GET", customers, &director, None);
    assert_eq!(status, 200, "{page}");
    let customer = page["items"][0]["id"].as_i64().unwrap();

    proxy.cut();
    let started = Instant::now();
    let (status, head, body) =
        request(server.port, "GET", customers, Some(&director), None, &[]).unwrap();
    let took = started.elapsed();
    assert!(
        is_unavailable(status, &head, &body),
        "{status} {head} {body}"
    );
    assert!(took <= CHECKOUT + SLACK, "the 503 took {took:?}");
    eprintln!("503 database_unavailable after {took:?}");

    // A write is refused the same way and leaves nothing behind.
    let write = format!("/api/v1/sales/customers/{customer}/interactions");
    let interaction = json!({"kind": "call", "occurred_on": "2026-01-05", "summary": "while cut"});
    let post = || {
        request(
            server.port,
            "POST",
            &write,
            Some(&director),
            Some(&interaction),
            &[("Idempotency-Key", "written-while-cut")],
        )
        .unwrap()
    };
    let (status, head, body) = post();
    assert!(
        is_unavailable(status, &head, &body),
        "{status} {head} {body}"
    );

    let (status, head, body) = request(server.port, "GET", "/readyz", None, None, &[]).unwrap();
    assert!(
        is_unavailable(status, &head, &body),
        "{status} {head} {body}"
    );
    // The process itself still answers what needs no database.
    let (status, _, _) = request(server.port, "GET", "/healthz", None, None, &[]).unwrap();
    assert_eq!(status, 200);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, _, body) =
            request(server.port, "GET", customers, Some(&director), None, &[]).unwrap();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not recovered 15 s after the database came back: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, _, body) = request(server.port, "GET", "/readyz", None, None, &[]).unwrap();
    assert_eq!(status, 200, "{body}");
    // The refused write is absent, and the same key now does the work once.
    let items = all_items(&server, &write, &director);
    assert!(
        !items.iter().any(|i| i["summary"] == "while cut"),
        "a write refused with 503 was stored"
    );
    let (status, _, body) = post();
    assert_eq!(status, 201, "{body}");
    let items = all_items(&server, &write, &director);
    assert_eq!(
        items.iter().filter(|i| i["summary"] == "while cut").count(),
        1
    );
}

// --- background jobs with three replicas -----------------------------------------

const TRIPS: usize = 120;

/// A direct connection to the test's database, to set the clock's hands and
/// to count what the jobs did.
enum Db {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl Db {
    fn open(url: &str) -> Db {
        match url.strip_prefix("sqlite://") {
            Some(path) => {
                let mut c = SqliteConnection::establish(path).unwrap();
                c.batch_execute("PRAGMA busy_timeout = 15000").unwrap();
                Db::Sqlite(c)
            }
            None => Db::Pg(PgConnection::establish(url).unwrap()),
        }
    }

    fn execute(&mut self, sql: &str) {
        match self {
            Db::Pg(c) => c.batch_execute(sql),
            Db::Sqlite(c) => c.batch_execute(sql),
        }
        .unwrap();
    }

    fn count(&mut self, sql: &str) -> i64 {
        let query = diesel::select(diesel::dsl::sql::<BigInt>(&format!("({sql})")));
        match self {
            Db::Pg(c) => query.get_result(c),
            Db::Sqlite(c) => query.get_result(c),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// Overdue steps whose approver has a level above (the trips' department
/// supervisor has: the office director).
const OVERDUE_SUPERVISOR_STEPS: &str = "SELECT COUNT(*) FROM approval_steps \
     WHERE status = 'pending' AND approver_kind = 'department_supervisor' \
     AND due_at < '2001-01-01 00:00:00'";

fn the_escalation_job_escalates_once_with_three_replicas(url: &str, dir: &std::path::Path) {
    let first = start(url, true, dir);
    let rep = login(&first, "gz01.sales_rep");
    let day = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    let trip = json!({"destination": "Shanghai", "purpose": "escalation", "starts_on": day,
        "ends_on": day, "estimated_cost": 100000});
    for _ in 0..TRIPS {
        let (status, res) = call(&first, "POST", "/api/v1/personnel/trips", &rep, Some(&trip));
        assert_eq!(status, 201, "{res}");
    }
    drop(first);

    // Every waiting step is made overdue; the job takes up to 200 a run.
    let mut db = Db::open(url);
    db.execute(
        "UPDATE approval_steps SET due_at = '2000-01-01 00:00:00' \
         WHERE status = 'pending' AND escalation_level = 0",
    );
    let overdue = db.count(
        "SELECT COUNT(*) FROM approval_steps s JOIN approval_instances i ON i.id = s.instance_id \
         WHERE s.status = 'pending' AND i.status = 'pending'",
    );
    assert!(
        overdue >= TRIPS as i64 && overdue <= 200,
        "{overdue} overdue steps"
    );
    assert!(db.count(OVERDUE_SUPERVISOR_STEPS) >= TRIPS as i64);
    let before = escalations(&mut db);

    // Three replicas start together; each runs the job as it starts.
    let replicas: Vec<Server> = (0..3).map(|_| spawn(url, false, dir, &[])).collect();
    for r in &replicas {
        wait_ready(r);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.count(OVERDUE_SUPERVISOR_STEPS) > 0 {
        assert!(
            Instant::now() < deadline,
            "the overdue steps were not escalated"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Let every replica's first run finish.
    std::thread::sleep(Duration::from_secs(3));
    drop(replicas);

    // Each step made overdue moved up once: one level, one audit event, one
    // history entry.
    let after = escalations(&mut db);
    let escalated = after[0] - before[0];
    assert!(escalated >= TRIPS as i64, "{escalated} steps escalated");
    assert_eq!(after[1] - before[1], 0, "a step was escalated twice");
    assert_eq!(after[2] - before[2], escalated, "one audit event each");
    assert_eq!(after[3] - before[3], escalated, "one history entry each");
}

/// Steps escalated at least once and more than once; escalations in the audit
/// trail and in the approvals' history.
fn escalations(db: &mut Db) -> [i64; 4] {
    [
        "SELECT COUNT(*) FROM approval_steps WHERE escalation_level > 0",
        "SELECT COUNT(*) FROM approval_steps WHERE escalation_level > 1",
        "SELECT COUNT(*) FROM audit_events WHERE action = 'escalate' AND entity_type = 'approval'",
        "SELECT COUNT(*) FROM approval_decisions WHERE action = 'escalate'",
    ]
    .map(|sql| db.count(sql))
}

#[test]
fn the_escalation_job_escalates_once_with_three_replicas_on_sqlite() {
    on_sqlite(
        "jobs",
        the_escalation_job_escalates_once_with_three_replicas,
    );
}

#[test]
fn the_escalation_job_escalates_once_with_three_replicas_on_postgres() {
    on_postgres(
        "jobs",
        the_escalation_job_escalates_once_with_three_replicas,
    );
}

// --- service requests escalated by racing replicas ------------------------------

const REQUESTS: usize = 40;

/// Counts over the test's requests (subject `race`).
fn request_escalations(db: &mut Db) -> [i64; 4] {
    [
        "SELECT COUNT(*) FROM service_requests WHERE subject = 'race' AND escalation_level = 3",
        "SELECT COUNT(*) FROM service_request_events e JOIN service_requests r ON r.id = e.request_id \
         WHERE r.subject = 'race' AND e.kind = 'escalated'",
        "SELECT COUNT(*) FROM audit_events a JOIN service_requests r ON r.id = a.entity_id \
         WHERE a.entity_type = 'service_request' AND a.action = 'escalate' AND r.subject = 'race'",
        "SELECT COUNT(*) FROM notifications n JOIN service_requests r ON r.id = n.entity_id \
         WHERE n.entity_type = 'service_request' AND r.subject = 'race'",
    ]
    .map(|sql| db.count(sql))
}

fn service_requests_escalate_once_with_three_replicas(url: &str, dir: &std::path::Path) {
    let first = start(url, true, dir);
    let agent = login(&first, "gz01.service_agent");
    let customers = all_items(&first, "/api/v1/sales/customers", &agent);
    let customer = customers[0]["id"].as_i64().unwrap();
    let body = json!({"kind": "complaint", "customer_id": customer, "channel": "phone",
        "category": "race", "subject": "race", "content": "escalation race"});
    for _ in 0..REQUESTS {
        let (status, res) = call(
            &first,
            "POST",
            "/api/v1/after-sales/service-requests",
            &agent,
            Some(&body),
        );
        assert_eq!(status, 201, "{res}");
    }
    drop(first);

    // Every point of the chain is made past: each request is due for level 3.
    let mut db = Db::open(url);
    db.execute(
        "UPDATE service_requests SET response_due_at = '2000-01-01 00:00:00', \
         warn_at = '2000-01-01 00:00:00', resolution_due_at = '2000-01-01 00:00:00', \
         hq_at = '2000-01-01 00:00:00' WHERE subject = 'race'",
    );
    assert_eq!(request_escalations(&mut db), [0, 0, 0, 0]);

    let replicas: Vec<Server> = (0..3).map(|_| spawn(url, false, dir, &[])).collect();
    for r in &replicas {
        wait_ready(r);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while request_escalations(&mut db)[0] < REQUESTS as i64 {
        assert!(Instant::now() < deadline, "the requests were not escalated");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(3));
    drop(replicas);

    // Each request went up the whole chain once: three history entries (the
    // sales department's supervisor, the director, HQ's customer service),
    // one audit event, one notice to each of the three.
    let n = REQUESTS as i64;
    assert_eq!(request_escalations(&mut db), [n, 3 * n, n, 3 * n]);
}

#[test]
fn service_requests_escalate_once_with_three_replicas_on_sqlite() {
    on_sqlite("srjobs", service_requests_escalate_once_with_three_replicas);
}

#[test]
fn service_requests_escalate_once_with_three_replicas_on_postgres() {
    on_postgres("srjobs", service_requests_escalate_once_with_three_replicas);
}
