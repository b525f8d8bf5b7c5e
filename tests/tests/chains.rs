//! No approval chain waits for someone who may not decide it, on both backends:
//! every built-in policy with every built-in role as submitter (below), and an
//! expense claim, the real document, filed by every office role.
//! An expense claim is filed by every role of an office in turn and decided by
//! whoever's inbox holds it, until it is approved: every pending step must be in
//! somebody's inbox, and the approval must end approved. (The office's only
//! operations specialist once saw their preliminary review move to the director,
//! who approved it and then could not decide the director step.)

use std::sync::Arc;

use actix_web::{HttpResponse, post, web};
use branchline_tests::{Backend, TestApp, TestResponse, db_test, json};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kernel::{Actor, ApiError, Principal};
use serde_json::Value;
use store::{AnyConnection, Db, DbResultExt};
use utoipa_actix_web::service_config::ServiceConfig;
use workflow::{ApprovalDocument, DocumentInfo, PolicyDef, Registry};

const OFFICE_ROLES: [&str; 10] = [
    "office_director",
    "deputy_director",
    "department_supervisor",
    "operations_specialist",
    "sales_rep",
    "market_specialist",
    "service_agent",
    "support_engineer",
    "service_engineer",
    "staff",
];

async fn inbox_ids(app: &TestApp, token: &str) -> Vec<i64> {
    app.get_as(token, "/api/v1/approvals/inbox?limit=200")
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["approval_id"].as_i64())
        .collect()
}

db_test! {
    async fn every_office_role_s_claim_goes_through_to_approval(app) {
        app.load_demo_org();
        let mut users: Vec<(String, String)> = Vec::new();
        for name in ["hq.finance", "hq.executive", "south.regional_manager"]
            .into_iter().map(str::to_owned).chain(OFFICE_ROLES.iter().map(|r| format!("gz01.{r}")))
        {
            let token = app.login(&name).await;
            users.push((name, token));
        }
        for (n, role) in OFFICE_ROLES.iter().enumerate() {
            let submitter = format!("gz01.{role}");
            let token = app.login(&submitter).await;
            let res = app.post_as(&token, "/api/v1/finance/expense-claims", &json!({"category": "office", "title": "Toner",
                "lines": [{"spent_on": "2026-11-05", "description": "toner", "amount": 12_000, "invoice_number": format!("CHAIN-{n}")}]})).await;
            if res.status == 403 {
                continue;
            }
            let claim = res.ok(201);
            let submitted: Value = app.act_as(&token, &format!("/api/v1/finance/expense-claims/{}/submit", claim["id"]), "\"1\"", &json!({})).await.ok(200);
            let approval = submitted["approval_id"].as_i64().unwrap();
            let mut decided_by = Vec::new();
            for _ in 0..8 {
                let state = app.get_as(&users[0].1, &format!("/api/v1/approvals/{approval}")).await.ok(200);
                if state["status"] != "pending" {
                    assert_eq!(state["status"], "approved", "{submitter}: {state}");
                    break;
                }
                let mut decider = None;
                for (name, tok) in &users {
                    if name != &submitter && inbox_ids(&app, tok).await.contains(&approval) {
                        decider = Some(name.clone());
                        break;
                    }
                }
                let decider = decider.unwrap_or_else(|| panic!("{submitter}'s claim waits at a step nobody may decide: {state}"));
                app.approve_as(&decider, approval).await;
                decided_by.push(decider);
            }
            let state = app.get_as(&users[0].1, &format!("/api/v1/approvals/{approval}")).await.ok(200);
            assert_eq!(state["status"], "approved", "{submitter}: decided by {decided_by:?}: {state}");
            let mut unique = decided_by.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), decided_by.len(), "one person decided two steps: {decided_by:?}");
        }
    }
}

// Every built-in policy × every built-in role as submitter. Each document type
// the engine routes gets a twin here whose policy is the built-in one with every
// condition dropped (so every step applies: the longest chain), and which any
// user may file for GZ01. For each twin, every demo user of GZ01, its region
// and HQ — one per built-in role — files one; then whoever's inbox holds a
// pending step decides it, round after round, until all are approved.

diesel::table! {
    chain_docs (id) {
        id -> BigInt,
        doc_type -> Text,
        office_id -> BigInt,
        owner_id -> BigInt,
        department_id -> Nullable<BigInt>,
        status -> Text,
    }
}

/// A built-in document type's policy on a document any user may file.
struct Twin {
    doc_type: &'static str,
    policy: PolicyDef,
}

impl ApprovalDocument for Twin {
    fn doc_type(&self) -> &'static str {
        self.doc_type
    }

    fn default_policy(&self) -> PolicyDef {
        self.policy.clone()
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let (office, owner, department): (i64, i64, Option<i64>) = chain_docs::table
            .find(doc_id)
            .select((
                chain_docs::office_id,
                chain_docs::owner_id,
                chain_docs::department_id,
            ))
            .first(conn)
            .found("chain doc")?;
        Ok(DocumentInfo {
            office_id: Some(office),
            owner_user_id: owner,
            owner_department_id: department,
            amount: Some(1_000_000_000_000),
            currency: "CNY".into(),
            category: None,
            summary: format!("{} twin {doc_id}", self.doc_type),
        })
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        _: Option<&str>,
        _: &Actor,
    ) -> Result<(), ApiError> {
        diesel::update(chain_docs::table.find(doc_id))
            .set(chain_docs::status.eq(status))
            .execute(conn)
            .api()
            .map(drop)
    }
}

fn twins() -> Vec<Arc<dyn ApprovalDocument>> {
    gateway::app::documents()
        .types()
        .map(|d| {
            let mut policy = d.default_policy();
            for step in &mut policy.steps {
                step.condition = None;
            }
            let doc_type: &'static str =
                Box::leak(format!("twin_{}", d.doc_type()).into_boxed_str());
            Arc::new(Twin { doc_type, policy }) as Arc<dyn ApprovalDocument>
        })
        .collect()
}

/// Files a twin of `doc_type` for the office in the body, owned by the caller
/// (in their department there, if any), and submits it.
#[utoipa::path(params(("doc_type" = String, Path)), responses((status = 200, description = "submitted")))]
#[post("/test/twins/{doc_type}/{office}")]
async fn file_twin(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (doc_type, office) = path.into_inner();
    let registry = registry.get_ref().clone();
    let actor = p.actor(Default::default());
    let instance = db
        .tx(move |conn| {
            let department = org::scope::department_of(conn, p.user_id, office)?;
            let id: i64 = diesel::insert_into(chain_docs::table)
                .values((
                    chain_docs::doc_type.eq(&doc_type),
                    chain_docs::office_id.eq(office),
                    chain_docs::owner_id.eq(p.user_id),
                    chain_docs::department_id.eq(department),
                    chain_docs::status.eq("draft"),
                ))
                .returning(chain_docs::id)
                .get_result(conn)
                .api()?;
            workflow::submit(conn, &registry, &doc_type, id, &actor)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"approval_id": instance.id, "status": instance.status})))
}

fn twin_routes(cfg: &mut ServiceConfig) {
    cfg.service(file_twin);
}

async fn twins_app(backend: Backend) -> Option<TestApp> {
    let app = TestApp::try_build(backend, |_| {}, twin_routes, twins()).await?;
    app.load_demo_org();
    let ddl = match backend {
        Backend::Sqlite => {
            "CREATE TABLE chain_docs (id INTEGER PRIMARY KEY AUTOINCREMENT, doc_type TEXT NOT NULL, office_id BIGINT NOT NULL, \
             owner_id BIGINT NOT NULL, department_id BIGINT, status TEXT NOT NULL)"
        }
        Backend::Postgres => {
            "CREATE TABLE chain_docs (id BIGSERIAL PRIMARY KEY, doc_type TEXT NOT NULL, office_id BIGINT NOT NULL, \
             owner_id BIGINT NOT NULL, department_id BIGINT, status TEXT NOT NULL)"
        }
    };
    app.conn(|c| c.batch_execute(ddl).unwrap());
    Some(app)
}

async fn approve_with(app: &TestApp, token: &str, approval: i64) -> TestResponse {
    let res = app
        .get_as(token, &format!("/api/v1/approvals/{approval}"))
        .await;
    let etag = res.header("etag").expect("etag").to_owned();
    app.act_as(
        token,
        &format!("/api/v1/approvals/{approval}/approve"),
        &etag,
        &json!({"comment": "ok"}),
    )
    .await
}

async fn every_policy_with_every_role_goes_through(app: TestApp) {
    let gz = app.office_id("GZ01");
    let mut users: Vec<(String, String)> = Vec::new();
    for name in [
        "hq.admin",
        "hq.executive",
        "hq.finance",
        "hq.hr",
        "hq.network_manager",
        "hq.auditor",
        "south.regional_manager",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(OFFICE_ROLES.iter().map(|r| format!("gz01.{r}")))
    {
        let token = app.login(&name).await;
        users.push((name, token));
    }
    let reader = users[0].1.clone();
    let types: Vec<&'static str> = gateway::app::documents()
        .types()
        .map(|d| d.doc_type())
        .collect();
    for doc_type in types {
        // approval id → (submitter, who decided so far)
        let mut open: Vec<(i64, String, Vec<String>)> = Vec::new();
        for (submitter, token) in &users {
            let res = app
                .post_as(
                    token,
                    &format!("/test/twins/twin_{doc_type}/{gz}"),
                    &json!({}),
                )
                .await;
            if res.status == 409 {
                // Leadership's own document under a policy that ends with
                // leadership: nobody is above it, so it is refused at once
                // rather than left waiting.
                let problem = res.problem(409, "conflict");
                assert_eq!(
                    submitter, "hq.executive",
                    "{doc_type} by {submitter}: {problem}"
                );
                assert!(
                    problem["detail"].as_str().unwrap().contains("nobody above"),
                    "{problem}"
                );
                continue;
            }
            let filed = res.ok(200);
            let approval = filed["approval_id"].as_i64().unwrap();
            if filed["status"] == "pending" {
                open.push((approval, submitter.clone(), Vec::new()));
            } else {
                assert_eq!(
                    filed["status"], "approved",
                    "{doc_type} by {submitter}: {filed}"
                );
            }
        }
        for _round in 0..8 {
            if open.is_empty() {
                break;
            }
            let mut progressed = false;
            for (name, token) in &users {
                let inbox = inbox_ids(&app, token).await;
                for (approval, submitter, decided) in open.iter_mut() {
                    if !inbox.contains(approval) {
                        continue;
                    }
                    assert_ne!(
                        name, submitter,
                        "{doc_type}: {submitter}'s own document is in their inbox"
                    );
                    let res = approve_with(&app, token, *approval).await;
                    assert_eq!(
                        res.status,
                        200,
                        "{doc_type} by {submitter}: {name} had it in the inbox but may not decide it: {}",
                        res.text()
                    );
                    decided.push(name.clone());
                    progressed = true;
                }
            }
            let mut still = Vec::new();
            for (approval, submitter, decided) in open {
                let state = app
                    .get_as(&reader, &format!("/api/v1/approvals/{approval}"))
                    .await
                    .ok(200);
                if state["status"] == "pending" {
                    still.push((approval, submitter, decided));
                } else {
                    assert_eq!(
                        state["status"], "approved",
                        "{doc_type} by {submitter}: {state}"
                    );
                    let mut unique = decided.clone();
                    unique.sort();
                    unique.dedup();
                    assert_eq!(
                        unique.len(),
                        decided.len(),
                        "{doc_type} by {submitter}: one person decided two steps: {decided:?}"
                    );
                }
            }
            open = still;
            if !progressed {
                break;
            }
        }
        if let Some((approval, submitter, decided)) = open.first() {
            let state = app
                .get_as(&reader, &format!("/api/v1/approvals/{approval}"))
                .await
                .ok(200);
            panic!(
                "{doc_type} by {submitter} waits at a step nobody may decide (decided by {decided:?}): {state}"
            );
        }
    }
}

mod every_built_in_policy_with_every_role_as_submitter {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        every_policy_with_every_role_goes_through(twins_app(Backend::Sqlite).await.unwrap()).await;
    }

    #[actix_web::test]
    async fn postgres() {
        let Some(app) = twins_app(Backend::Postgres).await else {
            return;
        };
        every_policy_with_every_role_goes_through(app).await;
    }
}
