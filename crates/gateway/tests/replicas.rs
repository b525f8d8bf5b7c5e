//! Two `branchline serve` processes on one database, as two replicas run: each
//! caches the callers it resolved, and a change to who may do what made through
//! one takes effect at once on that one and within the stated bound (2 s) on the
//! other — a deactivated user, an ended role assignment, an ended acting
//! assignment — while a closed office takes no new record on either at once. On
//! SQLite (one file) and on PostgreSQL (when `TEST_DATABASE_URL` is set).

mod common;

use std::time::{Duration, Instant};

use common::{Server, call, login, on_postgres, on_sqlite, start, try_call};
use serde_json::json;

/// How soon another replica must follow a change (docs/scaling.md).
const BOUND: Duration = Duration::from_secs(2);

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
    on_sqlite("replicas", replicas_follow_changes);
}

#[test]
fn replicas_follow_changes_on_postgres() {
    on_postgres("replicas", replicas_follow_changes);
}
