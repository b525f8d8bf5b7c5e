//! Risk indicators over the demo's own data, on both backends: the overdue
//! receivables ratio of an office crosses its warning threshold and raises
//! one warning; replicas racing over the same period write one value and one
//! warning; the next period moves it rather than raising another; an alarm
//! goes one level up; a warning opens a risk linked both ways; paying the
//! overdue instalment clears the warning; another office sees none of it.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use chrono::Duration;
use diesel::prelude::*;
use serde_json::Value;

const INDICATORS: &str = "/api/v1/risk/indicators";
const WARNINGS: &str = "/api/v1/risk/warnings";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

/// Every replica's evaluation at `now`, as the minute job runs it; returns how
/// many values this one wrote.
fn evaluate(app: &TestApp, now: chrono::NaiveDateTime) -> usize {
    app.conn(|c| {
        risk::indicators::evaluate::evaluate_due(c, &gateway::facts::risk::sources(), now)
            .expect("evaluation")
    })
}

async fn warnings_of(app: &TestApp, token: &str, indicator: &Value) -> Vec<Value> {
    app.get_as(token, &format!("{WARNINGS}?indicator_id={}", id(indicator)))
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The notices of `kind` `username` has about the warning `warning`.
async fn notices(app: &TestApp, username: &str, kind: &str, warning: i64) -> usize {
    let token = app.login(username).await;
    let page = app
        .get_as(&token, "/api/v1/me/notifications?limit=200")
        .await
        .ok(200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["kind"] == kind && n["entity_type"] == "risk_warning" && n["entity_id"] == warning
        })
        .count()
}

db_test! {
    async fn overdue_receivables_raise_one_warning_that_payment_clears(app) {
        app.load_demo();
        let director = app.login("gz01.office_director").await;
        let gz = app.office_id("GZ01");
        let owner = app.user_id("gz01.office_director");

        // GZ01's demo receivables, by hand: the key account's contract owes
        // 6,000,000 due 50 days ago and 4,420,000 due in 40 days (its first
        // 4,000,000 paid); the second customer's owes 1,125,000 due 100 days
        // ago and 1,125,000 due in 20. Overdue 7,125,000 of 12,670,000
        // outstanding: 5623 basis points.
        let ratio = json!({"name": "應收賬款逾期率(測試)", "metric": "overdue_receivables_ratio",
            "warning_threshold": 3000, "alarm_threshold": 7000, "period": "daily",
            "owner_user_id": owner, "category": "credit"});
        let indicator = app.post_as(&director, INDICATORS, &ratio).await.ok(201);
        assert_eq!((indicator["office_id"].clone(), indicator["active"].clone()), (json!(gz), json!(true)));
        // An alarm threshold short of the warning one is refused.
        let mut wrong = ratio.clone();
        wrong["alarm_threshold"] = json!(2000);
        let res = app.post_as(&director, INDICATORS, &wrong).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "alarm_threshold");

        // Three replicas evaluate the same minute at once: one value, one warning.
        let now = kernel::time::now_db();
        let barrier = std::sync::Barrier::new(3);
        let written: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    let db = app.db.clone();
                    let barrier = &barrier;
                    s.spawn(move || {
                        let mut conn = db.pool().get().expect("connection");
                        barrier.wait();
                        risk::indicators::evaluate::evaluate_due(&mut conn, &gateway::facts::risk::sources(), now)
                            .expect("evaluation")
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        // The demo's own indicators were evaluated when it loaded today.
        assert_eq!(written, 1);
        let values = app.get_as(&director, &format!("{INDICATORS}/{}/values", id(&indicator))).await.ok(200);
        let values = values["items"].as_array().unwrap().clone();
        assert_eq!(values.len(), 1);
        assert_eq!((values[0]["value"].clone(), values[0]["level"].clone()), (json!(5623), json!("warning")));
        let w = warnings_of(&app, &director, &indicator).await;
        assert_eq!(w.len(), 1);
        assert_eq!((w[0]["status"].clone(), w[0]["level"].clone(), w[0]["first_value"].clone()),
            (json!("open"), json!("warning"), json!(5623)));
        assert_eq!(notices(&app, "gz01.office_director", "risk_warning_raised", id(&w[0])).await, 1);
        // The demo's own ratio indicator of GZ01 raised the same warning as it
        // loaded.
        let open = app.get_as(&director, &format!("{WARNINGS}?open=true&office_id={gz}")).await.ok(200);
        let live: Vec<&Value> = open["items"].as_array().unwrap().iter().filter(|w| w["first_value"] == 5623).collect();
        assert_eq!(live.len(), 2);

        // The same period again: nothing. The next day: the value is kept and
        // the open warning moves; no second warning.
        assert_eq!(evaluate(&app, now), 0);
        assert!(evaluate(&app, now + Duration::days(1)) >= 1);
        let w = warnings_of(&app, &director, &indicator).await;
        assert_eq!(w.len(), 1);
        assert_eq!(w[0]["last_period"], json!((now + Duration::days(1)).date().to_string()));
        let values = app.get_as(&director, &format!("{INDICATORS}/{}/values", id(&indicator))).await.ok(200);
        assert_eq!(values["items"].as_array().unwrap().len(), 2);

        // Tightened to an alarm at 50%: the next evaluation escalates the same
        // warning to the director and the regional manager.
        let changed = app.patch_as(&director, &format!("{INDICATORS}/{}", id(&indicator)), &etag(&indicator),
            &json!({"alarm_threshold": 5000})).await.ok(200);
        assert_eq!(changed["alarm_threshold"], json!(5000));
        evaluate(&app, now + Duration::days(2));
        let w = warnings_of(&app, &director, &indicator).await;
        assert_eq!(w.len(), 1);
        assert_eq!(w[0]["level"], json!("alarm"));
        assert!(w[0]["escalated_at"].is_string());
        assert_eq!(notices(&app, "south.regional_manager", "risk_warning_escalated", id(&w[0])).await, 1);
        assert_eq!(notices(&app, "gz01.office_director", "risk_warning_escalated", id(&w[0])).await, 1);

        // The warning opens a risk, linked both ways; once.
        let warning = app.get_as(&director, &format!("{WARNINGS}/{}", id(&w[0]))).await.ok(200);
        let risk = app.post_as(&director, &format!("{WARNINGS}/{}/open-risk", id(&warning)), &json!({})).await;
        res_precondition(&risk);
        let risk = app.call(actix_web::test::TestRequest::post()
            .uri(&format!("{WARNINGS}/{}/open-risk", id(&warning)))
            .insert_header(("authorization", format!("Bearer {director}")))
            .insert_header(("if-match", etag(&warning)))
            .set_json(json!({"likelihood": 4, "impact": 4}))).await.ok(201);
        assert_eq!((risk["category"].clone(), risk["method"].clone(), risk["office_id"].clone(), risk["grade"].clone()),
            (json!("credit"), json!("data_analysis"), json!(gz), json!("high")));
        let linked = app.get_as(&director, &format!("{WARNINGS}/{}", id(&warning))).await.ok(200);
        assert_eq!(linked["risk_id"], json!(id(&risk)));
        let file = app.get_as(&director, &format!("/api/v1/risk/risks/{}/history", id(&risk))).await.ok(200);
        assert_eq!(file["items"][1]["action"], json!("opened_from_warning"));
        assert_eq!(file["items"][1]["details"]["warning_id"], json!(id(&warning)));
        app.act_as(&director, &format!("{WARNINGS}/{}/open-risk", id(&warning)), &etag(&linked), &json!({})).await
            .problem(409, "conflict");
        let acked = app.act_as(&director, &format!("{WARNINGS}/{}/acknowledge", id(&warning)), &etag(&linked),
            &json!({"note": "已約談逾期客戶"})).await.ok(200);
        assert_eq!(acked["status"], json!("acknowledged"));

        // Another office sees none of it.
        let sz = app.login("sz01.office_director").await;
        assert_isolated(&app, &sz, Isolated {
            list: WARNINGS,
            item: format!("{WARNINGS}/{}", id(&warning)),
            id: id(&warning),
            patch: None,
            actions: vec![(format!("{WARNINGS}/{}/resolve", id(&warning)), json!({"note": "x"}))],
        }).await;
        app.get_as(&sz, &format!("{INDICATORS}/{}", id(&indicator))).await.problem(404, "not_found");

        // The key account pays the 6,000,000 overdue: 1,125,000 of 6,670,000
        // is overdue, 1686 basis points; the next evaluation clears the warning
        // and tells the owner.
        let (instalment, contract): (i64, i64) = app.conn(|c| {
            use store::schema::contract_instalments as ci;
            ci::table
                .filter(ci::office_id.eq(gz))
                .filter(ci::amount.eq(6_000_000_i64))
                .filter(ci::paid.eq(0_i64))
                .select((ci::id, ci::contract_id))
                .first(c)
                .unwrap()
        });
        let rep = app.login("gz01.sales_rep").await;
        app.post_as(&rep, &format!("/api/v1/sales/contracts/{contract}/payments"), &json!({
            "instalment_id": instalment, "amount": 6_000_000, "received_on": now.date(),
            "method": "bank_transfer"})).await.ok(201);
        evaluate(&app, now + Duration::days(3));
        let values = app.get_as(&director, &format!("{INDICATORS}/{}/values?limit=1", id(&indicator))).await.ok(200);
        assert_eq!((values["items"][0]["value"].clone(), values["items"][0]["level"].clone()), (json!(1686), json!("normal")));
        let w = warnings_of(&app, &director, &indicator).await;
        assert_eq!(w.len(), 1);
        assert_eq!(w[0]["status"], json!("cleared"));
        let open = app.get_as(&director, &format!("{WARNINGS}?open=true&indicator_id={}", id(&indicator))).await.ok(200);
        assert_eq!(open["items"].as_array().unwrap().len(), 0);
        assert_eq!(notices(&app, "gz01.office_director", "risk_warning_cleared", id(&warning)).await, 1);
        let audit = app.audit_events("risk_warning", id(&warning));
        assert_eq!(audit.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["raise", "update", "escalate", "open_risk", "acknowledge", "clear"]);
    }
}

/// An action without `If-Match` is refused before anything is done.
fn res_precondition(res: &branchline_tests::TestResponse) {
    res.problem(428, "precondition_required");
}
