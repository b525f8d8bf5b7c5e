//! Office supplies on both backends: stock never goes below zero (also with ten
//! issues at once), the ledger keeps every movement, and another office's items
//! stay out of reach.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use serde_json::Value;

async fn item_with_stock(app: &TestApp, token: &str, qty: i64) -> i64 {
    let item = app
        .post_as(
            token,
            "/api/v1/finance/supplies",
            &json!({"name": "A4 paper", "unit": "ream", "reorder_level": 2}),
        )
        .await
        .ok(201);
    let id = item["id"].as_i64().unwrap();
    let m = app
        .post_as(
            token,
            &format!("/api/v1/finance/supplies/{id}/stock-in"),
            &json!({"quantity": qty, "unit_cost": 2_500}),
        )
        .await
        .ok(201);
    assert_eq!(m["stock_after"], qty);
    id
}

fn issue(app: &TestApp, who: i64, qty: i64) -> Value {
    let _ = app;
    json!({"quantity": qty, "employee_user_id": who, "note": "for the front desk"})
}

db_test! {
    async fn issuing_more_than_is_in_stock_is_refused(app) {
        app.load_demo_org();
        let ops = app.login("gz01.operations_specialist").await;
        let id = item_with_stock(&app, &ops, 5).await;
        let staff = app.user_id("gz01.staff");
        let m = app.post_as(&ops, &format!("/api/v1/finance/supplies/{id}/issue"), &issue(&app, staff, 3)).await.ok(201);
        assert_eq!((m["quantity"].clone(), m["stock_after"].clone()), (json!(-3), json!(2)));
        let res = app.post_as(&ops, &format!("/api/v1/finance/supplies/{id}/issue"), &issue(&app, staff, 3)).await;
        assert_eq!(res.problem(409, "insufficient_stock")["stock_qty"], 2);
        let low = app.get_as(&ops, "/api/v1/finance/supplies?low=true").await.ok(200);
        assert_eq!(low["items"][0]["stock_qty"], 2);
        let ledger = app.get_as(&ops, &format!("/api/v1/finance/supplies/{id}/movements")).await.ok(200);
        let kinds: Vec<&str> = ledger["items"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["issue", "stock_in"]);
        // The receiving employee must work in the item's office.
        let res = app.post_as(&ops, &format!("/api/v1/finance/supplies/{id}/issue"), &issue(&app, app.user_id("sh01.staff"), 1)).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "employee_user_id");
        assert_eq!(app.audit_events("supply_item", id).len(), 3);
    }
}

db_test! {
    async fn ten_issues_at_once_never_take_the_stock_below_zero(app) {
        app.load_demo_org();
        let ops = app.login("hz01.operations_specialist").await;
        let id = item_with_stock(&app, &ops, 5).await;
        let staff = app.user_id("hz01.staff");
        let path = format!("/api/v1/finance/supplies/{id}/issue");
        let body = issue(&app, staff, 1);
        let calls = (0..10).map(|_| app.post_as(&ops, &path, &body));
        let results = futures_util::future::join_all(calls).await;
        let ok = results.iter().filter(|r| r.status == 201).count();
        let refused = results.iter().filter(|r| r.status == 409).count();
        assert_eq!((ok, refused), (5, 5));
        let items = app.get_as(&ops, "/api/v1/finance/supplies").await.ok(200);
        assert_eq!(items["items"][0]["stock_qty"], 0);
    }
}

db_test! {
    async fn supplies_stay_in_their_office(app) {
        app.load_demo_org();
        let gz = app.login("gz01.operations_specialist").await;
        let id = item_with_stock(&app, &gz, 3).await;
        let sh = app.login("sh01.operations_specialist").await;
        assert_isolated(&app, &sh, Isolated {
            list: "/api/v1/finance/supplies",
            item: format!("/api/v1/finance/supplies/{id}/movements"),
            id,
            patch: None,
            actions: vec![],
        }).await;
        app.post_as(&sh, &format!("/api/v1/finance/supplies/{id}/issue"), &issue(&app, app.user_id("sh01.staff"), 1)).await
            .problem(404, "not_found");
        app.post_as(&sh, &format!("/api/v1/finance/supplies/{id}/stock-in"), &json!({"quantity": 1})).await.problem(404, "not_found");
        let rep = app.login("gz01.sales_rep").await;
        app.get_as(&rep, "/api/v1/finance/supplies").await.problem(403, "forbidden");
        let stock = app.get_as(&gz, "/api/v1/finance/supplies").await.ok(200)["items"][0]["stock_qty"].clone();
        assert_eq!(stock, 3);
    }
}
