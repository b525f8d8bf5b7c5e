//! The security battery, generated from the served contract and the demo's role
//! table, never from a hand list: a route is covered the day it lands.
//!
//! - **Records of another office** (BOLA): every operation with path parameters
//!   is tried on a record of office A by every office-scoped user of office B.
//!   Each must answer exactly as for a record that does not exist, never with
//!   success, and the record reads the same afterwards.
//! - **References in bodies**: every `*_id` field of every request body is sent
//!   with a record of office A and with one that does not exist, by every
//!   office-scoped user of office B: the same answer, never success.
//! - **Functions a role lacks** (BFLA): each mutating operation's permission is
//!   learned from a user holding no role (the 403 names it); every demo user of
//!   office A and HQ who lacks it is refused 403, and nothing is written. The
//!   operations no permission guards are listed in `UNGUARDED`, with why.
//! - **Mass assignment**: every field a resource's answer has and its request
//!   body does not (`id`, `status`, `version`, ...) is refused when sent.
//! - **Answers**: every answer seen above has a status its operation documents;
//!   every error is problem+json whose `status` is the HTTP status and whose
//!   `code` is a documented one.
//!   Every answer carries the security headers.
//! - **Audit**: none of the refused calls above writes an audit event.
//!
//! Office A is GZ01 and office B is SH01, in different regions. Records are found
//! through the API: each path parameter's collection (the path before it) is
//! listed by the users of office A until one of its items is A's.

mod checks;
mod harness;

use std::collections::BTreeSet;

use actix_web::get;
use branchline_tests::{TestApp, db_test};
use diesel::prelude::*;
use serde_json::Value;

use harness::{Battery, MISSING};

/// The demo-less user the battery makes, holding no role.
const NOBODY: &str = "battery.nobody";

/// Mutating operations that no permission guards, each with the reason. Every
/// other one must answer a user without the permission 403.
const UNGUARDED: &[(&str, &str)] = &[
    (
        "POST /api/v1/auth/login",
        "signing in: a password is the credential",
    ),
    (
        "POST /api/v1/auth/refresh",
        "a refresh token is its own credential",
    ),
    ("POST /api/v1/auth/logout", "ending one's own session"),
    ("POST /api/v1/me/password", "one's own password"),
    (
        "POST /api/v1/me/notifications/{id}/read",
        "one's own notification",
    ),
    (
        "POST /api/v1/approvals/{id}/approve",
        "decided by whom the step waits for",
    ),
    (
        "POST /api/v1/approvals/{id}/reject",
        "decided by whom the step waits for",
    ),
    (
        "POST /api/v1/approvals/{id}/return",
        "decided by whom the step waits for",
    ),
    (
        "POST /api/v1/approvals/{id}/withdraw",
        "the applicant's own request",
    ),
    (
        "POST /api/v1/personnel/employees/{id}/probation-evaluations",
        "the mentor and the manager on the file evaluate whatever their role",
    ),
    (
        "POST /api/v1/personnel/trips",
        "anyone of an office applies for their own trip",
    ),
    (
        "POST /api/v1/personnel/trips/{id}/report",
        "the traveller's own trip",
    ),
    (
        "POST /api/v1/finance/expense-pre-approvals",
        "anyone of an office asks before spending",
    ),
    (
        "POST /api/v1/finance/expense-claims",
        "anyone of an office files their own claim",
    ),
    (
        "PATCH /api/v1/finance/expense-claims/{id}",
        "the claimant's own draft",
    ),
    (
        "POST /api/v1/finance/expense-claims/{id}/submit",
        "the claimant's own draft",
    ),
    (
        "POST /api/v1/after-sales/follow-ups/{id}/complete",
        "its assignee, the department's supervisor, records the result",
    ),
    (
        "POST /api/v1/risk/measures/{id}/complete",
        "its owner, whoever they are, records the evidence",
    ),
];

fn report(section: &str, (failures, covered): (Vec<String>, usize), at_least: usize) {
    eprintln!(
        "battery: {section}: {covered} cases, {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{section}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(covered >= at_least, "{section}: only {covered} cases");
}

db_test! {
    async fn the_battery_holds_for_every_operation_of_the_contract(app) {
        app.load_demo();
        // A user of office A who holds no role: what it is refused names each
        // operation's permission.
        let admin = app.login("hq.admin").await;
        app.post_as(&admin, "/api/v1/org/users", &serde_json::json!({
            "username": NOBODY, "display_name": "No role", "password": "branchline-demo",
            "office_id": app.office_id("GZ01")})).await.ok(201);
        let battery = Battery::new(&app).await;
        assert!(battery.intruders.len() >= 5, "office B's users: {:?}", battery.intruders);
        report("records of another office", battery.records_of_another_office().await, 60);
        report("references to another office", battery.references_to_another_office().await, 10);
        report("server-owned fields", battery.server_owned_fields().await, 50);
        let (failures, covered, unguarded) = battery.functions_a_role_lacks(NOBODY).await;
        let expected: BTreeSet<String> = UNGUARDED.iter().map(|(op, _)| (*op).to_owned()).collect();
        assert_eq!(
            unguarded, expected,
            "the operations no permission guards are not the ones listed in UNGUARDED"
        );
        report("functions a role lacks", (failures, covered), 200);
        report("answers", battery.answers(), 1000);
    }
}

/// A list and a record route written without the scoped mechanisms, documenting
/// no error: any customer, whoever asks.
#[utoipa::path(responses((status = 200, description = "every customer", body = kernel::Page<i64>)))]
#[get("/test/leaky")]
async fn leaky_list(
    db: actix_web::web::Data<store::Db>,
    _p: kernel::Principal,
) -> Result<actix_web::HttpResponse, kernel::ApiError> {
    use store::schema::customers;
    let rows: Vec<(i64, i64)> = db
        .run(|c| {
            customers::table
                .select((customers::id, customers::office_id))
                .load(c)
                .map_err(store::db_error)
        })
        .await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(id, office)| serde_json::json!({"id": id, "office_id": office}))
        .collect();
    Ok(
        actix_web::HttpResponse::Ok()
            .json(serde_json::json!({"items": items, "next_cursor": null})),
    )
}

#[utoipa::path(params(("id" = i64, Path)), responses((status = 200, description = "any customer")))]
#[get("/test/leaky/{id}")]
async fn leaky_record(
    db: actix_web::web::Data<store::Db>,
    _p: kernel::Principal,
    id: actix_web::web::Path<i64>,
) -> Result<actix_web::HttpResponse, kernel::ApiError> {
    use store::schema::customers;
    let id = id.into_inner();
    let (id, office): (i64, i64) = db
        .run(move |c| {
            customers::table
                .find(id)
                .select((customers::id, customers::office_id))
                .first(c)
                .map_err(store::db_error)
        })
        .await?;
    Ok(actix_web::HttpResponse::Ok().json(serde_json::json!({"id": id, "office_id": office})))
}

fn leaky_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(leaky_list).service(leaky_record);
}

/// A route added without scope and without documented errors fails the battery
/// with no test written for it.
#[actix_web::test]
async fn a_route_without_scope_or_documented_errors_fails_the_battery() {
    let app = TestApp::try_with(store::Backend::Sqlite, |_| {}, leaky_routes)
        .await
        .unwrap();
    app.load_demo();
    let battery = Battery::new(&app).await;
    let (failures, _) = battery.records_of_another_office().await;
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with("GET /test/leaky/") && f.contains("was answered 200")),
        "the unscoped record route went unnoticed: {failures:#?}"
    );
    assert!(
        failures.iter().all(|f| f.contains("/test/leaky")),
        "{failures:#?}"
    );
    let (failures, _) = battery.answers();
    assert!(
        failures.iter().any(
            |f| f.starts_with("GET /test/leaky/{id}: answered 404, which it does not document")
        ),
        "the undocumented 404 went unnoticed: {failures:#?}"
    );
}

db_test! {
    /// No one grants beyond their own level or offices, for every built-in role
    /// (from `GET /org/roles`) and every office user who may assign roles: an
    /// office role in their own office is granted; a region- or company-level
    /// role is refused (403); any role in another office is answered as in an
    /// office that does not exist, and nothing is stored.
    async fn no_one_grants_a_role_beyond_their_own_level_or_offices(app) {
        use store::schema::{role_assignments as ra, users};
        app.load_demo();
        let roles = app.get_as(&app.login("hq.admin").await, "/api/v1/org/roles").await.ok(200);
        let roles = roles.as_array().unwrap().clone();
        assert!(roles.len() >= 15, "{roles:?}");
        let (gz, sh) = (app.office_id("GZ01"), app.office_id("SH01"));
        let office_users: Vec<String> = app.conn(|c| {
            users::table
                .filter(users::office_id.eq(gz))
                .select(users::username)
                .order(users::id)
                .load(c)
                .unwrap()
        });
        let staff = app.user_id("gz01.staff");
        let region = app.get_as(&app.login("hq.admin").await, &format!("/api/v1/org/offices/{gz}")).await.ok(200)["region_id"].as_i64().unwrap();
        let mut granters = 0;
        let mut cases = 0;
        for username in &office_users {
            let token = app.login(username).await;
            let me = app.get_as(&token, "/api/v1/me").await.ok(200);
            if !me["permissions"].as_array().unwrap().contains(&serde_json::json!("role_assignment:manage")) {
                continue;
            }
            granters += 1;
            for role in &roles {
                let code = role["code"].as_str().unwrap();
                let level = role["level"].as_str().unwrap();
                let body = |kind: &str, scope: Option<i64>| {
                    serde_json::json!({"user_id": staff, "role": code, "scope_kind": kind, "scope_id": scope, "valid_from": "2026-01-01", "valid_to": "2099-12-31"})
                };
                let stored = || app.conn(|c| ra::table.filter(ra::user_id.eq(staff)).count().get_result::<i64>(c).unwrap());
                let before = stored();
                match level {
                    "company" | "region" => {
                        let scope = (level == "region").then_some(region);
                        let res = app.post_as(&token, "/api/v1/org/role-assignments", &body(level, scope)).await;
                        assert_eq!(res.status, 403, "{username} granted {code} ({level}): {}", res.text());
                        assert_eq!(stored(), before, "{username}: {code} stored");
                    }
                    _ => {
                        let foreign = app.post_as(&token, "/api/v1/org/role-assignments", &body("office", Some(sh))).await;
                        let missing = app.post_as(&token, "/api/v1/org/role-assignments", &body("office", Some(MISSING))).await;
                        assert_eq!(
                            (foreign.status, foreign.json()["errors"].clone()),
                            (missing.status, missing.json()["errors"].clone()),
                            "{username} granting {code} in SH01: {} / {}", foreign.text(), missing.text()
                        );
                        assert!(!foreign.status.is_success());
                        assert_eq!(stored(), before, "{username}: {code} stored in SH01");
                        let own = app.post_as(&token, "/api/v1/org/role-assignments", &body("office", Some(gz))).await;
                        // One director per office: the second is a 409.
                        assert!(own.status == 201 || (code == "office_director" && own.status == 409), "{username} granting {code} in GZ01: {}", own.text());
                    }
                }
                cases += 1;
            }
        }
        eprintln!("battery: grants: {granters} granters x {} roles, {cases} cases", roles.len());
        assert!(granters >= 1 && cases >= 15);
    }
}
