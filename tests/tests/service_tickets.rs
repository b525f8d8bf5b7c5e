//! The repair chain on both backends: a unit's warranty computed from the
//! day its order was installed and the product's warranty term (hand-worked
//! dates), the whole chain from feedback to survey with a failed inspection,
//! parts traceable by serial in both directions, an out-of-order step refused
//! with the allowed actions, an out-of-warranty repair held until the
//! quotation is accepted (above the policy's figure, through the engine; the
//! clock stopped while the customer decides), what is refused in a create,
//! and isolation between offices.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use diesel::prelude::*;
use serde_json::Value;

const TICKETS: &str = "/api/v1/after-sales/service-tickets";
const TERMS: &str = "/api/v1/after-sales/warranty-terms";
const LAMP: &str = "LED 筒燈 DL-200";
const CONTROLLER: &str = "智能照明控制器";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}

/// A GZ01 customer with an order of a lamp and a controller, installed on
/// 10 March 2025 (the installation step moved to that day). Returns the
/// customer and the order.
async fn installed_order(app: &TestApp, name: &str) -> (i64, i64) {
    let rep = app.login("gz01.sales_rep").await;
    let customer = id(&app
        .post_as(
            &rep,
            "/api/v1/sales/customers",
            &json!({"name": name, "classification": "intent", "credit_limit": 100_000_000}),
        )
        .await
        .ok(201));
    let mut order = app
        .post_as(
            &rep,
            "/api/v1/sales/orders",
            &json!({"customer_id": customer, "ordered_on": "2025-02-01", "delivery_date": "2025-03-01", "lines": [
                {"product": LAMP, "quantity": 200, "unit_price": 12_000},
                {"product": CONTROLLER, "quantity": 2, "unit_price": 150_000}]}),
        )
        .await
        .ok(201);
    let path = format!("/api/v1/sales/orders/{}", id(&order));
    for (status, extra) in [
        ("in_production", json!({})),
        (
            "shipped",
            json!({"carrier": "順豐速運", "tracking_number": "SF1400238877651"}),
        ),
        ("installed", json!({})),
    ] {
        let mut body = extra;
        body["status"] = json!(status);
        order = app
            .act_as(&rep, &format!("{path}/status"), &etag(&order), &body)
            .await
            .ok(200);
    }
    let order_id = id(&order);
    app.conn(|c| {
        use store::schema::sales_order_events as ev;
        diesel::update(
            ev::table
                .filter(ev::order_id.eq(order_id))
                .filter(ev::to_status.eq("installed")),
        )
        .set(
            ev::created_at.eq(chrono::NaiveDate::from_ymd_opt(2025, 3, 10)
                .unwrap()
                .and_hms_opt(3, 0, 0)
                .unwrap()),
        )
        .execute(c)
        .expect("installation day")
    });
    (customer, order_id)
}

fn ticket_body(customer: i64, order: i64, product: &str, serial: &str) -> Value {
    json!({"customer_id": customer, "order_id": order, "product": product,
           "serial_number": serial, "channel": "phone", "priority": "high",
           "feedback": "筒燈通電後不亮,指示燈閃爍"})
}

async fn step(app: &TestApp, token: &str, t: &Value, action: &str, body: Value) -> Value {
    app.act_as(
        token,
        &format!("{TICKETS}/{}/{action}", id(t)),
        &etag(t),
        &body,
    )
    .await
    .ok(200)
}

db_test! {
    /// A lamp under its own 24-month term, returned for repair: the whole
    /// chain, one inspection failed, two repairs whose parts trace both ways.
    async fn the_repair_chain_runs_from_feedback_to_survey(app) {
        app.load_demo_org();
        let hq = app.login("hq.admin").await;
        let agent = app.login("gz01.service_agent").await;
        let (customer, order) = installed_order(&app, "珠江新城寫字樓").await;

        // HQ's term for the lamp from 2024: 24 months. The default (12 months,
        // seeded) stays for the controller. Only HQ adds terms.
        let term = app.post_as(&hq, TERMS, &json!({"product": LAMP, "months": 24,
            "effective_from": "2024-01-01", "note": "新款燈具保修兩年"})).await.ok(201);
        assert_eq!(app.audit_events("warranty_term", id(&term)).len(), 1);
        app.post_as(&agent, TERMS, &json!({"months": 36, "effective_from": "2026-01-01"}))
            .await.problem(403, "forbidden");
        app.post_as(&hq, TERMS, &json!({"product": LAMP, "months": 12, "effective_from": "2024-01-01"}))
            .await.problem(409, "conflict");

        // Installed 10 March 2025 + 24 months: covered to 9 March 2027.
        let t = app.post_as(&agent, TICKETS, &ticket_body(customer, order, LAMP, "DL200-2025-004417"))
            .await.ok(201);
        assert!(t["number"].as_str().unwrap().starts_with("ST-GZ01-"));
        assert_eq!((t["status"].clone(), t["in_warranty"].clone(), t["installed_on"].clone(), t["warranty_until"].clone()),
            (json!("received"), json!(true), json!("2025-03-10"), json!("2027-03-09")));
        assert_eq!(strings(&t["allowed_actions"]), ["judge", "assign", "cancel"]);
        assert_eq!(t["response"]["status"], "due");
        assert!(t["quote"].is_null());

        // A step out of order: refused with what the ticket allows.
        let res = app.act_as(&agent, &format!("{TICKETS}/{}/ship", id(&t)), &etag(&t),
            &json!({"carrier": "順豐速運", "tracking_number": "SF1", "expected_arrival": "2026-12-10"})).await;
        let problem = res.problem(409, "invalid_transition");
        assert_eq!(strings(&problem["allowed_actions"]), ["judge", "assign", "cancel"]);

        let t = step(&app, &agent, &t, "judge", json!({"nature": "驅動電源故障", "severity": "major",
            "handling": "return", "note": "已電話告知客戶安排返廠維修"})).await;
        assert_eq!((t["status"].clone(), t["handling"].clone(), t["severity"].clone()),
            (json!("awaiting_unit"), json!("return"), json!("major")));
        assert_eq!(t["response"]["status"], "met");
        let t = step(&app, &agent, &t, "receive-unit", json!({"condition": "外殼完好"})).await;
        assert_eq!(t["status"], "in_repair");
        // In warranty: no quotation, the repair is free.
        assert_eq!(strings(&t["allowed_actions"]), ["assign", "repair", "cancel"]);
        let t = step(&app, &agent, &t, "repair", json!({"diagnosis": "驅動電源輸出電容擊穿",
            "work_done": "更換驅動電源", "parts": [{"part_code": "PSU-24V-60W", "part_name": "驅動電源 24V 60W",
            "quantity": 1, "new_serial": "PSU-2026-118873", "old_serial": "PSU-2025-030201"}]})).await;
        assert_eq!(t["status"], "inspection");
        let t = step(&app, &agent, &t, "inspect", json!({"passed": false, "findings": "老化測試 2 小時後再次閃爍"})).await;
        assert_eq!(t["status"], "in_repair");
        let t = step(&app, &agent, &t, "repair", json!({"diagnosis": "新電源批次不良",
            "work_done": "再次更換驅動電源,老化 4 小時", "parts": [{"part_code": "PSU-24V-60W",
            "part_name": "驅動電源 24V 60W", "quantity": 1, "new_serial": "PSU-2026-118874",
            "old_serial": "PSU-2026-118873"}]})).await;
        let t = step(&app, &agent, &t, "inspect", json!({"passed": true, "findings": "全部指標合格"})).await;
        assert_eq!(t["status"], "ready_to_ship");
        let t = step(&app, &agent, &t, "ship", json!({"carrier": "順豐速運",
            "tracking_number": "SF1400228877361", "expected_arrival": "2026-12-10"})).await;
        assert_eq!(t["status"], "shipped");
        // The handover is given by someone of the office: one of another office
        // is answered as one that does not exist.
        let foreign = app.user_id("sh01.staff");
        let install = |by: i64| json!({"handover": {"given_by_user_id": by,
            "content": "安裝高度 2.8 米;先接地線", "documents": "安裝說明書 v3"},
            "commissioning": "通電測試 30 分鐘正常"});
        let missing = app.act_as(&agent, &format!("{TICKETS}/{}/install", id(&t)), &etag(&t), &install(99_999_999)).await
            .problem(422, "validation_failed");
        let other = app.act_as(&agent, &format!("{TICKETS}/{}/install", id(&t)), &etag(&t), &install(foreign)).await
            .problem(422, "validation_failed");
        assert_eq!(missing["errors"], other["errors"]);
        assert_eq!(other["errors"][0]["field"], "handover.given_by_user_id");
        let t = step(&app, &agent, &t, "install", install(app.user_id("gz01.staff"))).await;
        assert_eq!(t["status"], "commissioned");
        assert_eq!(t["resolution_deadline"]["status"], "met");
        let t = step(&app, &agent, &t, "train", json!({"trainees": "物業電工 2 人",
            "content": "開關順序、日常清潔", "assessment": "現場操作考核通過"})).await;
        // The customer's after-ticket return-visit plan: a visit 7 days after
        // the ticket is closed.
        app.post_as(&agent, "/api/v1/after-sales/return-visit-plans", &json!({"customer_id": customer,
            "kind": "after_ticket", "days_after": 7, "method": "phone",
            "owner_user_id": app.user_id("gz01.service_agent")})).await.ok(201);
        let t = step(&app, &agent, &t, "survey", json!({"satisfaction": 5, "comment": "響應及時"})).await;
        assert_eq!((t["status"].clone(), t["satisfaction"].clone()), (json!("closed"), json!(5)));
        let visits = app.get_as(&agent, &format!("/api/v1/after-sales/return-visits?customer_id={customer}")).await.ok(200);
        let closed_on = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        assert_eq!(visits["items"].as_array().unwrap().iter()
            .map(|v| (v["ticket_id"].clone(), v["due_on"].clone(), v["status"].clone())).collect::<Vec<_>>(),
            [(json!(id(&t)), json!((closed_on + chrono::Duration::days(7)).to_string()), json!("due"))]);
        // The ticket's customer is surveyed with HQ's ticket template, once.
        let hq_service = app.login("hq.service").await;
        let template = app.post_as(&hq_service, "/api/v1/after-sales/survey-templates", &json!({"company_wide": true,
            "name": "維修服務滿意度", "kind": "ticket", "questions": [
            {"key": "repair_quality", "text": "維修質量", "kind": "score", "required": true}]})).await.ok(201);
        let send = json!({"template_id": id(&template), "ticket_id": id(&t)});
        let survey = app.post_as(&agent, "/api/v1/after-sales/surveys", &send).await.ok(201);
        assert_eq!((survey["customer_id"].clone(), survey["status"].clone()), (json!(customer), json!("sent")));
        app.post_as(&agent, "/api/v1/after-sales/surveys", &send).await.problem(409, "conflict");
        assert!(t["allowed_actions"].as_array().unwrap().is_empty());

        // The history is one list; each step says what it recorded.
        let events = app.get_as(&agent, &format!("{TICKETS}/{}/events", id(&t))).await.ok(200);
        let events = events.as_array().unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["opened", "judge", "receive_unit", "repair", "inspect", "repair",
            "inspect", "ship", "install", "train", "survey"]);
        assert_eq!(events[7]["details"]["tracking_number"], "SF1400228877361");
        assert_eq!(events[8]["details"]["handover"]["content"], "安裝高度 2.8 米;先接地線");
        assert_eq!(events[4]["to_status"], "in_repair");
        // Every step is audited: the opening and ten actions.
        let audit: Vec<String> = app.audit_events("service_ticket", id(&t)).iter().map(|e| e.action.clone()).collect();
        assert_eq!(audit, ["create", "judge", "receive_unit", "repair", "inspect", "repair", "inspect",
            "ship", "install", "train", "survey"]);

        // Parts: both repairs, and the serial put in by the first and taken
        // out by the second leads to both.
        let parts = app.get_as(&agent, &format!("{TICKETS}/{}/parts", id(&t))).await.ok(200);
        assert_eq!(parts.as_array().unwrap().len(), 2);
        let trace = app.get_as(&agent, "/api/v1/after-sales/service-parts?serial=PSU-2026-118873").await.ok(200);
        let found: Vec<(Value, Value, Value)> = trace["items"].as_array().unwrap().iter()
            .map(|p| (p["ticket_id"].clone(), p["new_serial"].clone(), p["old_serial"].clone())).collect();
        assert_eq!(found, [
            (json!(id(&t)), json!("PSU-2026-118873"), json!("PSU-2025-030201")),
            (json!(id(&t)), json!("PSU-2026-118874"), json!("PSU-2026-118873")),
        ]);
        for serial in ["DL200-2025-004417", "PSU-2025-030201", "PSU-2026-118874"] {
            let listed = app.get_as(&agent, &format!("{TICKETS}?serial={serial}")).await.ok(200);
            let ids: Vec<i64> = listed["items"].as_array().unwrap().iter().map(id).collect();
            assert_eq!(ids, [id(&t)], "serial {serial}");
        }

        // Another office sees none of it.
        let sh = app.login("sh01.service_agent").await;
        assert_isolated(&app, &sh, Isolated {
            list: TICKETS,
            item: format!("{TICKETS}/{}", id(&t)),
            id: id(&t),
            patch: None,
            actions: vec![(format!("{TICKETS}/{}/assign", id(&t)), json!({"assignee_user_id": app.user_id("sh01.service_agent")}))],
        }).await;
        app.get_as(&sh, &format!("{TICKETS}/{}/events", id(&t))).await.problem(404, "not_found");
        let trace = app.get_as(&sh, "/api/v1/after-sales/service-parts?serial=PSU-2026-118873").await.ok(200);
        assert!(trace["items"].as_array().unwrap().is_empty());
    }
}

db_test! {
    /// The controller, under the 12-month default, is out of warranty since
    /// 9 March 2026: the repair waits for a quotation the customer accepts —
    /// one above 2,000.00 approved by the office director first — and the
    /// clock stands while the customer decides.
    async fn an_out_of_warranty_repair_waits_for_the_accepted_quotation(app) {
        app.load_demo_org();
        let agent = app.login("gz01.service_agent").await;
        let (customer, order) = installed_order(&app, "天河體育中心").await;
        let t = app.post_as(&agent, TICKETS, &ticket_body(customer, order, CONTROLLER, "CTL-2025-000112"))
            .await.ok(201);
        assert_eq!((t["in_warranty"].clone(), t["warranty_until"].clone()), (json!(false), json!("2026-03-09")));
        let t = step(&app, &agent, &t, "judge", json!({"nature": "控制板損壞", "severity": "minor",
            "handling": "on_site"})).await;
        assert_eq!(strings(&t["allowed_actions"]), ["assign", "quote", "cancel"]);
        let res = app.act_as(&agent, &format!("{TICKETS}/{}/repair", id(&t)), &etag(&t),
            &json!({"diagnosis": "x", "work_done": "y", "parts": []})).await;
        assert_eq!(strings(&res.problem(409, "invalid_transition")["allowed_actions"]), ["assign", "quote", "cancel"]);

        // 1,500.00 + 800.00 is above the 2,000.00 figure: in approval, and
        // nothing can be done to the ticket but assigning it.
        let t = step(&app, &agent, &t, "quote", json!({"parts_amount": 150_000, "labour_amount": 80_000,
            "note": "更換控制板"})).await;
        assert_eq!((t["quote"]["status"].clone(), t["quote"]["total"].clone(), t["quote"]["currency"].clone()),
            (json!("in_approval"), json!(230_000), json!("CNY")));
        assert_eq!(strings(&t["allowed_actions"]), ["assign"]);
        assert!(t["paused_since"].is_null());
        let approval = t["quote"]["approval_id"].as_i64().expect("approval");
        app.approve_as("gz01.office_director", approval).await;
        let t = app.get_as(&agent, &format!("{TICKETS}/{}", id(&t))).await.ok(200);
        assert_eq!(t["quote"]["status"], "approved");
        assert!(t["paused_since"].is_string());
        assert_eq!(t["resolution_deadline"]["status"], "paused");
        assert_eq!(strings(&t["allowed_actions"]), ["assign", "accept_quote", "decline_quote", "cancel"]);

        let t = step(&app, &agent, &t, "accept-quote", json!({"customer_signatory": "王經理"})).await;
        assert_eq!((t["quote"]["status"].clone(), t["quote"]["customer_signatory"].clone()),
            (json!("accepted"), json!("王經理")));
        assert!(t["paused_since"].is_null());
        assert_eq!(strings(&t["allowed_actions"]), ["assign", "repair", "cancel"]);
        // Repaired on site: commissioned there and then.
        let t = step(&app, &agent, &t, "repair", json!({"diagnosis": "控制板受潮短路",
            "work_done": "更換控制板", "parts": [{"part_code": "CTL-MB", "part_name": "控制主板",
            "quantity": 1, "new_serial": "MB-2026-7781", "old_serial": "MB-2025-1102"}]})).await;
        assert_eq!(t["status"], "commissioned");
        let events = app.get_as(&agent, &format!("{TICKETS}/{}/events", id(&t))).await.ok(200);
        let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["opened", "judge", "quote", "quote_approved", "accept_quote", "repair"]);
        assert!(events[4]["minutes"].as_i64().is_some());
        assert_eq!(app.audit_events("service_ticket_quote", t["quote"]["id"].as_i64().unwrap())
            .iter().map(|e| e.action.clone()).collect::<Vec<_>>(), ["create", "approved", "accept"]);

        // Within the figure it goes to the customer at once; declined, a new
        // quotation may be made or the ticket cancelled.
        let t2 = app.post_as(&agent, TICKETS, &ticket_body(customer, order, CONTROLLER, "CTL-2025-000113"))
            .await.ok(201);
        let t2 = step(&app, &agent, &t2, "judge", json!({"nature": "按鍵失靈", "severity": "minor",
            "handling": "on_site"})).await;
        let t2 = step(&app, &agent, &t2, "quote", json!({"parts_amount": 30_000, "labour_amount": 20_000})).await;
        assert_eq!(t2["quote"]["status"], "approved");
        assert!(t2["quote"]["approval_id"].is_null());
        assert_eq!(t2["resolution_deadline"]["status"], "paused");
        let t2 = step(&app, &agent, &t2, "decline-quote", json!({"reason": "客戶認為價格過高"})).await;
        assert_eq!(t2["quote"]["status"], "declined");
        assert_eq!(strings(&t2["allowed_actions"]), ["assign", "quote", "cancel"]);
        let t2 = step(&app, &agent, &t2, "cancel", json!({"reason": "客戶自行處理"})).await;
        assert_eq!(t2["status"], "cancelled");
        let quotes = app.get_as(&agent, &format!("{TICKETS}/{}/quotes", id(&t2))).await.ok(200);
        assert_eq!(quotes.as_array().unwrap().len(), 1);
    }
}

db_test! {
    /// What a create names is checked, and nothing is stored when it fails:
    /// the order must be the customer's, not cancelled, of the office, and
    /// carry the product; an order of another office is answered as one that
    /// does not exist.
    async fn a_ticket_names_the_customers_order_and_a_product_on_it(app) {
        app.load_demo_org();
        let agent = app.login("gz01.service_agent").await;
        let (customer, order) = installed_order(&app, "白雲機場貨站").await;
        let (other_customer, _) = installed_order(&app, "番禺廣場").await;

        let res = app.post_as(&agent, TICKETS, &ticket_body(other_customer, order, LAMP, "S1")).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "not_of_customer");
        let res = app.post_as(&agent, TICKETS, &ticket_body(customer, order, "投光燈 FL-500", "S1")).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "product");

        let sh_rep = app.login("sh01.sales_rep").await;
        let sh_customer = id(&app.post_as(&sh_rep, "/api/v1/sales/customers",
            &json!({"name": "陸家嘴", "classification": "intent", "credit_limit": 100_000_000})).await.ok(201));
        let sh_order = id(&app.post_as(&sh_rep, "/api/v1/sales/orders", &json!({"customer_id": sh_customer,
            "delivery_date": "2026-12-20", "lines": [{"product": LAMP, "quantity": 1, "unit_price": 100}]}))
            .await.ok(201));
        let foreign = app.post_as(&agent, TICKETS, &ticket_body(customer, sh_order, LAMP, "S1")).await
            .problem(422, "validation_failed");
        let missing = app.post_as(&agent, TICKETS, &ticket_body(customer, 99_999_999, LAMP, "S1")).await
            .problem(422, "validation_failed");
        assert_eq!(foreign["errors"], missing["errors"]);
        assert_eq!(foreign["errors"][0]["field"], "order_id");

        // Feedback noted afterwards is recorded within 7 days.
        let mut old = ticket_body(customer, order, LAMP, "S1");
        old["received_at"] = json!((chrono::Utc::now() - chrono::Duration::days(8)).to_rfc3339());
        let res = app.post_as(&agent, TICKETS, &old).await.problem(422, "validation_failed");
        assert_eq!((res["errors"][0]["field"].clone(), res["errors"][0]["code"].clone()),
            (json!("received_at"), json!("too_old")));

        let stored: i64 = app.conn(|c| store::schema::service_tickets::table.count().get_result(c).unwrap());
        assert_eq!(stored, 0);

        // An order not installed yet: the warranty has not begun, the unit is
        // covered.
        let rep = app.login("gz01.sales_rep").await;
        let fresh = id(&app.post_as(&rep, "/api/v1/sales/orders", &json!({"customer_id": customer,
            "delivery_date": "2026-12-20", "lines": [{"product": LAMP, "quantity": 1, "unit_price": 100}]}))
            .await.ok(201));
        let t = app.post_as(&agent, TICKETS, &ticket_body(customer, fresh, LAMP, "S2")).await.ok(201);
        assert_eq!((t["in_warranty"].clone(), t["installed_on"].clone(), t["warranty_until"].clone()),
            (json!(true), Value::Null, Value::Null));
    }
}

db_test! {
    /// A ticket left alone goes up the chain once, as requests do; one waiting
    /// for the customer's decision on a quotation does not.
    async fn a_late_ticket_is_escalated_once_and_a_waiting_one_is_not(app) {
        app.load_demo_org();
        let agent = app.login("gz01.service_agent").await;
        let (customer, order) = installed_order(&app, "機場貨站").await;
        let late = app.post_as(&agent, TICKETS, &ticket_body(customer, order, LAMP, "DL200-1")).await.ok(201);
        let waiting = app.post_as(&agent, TICKETS, &ticket_body(customer, order, CONTROLLER, "CTL-1")).await.ok(201);
        let waiting = step(&app, &agent, &waiting, "judge", json!({"nature": "按鍵失靈", "severity": "minor",
            "handling": "on_site"})).await;
        let waiting = step(&app, &agent, &waiting, "quote", json!({"parts_amount": 10_000, "labour_amount": 5_000})).await;
        assert!(waiting["paused_since"].is_string());

        // A year on: the resolution deadline is far past.
        let later = chrono::Utc::now().naive_utc() + chrono::Duration::days(365);
        let done = app.conn(|c| after_sales::escalation::escalate_tickets(c, later).unwrap());
        assert_eq!(done, [(id(&late), 3)]);
        assert!(app.conn(|c| after_sales::escalation::escalate_tickets(c, later).unwrap()).is_empty());
        let events = app.get_as(&agent, &format!("{TICKETS}/{}/events", id(&late))).await.ok(200);
        let escalated: Vec<&str> = events.as_array().unwrap().iter()
            .filter(|e| e["action"] == "escalated").map(|e| e["note"].as_str().unwrap()).collect();
        assert_eq!(escalated.len(), 3);
        assert!(escalated[2].starts_with("level 3 (hq_service)"), "{escalated:?}");
        assert_eq!(app.audit_events("service_ticket", id(&late)).iter().filter(|e| e.action == "escalate").count(), 1);
        let hq = app.login("hq.service").await;
        let notices = app.get_as(&hq, "/api/v1/me/notifications").await.ok(200);
        assert!(notices["items"].as_array().unwrap().iter()
            .any(|n| n["kind"] == "service_ticket_escalated" && n["entity_id"] == late["id"]));
    }
}
