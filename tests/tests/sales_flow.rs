//! The sales pipeline end to end on both backends: the seeds' flow from market
//! research to cash collected, with the analysis figures checked against sums
//! worked out by hand; then the bad inputs, the credit limit and its override,
//! amendments, and isolation on every route.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::Value;

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn day(offset: i64) -> String {
    (today() + Duration::days(offset)).to_string()
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

async fn customer(app: &TestApp, token: &str, name: &str, credit_limit: i64) -> i64 {
    id(&app
        .post_as(
            token,
            "/api/v1/sales/customers",
            &json!({"name": name, "classification": "intent", "credit_limit": credit_limit,
                    "owner_user_id": app.user_id("gz01.sales_rep")}),
        )
        .await
        .ok(201))
}

/// Drafts, reviews (department supervisor, then the director), signs and files
/// a contract; returns it as it stands after filing.
async fn signed_contract(app: &TestApp, rep: &str, body: Value) -> Value {
    let draft = app
        .post_as(rep, "/api/v1/sales/contracts", &body)
        .await
        .ok(201);
    sign_draft(app, rep, draft).await
}

async fn sign_draft(app: &TestApp, rep: &str, draft: Value) -> Value {
    let path = format!("/api/v1/sales/contracts/{}", id(&draft));
    let submitted = app
        .act_as(rep, &format!("{path}/submit"), &etag(&draft), &json!({}))
        .await
        .ok(200);
    assert_eq!(submitted["status"], "in_review");
    let approval = submitted["approval_id"].as_i64().unwrap();
    app.approve_as("gz01.department_supervisor", approval).await;
    let done = app.approve_as("gz01.office_director", approval).await;
    assert_eq!(done["status"], "approved");
    let approved = app.get_as(rep, &path).await.ok(200);
    assert_eq!(approved["status"], "approved");
    let signed = app
        .act_as(
            rep,
            &format!("{path}/sign"),
            &etag(&approved),
            &json!({"signed_on": day(-100), "signatories": ["甲方: 陳建國", "乙方: 李明"]}),
        )
        .await
        .ok(200);
    app.act_as(
        rep,
        &format!("{path}/file"),
        &etag(&signed),
        &json!({"filed_on": day(-99)}),
    )
    .await
    .ok(200)
}

db_test! {
    async fn the_seed_flow_from_research_to_cash(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        let gz = app.office_id("GZ01");
        let year = today().year();

        // Research, reviewed by someone other than its author.
        let research = app.post_as(&rep, "/api/v1/sales/market-research", &json!({
            "title": "華南工業照明需求調研", "method": "interview", "conducted_on": day(-200),
            "findings": "廠房 LED 改造需求旺盛,競品價格低 10%", "recommendations": "主推工礦燈"})).await.ok(201);
        let director = app.login("gz01.office_director").await;
        let reviewed = app.act_as(&director, &format!("/api/v1/sales/market-research/{}/review", id(&research)), &etag(&research),
            &json!({"comment": "同意,納入年度計劃"})).await.ok(200);
        assert_eq!(reviewed["reviewed_by"], app.user_id("gz01.office_director"));

        // The annual expansion plan: department manager, then branch leadership.
        let plan = app.post_as(&rep, "/api/v1/sales/expansion-plans", &json!({
            "year": year, "title": "南海工業園拓展", "goals": "新增 5 家工業客戶", "key_regions": "佛山南海",
            "target_groups": "製造業廠房", "methods": "上門拜訪、技術交流會", "schedule": "Q1 調研, Q2-Q4 拜訪",
            "budget": 5_000_000})).await.ok(201);
        let plan = app.act_as(&rep, &format!("/api/v1/sales/expansion-plans/{}/submit", id(&plan)), &etag(&plan), &json!({})).await.ok(200);
        let approval = plan["approval_id"].as_i64().unwrap();
        app.approve_as("gz01.department_supervisor", approval).await;
        assert_eq!(app.approve_as("gz01.office_director", approval).await["status"], "approved");
        let plan = app.get_as(&rep, &format!("/api/v1/sales/expansion-plans/{}", id(&plan))).await.ok(200);
        assert_eq!(plan["status"], "approved");

        // A lead becomes an opportunity, which moves stage by stage.
        let cust = customer(&app, &rep, "佛山市南海區華強五金廠", 10_000_000).await;
        let lead = app.post_as(&rep, "/api/v1/sales/leads", &json!({"company_name": "佛山市南海區華強五金廠",
            "source_channel": "referral", "customer_id": cust})).await.ok(201);
        let opp = app.act_as(&rep, &format!("/api/v1/sales/leads/{}/convert", id(&lead)), &etag(&lead), &json!({
            "title": "廠房照明改造", "expected_amount": 3_000_000, "expected_close_on": day(30)})).await.ok(201);
        assert_eq!(opp["stage"], "initial_contact");
        let lead = app.get_as(&rep, &format!("/api/v1/sales/leads/{}", id(&lead))).await.ok(200);
        assert_eq!((lead["status"].clone(), lead["opportunity_id"].clone()), (json!("converted"), opp["id"].clone()));
        let opp_path = format!("/api/v1/sales/opportunities/{}", id(&opp));
        let mut opp = opp;
        for stage in ["needs_analysis", "solution", "quotation"] {
            opp = app.act_as(&rep, &format!("{opp_path}/stage"), &etag(&opp), &json!({"stage": stage})).await.ok(200);
        }

        // A quotation, revised once; the server prices the lines.
        let quote = app.post_as(&rep, "/api/v1/sales/quotations", &json!({"customer_id": cust, "opportunity_id": id(&opp),
            "valid_until": day(30), "lines": [
                {"product": "LED 工礦燈 150W", "quantity": 40, "unit_price": 68_000, "discount_bp": 500},
                {"product": "智能照明控制器", "quantity": 2, "unit_price": 150_000}]})).await.ok(201);
        // 40 × 680.00 × 95% = 25,840.00; 2 × 1,500.00 = 3,000.00
        assert_eq!((quote["subtotal"].clone(), quote["discount_total"].clone(), quote["total"].clone()),
            (json!(3_020_000), json!(136_000), json!(2_884_000)));
        assert_eq!(quote["lines"][0]["amount"], 2_584_000);
        let revised = app.post_as(&rep, &format!("/api/v1/sales/quotations/{}/revisions", id(&quote)), &json!({
            "valid_until": day(30), "lines": [
                {"product": "LED 工礦燈 150W", "quantity": 40, "unit_price": 68_000, "discount_bp": 1000},
                {"product": "智能照明控制器", "quantity": 2, "unit_price": 150_000}]})).await.ok(201);
        // 40 × 680.00 × 90% = 24,480.00, plus 3,000.00
        assert_eq!((revised["number"].clone(), revised["revision"].clone(), revised["total"].clone()),
            (quote["number"].clone(), json!(2), json!(2_748_000)));
        let old = app.get_as(&rep, &format!("/api/v1/sales/quotations/{}", id(&quote))).await.ok(200);
        assert_eq!(old["status"], "superseded");
        opp = app.act_as(&rep, &format!("{opp_path}/stage"), &etag(&opp), &json!({"stage": "negotiation"})).await.ok(200);

        // The quotation becomes a contract draft with a schedule adding up to the total.
        let draft = app.post_as(&rep, &format!("/api/v1/sales/quotations/{}/contract", id(&revised)), &json!({
            "title": "廠房照明改造合同", "instalments": [
                {"due_on": day(-90), "amount": 824_400},
                {"due_on": day(-45), "amount": 1_373_600},
                {"due_on": day(30), "amount": 550_000}]})).await.ok(201);
        assert_eq!((draft["status"].clone(), draft["total"].clone(), draft["outstanding"].clone()),
            (json!("draft"), json!(2_748_000), json!(2_748_000)));
        assert_eq!(draft["lines"].as_array().unwrap().len(), 2);
        let contract = sign_draft(&app, &rep, draft).await;
        assert_eq!(contract["status"], "filed");
        assert_eq!(contract["signatories"], "甲方: 陳建國\n乙方: 李明");
        let cpath = format!("/api/v1/sales/contracts/{}", id(&contract));
        let contract = app.act_as(&rep, &format!("{cpath}/execute"), &etag(&contract), &json!({})).await.ok(200);
        assert_eq!(contract["status"], "in_execution");
        // The opportunity is won with its contract.
        opp = app.act_as(&rep, &format!("{opp_path}/stage"), &etag(&opp),
            &json!({"stage": "won", "contract_id": id(&contract)})).await.ok(200);
        assert_eq!((opp["stage"].clone(), opp["contract_id"].clone()), (json!("won"), contract["id"].clone()));
        let history = app.get_as(&rep, &format!("{opp_path}/history")).await.ok(200);
        let stages: Vec<&str> = history["items"].as_array().unwrap().iter().map(|h| h["to_stage"].as_str().unwrap()).collect();
        assert_eq!(stages, ["initial_contact", "needs_analysis", "solution", "quotation", "negotiation", "won"]);

        // An order through every status.
        let order = app.post_as(&rep, "/api/v1/sales/orders", &json!({"customer_id": cust, "contract_id": id(&contract),
            "delivery_date": day(20), "lines": [
                {"product": "LED 工礦燈 150W", "quantity": 40, "unit_price": 68_000, "discount_bp": 1000},
                {"product": "智能照明控制器", "quantity": 2, "unit_price": 150_000}]})).await.ok(201);
        assert!(order["number"].as_str().unwrap().starts_with("SO-GZ01-"));
        assert_eq!((order["status"].clone(), order["total"].clone(), order["sales_user_id"].clone()),
            (json!("entered"), json!(2_748_000), json!(app.user_id("gz01.sales_rep"))));
        let opath = format!("/api/v1/sales/orders/{}", id(&order));
        let mut order = order;
        for (status, extra) in [("in_production", json!({})),
            ("shipped", json!({"carrier": "順豐速運", "tracking_number": "SF1400238877651"})),
            ("installed", json!({})), ("trained", json!({"note": "客戶電工 3 人完成培訓"})), ("completed", json!({}))] {
            let mut body = extra.clone();
            body["status"] = json!(status);
            order = app.act_as(&rep, &format!("{opath}/status"), &etag(&order), &body).await.ok(200);
            assert_eq!(order["status"], status);
        }
        assert_eq!(order["tracking_number"], "SF1400238877651");
        let events = app.get_as(&rep, &format!("{opath}/events")).await.ok(200);
        assert_eq!(events["items"].as_array().unwrap().len(), 6);

        // Instalments: the first on time, the second late and dunned first.
        let inst: Vec<i64> = contract["instalments"].as_array().unwrap().iter().map(id).collect();
        let pay = |inst: i64, amount: i64, on: String| json!({"instalment_id": inst, "amount": amount,
            "received_on": on, "method": "bank_transfer"});
        app.post_as(&rep, &format!("{cpath}/payments"), &pay(inst[0], 824_400, day(-90))).await.ok(201);
        let overdue = app.get_as(&rep, "/api/v1/sales/receivables?overdue=true").await.ok(200);
        let items = overdue["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!((items[0]["instalment_id"].as_i64(), items[0]["days_overdue"].as_i64(), items[0]["outstanding"].as_i64()),
            (Some(inst[1]), Some(45), Some(1_373_600)));
        let dunned = app.post_as(&rep, &format!("/api/v1/sales/receivables/{}/dunning", inst[1]), &json!({
            "channel": "call", "contacted_person": "財務部 王會計", "reason_given": "項目甲方尚未撥款",
            "promised_on": day(0), "escalate_to": "director"})).await.ok(201);
        assert_eq!(dunned["escalated_to"], "director");
        assert_eq!(app.audit_events("dunning_action", id(&dunned))[0].action, "escalate");
        app.post_as(&rep, &format!("{cpath}/payments"), &pay(inst[1], 1_373_600, day(0))).await.ok(201);
        // Paying more than is outstanding is refused, and nothing is written.
        let res = app.post_as(&rep, &format!("{cpath}/payments"), &pay(inst[2], 550_001, day(0))).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "amount");
        let after = app.get_as(&rep, &cpath).await.ok(200);
        assert_eq!((after["paid"].clone(), after["outstanding"].clone()), (json!(2_198_000), json!(550_000)));
        let res = app.act_as(&rep, &format!("{cpath}/complete"), &etag(&after), &json!({})).await;
        assert_eq!(res.problem(409, "invalid_transition")["outstanding"], 550_000);

        // A target for the year: HQ sets the figure, the office's plan splits it
        // and is in force once the director approves it.
        let admin = app.login("hq.admin").await;
        let target = app.post_as(&admin, "/api/v1/sales/targets", &json!({"office_id": gz, "year": year, "amount": 12_000_000})).await.ok(201);
        let head = app.login("gz01.department_supervisor").await;
        let months: Vec<i64> = vec![1_000_000; 12];
        let plan = app.post_as(&head, &format!("/api/v1/sales/targets/{}/plans", target["id"]), &json!({
            "quarters": [3_000_000, 3_000_000, 3_000_000, 3_000_000], "months": months,
            "persons": [{"user_id": app.user_id("gz01.sales_rep"), "amount": 12_000_000}]})).await.ok(201);
        let plan = app.act_as(&head, &format!("/api/v1/sales/plans/{}/submit", plan["id"]), "\"1\"", &json!({})).await.ok(200);
        app.approve_as("gz01.office_director", plan["approval_id"].as_i64().unwrap()).await;

        // The analyses, against the figures above.
        let from = format!("{year}-01-01");
        let to = format!("{year}-12-31");
        let by_product = app.get_as(&rep, &format!("/api/v1/sales/analysis/sales?from={from}&to={to}&group_by=product")).await.ok(200);
        assert_eq!(by_product["rows"], json!([
            {"key": "LED 工礦燈 150W", "label": "LED 工礦燈 150W", "orders": 1, "quantity": 40, "amount": 2_448_000},
            {"key": "智能照明控制器", "label": "智能照明控制器", "orders": 1, "quantity": 2, "amount": 300_000}]));
        assert_eq!(by_product["total_amount"], 2_748_000);
        let by_office = app.get_as(&rep, &format!("/api/v1/sales/analysis/sales?from={from}&to={to}&group_by=office")).await.ok(200);
        assert_eq!(by_office["rows"][0]["key"], gz.to_string());
        assert_eq!(by_office["rows"][0]["amount"], 2_748_000);
        let by_month = app.get_as(&rep, &format!("/api/v1/sales/analysis/sales?from={from}&to={to}&group_by=month")).await.ok(200);
        assert_eq!(by_month["rows"][0]["key"], format!("{year}-{:02}", today().month()));
        let ach = app.get_as(&rep, &format!("/api/v1/sales/analysis/achievement?year={year}")).await.ok(200);
        // 2,748,000 of 12,000,000 = 22.90%
        assert_eq!(ach["offices"], json!([{"office_id": gz, "user_id": null, "target": 12_000_000, "actual": 2_748_000, "rate_bp": 2290}]));
        assert_eq!(ach["persons"][0]["rate_bp"], 2290);
        let funnel = app.get_as(&rep, &format!("/api/v1/sales/analysis/funnel?from={}&to={}", day(-1), day(0))).await.ok(200);
        assert_eq!(funnel["opened"], 1);
        assert!(funnel["stages"].as_array().unwrap().iter().all(|s| s["stage"] == "lost" || s["reached"] == 1), "{funnel}");
        assert_eq!(funnel["stages"][5], json!({"stage": "won", "reached": 1, "conversion_bp": 10_000}));
        let ageing = app.get_as(&rep, &format!("/api/v1/sales/analysis/ageing?as_of={}", day(0))).await.ok(200);
        assert_eq!(ageing["offices"], json!([{"office_id": gz, "not_due": 550_000, "days_0_30": 0, "days_31_60": 0,
            "days_61_90": 0, "days_over_90": 0, "total": 550_000}]));
        // Seen from 40 days on, the last instalment is 10 days late.
        let later = app.get_as(&rep, &format!("/api/v1/sales/analysis/ageing?as_of={}", day(40))).await.ok(200);
        assert_eq!(later["offices"][0]["days_0_30"], 550_000);
        assert_eq!(app.audit_events("contract", id(&contract)).iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["create", "submit", "approved", "sign", "file", "execute"]);
    }
}

db_test! {
    async fn bad_input_gets_a_clear_answer(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        let cust = customer(&app, &rep, "華強五金", 10_000_000).await;
        let line = json!({"product": "LED", "quantity": 10, "unit_price": 10_000});
        // Instalments that do not add up to the total (100,000 here).
        let res = app.post_as(&rep, "/api/v1/sales/contracts", &json!({"customer_id": cust, "title": "t", "terms": "t",
            "lines": [line], "instalments": [{"due_on": day(10), "amount": 60_000}, {"due_on": day(40), "amount": 30_000}]})).await;
        let body = res.problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "instalments");
        assert_eq!(body["errors"][0]["code"], "sum_mismatch");
        // A quantity of 0 and a negative price, each named.
        let res = app.post_as(&rep, "/api/v1/sales/quotations", &json!({"customer_id": cust, "valid_until": day(10),
            "lines": [{"product": "A", "quantity": 0, "unit_price": 100}, {"product": "B", "quantity": 1, "unit_price": -1}]})).await;
        let body = res.problem(422, "validation_failed");
        let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["lines[0].quantity", "lines[1].unit_price"]);
        // A stage jump that is not allowed: the answer lists what is.
        let opp = app.post_as(&rep, "/api/v1/sales/opportunities", &json!({"customer_id": cust, "title": "x",
            "expected_amount": 100, "expected_close_on": day(30)})).await.ok(201);
        let res = app.act_as(&rep, &format!("/api/v1/sales/opportunities/{}/stage", id(&opp)), &etag(&opp), &json!({"stage": "quotation"})).await;
        let body = res.problem(409, "invalid_transition");
        assert_eq!(body["allowed_actions"], json!(["needs_analysis", "lost"]));
        let res = app.act_as(&rep, &format!("/api/v1/sales/opportunities/{}/stage", id(&opp)), &etag(&opp), &json!({"stage": "lost"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "lost_reason");
        // An order for another office's customer.
        let sh = app.login("sh01.sales_rep").await;
        let sh_cust = app.post_as(&sh, "/api/v1/sales/customers", &json!({"name": "Pudong", "classification": "intent"})).await.ok(201);
        let res = app.post_as(&rep, "/api/v1/sales/orders", &json!({"customer_id": id(&sh_cust), "delivery_date": day(10), "lines": [line]})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "customer_id");
        // Even HQ, who sees both offices, cannot book it to the wrong office.
        let admin = app.login("hq.admin").await;
        let res = app.post_as(&admin, "/api/v1/sales/orders", &json!({"office_id": app.office_id("GZ01"),
            "customer_id": id(&sh_cust), "delivery_date": day(10), "lines": [line]})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "customer_id");
        // A report period that ends before it starts is a bad query.
        let res = app.get_as(&rep, "/api/v1/sales/analysis/sales?from=2026-12-01&to=2026-01-01&group_by=office").await;
        assert_eq!(res.problem(400, "invalid_parameter")["errors"][0]["field"], "query.to");
        // An invalid credit code.
        let res = app.post_as(&rep, "/api/v1/sales/customers", &json!({"name": "x", "classification": "potential", "uscc": "91350100M000100Y44"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "uscc");
        // Nothing of the refused requests was stored.
        let orders = app.get_as(&admin, "/api/v1/sales/orders").await.ok(200);
        assert!(orders["items"].as_array().unwrap().is_empty());
        let contracts = app.get_as(&admin, "/api/v1/sales/contracts").await.ok(200);
        assert!(contracts["items"].as_array().unwrap().is_empty());
        // A signed contract's terms never change; only an amendment does.
        let signed = signed_contract(&app, &rep, json!({"customer_id": cust, "title": "t", "terms": "原條款",
            "lines": [line], "instalments": [{"due_on": day(10), "amount": 100_000}]})).await;
        let path = format!("/api/v1/sales/contracts/{}", id(&signed));
        let res = app.patch_as(&rep, &path, &etag(&signed), &json!({"terms": "新條款"})).await;
        res.problem(409, "invalid_transition");
    }
}

db_test! {
    async fn the_credit_limit_holds_unless_an_override_is_approved(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        // Limit 1,000.00; an order of 600.00 fits, a second of 600.00 does not.
        let cust = customer(&app, &rep, "限額客戶", 100_000).await;
        let order = |qty: i64, ov: Option<i64>| json!({"customer_id": cust, "delivery_date": day(10),
            "lines": [{"product": "LED", "quantity": qty, "unit_price": 10_000}], "credit_override_id": ov});
        app.post_as(&rep, "/api/v1/sales/orders", &order(6, None)).await.ok(201);
        let res = app.post_as(&rep, "/api/v1/sales/orders", &order(6, None)).await;
        let body = res.problem(409, "credit_limit_exceeded");
        assert_eq!((body["credit_limit"].clone(), body["exposure"].clone(), body["excess"].clone()),
            (json!(100_000), json!(60_000), json!(20_000)));
        // An override in approval does not count yet.
        let ov = app.post_as(&rep, "/api/v1/sales/credit-overrides", &json!({"customer_id": cust, "amount": 20_000,
            "reason": "旺季備貨"})).await.ok(201);
        let res = app.post_as(&rep, "/api/v1/sales/orders", &order(6, Some(id(&ov)))).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "credit_override_id");
        app.approve_as("gz01.office_director", ov["approval_id"].as_i64().unwrap()).await;
        app.approve_as("hq.finance", ov["approval_id"].as_i64().unwrap()).await;
        // Too small an override is still refused.
        let res = app.post_as(&rep, "/api/v1/sales/orders", &order(7, Some(id(&ov)))).await;
        res.problem(409, "credit_limit_exceeded");
        let made = app.post_as(&rep, "/api/v1/sales/orders", &order(6, Some(id(&ov)))).await.ok(201);
        assert_eq!(made["credit_override_id"], ov["id"]);
        let used = app.get_as(&rep, &format!("/api/v1/sales/credit-overrides/{}", id(&ov))).await.ok(200);
        assert_eq!((used["status"].clone(), used["order_id"].clone()), (json!("approved"), made["id"].clone()));
        // It serves one order only.
        let res = app.post_as(&rep, "/api/v1/sales/orders", &order(1, Some(id(&ov)))).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "credit_override_id");
        // Cancelling an order frees its share of the limit.
        let first = app.get_as(&rep, "/api/v1/sales/orders").await.ok(200)["items"][0].clone();
        app.act_as(&rep, &format!("/api/v1/sales/orders/{}/status", id(&first)), &etag(&first),
            &json!({"status": "cancelled", "reason": "客戶取消"})).await.ok(200);
        app.post_as(&rep, "/api/v1/sales/orders", &order(4, None)).await.ok(201);
    }
}

db_test! {
    async fn an_amendment_changes_a_signed_contract_once_approved(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        let cust = customer(&app, &rep, "變更客戶", 10_000_000).await;
        let contract = signed_contract(&app, &rep, json!({"customer_id": cust, "title": "t", "terms": "原條款",
            "lines": [{"product": "LED", "quantity": 10, "unit_price": 10_000}],
            "instalments": [{"due_on": day(-10), "amount": 40_000}, {"due_on": day(20), "amount": 60_000}]})).await;
        let cpath = format!("/api/v1/sales/contracts/{}", id(&contract));
        let first = contract["instalments"][0]["id"].as_i64().unwrap();
        app.post_as(&rep, &format!("{cpath}/payments"), &json!({"instalment_id": first, "amount": 40_000,
            "received_on": day(0), "method": "bank_transfer"})).await.ok(201);
        // A new total comes with the lines it is the sum of.
        let res = app.post_as(&rep, &format!("{cpath}/amendments"), &json!({"reason": "追加", "new_total": 120_000,
            "instalments": [{"due_on": day(-10), "amount": 40_000}, {"due_on": day(20), "amount": 80_000}]})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "lines");
        let twelve = json!([{"product": "LED", "quantity": 12, "unit_price": 10_000}]);
        let res = app.post_as(&rep, &format!("{cpath}/amendments"), &json!({"reason": "追加", "new_total": 130_000,
            "lines": twelve, "instalments": [{"due_on": day(-10), "amount": 40_000}, {"due_on": day(20), "amount": 90_000}]})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "new_total");
        // What was received must fit the new schedule.
        let res = app.post_as(&rep, &format!("{cpath}/amendments"), &json!({"reason": "追加", "lines": twelve,
            "instalments": [{"due_on": day(-10), "amount": 30_000}, {"due_on": day(20), "amount": 90_000}]})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "instalments[0].amount");
        let res = app.post_as(&rep, &format!("{cpath}/amendments"), &json!({"reason": "追加", "lines": twelve,
            "instalments": [{"due_on": day(-10), "amount": 40_000}, {"due_on": day(20), "amount": 60_000}]})).await;
        res.problem(422, "validation_failed");
        let am = app.post_as(&rep, &format!("{cpath}/amendments"), &json!({"reason": "客戶追加 2 套", "lines": twelve,
            "new_terms": "新條款", "instalments": [{"due_on": day(-10), "amount": 40_000}, {"due_on": day(20), "amount": 50_000},
            {"due_on": day(50), "amount": 30_000}]})).await.ok(201);
        assert_eq!(am["new_total"], 120_000);
        assert!(am["number"].as_str().unwrap().starts_with("CA-GZ01-"));
        // Until approved, the contract is as signed.
        let unchanged = app.get_as(&rep, &cpath).await.ok(200);
        assert_eq!((unchanged["total"].clone(), unchanged["terms"].clone()), (json!(100_000), json!("原條款")));
        let approval = am["approval_id"].as_i64().unwrap();
        app.approve_as("gz01.department_supervisor", approval).await;
        app.approve_as("gz01.office_director", approval).await;
        let amended = app.get_as(&rep, &cpath).await.ok(200);
        assert_eq!((amended["total"].clone(), amended["terms"].clone(), amended["paid"].clone(), amended["outstanding"].clone()),
            (json!(120_000), json!("新條款"), json!(40_000), json!(80_000)));
        let amounts: Vec<i64> = amended["instalments"].as_array().unwrap().iter().map(|i| i["amount"].as_i64().unwrap()).collect();
        assert_eq!(amounts, [40_000, 50_000, 30_000]);
        assert_eq!(amended["instalments"][0]["id"].as_i64(), Some(first));
        assert_eq!((amended["lines"][0]["quantity"].clone(), amended["lines"][0]["amount"].clone()), (json!(12), json!(120_000)));
        let events = app.audit_events("contract", id(&contract));
        assert_eq!(events.last().unwrap().action, "amend");
    }
}

db_test! {
    async fn large_contracts_also_go_to_leadership(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        let cust = customer(&app, &rep, "大客戶", 0).await;
        // 1,000 × 1,000.01 = 1,000,010.00 > 1,000,000.00
        let draft = app.post_as(&rep, "/api/v1/sales/contracts", &json!({"customer_id": cust, "title": "t", "terms": "t",
            "lines": [{"product": "LED", "quantity": 1000, "unit_price": 100_001}],
            "instalments": [{"due_on": day(10), "amount": 100_001_000}]})).await.ok(201);
        let sub = app.act_as(&rep, &format!("/api/v1/sales/contracts/{}/submit", id(&draft)), &etag(&draft), &json!({})).await.ok(200);
        let approval = sub["approval_id"].as_i64().unwrap();
        let admin = app.login("hq.admin").await;
        let chain = app.get_as(&admin, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        let steps: Vec<&str> = chain["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(steps, ["department_review", "office_director", "hq_review"]);
    }
}

db_test! {
    async fn no_sales_record_leaks_across_offices(app) {
        app.load_demo_org();
        let sh = app.login("sh01.sales_rep").await;
        let gz = app.login("gz01.sales_rep").await;
        let sh_cust = id(&app.post_as(&sh, "/api/v1/sales/customers", &json!({"name": "Pudong", "classification": "intent",
            "credit_limit": 10_000_000})).await.ok(201));
        let lead = app.post_as(&sh, "/api/v1/sales/leads", &json!({"company_name": "Pudong", "source_channel": "web"})).await.ok(201);
        let opp = app.post_as(&sh, "/api/v1/sales/opportunities", &json!({"customer_id": sh_cust, "title": "x",
            "expected_amount": 1, "expected_close_on": day(9)})).await.ok(201);
        let line = json!({"product": "LED", "quantity": 1, "unit_price": 100});
        let quote = app.post_as(&sh, "/api/v1/sales/quotations", &json!({"customer_id": sh_cust, "valid_until": day(9), "lines": [line]})).await.ok(201);
        let contract = app.post_as(&sh, "/api/v1/sales/contracts", &json!({"customer_id": sh_cust, "title": "t", "terms": "t",
            "lines": [line], "instalments": [{"due_on": day(9), "amount": 100}]})).await.ok(201);
        let order = app.post_as(&sh, "/api/v1/sales/orders", &json!({"customer_id": sh_cust, "delivery_date": day(9), "lines": [line]})).await.ok(201);
        let ov = app.post_as(&sh, "/api/v1/sales/credit-overrides", &json!({"customer_id": sh_cust, "amount": 1, "reason": "x"})).await.ok(201);
        let inst = contract["instalments"][0]["id"].as_i64().unwrap();
        let cases = [
            Isolated { list: "/api/v1/sales/leads", item: format!("/api/v1/sales/leads/{}", id(&lead)), id: id(&lead),
                patch: Some(json!({"notes": "x"})), actions: vec![(format!("/api/v1/sales/leads/{}/convert", id(&lead)),
                json!({"title": "x", "expected_amount": 1, "expected_close_on": day(9)}))] },
            Isolated { list: "/api/v1/sales/opportunities", item: format!("/api/v1/sales/opportunities/{}", id(&opp)), id: id(&opp),
                patch: Some(json!({"title": "x"})), actions: vec![(format!("/api/v1/sales/opportunities/{}/stage", id(&opp)), json!({"stage": "needs_analysis"}))] },
            Isolated { list: "/api/v1/sales/quotations", item: format!("/api/v1/sales/quotations/{}", id(&quote)), id: id(&quote),
                patch: None, actions: vec![
                    (format!("/api/v1/sales/quotations/{}/revisions", id(&quote)), json!({"valid_until": day(9), "lines": [line]})),
                    (format!("/api/v1/sales/quotations/{}/contract", id(&quote)), json!({"title": "t", "instalments": [{"due_on": day(9), "amount": 100}]}))] },
            Isolated { list: "/api/v1/sales/contracts", item: format!("/api/v1/sales/contracts/{}", id(&contract)), id: id(&contract),
                patch: Some(json!({"title": "x"})), actions: [
                    ("submit", json!({})), ("sign", json!({"signed_on": day(0), "signatories": ["x"]})),
                    ("file", json!({"filed_on": day(0)})), ("execute", json!({})), ("complete", json!({})),
                    ("terminate", json!({"reason": "x"})),
                    ("amendments", json!({"reason": "x", "instalments": [{"due_on": day(9), "amount": 100}]})),
                    ("payments", json!({"instalment_id": inst, "amount": 1, "received_on": day(0), "method": "cash"}))]
                    .into_iter().map(|(a, body)| (format!("/api/v1/sales/contracts/{}/{a}", id(&contract)), body)).collect() },
            Isolated { list: "/api/v1/sales/orders", item: format!("/api/v1/sales/orders/{}", id(&order)), id: id(&order),
                patch: None, actions: vec![(format!("/api/v1/sales/orders/{}/status", id(&order)), json!({"status": "in_production"}))] },
            Isolated { list: "/api/v1/sales/credit-overrides", item: format!("/api/v1/sales/credit-overrides/{}", id(&ov)), id: id(&ov),
                patch: None, actions: vec![] },
        ];
        for case in cases {
            assert_isolated(&app, &gz, case).await;
        }
        for path in [format!("/api/v1/sales/opportunities/{}/history", id(&opp)), format!("/api/v1/sales/orders/{}/events", id(&order)),
            format!("/api/v1/sales/contracts/{}/amendments", id(&contract)), format!("/api/v1/sales/receivables/{inst}/dunning")] {
            app.get_as(&gz, &path).await.problem(404, "not_found");
        }
        app.post_as(&gz, &format!("/api/v1/sales/receivables/{inst}/dunning"), &json!({"channel": "call", "contacted_person": "x"}))
            .await.problem(404, "not_found");
        app.post_as(&gz, "/api/v1/sales/credit-overrides", &json!({"customer_id": sh_cust, "amount": 1, "reason": "x"}))
            .await.problem(422, "validation_failed");
        // Lists and reports hold only the caller's office.
        for path in ["/api/v1/sales/receivables", "/api/v1/sales/payments"] {
            assert!(app.get_as(&gz, path).await.ok(200)["items"].as_array().unwrap().is_empty(), "{path}");
        }
        let y = today().year();
        let report = app.get_as(&gz, &format!("/api/v1/sales/analysis/sales?from={y}-01-01&to={y}-12-31&group_by=office")).await.ok(200);
        assert_eq!(report["rows"], json!([]));
        let sh_report = app.get_as(&sh, &format!("/api/v1/sales/analysis/sales?from={y}-01-01&to={y}-12-31&group_by=office")).await.ok(200);
        assert_eq!(sh_report["total_amount"], 100);
        let funnel = app.get_as(&gz, &format!("/api/v1/sales/analysis/funnel?from={}&to={}", day(-1), day(0))).await.ok(200);
        assert_eq!(funnel["opened"], 0);
    }
}

db_test! {
    async fn concurrent_payments_and_orders_never_overshoot(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        // Ten payments of 300.00 at once against a 1,500.00 instalment: five fit.
        let cust = customer(&app, &rep, "並發客戶", 500_000).await;
        let contract = signed_contract(&app, &rep, json!({"customer_id": cust, "title": "t", "terms": "t",
            "lines": [{"product": "LED", "quantity": 15, "unit_price": 10_000}],
            "instalments": [{"due_on": day(10), "amount": 150_000}]})).await;
        let inst = contract["instalments"][0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/sales/contracts/{}/payments", id(&contract));
        let body = json!({"instalment_id": inst, "amount": 30_000, "received_on": day(0), "method": "cash"});
        let results = futures_util::future::join_all((0..10).map(|_| app.post_as(&rep, &path, &body))).await;
        let ok = results.iter().filter(|r| r.status == 201).count();
        let refused = results.iter().filter(|r| r.status == 422).count();
        assert_eq!((ok, refused), (5, 5));
        let stored = app.get_as(&rep, &format!("/api/v1/sales/contracts/{}", id(&contract))).await.ok(200);
        assert_eq!((stored["paid"].clone(), stored["outstanding"].clone()), (json!(150_000), json!(0)));
        let payments = app.get_as(&rep, &format!("/api/v1/sales/payments?contract_id={}", id(&contract))).await.ok(200);
        assert_eq!(payments["items"].as_array().unwrap().len(), 5);

        // Ten orders of 1,000.00 at once for a customer with 5,000.00 of credit
        // who has paid 1,500.00 ahead of any order: exposure is orders less
        // payments, so 6,500.00 of orders fit — six, never seven.
        let order = json!({"customer_id": cust, "delivery_date": day(10),
            "lines": [{"product": "LED", "quantity": 10, "unit_price": 10_000}]});
        let results = futures_util::future::join_all((0..10).map(|_| app.post_as(&rep, "/api/v1/sales/orders", &order))).await;
        let ok = results.iter().filter(|r| r.status == 201).count();
        let refused = results.iter().filter(|r| r.status == 409).count();
        assert_eq!((ok, refused), (6, 4), "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    }
}

db_test! {
    async fn the_demo_office_has_every_stage_and_status_and_overdue_money(app) {
        app.load_demo();
        let rep = app.login("gz01.sales_rep").await;
        let values = |page: &Value, field: &str| {
            let mut v: Vec<String> = page["items"].as_array().unwrap().iter()
                .map(|i| i[field].as_str().unwrap().to_owned()).collect();
            v.sort();
            v.dedup();
            v
        };
        let opps = app.get_as(&rep, "/api/v1/sales/opportunities?limit=200").await.ok(200);
        assert_eq!(values(&opps, "stage"), ["initial_contact", "lost", "needs_analysis", "negotiation", "quotation", "solution", "won"]);
        let orders = app.get_as(&rep, "/api/v1/sales/orders?limit=200").await.ok(200);
        assert_eq!(values(&orders, "status"), ["cancelled", "completed", "entered", "in_production", "installed", "shipped", "trained"]);
        let overdue = app.get_as(&rep, "/api/v1/sales/receivables?overdue=true").await.ok(200);
        assert_eq!(overdue["items"].as_array().unwrap().len(), 2);
        let ageing = app.get_as(&rep, "/api/v1/sales/analysis/ageing").await.ok(200);
        let row = &ageing["offices"][0];
        assert_eq!((row["days_31_60"].clone(), row["days_over_90"].clone()), (json!(6_000_000), json!(1_125_000)));
        // Only GZ01's: the rep sees one office.
        assert_eq!(ageing["offices"].as_array().unwrap().len(), 1);
        // The facts other domains read agree: 60,000.00 + 11,250.00 overdue, and the
        // key account owes its orders not cancelled less the 40,000.00 it paid.
        let gz = app.office_id("GZ01");
        let today = chrono::Utc::now().date_naive();
        let overdue = app.conn(|c| sales_pipeline::facts::overdue_receivables(c, gz, today)).unwrap();
        assert_eq!(overdue, 7_125_000);
        let key = orders["items"][0]["customer_id"].as_i64().unwrap();
        let open_orders: i64 = orders["items"].as_array().unwrap().iter()
            .filter(|o| o["status"] != "cancelled").map(|o| o["total"].as_i64().unwrap()).sum();
        let exposure = app.conn(|c| sales_pipeline::facts::credit_exposure(c, key)).unwrap();
        assert_eq!(exposure, open_orders - 4_000_000);
    }
}

db_test! {
    async fn a_directors_own_request_goes_one_level_up(app) {
        app.load_demo_org();
        let director = app.login("gz01.office_director").await;
        let cust = customer(&app, &director, "主任客戶", 0).await;
        // The director is the office's only director: their own credit override
        // goes to the regional manager instead, then HQ finance.
        let ov = app.post_as(&director, "/api/v1/sales/credit-overrides", &json!({"customer_id": cust, "amount": 10_000,
            "reason": "年底備貨"})).await.ok(201);
        let approval = ov["approval_id"].as_i64().unwrap();
        let chain = app.get_as(&director, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        let roles: Vec<&str> = chain["steps"].as_array().unwrap().iter().map(|s| s["approver_role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["regional_manager", "hq_finance"]);
        app.approve_as("south.regional_manager", approval).await;
        assert_eq!(app.approve_as("hq.finance", approval).await["status"], "approved");
        let ov = app.get_as(&director, &format!("/api/v1/sales/credit-overrides/{}", id(&ov))).await.ok(200);
        assert_eq!(ov["status"], "approved");
        // A sales rep's request still goes to the director.
        let rep = app.login("gz01.sales_rep").await;
        let ov = app.post_as(&rep, "/api/v1/sales/credit-overrides", &json!({"customer_id": cust, "amount": 10_000,
            "reason": "x"})).await.ok(201);
        let chain = app.get_as(&rep, &format!("/api/v1/approvals/{}", ov["approval_id"])).await.ok(200);
        assert_eq!(chain["steps"][0]["approver_role"], "office_director");
    }
}

db_test! {
    /// Receivables count instalments of contracts in force only. The flag the
    /// ageing report reads is kept by triggers (migration 000021) from the
    /// contract's status; this pins the triggers' list to `contracts::BINDING`
    /// and shows a status change, whatever path writes it, moves the flag.
    async fn instalments_are_in_force_exactly_while_their_contract_binds(app) {
        use diesel::prelude::*;
        use store::schema::{contract_instalments as ci, contracts as ct};
        app.load_demo();
        let (contract, office): (i64, i64) = app.conn(|c| {
            ct::table
                .filter(ct::status.eq_any(sales_pipeline::contracts::BINDING))
                .filter(diesel::dsl::exists(ci::table.filter(ci::contract_id.eq(ct::id))))
                .select((ct::id, ct::office_id))
                .first(c)
                .unwrap()
        });
        let flags = |app: &TestApp| -> Vec<bool> {
            app.conn(move |c| ci::table.filter(ci::contract_id.eq(contract)).select(ci::in_force).load(c).unwrap())
        };
        let set = |app: &TestApp, status: &'static str| {
            app.conn(move |c| diesel::update(ct::table.find(contract)).set(ct::status.eq(status)).execute(c).unwrap());
        };
        let others = ["draft", "in_review", "approved", "rejected", "withdrawn", "completed", "terminated"];
        for status in others {
            set(&app, status);
            assert!(flags(&app).iter().all(|f| !f), "{status}");
        }
        for status in sales_pipeline::contracts::BINDING {
            set(&app, "draft");
            set(&app, status);
            let f = flags(&app);
            assert!(!f.is_empty() && f.iter().all(|f| *f), "{status}");
        }
        // A new instalment takes its contract's standing, and cannot be told
        // otherwise.
        let added: bool = app.conn(move |c| {
            diesel::insert_into(ci::table)
                .values((ci::contract_id.eq(contract), ci::office_id.eq(office), ci::seq.eq(99),
                         ci::due_on.eq(NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()), ci::amount.eq(1_i64),
                         ci::paid.eq(0_i64), ci::in_force.eq(false)))
                .returning(ci::in_force)
                .get_result(c)
                .unwrap()
        });
        let stored: bool = app.conn(move |c| {
            ci::table.filter(ci::contract_id.eq(contract).and(ci::seq.eq(99))).select(ci::in_force).first(c).unwrap()
        });
        assert!(stored, "an instalment of a binding contract is in force (returned {added})");
        set(&app, "terminated");
        assert!(flags(&app).iter().all(|f| !f));
    }
}
