//! Customer credit on both backends: a scorecard checked by hand, the rating
//! and the limit and terms it earns; a lower limit approved by the director
//! goes on the customer, the change is kept in the limit history, and sales
//! then refuses an order over the new limit; a limit above HQ finance's figure
//! needs HQ finance too; the customer's terms no longer change by hand; one
//! evaluation in approval at a time; another office's customer is unknown.

use branchline_tests::{TestApp, db_test, json};
use serde_json::Value;

const EVALUATIONS: &str = "/api/v1/risk/credit-evaluations";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

async fn order(
    app: &TestApp,
    token: &str,
    customer: i64,
    qty: i64,
) -> branchline_tests::TestResponse {
    app.post_as(
        token,
        "/api/v1/sales/orders",
        &json!({"customer_id": customer, "delivery_date": day(10),
        "lines": [{"product": "LED 工礦燈", "quantity": qty, "unit_price": 10_000}]}),
    )
    .await
}

db_test! {
    async fn an_approved_evaluation_lowers_the_limit_sales_then_holds(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        let deputy = app.login("gz01.deputy_director").await;
        let customer = id(&app.post_as(&rep, "/api/v1/sales/customers", &json!({
            "name": "信用評估客戶", "classification": "intent", "credit_limit": 10_000_000,
            "payment_terms_days": 60, "owner_user_id": app.user_id("gz01.sales_rep")})).await.ok(201));
        // Orders of 2,000,000 today: exposure and the year's orders.
        order(&app, &rep, customer, 200).await.ok(201);

        // By hand, default bands: no instalments due yet, half of 30 = 15;
        // nothing overdue, 20; exposure 2,000,000 of 10,000,000 = 20%, 15; a
        // customer since today, 0; size 10 × 2,000,000 / 100,000,000 = 0;
        // marks 3 + 3 + 4 = 10 of 15 → 15 × 10/15 = 10. Score 60: C, which
        // earns 10% of the year's orders (200,000) and 30 days.
        let judgement = json!({"management": 3, "industry": 3, "cooperation": 4});
        let e = app.post_as(&deputy, EVALUATIONS, &json!({"customer_id": customer, "judgement": judgement})).await.ok(201);
        assert_eq!(e["scorecard"]["points"], json!({"payment_history": 15, "overdue": 20, "exposure": 15,
            "tenure": 0, "size": 0, "qualitative": 10}));
        assert_eq!((e["score"].clone(), e["rating"].clone(), e["proposed_limit"].clone(), e["proposed_terms_days"].clone()),
            (json!(60), json!("C"), json!(200_000), json!(30)));
        assert_eq!((e["credit_limit"].clone(), e["limit_before"].clone(), e["status"].clone()),
            (json!(200_000), json!(10_000_000), json!("in_approval")));
        assert_eq!((e["facts"]["exposure"].clone(), e["facts"]["orders_last_year"].clone()),
            (json!(2_000_000), json!(2_000_000)));
        // One at a time.
        app.post_as(&deputy, EVALUATIONS, &json!({"customer_id": customer, "judgement": judgement})).await
            .problem(409, "conflict");
        // Until approved, sales still holds the old limit.
        let before = app.get_as(&rep, &format!("/api/v1/sales/customers/{customer}")).await.ok(200);
        assert_eq!(before["credit_limit"], json!(10_000_000));

        // The director approves; within HQ finance's figure nobody else.
        let approval = e["approval_id"].as_i64().unwrap();
        let done = app.approve_as("gz01.office_director", approval).await;
        assert_eq!(done["status"], json!("approved"));
        let after = app.get_as(&rep, &format!("/api/v1/sales/customers/{customer}")).await.ok(200);
        assert_eq!((after["credit_limit"].clone(), after["payment_terms_days"].clone(), after["credit_rating"].clone()),
            (json!(200_000), json!(30), json!("C")));
        let history = app.get_as(&deputy, &format!("/api/v1/risk/credit-limit-changes?customer_id={customer}")).await.ok(200);
        assert_eq!(history["items"].as_array().unwrap().len(), 1);
        let change = &history["items"][0];
        assert_eq!((change["limit_before"].clone(), change["limit_after"].clone(), change["terms_before"].clone(),
            change["terms_after"].clone(), change["rating_after"].clone()),
            (json!(10_000_000), json!(200_000), json!(60), json!(30), json!("C")));
        let audit = app.audit_events("customer", customer);
        assert_eq!(audit.last().unwrap().action, "credit_terms");

        // Sales now refuses an order over the new limit: 2,000,000 owed plus 100,000.
        let res = order(&app, &rep, customer, 10).await;
        let body = res.problem(409, "credit_limit_exceeded");
        assert_eq!((body["credit_limit"].clone(), body["exposure"].clone()), (json!(200_000), json!(2_000_000)));
        // The terms do not change by hand.
        let res = app.patch_as(&rep, &format!("/api/v1/sales/customers/{customer}"),
            &format!("\"{}\"", after["version"]), &json!({"credit_limit": 99_000_000})).await;
        assert_eq!(res.problem(400, "unknown_field")["errors"][0]["field"], "credit_limit");

        // More than the rating earns needs a note; above 1,000,000.00 HQ
        // finance decides after the director.
        let res = app.post_as(&deputy, EVALUATIONS, &json!({"customer_id": customer, "judgement": judgement,
            "credit_limit": 120_000_000})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "note");
        let big = app.post_as(&deputy, EVALUATIONS, &json!({"customer_id": customer, "judgement": judgement,
            "credit_limit": 120_000_000, "note": "總部擔保的重點項目"})).await.ok(201);
        let approval = big["approval_id"].as_i64().unwrap();
        let step = app.approve_as("gz01.office_director", approval).await;
        assert_eq!(step["status"], json!("pending"));
        let still = app.get_as(&deputy, &format!("{EVALUATIONS}/{}", id(&big))).await.ok(200);
        assert_eq!(still["status"], json!("in_approval"));
        app.approve_as("hq.finance", approval).await;
        let after = app.get_as(&rep, &format!("/api/v1/sales/customers/{customer}")).await.ok(200);
        assert_eq!(after["credit_limit"], json!(120_000_000));
        let history = app.get_as(&deputy, &format!("/api/v1/risk/credit-limit-changes?customer_id={customer}")).await.ok(200);
        assert_eq!(history["items"].as_array().unwrap().len(), 2);

        // Another office's customer is unknown; another office sees nothing.
        let sz = app.login("sz01.deputy_director").await;
        let res = app.post_as(&sz, EVALUATIONS, &json!({"customer_id": customer, "judgement": judgement})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "customer_id");
        app.get_as(&sz, &format!("{EVALUATIONS}/{}", id(&e))).await.problem(404, "not_found");
        let listed = app.get_as(&sz, EVALUATIONS).await.ok(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 0);
        // A sales rep does not evaluate credit.
        app.post_as(&rep, EVALUATIONS, &json!({"customer_id": customer, "judgement": judgement})).await
            .problem(403, "forbidden");
    }
}
