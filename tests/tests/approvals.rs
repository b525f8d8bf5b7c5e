//! The approval engine on both backends, driven through a document type that
//! exists only in these tests — proof that the `ApprovalDocument` trait is all a
//! domain needs. Covers threshold routing, rejection and resubmission,
//! withdrawal, self-approval, same-approver, acting approvers, escalation (also
//! from several "replicas" at once), policy changes leaving in-flight documents
//! alone, concurrent decisions, stale reads, and inbox scope.

use std::sync::Arc;

use actix_web::{HttpResponse, post, web};
use branchline_tests::{Backend, TestApp, json};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kernel::{Actor, ApiError, Principal, ValidJson};
use serde::Deserialize;
use serde_json::Value;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{Approver, Condition, PolicyDef, StepDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

diesel::table! {
    test_docs (id) {
        id -> BigInt,
        office_id -> BigInt,
        owner_id -> BigInt,
        department_id -> Nullable<BigInt>,
        amount -> BigInt,
        category -> Text,
        status -> Text,
        reason -> Nullable<Text>,
    }
}

const THRESHOLD: i64 = 5_000_000;

/// A document type known only here.
struct TestDoc;

impl ApprovalDocument for TestDoc {
    fn doc_type(&self) -> &'static str {
        "test_doc"
    }

    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Test documents".into(),
            steps: vec![
                StepDef {
                    name: "head".into(),
                    approver: Approver::DepartmentSupervisor {},
                    condition: None,
                    time_limit_hours: Some(48),
                    escalate_to: None,
                },
                role("office_director", "director"),
                StepDef {
                    condition: Some(Condition {
                        amount_above: Some(THRESHOLD),
                        ..Default::default()
                    }),
                    ..role("hq_finance", "hq_finance")
                },
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let (office, owner, dept, amount, category): (i64, i64, Option<i64>, i64, String) =
            test_docs::table
                .find(doc_id)
                .select((
                    test_docs::office_id,
                    test_docs::owner_id,
                    test_docs::department_id,
                    test_docs::amount,
                    test_docs::category,
                ))
                .first(conn)
                .found("test doc")?;
        Ok(DocumentInfo {
            office_id: Some(office),
            owner_user_id: owner,
            owner_department_id: dept,
            amount: Some(amount),
            currency: "CNY".into(),
            category: Some(category),
            summary: format!("Test document {doc_id}"),
        })
    }

    /// The document's status follows its approval; that is all this type needs.
    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        _actor: &Actor,
    ) -> Result<(), ApiError> {
        set_status(conn, doc_id, status, reason)
    }
}

fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    diesel::update(test_docs::table.find(id))
        .set((test_docs::status.eq(status), test_docs::reason.eq(reason)))
        .execute(conn)
        .api()
        .map(drop)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewDoc {
    amount: i64,
    department_id: Option<i64>,
}

#[utoipa::path(request_body = NewDoc, responses((status = 201, description = "created")))]
#[post("/test/docs")]
async fn create_doc(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<NewDoc>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let office = p
        .office_id
        .ok_or_else(|| ApiError::forbidden("HQ users file no test docs"))?;
    let id = db
        .tx(move |conn| {
            let max: Option<i64> = test_docs::table
                .select(diesel::dsl::max(test_docs::id))
                .first(conn)
                .api()?;
            let id = max.unwrap_or(0) + 1;
            diesel::insert_into(test_docs::table)
                .values((
                    test_docs::id.eq(id),
                    test_docs::office_id.eq(office),
                    test_docs::owner_id.eq(p.user_id),
                    test_docs::department_id.eq(body.department_id),
                    test_docs::amount.eq(body.amount),
                    test_docs::category.eq("general"),
                    test_docs::status.eq("draft"),
                ))
                .execute(conn)
                .api()?;
            Ok(id)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({"id": id})))
}

#[utoipa::path(params(("id" = i64, Path)), responses((status = 200, description = "submitted")))]
#[post("/test/docs/{id}/submit")]
async fn submit_doc(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let actor = p.actor(Default::default());
    let instance = db
        .tx(move |conn| {
            let instance = workflow::submit(conn, &registry, "test_doc", id, &actor)?;
            if instance.status == "pending" {
                set_status(conn, id, "in_approval", None)?;
            }
            Ok(instance)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"approval_id": instance.id, "status": instance.status})))
}

fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_doc).service(submit_doc);
}

async fn approvals_app(backend: Backend) -> Option<TestApp> {
    let app = TestApp::try_build(backend, |_| {}, routes, vec![Arc::new(TestDoc)]).await?;
    // The organization only: these tests count approvals and want none but their own.
    app.load_demo_org();
    app.conn(|c| {
        c.batch_execute(
            "CREATE TABLE test_docs (id BIGINT PRIMARY KEY, office_id BIGINT NOT NULL, owner_id BIGINT NOT NULL, \
             department_id BIGINT, amount BIGINT NOT NULL, category TEXT NOT NULL, status TEXT NOT NULL, reason TEXT)",
        )
        .unwrap()
    });
    Some(app)
}

/// Runs a test body on both backends with the approvals app.
macro_rules! approval_test {
    (async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $app = approvals_app(Backend::Sqlite).await.unwrap();
                $body
            }

            #[actix_web::test]
            async fn postgres() {
                let Some($app) = approvals_app(Backend::Postgres).await else {
                    return;
                };
                $body
            }
        }
    };
}

/// Files and submits a document as `token`'s user; returns the approval id.
async fn file(app: &TestApp, token: &str, amount: i64, department: Option<i64>) -> (i64, i64) {
    let doc = app
        .post_as(
            token,
            "/test/docs",
            &json!({"amount": amount, "department_id": department}),
        )
        .await
        .ok(201)["id"]
        .as_i64()
        .unwrap();
    let res = app
        .post_as(token, &format!("/test/docs/{doc}/submit"), &json!({}))
        .await
        .ok(200);
    (doc, res["approval_id"].as_i64().unwrap())
}

async fn read(app: &TestApp, token: &str, approval: i64) -> (Value, String) {
    let res = app
        .get_as(token, &format!("/api/v1/approvals/{approval}"))
        .await;
    let etag = res.header("etag").expect("etag").to_owned();
    (res.ok(200), etag)
}

async fn approve(app: &TestApp, token: &str, approval: i64) -> Value {
    let (_, etag) = read(app, token, approval).await;
    app.act_as(
        token,
        &format!("/api/v1/approvals/{approval}/approve"),
        &etag,
        &json!({"comment": "ok"}),
    )
    .await
    .ok(200)
}

fn doc_status(app: &TestApp, doc: i64) -> String {
    app.conn(|c| {
        test_docs::table
            .find(doc)
            .select(test_docs::status)
            .first(c)
            .unwrap()
    })
}

fn step_names(approval: &Value, round: i64) -> Vec<String> {
    approval["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["round"] == round)
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

approval_test! {
    async fn threshold_routing_below_at_and_above(app) {
        let rep = app.login("gz01.sales_rep").await;
        let dept = Some(app.sales_department("GZ01"));
        for (amount, expected) in [
            (THRESHOLD - 1, vec!["head", "director"]),
            (THRESHOLD, vec!["head", "director"]),
            (THRESHOLD + 1, vec!["head", "director", "hq_finance"]),
        ] {
            let (_, approval) = file(&app, &rep, amount, dept).await;
            let (body, _) = read(&app, &rep, approval).await;
            assert_eq!(step_names(&body, 1), expected, "amount {amount}");
            assert_eq!(body["status"], "pending");
            assert_eq!(body["current_step"], 1);
        }
    }
}

approval_test! {
    async fn a_large_document_goes_all_the_way_to_hq_and_the_document_follows(app) {
        let rep = app.login("gz01.sales_rep").await;
        let (doc, approval) = file(&app, &rep, THRESHOLD + 100, Some(app.sales_department("GZ01"))).await;
        assert_eq!(doc_status(&app, doc), "in_approval");

        // Each approver finds it in their inbox, in turn.
        for (user, step) in [("gz01.department_supervisor", "head"), ("gz01.office_director", "director"), ("hq.finance", "hq_finance")] {
            let token = app.login(user).await;
            let inbox = app.get_as(&token, "/api/v1/approvals/inbox").await.ok(200);
            let item = inbox["items"].as_array().unwrap().iter().find(|i| i["approval_id"] == approval).unwrap_or_else(|| panic!("{user}: {inbox}"));
            assert_eq!(item["step_name"], step);
            assert_eq!(item["amount"], THRESHOLD + 100);
            assert_eq!(item["office_id"], app.office_id("GZ01"));
            assert!(item["waiting_since"].as_str().unwrap().ends_with('Z'));
            // The document is not approved before the last step.
            assert_ne!(doc_status(&app, doc), "approved");
            approve(&app, &token, approval).await;
        }
        assert_eq!(doc_status(&app, doc), "approved");
        let (body, _) = read(&app, &rep, approval).await;
        assert_eq!(body["status"], "approved");
        let actions: Vec<&str> = body["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["submit", "approve", "approve", "approve"]);
        assert_eq!(body["history"][1]["actor_user_id"], app.user_id("gz01.department_supervisor"));
        assert_eq!(body["history"][1]["comment"], "ok");
        // Every decision is in the audit trail.
        let events = app.audit_events("approval", approval);
        assert_eq!(events.iter().filter(|e| e.action == "approve").count(), 3);
    }
}

approval_test! {
    async fn rejection_returns_the_document_and_it_can_be_resubmitted(app) {
        let rep = app.login("gz01.sales_rep").await;
        let (doc, approval) = file(&app, &rep, 1000, Some(app.sales_department("GZ01"))).await;
        let head = app.login("gz01.department_supervisor").await;
        let (_, etag) = read(&app, &head, approval).await;
        let res = app.act_as(&head, &format!("/api/v1/approvals/{approval}/reject"), &etag, &json!({})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "reason");
        let rejected = app.act_as(&head, &format!("/api/v1/approvals/{approval}/reject"), &etag, &json!({"reason": "missing invoice"})).await.ok(200);
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(doc_status(&app, doc), "rejected");
        let reason: Option<String> = app.conn(|c| test_docs::table.find(doc).select(test_docs::reason).first(c).unwrap());
        assert_eq!(reason.as_deref(), Some("missing invoice"));
        // No further decisions on a rejected chain.
        let (_, etag) = read(&app, &head, approval).await;
        app.act_as(&head, &format!("/api/v1/approvals/{approval}/approve"), &etag, &json!({})).await.problem(409, "invalid_transition");

        // Resubmitted: a new round from the first step.
        app.post_as(&rep, &format!("/test/docs/{doc}/submit"), &json!({})).await.ok(200);
        let (body, _) = read(&app, &rep, approval).await;
        assert_eq!((body["round"].clone(), body["status"].clone(), body["current_step"].clone()), (json!(2), json!("pending"), json!(1)));
        approve(&app, &head, approval).await;
        approve(&app, &app.login("gz01.office_director").await, approval).await;
        assert_eq!(doc_status(&app, doc), "approved");
    }
}

approval_test! {
    async fn the_submitter_withdraws_only_before_the_first_decision(app) {
        let rep = app.login("gz01.sales_rep").await;
        let dept = Some(app.sales_department("GZ01"));
        let (doc, approval) = file(&app, &rep, 1000, dept).await;
        // Only the submitter may withdraw.
        let (_, etag) = read(&app, &rep, approval).await;
        let head = app.login("gz01.department_supervisor").await;
        app.act_as(&head, &format!("/api/v1/approvals/{approval}/withdraw"), &etag, &json!({})).await.problem(403, "forbidden");
        let withdrawn = app.act_as(&rep, &format!("/api/v1/approvals/{approval}/withdraw"), &etag, &json!({})).await.ok(200);
        assert_eq!(withdrawn["status"], "withdrawn");
        assert_eq!(doc_status(&app, doc), "withdrawn");
        assert_eq!(app.get_as(&head, "/api/v1/approvals/inbox").await.ok(200)["items"], json!([]));

        let (_, second) = file(&app, &rep, 1000, dept).await;
        approve(&app, &head, second).await;
        let (body, etag) = read(&app, &rep, second).await;
        assert!(!body["allowed_actions"].as_array().unwrap().contains(&json!("withdraw")));
        app.act_as(&rep, &format!("/api/v1/approvals/{second}/withdraw"), &etag, &json!({})).await.problem(409, "invalid_transition");
    }
}

approval_test! {
    async fn nobody_approves_their_own_document_or_two_steps_of_one_chain(app) {
        let admin = app.login("hq.admin").await;
        let gz = app.office_id("GZ01");
        // The director files a document; the chain has a director step.
        let director = app.login("gz01.office_director").await;
        let (_, approval) = file(&app, &director, 1000, None).await;
        let (body, etag) = read(&app, &director, approval).await;
        assert_eq!(step_names(&body, 1), vec!["director"], "no department: no head step");
        let res = app.act_as(&director, &format!("/api/v1/approvals/{approval}/approve"), &etag, &json!({})).await;
        assert!(res.problem(403, "forbidden")["detail"].as_str().unwrap().contains("own document"));

        // An office policy with two director steps: one person may not take both,
        // so the chain would wait at the second for nobody. The two are merged into
        // the later one when the chain is resolved, and the director decides once.
        let policy = json!({"doc_type": "test_doc", "office_id": gz, "name": "GZ01 double check",
            "steps": [{"name": "first", "approver": {"kind": "role", "role": "office_director"}},
                      {"name": "second", "approver": {"kind": "role", "role": "office_director"}}]});
        let created = app.post_as(&admin, "/api/v1/approvals/policies", &policy).await.ok(201);
        let rep = app.login("gz01.sales_rep").await;
        let (_, approval) = file(&app, &rep, 1000, None).await;
        let (body, _) = read(&app, &director, approval).await;
        assert_eq!(step_names(&body, 1), vec!["second"]);
        assert_eq!(approve(&app, &director, approval).await["status"], "approved");

        // Where the policy allows it, the same person may.
        let id = created["id"].as_i64().unwrap();
        let mut allowed = policy.clone();
        allowed.as_object_mut().unwrap().remove("doc_type");
        allowed.as_object_mut().unwrap().remove("office_id");
        allowed["allow_same_approver"] = json!(true);
        app.patch_as(&admin, &format!("/api/v1/approvals/policies/{id}"), "\"1\"", &allowed).await.ok(200);
        let (_, approval) = file(&app, &rep, 1000, None).await;
        approve(&app, &director, approval).await;
        assert_eq!(approve(&app, &director, approval).await["status"], "approved");

        // A role held by two people besides the submitter keeps both steps, one
        // person each.
        let two = json!({"name": "GZ01 double check", "allow_same_approver": false,
            "steps": [{"name": "first", "approver": {"kind": "role", "role": "sales_rep"}},
                      {"name": "second", "approver": {"kind": "role", "role": "sales_rep"}}]});
        app.patch_as(&admin, &format!("/api/v1/approvals/policies/{id}"), "\"2\"", &two).await.ok(200);
        for user in ["gz01.staff", "gz01.market_specialist"] {
            app.post_as(&director, "/api/v1/org/role-assignments", &json!({"user_id": app.user_id(user),
                "role": "sales_rep", "scope_kind": "office", "scope_id": gz, "valid_from": "2026-01-01"})).await.ok(201);
        }
        let (_, approval) = file(&app, &rep, 1000, None).await;
        let (body, _) = read(&app, &director, approval).await;
        assert_eq!(step_names(&body, 1), vec!["first", "second"]);
        let staff = app.login("gz01.staff").await;
        let market = app.login("gz01.market_specialist").await;
        approve(&app, &staff, approval).await;
        assert_eq!(approve(&app, &market, approval).await["status"], "approved");
    }
}

approval_test! {
    async fn an_acting_deputy_decides_for_the_director(app) {
        let gz = app.office_id("GZ01");
        let director_id = app.user_id("gz01.office_director");
        let deputy_id = app.user_id("gz01.deputy_director");
        let director = app.login("gz01.office_director").await;
        app.post_as(&director, "/api/v1/org/role-assignments", &json!({"user_id": deputy_id, "role": "office_director",
            "scope_kind": "office", "scope_id": gz, "valid_from": "2026-01-01", "valid_to": "2099-12-31",
            "acting_for_user_id": director_id})).await.ok(201);

        let rep = app.login("gz01.sales_rep").await;
        let (doc, approval) = file(&app, &rep, 1000, None).await;
        let deputy = app.login("gz01.deputy_director").await;
        let inbox = app.get_as(&deputy, "/api/v1/approvals/inbox").await.ok(200);
        assert_eq!(inbox["items"][0]["acting_for_user_id"], director_id);
        let body = approve(&app, &deputy, approval).await;
        assert_eq!(doc_status(&app, doc), "approved");
        let step = &body["steps"][0];
        assert_eq!((step["decided_by"].clone(), step["acting_for_user_id"].clone()), (json!(deputy_id), json!(director_id)));
        assert_eq!(body["history"][1]["acting_for_user_id"], director_id);
        let events = app.audit_events("approval", approval);
        assert_eq!(events.last().unwrap().acting_for_user_id, Some(director_id));
    }
}

approval_test! {
    async fn an_overdue_step_escalates_once_even_with_several_replicas(app) {
        let rep = app.login("gz01.sales_rep").await;
        let (_, approval) = file(&app, &rep, 1000, Some(app.sales_department("GZ01"))).await;
        let (body, _) = read(&app, &rep, approval).await;
        let due = body["steps"][0]["due_at"].as_str().unwrap().to_owned();
        assert!(due.ends_with('Z'));

        // Not yet due: nothing happens.
        let now = kernel::time::to_db(kernel::time::now());
        assert!(app.db.run(move |c| workflow::escalate_overdue(c, now)).await.unwrap().is_empty());

        // 49 hours on, four replicas run the job at once.
        let later = now + chrono::Duration::hours(49);
        let runs = (0..4).map(|_| {
            let db = app.db.clone();
            async move { db.run(move |c| workflow::escalate_overdue(c, later)).await.unwrap() }
        });
        let escalated: Vec<Vec<i64>> = futures_util::future::join_all(runs).await;
        assert_eq!(escalated.iter().map(Vec::len).sum::<usize>(), 1, "{escalated:?}");

        let (body, _) = read(&app, &rep, approval).await;
        let step = &body["steps"][0];
        assert_eq!((step["approver_kind"].clone(), step["approver_role"].clone()), (json!("role"), json!("office_director")));
        assert_eq!(step["escalation_level"], 1);
        let escalations = body["history"].as_array().unwrap().iter().filter(|h| h["action"] == "escalate").count();
        assert_eq!(escalations, 1);
        // The supervisor no longer holds it; the director does.
        let head = app.login("gz01.department_supervisor").await;
        assert_eq!(app.get_as(&head, "/api/v1/approvals/inbox").await.ok(200)["items"], json!([]));
        let director = app.login("gz01.office_director").await;
        let inbox = app.get_as(&director, "/api/v1/approvals/inbox").await.ok(200);
        assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
        assert_eq!(inbox["items"][0]["step_name"], "head");
    }
}

approval_test! {
    async fn overdue_steps_are_listed_within_scope(app) {
        let rep = app.login("gz01.sales_rep").await;
        let (_, approval) = file(&app, &rep, 1000, Some(app.sales_department("GZ01"))).await;
        app.conn(|c| {
            use store::schema::approval_steps as st;
            diesel::update(st::table.filter(st::instance_id.eq(approval)))
                .set(st::due_at.eq(Some(chrono::Utc::now().naive_utc() - chrono::Duration::hours(1))))
                .execute(c)
                .unwrap()
        });
        let gz_director = app.login("gz01.office_director").await;
        let overdue = app.get_as(&gz_director, "/api/v1/approvals/overdue").await.ok(200);
        assert_eq!(overdue["items"][0]["approval_id"], approval);
        let sh_director = app.login("sh01.office_director").await;
        assert_eq!(app.get_as(&sh_director, "/api/v1/approvals/overdue").await.ok(200)["items"], json!([]));
        app.get_as(&rep, "/api/v1/approvals/overdue").await.problem(403, "forbidden");
        let (body, _) = read(&app, &rep, approval).await;
        assert_eq!(body["steps"][0]["status"], "pending");
    }
}

approval_test! {
    async fn a_policy_change_leaves_documents_in_flight_alone(app) {
        let admin = app.login("hq.admin").await;
        let rep = app.login("gz01.sales_rep").await;
        let dept = Some(app.sales_department("GZ01"));
        let (_, before) = file(&app, &rep, 1000, dept).await;

        let policies = app.get_as(&admin, "/api/v1/approvals/policies?doc_type=test_doc").await.ok(200);
        let hq_default = &policies["items"][0];
        assert_eq!(hq_default["office_id"], Value::Null);
        let id = hq_default["id"].as_i64().unwrap();
        app.patch_as(&admin, &format!("/api/v1/approvals/policies/{id}"), "\"1\"", &json!({
            "name": "Stricter", "steps": [
                {"name": "ops_review", "approver": {"kind": "role", "role": "operations_specialist"}},
                {"name": "director", "approver": {"kind": "role", "role": "office_director"}}
            ]})).await.ok(200);
        // A stale policy edit is refused.
        app.patch_as(&admin, &format!("/api/v1/approvals/policies/{id}"), "\"1\"", &json!({
            "name": "x", "steps": [{"name": "a", "approver": {"kind": "role", "role": "staff"}}]})).await.problem(412, "version_conflict");

        let (old, _) = read(&app, &rep, before).await;
        assert_eq!(step_names(&old, 1), vec!["head", "director"]);
        assert_eq!(old["policy_version"], 1);
        let (_, after) = file(&app, &rep, 1000, dept).await;
        let (new, _) = read(&app, &rep, after).await;
        assert_eq!(step_names(&new, 1), vec!["ops_review", "director"]);
        assert_eq!(new["policy_version"], 2);
        // The old one still completes on its own chain.
        approve(&app, &app.login("gz01.department_supervisor").await, before).await;
        assert_eq!(approve(&app, &app.login("gz01.office_director").await, before).await["status"], "approved");
    }
}

approval_test! {
    async fn concurrent_decisions_one_wins_and_stale_reads_are_412(app) {
        let gz = app.office_id("GZ01");
        let director_id = app.user_id("gz01.office_director");
        let director = app.login("gz01.office_director").await;
        // The deputy can act for the director: two people may decide the director step.
        app.post_as(&director, "/api/v1/org/role-assignments", &json!({"user_id": app.user_id("gz01.deputy_director"),
            "role": "office_director", "scope_kind": "office", "scope_id": gz, "valid_from": "2026-01-01",
            "valid_to": "2099-12-31", "acting_for_user_id": director_id})).await.ok(201);
        let deputy = app.login("gz01.deputy_director").await;
        let rep = app.login("gz01.sales_rep").await;
        let (doc, approval) = file(&app, &rep, 1000, None).await;
        let (_, etag) = read(&app, &director, approval).await;
        let path = format!("/api/v1/approvals/{approval}/approve");
        let (a, b) = futures_util::future::join(
            app.act_as(&director, &path, &etag, &json!({})),
            app.act_as(&deputy, &path, &etag, &json!({})),
        )
        .await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} / {}", a.text(), b.text());
        let loser = if a.status == 409 { &a } else { &b };
        loser.problem(409, "conflict");
        assert_eq!(doc_status(&app, doc), "approved");
        let (body, _) = read(&app, &rep, approval).await;
        assert_eq!(body["history"].as_array().unwrap().iter().filter(|h| h["action"] == "approve").count(), 1);

        // A decision on a document changed since it was read: 412.
        let (_, approval) = file(&app, &rep, 1000, Some(app.sales_department("GZ01"))).await;
        let (_, stale) = read(&app, &director, approval).await;
        approve(&app, &app.login("gz01.department_supervisor").await, approval).await;
        app.act_as(&director, &format!("/api/v1/approvals/{approval}/approve"), &stale, &json!({})).await.problem(412, "version_conflict");
        approve(&app, &director, approval).await;
    }
}

approval_test! {
    async fn approvers_never_see_another_offices_items(app) {
        let rep = app.login("gz01.sales_rep").await;
        let (_, approval) = file(&app, &rep, 1000, None).await;
        let sh_director = app.login("sh01.office_director").await;
        assert_eq!(app.get_as(&sh_director, "/api/v1/approvals/inbox").await.ok(200)["items"], json!([]));
        app.get_as(&sh_director, &format!("/api/v1/approvals/{approval}")).await.problem(404, "not_found");
        app.act_as(&sh_director, &format!("/api/v1/approvals/{approval}/approve"), "\"1\"", &json!({})).await.problem(404, "not_found");
        let listed = app.get_as(&sh_director, "/api/v1/approvals").await.ok(200);
        assert_eq!(listed["items"], json!([]));
        // Regional reach: the South China manager sees it listed, the East China one does not.
        let south = app.login("south.regional_manager").await;
        assert_eq!(app.get_as(&south, "/api/v1/approvals").await.ok(200)["items"][0]["id"], approval);
        let east = app.login("east.regional_manager").await;
        assert_eq!(app.get_as(&east, "/api/v1/approvals").await.ok(200)["items"], json!([]));
        // A return to an earlier step.
        let gz_director = app.login("gz01.office_director").await;
        let (body, _) = read(&app, &gz_director, approval).await;
        assert_eq!(body["allowed_actions"], json!(["approve", "reject"]));
    }
}

approval_test! {
    async fn a_policy_that_routes_to_nobody_refuses_the_submission(app) {
        let admin = app.login("hq.admin").await;
        let gz = app.office_id("GZ01");
        app.post_as(&admin, "/api/v1/approvals/policies", &json!({"doc_type": "test_doc", "office_id": gz, "name": "never",
            "steps": [{"name": "big_only", "approver": {"kind": "role", "role": "office_director"},
                       "condition": {"amount_above": 1_000_000_000}}]})).await.ok(201);
        let rep = app.login("gz01.sales_rep").await;
        let doc = app.post_as(&rep, "/test/docs", &json!({"amount": 5})).await.ok(201)["id"].as_i64().unwrap();
        app.post_as(&rep, &format!("/test/docs/{doc}/submit"), &json!({})).await.problem(409, "conflict");
        assert_eq!(doc_status(&app, doc), "draft");
    }
}

approval_test! {
    async fn a_later_step_returns_the_document_to_an_earlier_one(app) {
        let rep = app.login("gz01.sales_rep").await;
        let (_, approval) = file(&app, &rep, 1000, Some(app.sales_department("GZ01"))).await;
        let head = app.login("gz01.department_supervisor").await;
        approve(&app, &head, approval).await;
        let director = app.login("gz01.office_director").await;
        let (body, etag) = read(&app, &director, approval).await;
        assert!(body["allowed_actions"].as_array().unwrap().contains(&json!("return")));
        let returned = app.act_as(&director, &format!("/api/v1/approvals/{approval}/return"), &etag,
            &json!({"to_step": 1, "comment": "check the amounts again"})).await.ok(200);
        assert_eq!(returned["current_step"], 1);
        assert_eq!(returned["steps"][0]["status"], "pending");
        assert_eq!(returned["steps"][1]["status"], "waiting");
        approve(&app, &head, approval).await;
        assert_eq!(approve(&app, &director, approval).await["status"], "approved");
    }
}

approval_test! {
    async fn replicas_starting_together_store_each_default_policy_once(app) {
        let registry = app.state.documents.clone();
        let runs = (0..4).map(|_| {
            let db = app.db.clone();
            let registry = registry.clone();
            async move { db.run(move |c| workflow::engine::ensure_default_policies(c, &registry)).await }
        });
        for result in futures_util::future::join_all(runs).await {
            assert!(result.is_ok(), "{result:?}");
        }
        use store::schema::approval_policies as ap;
        let types: Vec<String> = app.conn(|c| ap::table.filter(ap::office_id.is_null()).select(ap::doc_type).load(c).unwrap());
        let mut unique = types.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(types.len(), unique.len(), "{types:?}");
        assert!(types.contains(&"test_doc".to_owned()) && types.contains(&"expense_claim".to_owned()));
    }
}

approval_test! {
    async fn a_policy_for_an_unknown_office_is_a_field_error(app) {
        let admin = app.login("hq.admin").await;
        let res = app.post_as(&admin, "/api/v1/approvals/policies", &json!({"doc_type": "test_doc", "office_id": 999_999,
            "name": "x", "steps": [{"name": "a", "approver": {"kind": "role", "role": "office_director"}}]})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "office_id");
    }
}
