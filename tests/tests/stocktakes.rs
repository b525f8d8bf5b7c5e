//! Stocktakes on both backends: a shortage investigated and settled through
//! approval takes the missing asset off the register; a clean count settles at
//! once; results need investigation notes; and scope.

use branchline_tests::{TestApp, db_test, json};
use serde_json::Value;

async fn asset(app: &TestApp, token: &str, name: &str) -> i64 {
    app.post_as(
        token,
        "/api/v1/finance/assets",
        &json!({"name": name, "category": "it",
        "purchase_date": "2025-06-01", "purchase_value": 500_000, "useful_life_months": 36}),
    )
    .await
    .ok(201)["id"]
        .as_i64()
        .unwrap()
}

fn item_for(stocktake: &Value, asset: i64) -> i64 {
    stocktake["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["asset_id"] == asset)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

db_test! {
    async fn a_shortage_is_investigated_and_settled_through_approval(app) {
        app.load_demo_org();
        let ops = app.login("gz01.operations_specialist").await;
        let laptop = asset(&app, &ops, "Laptop").await;
        let phone = asset(&app, &ops, "Phone").await;
        let opened = app.post_as(&ops, "/api/v1/finance/stocktakes", &json!({})).await.ok(201);
        assert_eq!(opened["items"].as_array().unwrap().len(), 2);
        let id = opened["id"].as_i64().unwrap();
        app.post_as(&ops, "/api/v1/finance/stocktakes", &json!({})).await.problem(409, "conflict");

        // Submitting before every asset is counted is refused.
        let res = app.act_as(&ops, &format!("/api/v1/finance/stocktakes/{id}/submit"), "\"1\"", &json!({})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "pending");
        // A missing asset needs investigation notes.
        let missing_no_notes = json!({"items": [{"item_id": item_for(&opened, phone), "result": "missing"}]});
        let res = app.act_as(&ops, &format!("/api/v1/finance/stocktakes/{id}/results"), "\"1\"", &missing_no_notes).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "items[0].investigation");
        let counted = app.act_as(&ops, &format!("/api/v1/finance/stocktakes/{id}/results"), "\"1\"", &json!({
            "items": [
                {"item_id": item_for(&opened, laptop), "result": "present"},
                {"item_id": item_for(&opened, phone), "result": "missing", "investigation": "Lost on a customer visit; police report filed"}
            ],
            "surplus": [{"description": "Unregistered monitor", "investigation": "Bought with petty cash in 2024, never registered"}]
        })).await.ok(200);
        assert_eq!(counted["items"].as_array().unwrap().len(), 3);
        let submitted = app.act_as(&ops, &format!("/api/v1/finance/stocktakes/{id}/submit"), "\"2\"", &json!({})).await.ok(200);
        assert_eq!(submitted["status"], "in_approval");
        let approval = submitted["approval_id"].as_i64().unwrap();
        let chain = app.get_as(&app.login("gz01.office_director").await, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        assert!(chain["summary"].as_str().unwrap().contains("1 missing, 0 damaged, 1 surplus"), "{chain}");

        // Not settled until approved: the phone is still on the register.
        assert_eq!(app.get_as(&ops, &format!("/api/v1/finance/assets/{phone}")).await.ok(200)["status"], "in_use");
        app.approve_as("gz01.office_director", approval).await;
        app.approve_as("hq.finance", approval).await;
        let settled = app.get_as(&ops, &format!("/api/v1/finance/stocktakes/{id}")).await.ok(200);
        assert_eq!(settled["status"], "settled");
        assert!(settled["settled_at"].as_str().unwrap().ends_with('Z'));
        let lost = app.get_as(&ops, &format!("/api/v1/finance/assets/{phone}")).await.ok(200);
        assert_eq!((lost["status"].clone(), lost["disposal_kind"].clone()), (json!("disposed"), json!("loss")));
        assert_eq!(app.get_as(&ops, &format!("/api/v1/finance/assets/{laptop}")).await.ok(200)["status"], "in_use");
    }
}

db_test! {
    async fn a_clean_count_settles_at_once_and_stays_in_its_office(app) {
        app.load_demo_org();
        let ops = app.login("sh01.operations_specialist").await;
        let desk = asset(&app, &ops, "Desk").await;
        let opened = app.post_as(&ops, "/api/v1/finance/stocktakes", &json!({})).await.ok(201);
        let id = opened["id"].as_i64().unwrap();
        app.act_as(&ops, &format!("/api/v1/finance/stocktakes/{id}/results"), "\"1\"",
            &json!({"items": [{"item_id": item_for(&opened, desk), "result": "present"}]})).await.ok(200);
        let done = app.act_as(&ops, &format!("/api/v1/finance/stocktakes/{id}/submit"), "\"2\"", &json!({})).await.ok(200);
        assert_eq!((done["status"].clone(), done["approval_id"].clone()), (json!("settled"), Value::Null));
        // Another office's stocktake answers 404.
        let gz = app.login("gz01.operations_specialist").await;
        app.get_as(&gz, &format!("/api/v1/finance/stocktakes/{id}")).await.problem(404, "not_found");
        app.act_as(&gz, &format!("/api/v1/finance/stocktakes/{id}/submit"), "\"3\"", &json!({})).await.problem(404, "not_found");
        app.act_as(&gz, &format!("/api/v1/finance/stocktakes/{id}/results"), "\"3\"", &json!({})).await.problem(404, "not_found");
    }
}
