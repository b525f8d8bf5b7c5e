//! Office budgets on both backends: months that must add up, HQ approval making a
//! budget active (one per office and year), budget vs actual from approved claims,
//! the over-budget mark every approver sees, blocking where the budget says so, and
//! scope.

use branchline_tests::{TestApp, db_test, json};
use serde_json::Value;

fn months(annual: i64) -> Vec<i64> {
    vec![annual / 12; 12]
}

fn budget_body(year: i32, block: bool, travel: i64) -> Value {
    json!({"year": year, "block_overruns": block, "lines": [
        {"kind": "expense", "category": "travel", "annual": travel, "months": months(travel)},
        {"kind": "expense", "category": "entertainment", "annual": 600_000, "months": months(600_000)},
        {"kind": "income", "category": "other", "annual": 12_000_000, "months": months(12_000_000)}
    ]})
}

/// Drafts, submits and has HQ approve an office's budget; returns it.
async fn active_budget(app: &TestApp, office: &str, block: bool, travel: i64) -> Value {
    let director = app.login(&format!("{office}.office_director")).await;
    let draft = app
        .post_as(
            &director,
            "/api/v1/finance/budgets",
            &budget_body(2026, block, travel),
        )
        .await
        .ok(201);
    let submitted = app
        .act_as(
            &director,
            &format!("/api/v1/finance/budgets/{}/submit", draft["id"]),
            "\"1\"",
            &json!({}),
        )
        .await
        .ok(200);
    let approval = submitted["approval_id"].as_i64().unwrap();
    app.approve_as("hq.finance", approval).await;
    app.approve_as("hq.executive", approval).await;
    let budget = app
        .get_as(
            &director,
            &format!("/api/v1/finance/budgets/{}", draft["id"]),
        )
        .await
        .ok(200);
    assert_eq!(budget["status"], "active");
    budget
}

/// A travel claim spent in November 2026, submitted; returns (claim, approval id).
async fn travel_claim(app: &TestApp, office: &str, invoice: &str, amount: i64) -> (Value, i64) {
    let rep = app.login(&format!("{office}.sales_rep")).await;
    let claim = app.post_as(&rep, "/api/v1/finance/expense-claims", &json!({"category": "travel", "title": "Trip",
        "department_id": app.sales_department(&office.to_uppercase()),
        "lines": [{"spent_on": "2026-11-05", "description": "train", "amount": amount, "invoice_number": invoice}]})).await.ok(201);
    let etag = format!("\"{}\"", claim["version"]);
    let res = app
        .act_as(
            &rep,
            &format!("/api/v1/finance/expense-claims/{}/submit", claim["id"]),
            &etag,
            &json!({}),
        )
        .await;
    let submitted = res.json();
    let approval = submitted["approval_id"].as_i64().unwrap_or_default();
    (submitted, approval)
}

db_test! {
    async fn months_must_add_up_and_lines_appear_once(app) {
        app.load_demo_org();
        let director = app.login("gz01.office_director").await;
        let mut body = budget_body(2026, false, 1_200_000);
        body["lines"][0]["months"][0] = json!(1);
        let res = app.post_as(&director, "/api/v1/finance/budgets", &body).await;
        let err = res.problem(422, "validation_failed");
        assert_eq!(err["errors"][0]["field"], "lines[0].months");
        assert_eq!(err["errors"][0]["code"], "sum");
        let mut body = budget_body(2026, false, 1_200_000);
        body["lines"][1]["category"] = json!("travel");
        let err = app.post_as(&director, "/api/v1/finance/budgets", &body).await.problem(422, "validation_failed");
        assert_eq!(err["errors"][0]["field"], "lines[1]");
        let mut body = budget_body(2026, false, 1_200_000);
        body["lines"][0]["months"] = json!([1, 2, 3]);
        app.post_as(&director, "/api/v1/finance/budgets", &body).await.problem(422, "validation_failed");
        // Quarters are the months' sums.
        let draft = app.post_as(&director, "/api/v1/finance/budgets", &budget_body(2026, false, 1_200_000)).await.ok(201);
        assert_eq!(draft["number"], "BG-GZ01-2026-000001");
        let travel = draft["lines"].as_array().unwrap().iter().find(|l| l["category"] == "travel").unwrap();
        assert_eq!(travel["quarters"], json!([300_000, 300_000, 300_000, 300_000]));
        assert_eq!(travel["annual"], 1_200_000);
        // Sales staff may not draft budgets.
        let rep = app.login("gz01.sales_rep").await;
        app.post_as(&rep, "/api/v1/finance/budgets", &budget_body(2026, false, 1_200)).await.problem(403, "forbidden");
    }
}

db_test! {
    async fn hq_approval_makes_the_one_active_budget(app) {
        app.load_demo_org();
        let budget = active_budget(&app, "gz01", false, 1_200_000).await;
        let director = app.login("gz01.office_director").await;
        let res = app.post_as(&director, "/api/v1/finance/budgets", &budget_body(2026, false, 1_200)).await;
        res.problem(409, "conflict");
        let events = app.audit_events("budget", budget["id"].as_i64().unwrap());
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["create", "submit", "active"]);
        // Another office's budget is out of reach; staff without budget:read are refused.
        let sh = app.login("sh01.office_director").await;
        app.get_as(&sh, &format!("/api/v1/finance/budgets/{}", budget["id"])).await.problem(404, "not_found");
        app.get_as(&sh, &format!("/api/v1/finance/budgets/{}/vs-actual", budget["id"])).await.problem(404, "not_found");
        assert_eq!(app.get_as(&sh, "/api/v1/finance/budgets").await.ok(200)["items"], json!([]));
        app.get_as(&app.login("gz01.staff").await, "/api/v1/finance/budgets").await.problem(403, "forbidden");
    }
}

db_test! {
    async fn budget_vs_actual_counts_approved_claims_and_flags_overruns(app) {
        app.load_demo_org();
        let budget = active_budget(&app, "gz01", false, 1_200_000).await;
        // 100,000 of travel budgeted per month; a 155,050 claim is approved in November.
        let (claim, approval) = travel_claim(&app, "gz01", "INV-BVA-1", 155_050).await;
        assert_eq!(claim["over_budget"], false, "the year's travel budget still covers it");
        for user in ["gz01.operations_specialist", "gz01.department_supervisor", "gz01.office_director", "hq.finance"] {
            app.approve_as(user, approval).await;
        }
        let director = app.login("gz01.office_director").await;
        let report = app.get_as(&director, &format!("/api/v1/finance/budgets/{}/vs-actual", budget["id"])).await.ok(200);
        let nov = report["lines"].as_array().unwrap().iter()
            .find(|l| l["category"] == "travel" && l["month"] == 11).cloned().unwrap();
        assert_eq!(nov, json!({"category": "travel", "department_id": null, "month": 11, "budget": 100_000, "actual": 155_050,
            "variance": -55_050, "execution_bp": 15_505, "over_budget": true}));
        let oct = report["lines"].as_array().unwrap().iter()
            .find(|l| l["category"] == "travel" && l["month"] == 10).cloned().unwrap();
        assert_eq!((oct["actual"].clone(), oct["over_budget"].clone()), (json!(0), json!(false)));
        // Income lines are not expense: not in the report.
        assert!(report["lines"].as_array().unwrap().iter().all(|l| l["category"] != "other"));
    }
}

db_test! {
    async fn budget_vs_actual_by_department_and_the_income_side(app) {
        app.load_demo_org();
        let budget = active_budget(&app, "gz01", false, 1_200_000).await;
        let (_, approval) = travel_claim(&app, "gz01", "INV-DEPT-1", 155_050).await;
        for user in ["gz01.operations_specialist", "gz01.department_supervisor", "gz01.office_director", "hq.finance"] {
            app.approve_as(user, approval).await;
        }
        // A customer pays 25,000.00 in November against a signed contract.
        let rep = app.login("gz01.sales_rep").await;
        let cust = app.post_as(&rep, "/api/v1/sales/customers", &json!({"name": "付款客戶", "classification": "intent"})).await.ok(201);
        let draft = app.post_as(&rep, "/api/v1/sales/contracts", &json!({"customer_id": cust["id"], "title": "t", "terms": "t",
            "lines": [{"product": "LED", "quantity": 10, "unit_price": 300_000}],
            "instalments": [{"due_on": "2026-11-01", "amount": 3_000_000}]})).await.ok(201);
        let path = format!("/api/v1/sales/contracts/{}", draft["id"]);
        let sub = app.act_as(&rep, &format!("{path}/submit"), "\"1\"", &json!({})).await.ok(200);
        let contract_approval = sub["approval_id"].as_i64().unwrap();
        app.approve_as("gz01.department_supervisor", contract_approval).await;
        app.approve_as("gz01.office_director", contract_approval).await;
        let approved = app.get_as(&rep, &path).await.ok(200);
        app.act_as(&rep, &format!("{path}/sign"), &format!("\"{}\"", approved["version"]),
            &json!({"signed_on": "2026-10-20", "signatories": ["甲方", "乙方"]})).await.ok(200);
        app.post_as(&rep, &format!("{path}/payments"), &json!({"instalment_id": approved["instalments"][0]["id"],
            "amount": 2_500_000, "received_on": "2026-11-05", "method": "bank_transfer"})).await.ok(201);

        let director = app.login("gz01.office_director").await;
        let report = app.get_as(&director, &format!("/api/v1/finance/budgets/{}/vs-actual?by=department", budget["id"])).await.ok(200);
        assert_eq!(report["by"], "department");
        let dept = app.sales_department("GZ01");
        let nov: Vec<&Value> = report["lines"].as_array().unwrap().iter()
            .filter(|l| l["category"] == "travel" && l["month"] == 11).collect();
        // The budget line has no department; the claim was the sales department's.
        assert_eq!(nov.len(), 2, "{nov:?}");
        assert_eq!((nov[0]["department_id"].clone(), nov[0]["budget"].clone(), nov[0]["actual"].clone()),
            (Value::Null, json!(100_000), json!(0)));
        assert_eq!((nov[1]["department_id"].clone(), nov[1]["budget"].clone(), nov[1]["actual"].clone()),
            (json!(dept), json!(0), json!(155_050)));
        // Income: 1,000,000.00 a month budgeted; 25,000.00 received in November.
        let income = report["income"].as_array().unwrap();
        assert_eq!(income.len(), 12);
        assert_eq!(income[10], json!({"month": 11, "budget": 1_000_000, "actual": 2_500_000, "variance": 1_500_000,
            "execution_bp": 25_000, "below_budget": false}));
        assert_eq!((income[9]["actual"].clone(), income[9]["below_budget"].clone()), (json!(0), json!(true)));
    }
}

db_test! {
    async fn a_claim_beyond_its_budget_is_marked_or_blocked(app) {
        app.load_demo_org();
        // GZ01 marks overruns; SH01's budget blocks them. Travel: 120,000 for the year.
        active_budget(&app, "gz01", false, 120_000).await;
        active_budget(&app, "sh01", true, 120_000).await;
        let (first, _) = travel_claim(&app, "gz01", "INV-OB-1", 100_000).await;
        assert_eq!(first["over_budget"], false);
        let (second, approval) = travel_claim(&app, "gz01", "INV-OB-2", 30_000).await;
        assert_eq!(second["over_budget"], true, "100,000 is committed, 20,000 is left");
        let ops = app.login("gz01.operations_specialist").await;
        let inbox = app.get_as(&ops, "/api/v1/approvals/inbox").await.ok(200);
        let item = inbox["items"].as_array().unwrap().iter().find(|i| i["approval_id"] == approval).unwrap();
        assert!(item["summary"].as_str().unwrap().starts_with("[OVER BUDGET]"), "{item}");

        let rep = app.login("sh01.sales_rep").await;
        travel_claim(&app, "sh01", "INV-OB-3", 100_000).await;
        let claim = app.post_as(&rep, "/api/v1/finance/expense-claims", &json!({"category": "travel", "title": "Trip",
            "lines": [{"spent_on": "2026-11-06", "description": "flight", "amount": 30_000, "invoice_number": "INV-OB-4"}]})).await.ok(201);
        let res = app.act_as(&rep, &format!("/api/v1/finance/expense-claims/{}/submit", claim["id"]), "\"1\"", &json!({})).await;
        assert_eq!(res.problem(409, "budget_exceeded")["remaining"], 20_000);
        let stored = app.get_as(&rep, &format!("/api/v1/finance/expense-claims/{}", claim["id"])).await.ok(200);
        assert_eq!(stored["status"], "draft");
    }
}

async fn travel_november(app: &TestApp, token: &str, budget: i64) -> Value {
    let r = app
        .get_as(
            token,
            &format!("/api/v1/finance/budgets/{budget}/vs-actual"),
        )
        .await
        .ok(200);
    r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["category"] == "travel" && l["month"] == 11)
        .cloned()
        .unwrap()
}

db_test! {
    async fn an_approved_adjustment_changes_budget_vs_actual(app) {
        app.load_demo_org();
        let budget = active_budget(&app, "gz01", false, 1_200_000).await;
        let id = budget["id"].as_i64().unwrap();
        let director = app.login("gz01.office_director").await;
        let path = format!("/api/v1/finance/budgets/{id}/adjustments");
        // Refused: no such line; below zero; zero.
        let res = app.post_as(&director, &path, &json!({"kind": "expense", "category": "rent", "month": 11, "delta": 1, "reason": "x"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "no_line");
        let res = app.post_as(&director, &path, &json!({"kind": "expense", "category": "travel", "month": 11, "delta": -100_001, "reason": "x"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "delta");
        app.post_as(&director, &path, &json!({"kind": "expense", "category": "travel", "month": 11, "delta": 0, "reason": "x"})).await
            .problem(422, "validation_failed");

        let request = app.post_as(&director, &path,
            &json!({"kind": "expense", "category": "travel", "month": 11, "delta": 50_000, "reason": "Trade show in Shenzhen"})).await.ok(201);
        assert_eq!((request["status"].clone(), request["number"].clone()), (json!("in_approval"), json!("BA-GZ01-2026-000001")));
        // Not yet approved: the budget is unchanged.
        assert_eq!(travel_november(&app, &director, id).await["budget"], 100_000);
        let approval = request["approval_id"].as_i64().unwrap();
        app.approve_as("hq.finance", approval).await;
        assert_eq!(travel_november(&app, &director, id).await["budget"], 100_000);
        app.approve_as("hq.executive", approval).await;
        assert_eq!(travel_november(&app, &director, id).await["budget"], 150_000);
        let after = app.get_as(&director, &format!("/api/v1/finance/budgets/{id}")).await.ok(200);
        let travel = after["lines"].as_array().unwrap().iter().find(|l| l["category"] == "travel").unwrap();
        assert_eq!((travel["annual"].clone(), travel["months"][10].clone()), (json!(1_250_000), json!(150_000)));
        let history = app.get_as(&director, &path).await.ok(200);
        assert_eq!(history["items"][0]["status"], "approved");
        let events = app.audit_events("budget", id);
        let adjust = events.iter().find(|e| e.action == "adjust").expect("the adjustment is in the trail");
        assert!(adjust.before_json.as_deref().unwrap().contains("100000"));
        assert!(adjust.after_json.as_deref().unwrap().contains("150000"));
        // Another office may not adjust it.
        let sh = app.login("sh01.office_director").await;
        app.post_as(&sh, &path, &json!({"kind": "expense", "category": "travel", "month": 11, "delta": 1, "reason": "x"})).await
            .problem(404, "not_found");
    }
}
