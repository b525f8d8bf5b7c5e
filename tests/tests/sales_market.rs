//! Market records and sales targets on both backends: market research and the
//! manager's review, the competitor base, expansion plans through the approval
//! engine (department manager, then office director), campaigns and their
//! evaluation with the cost per lead, HQ's targets and the office's sales plans
//! whose splits must add up and are in force only once approved, the audit
//! trail, and cross-office isolation.

use actix_web::test::TestRequest;
use branchline_tests::{Isolated, TestApp, TestResponse, assert_isolated, db_test, json};
use diesel::prelude::*;
use serde_json::Value;

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect()
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn actions(app: &TestApp, entity: &str, id: i64) -> Vec<String> {
    app.audit_events(entity, id)
        .iter()
        .map(|e| e.action.clone())
        .collect()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

/// The ETag a GET answers with.
async fn etag_of(app: &TestApp, token: &str, path: &str) -> String {
    app.get_as(token, path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned()
}

async fn put_as(app: &TestApp, token: &str, path: &str, etag: &str, body: &Value) -> TestResponse {
    app.call(
        TestRequest::put()
            .uri(path)
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header(("if-match", etag))
            .set_json(body),
    )
    .await
}

/// A lead recorded for a campaign, written directly: the leads API is not
/// part of this module.
fn add_lead(app: &TestApp, office: i64, campaign: i64, by: i64, company: &str) {
    use store::schema::leads;
    let now = kernel::time::to_db(kernel::time::now());
    app.conn(|c| {
        diesel::insert_into(leads::table)
            .values((
                leads::office_id.eq(office),
                leads::company_name.eq(company),
                leads::source_channel.eq("campaign"),
                leads::campaign_id.eq(Some(campaign)),
                leads::status.eq("new"),
                leads::created_by.eq(by),
                leads::created_at.eq(now),
                leads::updated_at.eq(now),
                leads::version.eq(1_i64),
            ))
            .execute(c)
            .expect("lead")
    });
}

fn research_body() -> Value {
    json!({
        "title": "華南商業照明市場調研",
        "method": "questionnaire",
        "conducted_on": "2025-10-15",
        "findings": "市場規模約 12 億元，年增長 8%。",
        "recommendations": "重點開拓物業管理公司。"
    })
}

db_test! {
    async fn market_research_is_reviewed_once_by_someone_else(app) {
        app.load_demo_org();
        let gz = app.office_id("GZ01");
        let author = app.login("gz01.market_specialist").await;
        let res = app.post_as(&author, "/api/v1/sales/market-research", &research_body()).await;
        assert_eq!(res.header("etag"), Some("\"1\""));
        let made = res.ok(201);
        let rid = id(&made);
        assert_eq!(res.header("location"), Some(format!("/api/v1/sales/market-research/{rid}").as_str()));
        assert_eq!((made["office_id"].clone(), made["method"].clone(), made["author_user_id"].clone(), made["reviewed_by"].clone()),
            (json!(gz), json!("questionnaire"), json!(app.user_id("gz01.market_specialist")), Value::Null));

        // Research cannot be dated in the future; unknown fields are refused.
        let mut future = research_body();
        future["conducted_on"] = json!("2099-01-01");
        let res = app.post_as(&author, "/api/v1/sales/market-research", &future).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["conducted_on"]);
        let mut unknown = research_body();
        unknown["reviewed_by"] = json!(1);
        assert_eq!(app.post_as(&author, "/api/v1/sales/market-research", &unknown).await.status.as_u16(), 400);

        let path = format!("/api/v1/sales/market-research/{rid}");
        assert_eq!(ids(&app.get_as(&author, "/api/v1/sales/market-research").await.ok(200)), vec![rid]);
        assert_eq!(app.get_as(&author, &path).await.ok(200)["title"], "華南商業照明市場調研");
        let changed = app.patch_as(&author, &path, "\"1\"", &json!({"method": "industry_report", "recommendations": null})).await.ok(200);
        assert_eq!((changed["method"].clone(), changed["recommendations"].clone(), changed["version"].clone()),
            (json!("industry_report"), Value::Null, json!(2)));
        app.patch_as(&author, &path, "\"1\"", &json!({"title": "stale"})).await.problem(412, "version_conflict");

        // The author cannot review their own report; a reader cannot review at all.
        let body = app.act_as(&author, &format!("{path}/review"), "\"2\"", &json!({"comment": "looks good"})).await.problem(409, "conflict");
        assert!(body["detail"].as_str().unwrap().contains("author"), "{body}");
        let agent = app.login("gz01.service_agent").await;
        app.act_as(&agent, &format!("{path}/review"), "\"2\"", &json!({"comment": "ok"})).await.problem(403, "forbidden");

        let supervisor = app.login("gz01.department_supervisor").await;
        let reviewed = app.act_as(&supervisor, &format!("{path}/review"), "\"2\"", &json!({"comment": "結論可信"})).await.ok(200);
        assert_eq!((reviewed["reviewed_by"].clone(), reviewed["review_comment"].clone(), reviewed["version"].clone()),
            (json!(app.user_id("gz01.department_supervisor")), json!("結論可信"), json!(3)));
        assert!(reviewed["reviewed_at"].as_str().is_some_and(|t| t.ends_with('Z')));

        // Reviewed is final.
        let director = app.login("gz01.office_director").await;
        let body = app.act_as(&director, &format!("{path}/review"), "\"3\"", &json!({"comment": "again"})).await.problem(409, "invalid_transition");
        assert_eq!(body["current_state"], "reviewed");
        app.patch_as(&author, &path, "\"3\"", &json!({"title": "late"})).await.problem(409, "invalid_transition");

        assert_eq!(actions(&app, "market_research", rid), vec!["create", "update", "review"]);
        let review = app.audit_events("market_research", rid).pop().unwrap();
        assert_eq!(review.actor_user_id, Some(app.user_id("gz01.department_supervisor")));
        assert!(review.after_json.unwrap().contains("結論可信"));
    }
}

db_test! {
    async fn competitor_names_are_unique_per_office(app) {
        app.load_demo_org();
        let gz_token = app.login("gz01.market_specialist").await;
        let made = app.post_as(&gz_token, "/api/v1/sales/competitors", &json!({"name": "佛山雪萊特照明",
            "products": "LED 工礦燈", "strengths": "價格低", "market_share_bp": 1500})).await.ok(201);
        let cid = id(&made);
        assert_eq!((made["market_share_bp"].clone(), made["weaknesses"].clone(), made["office_id"].clone()),
            (json!(1500), Value::Null, json!(app.office_id("GZ01"))));

        let dup = app.post_as(&gz_token, "/api/v1/sales/competitors", &json!({"name": "佛山雪萊特照明"})).await.problem(409, "duplicate");
        assert_eq!(dup["field"], "name");
        // Another office keeps its own competitor base.
        let sz_token = app.login("sz01.market_specialist").await;
        app.post_as(&sz_token, "/api/v1/sales/competitors", &json!({"name": "佛山雪萊特照明"})).await.ok(201);

        let res = app.post_as(&gz_token, "/api/v1/sales/competitors", &json!({"name": "Other", "market_share_bp": 10_001})).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["market_share_bp"]);

        let other = app.post_as(&gz_token, "/api/v1/sales/competitors", &json!({"name": "歐普照明"})).await.ok(201);
        let path = format!("/api/v1/sales/competitors/{cid}");
        let changed = app.patch_as(&gz_token, &path, "\"1\"", &json!({"weaknesses": "售後響應慢", "products": null})).await.ok(200);
        assert_eq!((changed["weaknesses"].clone(), changed["products"].clone(), changed["version"].clone()),
            (json!("售後響應慢"), Value::Null, json!(2)));
        let dup = app.patch_as(&gz_token, &format!("/api/v1/sales/competitors/{}", id(&other)), "\"1\"",
            &json!({"name": "佛山雪萊特照明"})).await.problem(409, "duplicate");
        assert_eq!(dup["field"], "name");

        assert_eq!(ids(&app.get_as(&gz_token, "/api/v1/sales/competitors").await.ok(200)), vec![cid, id(&other)]);
        assert_eq!(app.get_as(&gz_token, &path).await.header("etag"), Some("\"2\""));
        assert_eq!(actions(&app, "competitor", cid), vec!["create", "update"]);
        let update = app.audit_events("competitor", cid).pop().unwrap();
        assert_eq!(update.before_json.as_deref(), Some(r#"{"products":"LED 工礦燈","weaknesses":null}"#));
    }
}

fn plan_body(year: i32) -> Value {
    json!({
        "year": year,
        "title": "廣州辦事處市場拓展計劃",
        "goals": "新增重要客戶 10 家",
        "key_regions": "佛山、東莞",
        "target_groups": "物業管理公司",
        "methods": "行業展會、方案推介會",
        "schedule": "Q1 調研；Q2 展會；Q3–Q4 跟進",
        "budget": 30_000_000
    })
}

/// Puts `username` in the GZ01 sales department (a department-scoped role),
/// so the department supervisor is their manager.
async fn join_sales_department(app: &TestApp, username: &str) {
    use store::schema::departments;
    let gz = app.office_id("GZ01");
    let sales: i64 = app.conn(|c| {
        departments::table
            .filter(
                departments::office_id
                    .eq(gz)
                    .and(departments::kind.eq("sales")),
            )
            .select(departments::id)
            .first(c)
            .expect("sales department")
    });
    let director = app.login("gz01.office_director").await;
    app.post_as(&director, "/api/v1/org/role-assignments", &json!({"user_id": app.user_id(username),
        "role": "staff", "scope_kind": "department", "scope_id": sales, "valid_from": "2024-01-01"}))
        .await
        .ok(201);
}

db_test! {
    async fn an_expansion_plan_is_approved_by_the_department_manager_then_the_director(app) {
        app.load_demo_org();
        join_sales_department(&app, "gz01.sales_rep").await;
        let rep = app.login("gz01.sales_rep").await;
        let res = app.post_as(&rep, "/api/v1/sales/expansion-plans", &plan_body(2027)).await;
        assert_eq!(res.header("etag"), Some("\"1\""));
        let plan = res.ok(201);
        let pid = id(&plan);
        assert_eq!((plan["number"].clone(), plan["status"].clone(), plan["approval_id"].clone()),
            (json!("EP-GZ01-2027-000001"), json!("draft"), Value::Null));
        let res = app.post_as(&rep, "/api/v1/sales/expansion-plans", &json!({"year": 1999, "title": "x", "goals": "x",
            "key_regions": "x", "target_groups": "x", "methods": "x", "schedule": "x", "budget": -1})).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["budget", "year"]);

        let path = format!("/api/v1/sales/expansion-plans/{pid}");
        let changed = app.patch_as(&rep, &path, "\"1\"", &json!({"budget": 25_000_000})).await.ok(200);
        assert_eq!((changed["budget"].clone(), changed["version"].clone()), (json!(25_000_000), json!(2)));
        app.act_as(&rep, &format!("{path}/submit"), "\"1\"", &json!({})).await.problem(412, "version_conflict");
        let submitted = app.act_as(&rep, &format!("{path}/submit"), "\"2\"", &json!({})).await.ok(200);
        assert_eq!(submitted["status"], "in_approval");
        let approval = submitted["approval_id"].as_i64().expect("approval id");
        app.patch_as(&rep, &path, "\"3\"", &json!({"budget": 1})).await.problem(409, "invalid_transition");
        app.act_as(&rep, &format!("{path}/submit"), "\"3\"", &json!({})).await.problem(409, "invalid_transition");

        // The chain: the submitter's department supervisor, then the office director.
        let director = app.login("gz01.office_director").await;
        let chain = app.get_as(&director, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        let steps: Vec<(String, Value)> = chain["steps"].as_array().unwrap().iter()
            .map(|s| (s["name"].as_str().unwrap().to_owned(), s["approver_user_id"].clone())).collect();
        assert_eq!(steps, vec![
            ("department_manager".to_owned(), json!(app.user_id("gz01.department_supervisor"))),
            ("office_director".to_owned(), Value::Null),
        ]);
        assert_eq!((chain["doc_type"].clone(), chain["amount"].clone(), chain["submitter_user_id"].clone()),
            (json!("expansion_plan"), json!(25_000_000), json!(app.user_id("gz01.sales_rep"))));

        app.approve_as("gz01.department_supervisor", approval).await;
        assert_eq!(app.get_as(&rep, &path).await.ok(200)["status"], "in_approval");
        let decided = app.approve_as("gz01.office_director", approval).await;
        assert_eq!(decided["status"], "approved");
        let approved = app.get_as(&rep, &path).await.ok(200);
        assert_eq!(approved["status"], "approved");
        app.patch_as(&rep, &path, &format!("\"{}\"", approved["version"]), &json!({"budget": 1})).await
            .problem(409, "invalid_transition");
        assert_eq!(actions(&app, "expansion_plan", pid), vec!["create", "update", "submit", "approved"]);
    }
}

db_test! {
    async fn a_rejected_plan_goes_back_with_the_reason_and_is_resubmitted(app) {
        app.load_demo_org();
        join_sales_department(&app, "gz01.sales_rep").await;
        let rep = app.login("gz01.sales_rep").await;
        let plan = app.post_as(&rep, "/api/v1/sales/expansion-plans", &plan_body(2027)).await.ok(201);
        let path = format!("/api/v1/sales/expansion-plans/{}", id(&plan));
        let approval = app.act_as(&rep, &format!("{path}/submit"), "\"1\"", &json!({})).await.ok(200)["approval_id"]
            .as_i64().unwrap();

        let supervisor = app.login("gz01.department_supervisor").await;
        let etag = etag_of(&app, &supervisor, &format!("/api/v1/approvals/{approval}")).await;
        app.act_as(&supervisor, &format!("/api/v1/approvals/{approval}/reject"), &etag,
            &json!({"reason": "預算過高，請壓縮展會費用"})).await.ok(200);
        let rejected = app.get_as(&rep, &path).await.ok(200);
        assert_eq!((rejected["status"].clone(), rejected["rejection_reason"].clone()),
            (json!("rejected"), json!("預算過高，請壓縮展會費用")));

        // Changed and resubmitted: the reason is cleared, the same approval runs again.
        let etag = etag_of(&app, &rep, &path).await;
        let changed = app.patch_as(&rep, &path, &etag, &json!({"budget": 20_000_000})).await.ok(200);
        let etag = format!("\"{}\"", changed["version"]);
        let again = app.act_as(&rep, &format!("{path}/submit"), &etag, &json!({})).await.ok(200);
        assert_eq!((again["status"].clone(), again["rejection_reason"].clone(), again["approval_id"].clone()),
            (json!("in_approval"), Value::Null, json!(approval)));
        let chain = app.get_as(&supervisor, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        assert_eq!((chain["round"].clone(), chain["amount"].clone()), (json!(2), json!(20_000_000)));
        assert_eq!(actions(&app, "expansion_plan", id(&plan)), vec!["create", "submit", "rejected", "update", "submit"]);

        // A submitter assigned office-wide is reviewed by the office's sales
        // department (a sales document is the business department's), then the director.
        let specialist = app.login("gz01.market_specialist").await;
        let other = app.post_as(&specialist, "/api/v1/sales/expansion-plans", &plan_body(2027)).await.ok(201);
        assert_eq!(other["number"], "EP-GZ01-2027-000002");
        let approval = app.act_as(&specialist, &format!("/api/v1/sales/expansion-plans/{}/submit", id(&other)), "\"1\"", &json!({}))
            .await.ok(200)["approval_id"].as_i64().unwrap();
        let chain = app.get_as(&specialist, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        let names: Vec<&str> = chain["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["department_manager", "office_director"]);
        assert_eq!(chain["steps"][0]["approver_user_id"], app.user_id("gz01.department_supervisor"));
    }
}

fn campaign_body(starts_on: &str, ends_on: &str) -> Value {
    json!({
        "theme": "廣州國際照明展",
        "content": "展出節能工礦燈",
        "channels": ["trade_show", "online"],
        "starts_on": starts_on,
        "ends_on": ends_on,
        "budget": 15_000_000,
        "expected_effect": "收集有效線索 80 條"
    })
}

db_test! {
    async fn a_campaign_is_evaluated_after_it_ends_with_its_cost_per_lead(app) {
        app.load_demo_org();
        let gz = app.office_id("GZ01");
        let user = app.user_id("gz01.market_specialist");
        let token = app.login("gz01.market_specialist").await;

        let res = app.post_as(&token, "/api/v1/sales/campaigns", &campaign_body("2024-06-12", "2024-06-09")).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["ends_on"]);
        let mut twice = campaign_body("2024-06-09", "2024-06-12");
        twice["channels"] = json!(["online", "online"]);
        let res = app.post_as(&token, "/api/v1/sales/campaigns", &twice).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["channels"]);

        let past = app.post_as(&token, "/api/v1/sales/campaigns", &campaign_body("2024-06-09", "2024-06-12")).await.ok(201);
        let cid = id(&past);
        assert_eq!((past["channels"].clone(), past["status"].clone(), past["cost_per_lead"].clone()),
            (json!(["trade_show", "online"]), json!("planned"), Value::Null));
        let path = format!("/api/v1/sales/campaigns/{cid}");
        let changed = app.patch_as(&token, &path, "\"1\"", &json!({"channels": ["product_launch"], "budget": 12_000_000})).await.ok(200);
        assert_eq!((changed["channels"].clone(), changed["budget"].clone()), (json!(["product_launch"]), json!(12_000_000)));
        app.patch_as(&token, &path, "\"2\"", &json!({"starts_on": "2024-07-01"})).await.problem(422, "validation_failed");

        // Two leads came from this campaign, one from another.
        let future = app.post_as(&token, "/api/v1/sales/campaigns", &campaign_body("2099-05-01", "2099-05-03")).await.ok(201);
        add_lead(&app, gz, cid, user, "天河城物業");
        add_lead(&app, gz, cid, user, "珠江新城物業");
        add_lead(&app, gz, id(&future), user, "未來物業");

        // Not before the last day.
        let res = app.act_as(&token, &format!("/api/v1/sales/campaigns/{}/evaluation", id(&future)), "\"1\"",
            &json!({"actual_cost": 1, "effect_notes": "early"})).await;
        let body = res.problem(422, "validation_failed");
        assert_eq!((body["errors"][0]["field"].clone(), body["errors"][0]["code"].clone()), (json!("ends_on"), json!("not_ended")));

        // 10,000.01 over 2 leads = 5,000.005 → 5,000.01, half up.
        let evaluated = app.act_as(&token, &format!("{path}/evaluation"), "\"2\"",
            &json!({"actual_cost": 1_000_001, "effect_notes": "線索質量高"})).await.ok(200);
        assert_eq!((evaluated["status"].clone(), evaluated["actual_cost"].clone(), evaluated["leads_won"].clone(),
            evaluated["cost_per_lead"].clone(), evaluated["version"].clone()),
            (json!("evaluated"), json!(1_000_001), json!(2), json!(500_001), json!(3)));
        assert_eq!(app.get_as(&token, &path).await.ok(200)["cost_per_lead"], 500_001);
        app.act_as(&token, &format!("{path}/evaluation"), "\"3\"", &json!({"actual_cost": 1, "effect_notes": "again"})).await
            .problem(409, "invalid_transition");
        app.patch_as(&token, &path, "\"3\"", &json!({"budget": 1})).await.problem(409, "invalid_transition");
        assert_eq!(actions(&app, "campaign", cid), vec!["create", "update", "evaluate"]);

        // Without leads there is no cost per lead.
        let quiet = app.post_as(&token, "/api/v1/sales/campaigns", &campaign_body("2024-08-01", "2024-08-02")).await.ok(201);
        let evaluated = app.act_as(&token, &format!("/api/v1/sales/campaigns/{}/evaluation", id(&quiet)), "\"1\"",
            &json!({"actual_cost": 300_000, "effect_notes": "無效果"})).await.ok(200);
        assert_eq!((evaluated["leads_won"].clone(), evaluated["cost_per_lead"].clone()), (json!(0), Value::Null));
        let listed = ids(&app.get_as(&token, "/api/v1/sales/campaigns?status=evaluated").await.ok(200));
        assert_eq!(listed, vec![cid, id(&quiet)]);
    }
}

db_test! {
    async fn market_records_stay_in_their_office(app) {
        app.load_demo_org();
        let sh = app.login("sh01.market_specialist").await;
        let research = id(&app.post_as(&sh, "/api/v1/sales/market-research", &research_body()).await.ok(201));
        let competitor = id(&app.post_as(&sh, "/api/v1/sales/competitors", &json!({"name": "上海亞明"})).await.ok(201));
        let plan = id(&app.post_as(&sh, "/api/v1/sales/expansion-plans", &plan_body(2027)).await.ok(201));
        let campaign = id(&app.post_as(&sh, "/api/v1/sales/campaigns", &campaign_body("2024-06-09", "2024-06-12")).await.ok(201));

        let gz = app.login("gz01.office_director").await;
        let cases = [
            ("market-research", research, json!({"title": "x"}), vec![("review", json!({"comment": "x"}))]),
            ("competitors", competitor, json!({"notes": "x"}), vec![]),
            ("expansion-plans", plan, json!({"budget": 1}), vec![("submit", json!({}))]),
            ("campaigns", campaign, json!({"budget": 1}), vec![("evaluation", json!({"actual_cost": 1, "effect_notes": "x"}))]),
        ];
        for (kind, rid, patch, acts) in cases {
            let item = format!("/api/v1/sales/{kind}/{rid}");
            let acts = acts.into_iter().map(|(a, b)| (format!("{item}/{a}"), b)).collect();
            assert_isolated(&app, &gz, Isolated {
                list: &format!("/api/v1/sales/{kind}?limit=200"),
                item,
                id: rid,
                patch: Some(patch),
                actions: acts,
            }).await;
        }
        // Nor can it be created there, and reading needs `sales:read`.
        app.post_as(&gz, "/api/v1/sales/competitors", &json!({"name": "x", "office_id": app.office_id("SH01")})).await
            .problem(404, "not_found");
        let staff = app.login("gz01.staff").await;
        app.get_as(&staff, "/api/v1/sales/campaigns").await.problem(403, "forbidden");
        // HQ reads every office.
        let auditor = app.login("hq.auditor").await;
        assert_eq!(ids(&app.get_as(&auditor, "/api/v1/sales/expansion-plans").await.ok(200)), vec![plan]);
    }
}

/// A plan's split of 1,200,000 among the given people.
fn plan_split(people: &[(i64, i64)]) -> Value {
    json!({
        "quarters": [240_000, 300_000, 300_000, 360_000],
        "months": [60_000, 80_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 120_000, 140_000],
        "persons": people.iter().map(|(u, a)| json!({"user_id": u, "amount": a})).collect::<Vec<_>>(),
        "note": "重點客戶 12 家"
    })
}

/// HQ's 1,200,000 target for GZ01 in `year`; returns its id.
async fn hq_target(app: &TestApp, gz: i64, year: i32) -> i64 {
    let admin = app.login("hq.admin").await;
    id(&app
        .post_as(
            &admin,
            "/api/v1/sales/targets",
            &json!({"office_id": gz, "year": year, "amount": 1_200_000}),
        )
        .await
        .ok(201))
}

fn plans_of(app: &TestApp, target: i64) -> i64 {
    use store::schema::sales_plans as sp;
    app.conn(|c| {
        sp::table
            .filter(sp::target_id.eq(target))
            .count()
            .get_result(c)
            .unwrap()
    })
}

db_test! {
    async fn plan_splits_must_add_up_to_hq_s_figure(app) {
        app.load_demo_org();
        let gz = app.office_id("GZ01");
        let rep = app.user_id("gz01.sales_rep");
        let supervisor = app.user_id("gz01.department_supervisor");
        let tid = hq_target(&app, gz, 2027).await;
        let head = app.login("gz01.department_supervisor").await;
        let path = format!("/api/v1/sales/targets/{tid}/plans");

        let mut bad = plan_split(&[(rep, 700_000), (supervisor, 500_000)]);
        bad["quarters"] = json!([240_000, 300_000, 300_000, 300_000]);
        let res = app.post_as(&head, &path, &bad).await;
        // Q4 no longer adds up to the year, nor its months to Q4.
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["quarters", "months"]);

        let mut bad = plan_split(&[(rep, 700_000), (supervisor, 500_000)]);
        bad["months"][3] = json!(90_000);
        bad["months"][4] = json!(90_000);
        let body = app.post_as(&head, &path, &bad).await.problem(422, "validation_failed");
        assert_eq!(fields(&body), vec!["months"]);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("quarter 2"), "{body}");

        let bad = plan_split(&[(rep, 700_000), (supervisor, 400_000)]);
        let res = app.post_as(&head, &path, &bad).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["persons"]);

        let bad = plan_split(&[(rep, 700_000), (rep, 500_000)]);
        let res = app.post_as(&head, &path, &bad).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["persons[1].user_id"]);

        // A person of another office is answered exactly as one that does not exist.
        let other = app.post_as(&head, &path, &plan_split(&[(rep, 700_000), (app.user_id("sh01.sales_rep"), 500_000)])).await.problem(422, "validation_failed");
        let missing = app.post_as(&head, &path, &plan_split(&[(rep, 700_000), (9_999_999, 500_000)])).await.problem(422, "validation_failed");
        assert_eq!(fields(&other), vec!["persons[1].user_id"]);
        assert_eq!(other["errors"], missing["errors"]);

        let mut short = plan_split(&[(rep, 1_200_000)]);
        short["quarters"] = json!([1_200_000]);
        let res = app.post_as(&head, &path, &short).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["quarters"]);

        // Nothing was stored by the refused requests, and no split is in force.
        assert_eq!(plans_of(&app, tid), 0);
        let stored = app.conn(|c| sales_pipeline::targets::target_for(c, gz, 2027).unwrap());
        assert_eq!(stored, Some((1_200_000, vec![])));
    }
}

db_test! {
    async fn hq_sets_the_figure_and_the_office_s_approved_plan_splits_it(app) {
        app.load_demo_org();
        let gz = app.office_id("GZ01");
        let rep = app.user_id("gz01.sales_rep");
        let supervisor = app.user_id("gz01.department_supervisor");
        let specialist = app.user_id("gz01.market_specialist");
        let director = app.login("gz01.office_director").await;
        let head = app.login("gz01.department_supervisor").await;
        let admin = app.login("hq.admin").await;
        let figure = json!({"office_id": gz, "year": 2027, "amount": 1_200_000});

        // The office director may not set the annual figure.
        app.post_as(&director, "/api/v1/sales/targets", &figure).await.problem(403, "forbidden");
        let res = app.post_as(&admin, "/api/v1/sales/targets", &figure).await;
        assert_eq!(res.header("etag"), Some("\"1\""));
        let target = res.ok(201);
        let tid = id(&target);
        let tpath = format!("/api/v1/sales/targets/{tid}");
        assert_eq!(res.header("location"), Some(tpath.as_str()));
        assert_eq!((target["amount"].clone(), target["currency"].clone(), target["plan_id"].clone(), target["quarters"].clone(), target["persons"].clone()),
            (json!(1_200_000), json!("CNY"), Value::Null, json!([]), json!([])));
        // One target per office and year; the split is no longer HQ's to send.
        app.post_as(&admin, "/api/v1/sales/targets", &figure).await.problem(409, "duplicate");
        let mut with_split = figure.clone();
        with_split["quarters"] = json!([300_000, 300_000, 300_000, 300_000]);
        app.post_as(&admin, "/api/v1/sales/targets", &with_split).await.problem(400, "unknown_field");

        // The sales department drafts the plan; a sales rep may not.
        let rep_token = app.login("gz01.sales_rep").await;
        let path = format!("{tpath}/plans");
        app.post_as(&rep_token, &path, &plan_split(&[(rep, 1_200_000)])).await.problem(403, "forbidden");
        let res = app.post_as(&head, &path, &plan_split(&[(rep, 700_000), (supervisor, 500_000)])).await;
        let plan = res.ok(201);
        let pid = id(&plan);
        let ppath = format!("/api/v1/sales/plans/{pid}");
        assert_eq!(res.header("location"), Some(ppath.as_str()));
        assert_eq!((plan["status"].clone(), plan["amount"].clone(), plan["quarters"].clone(), plan["target_id"].clone()),
            (json!("draft"), json!(1_200_000), json!([240_000, 300_000, 300_000, 360_000]), json!(tid)));
        assert_eq!(plan["months"][11], json!({"month": 12, "amount": 140_000}));

        // A draft changes; it is not in force.
        let changed = put_as(&app, &head, &ppath, "\"1\"", &plan_split(&[(rep, 600_000), (supervisor, 300_000), (specialist, 300_000)])).await.ok(200);
        assert_eq!((changed["version"].clone(), changed["persons"].as_array().unwrap().len()), (json!(2), 3));
        put_as(&app, &head, &ppath, "\"1\"", &plan_split(&[(rep, 1_200_000)])).await.problem(412, "version_conflict");
        let stored = app.conn(|c| sales_pipeline::targets::target_for(c, gz, 2027).unwrap());
        assert_eq!(stored, Some((1_200_000, vec![])));

        // Submitted by the department manager, whose own step is skipped: the director approves.
        let submitted = app.act_as(&head, &format!("{ppath}/submit"), "\"2\"", &json!({})).await.ok(200);
        assert_eq!(submitted["status"], "in_approval");
        let approval = submitted["approval_id"].as_i64().unwrap();
        put_as(&app, &head, &ppath, "\"3\"", &plan_split(&[(rep, 1_200_000)])).await.problem(409, "invalid_transition");
        app.approve_as("gz01.office_director", approval).await;
        let approved = app.get_as(&head, &ppath).await.ok(200);
        assert_eq!(approved["status"], "approved");
        let target = app.get_as(&director, &tpath).await.ok(200);
        assert_eq!((target["plan_id"].clone(), target["quarters"].clone(), target["version"].clone()),
            (json!(pid), json!([240_000, 300_000, 300_000, 360_000]), json!(2)));
        let stored = app.conn(|c| sales_pipeline::targets::target_for(c, gz, 2027).unwrap());
        assert_eq!(stored, Some((1_200_000, vec![(rep, 600_000), (supervisor, 300_000), (specialist, 300_000)])));

        // A re-split is a new plan; once approved, the old one is superseded.
        let second = id(&app.post_as(&head, &path, &plan_split(&[(rep, 1_000_000), (specialist, 200_000)])).await.ok(201));
        let spath = format!("/api/v1/sales/plans/{second}");
        let approval = app.act_as(&head, &format!("{spath}/submit"), "\"1\"", &json!({})).await.ok(200)["approval_id"].as_i64().unwrap();
        app.approve_as("gz01.office_director", approval).await;
        assert_eq!(app.get_as(&head, &ppath).await.ok(200)["status"], "superseded");
        assert_eq!(app.get_as(&head, &tpath).await.ok(200)["plan_id"], second);
        let stored = app.conn(|c| sales_pipeline::targets::target_for(c, gz, 2027).unwrap());
        assert_eq!(stored, Some((1_200_000, vec![(rep, 1_000_000), (specialist, 200_000)])));

        // A draft for the current figure, then HQ raises the figure: the split in
        // force goes out of force, and the draft no longer adds up.
        let third = id(&app.post_as(&head, &path, &plan_split(&[(rep, 1_200_000)])).await.ok(201));
        put_as(&app, &director, &tpath, "\"3\"", &json!({"amount": 1_320_000})).await.problem(403, "forbidden");
        put_as(&app, &admin, &tpath, "\"2\"", &json!({"amount": 1_320_000})).await.problem(412, "version_conflict");
        let raised = put_as(&app, &admin, &tpath, "\"3\"", &json!({"amount": 1_320_000})).await.ok(200);
        assert_eq!((raised["amount"].clone(), raised["plan_id"].clone(), raised["months"].clone()), (json!(1_320_000), Value::Null, json!([])));
        assert_eq!(app.get_as(&head, &spath).await.ok(200)["status"], "superseded");
        let res = app.act_as(&head, &format!("/api/v1/sales/plans/{third}/submit"), "\"1\"", &json!({})).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["quarters", "persons"]);
        assert_eq!(app.get_as(&head, &format!("/api/v1/sales/plans/{third}")).await.ok(200)["status"], "draft");

        let page = app.get_as(&director, &format!("/api/v1/sales/plans?target_id={tid}&status=superseded")).await.ok(200);
        assert_eq!(ids(&page), vec![pid, second]);
        assert_eq!(ids(&app.get_as(&director, "/api/v1/sales/targets?year=2027").await.ok(200)), vec![tid]);
        assert!(ids(&app.get_as(&director, "/api/v1/sales/targets?year=2028").await.ok(200)).is_empty());
        assert_eq!(actions(&app, "sales_target", tid), vec!["create", "plan", "plan", "update"]);
        assert_eq!(actions(&app, "sales_plan", pid), vec!["create", "update", "submit", "approved", "superseded"]);

        // Another office's director neither sees nor changes the target or its plans.
        let sh = app.login("sh01.office_director").await;
        assert_isolated(&app, &sh, Isolated {
            list: "/api/v1/sales/targets?limit=200",
            item: tpath.clone(),
            id: tid,
            patch: None,
            actions: vec![],
        }).await;
        assert_isolated(&app, &sh, Isolated {
            list: "/api/v1/sales/plans?limit=200",
            item: format!("/api/v1/sales/plans/{third}"),
            id: third,
            patch: None,
            actions: vec![(format!("/api/v1/sales/plans/{third}/submit"), json!({}))],
        }).await;
        put_as(&app, &sh, &tpath, "\"4\"", &json!({"amount": 1})).await.problem(404, "not_found");
        app.post_as(&sh, &path, &plan_split(&[(app.user_id("sh01.sales_rep"), 1_200_000)])).await.problem(404, "not_found");
    }
}
