//! Rewards and sanctions on both backends: each through the approval engine
//! (the office director; HQ HR too above 5,000.00); a bonus or a fine has an
//! amount and nothing else does; a certificate earned at training is
//! rewarded once and is then due no more; the person reads their own, another
//! office nothing.

use branchline_tests::{TestApp, db_test, json};
use serde_json::Value;

const EMPLOYEES: &str = "/api/v1/personnel/employees";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

async fn file_of(app: &TestApp, username: &str) -> Value {
    let token = app.login(username).await;
    app.get_as(&token, &format!("{EMPLOYEES}/me")).await.ok(200)
}

db_test! {
    async fn rewards_and_sanctions_go_through_approval(app) {
        app.load_demo();
        let ops = app.login("gz01.operations_specialist").await;
        let agent = app.login("gz01.service_agent").await;
        let other = app.login("sz01.office_director").await;
        let rep = file_of(&app, "gz01.sales_rep").await;
        let market = file_of(&app, "gz01.market_specialist").await;
        let rep_token = app.login("gz01.sales_rep").await;
        let today = kernel::time::today().to_string();

        // The demo bonus for the rep's training certificate, approved.
        let own = app.get_as(&rep_token, &format!("{EMPLOYEES}/{}/rewards-sanctions", id(&rep))).await.ok(200);
        let bonus = &own["items"][0];
        assert_eq!((bonus["category"].clone(), bonus["amount"].clone(), bonus["status"].clone()),
            (json!("bonus"), json!(50_000), json!("approved")));
        let certificate = bonus["certificate_id"].as_i64().unwrap();
        app.get_as(&other, &format!("/api/v1/personnel/rewards-sanctions/{}", id(bonus))).await.problem(404, "not_found");
        // Rewarded once: not again.
        let path = format!("{EMPLOYEES}/{}/rewards-sanctions", id(&rep));
        let res = app.post_as(&ops, &path, &json!({"category": "commendation", "reason": "again",
            "occurred_on": today, "certificate_id": certificate})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], json!("not_due"));
        // A certificate HR records from elsewhere is not due one.
        let external = app.act_as(&ops, &format!("{EMPLOYEES}/{}/certificates", id(&rep)), &etag(&rep),
            &json!({"name": "照明設計師（四級）", "issuer": "中國照明學會", "issued_on": "2025-06-01"})).await.ok(201);
        assert_eq!(external["reward_due"], json!(false));

        // The amount rule, the kind rule, who may propose.
        let problem = app.post_as(&ops, &path, &json!({"category": "commendation", "amount": 100,
            "reason": "x", "occurred_on": today})).await.problem(422, "validation_failed");
        assert_eq!((problem["errors"][0]["field"].clone(), problem["errors"][0]["code"].clone()),
            (json!("amount"), json!("not_allowed")));
        let problem = app.post_as(&ops, &path, &json!({"category": "fine", "reason": "x", "occurred_on": today,
            "certificate_id": certificate})).await.problem(422, "validation_failed");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["amount", "certificate_id"]);
        app.post_as(&ops, &path, &json!({"category": "warning", "reason": "x", "occurred_on": "2099-01-01"})).await
            .problem(422, "validation_failed");
        app.post_as(&agent, &path, &json!({"category": "warning", "reason": "x", "occurred_on": today})).await
            .problem(403, "forbidden");

        // A fine of 8,000.00 needs HQ HR after the director.
        let fine = app.post_as(&ops, &format!("{EMPLOYEES}/{}/rewards-sanctions", id(&market)), &json!({
            "category": "fine", "amount": 800_000, "reason": "擅自對外報價，造成損失", "occurred_on": today})).await.ok(201);
        assert_eq!((fine["kind"].clone(), fine["status"].clone()), (json!("sanction"), json!("in_approval")));
        let approval = fine["approval_id"].as_i64().unwrap();
        let step = app.approve_as("gz01.office_director", approval).await;
        assert_eq!(step["status"], json!("pending"));
        app.approve_as("hq.hr", approval).await;
        let done = app.get_as(&ops, &format!("/api/v1/personnel/rewards-sanctions/{}", id(&fine))).await.ok(200);
        assert_eq!(done["status"], json!("approved"));
        // A warning talk needs the director only.
        let talk = app.post_as(&ops, &format!("{EMPLOYEES}/{}/rewards-sanctions", id(&market)), &json!({
            "category": "warning_talk", "reason": "月度考核不稱職", "occurred_on": today})).await.ok(201);
        app.approve_as("gz01.office_director", talk["approval_id"].as_i64().unwrap()).await;
        let listed = app.get_as(&ops, &format!("/api/v1/personnel/rewards-sanctions?employee_id={}", id(&market))).await.ok(200);
        let statuses: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["approved", "approved"]);
        // Another office sees none of them.
        let theirs = app.get_as(&other, "/api/v1/personnel/rewards-sanctions").await.ok(200);
        assert!(theirs["items"].as_array().unwrap().iter().all(|r| r["office_id"] == json!(app.office_id("SZ01"))));
    }
}
