//! Fixed assets and supplies, second part, on both backends: purchase requests
//! approved by the director alone or, above 50,000.00, by HQ finance as well,
//! then registered once; assignment and return with the custody history;
//! the maintenance log; supply stocktakes closing shortages and surpluses into
//! the ledger; and every new record kept in its office.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use chrono::{Datelike, Duration, Utc};
use serde_json::Value;

fn today() -> String {
    Utc::now().date_naive().to_string()
}

fn tomorrow() -> String {
    (Utc::now().date_naive() + Duration::days(1)).to_string()
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

async fn asset(app: &TestApp, token: &str, name: &str) -> i64 {
    let created = app
        .post_as(
            token,
            "/api/v1/finance/assets",
            &json!({"name": name, "category": "it",
            "purchase_date": "2025-06-01", "purchase_value": 600_000, "useful_life_months": 36}),
        )
        .await
        .ok(201);
    id(&created)
}

async fn item_with_stock(app: &TestApp, token: &str, name: &str, qty: i64) -> i64 {
    let item = app
        .post_as(
            token,
            "/api/v1/finance/supplies",
            &json!({"name": name, "unit": "piece"}),
        )
        .await
        .ok(201);
    let item = id(&item);
    app.post_as(
        token,
        &format!("/api/v1/finance/supplies/{item}/stock-in"),
        &json!({"quantity": qty, "unit_cost": 1_000}),
    )
    .await
    .ok(201);
    item
}

fn stored_stock(app: &TestApp, item: i64) -> i64 {
    use diesel::prelude::*;
    use store::schema::supply_items as si;
    app.conn(|c| {
        si::table
            .find(item)
            .select(si::stock_qty)
            .first(c)
            .expect("stock")
    })
}

fn line(stocktake: &Value, item: i64) -> Value {
    stocktake["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["item_id"] == item)
        .expect("line of the item")
        .clone()
}

db_test! {
    async fn a_small_purchase_needs_the_director_only_and_registers_once(app) {
        app.load_demo_org();
        let ops = app.login("gz01.operations_specialist").await;
        let res = app.post_as(&ops, "/api/v1/finance/asset-purchases", &json!({
            "name": "Office chair", "category": "furniture", "quantity": 2,
            "estimated_unit_value": 120_000, "reason": "Two new desks in the sales room",
            "supplier": "Guangzhou Furniture Co."})).await;
        let purchase = res.ok(201);
        let pid = id(&purchase);
        assert_eq!(res.header("location"), Some(format!("/api/v1/finance/asset-purchases/{pid}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!(purchase["number"], format!("AP-GZ01-{}-000001", Utc::now().year()));
        assert_eq!((purchase["status"].clone(), purchase["estimated_total"].clone()), (json!("in_approval"), json!(240_000)));
        let register = format!("/api/v1/finance/asset-purchases/{pid}/register");
        let body = json!({"purchase_date": today(), "purchase_value": 115_000, "useful_life_months": 60,
            "location": "Sales room"});

        // Nothing is registered before the approval.
        let refused = app.act_as(&ops, &register, "\"1\"", &body).await.problem(409, "invalid_transition");
        assert_eq!(refused["current_state"], "in_approval");

        // Below 50,000.00 the director's approval completes the chain.
        app.approve_as("gz01.office_director", purchase["approval_id"].as_i64().unwrap()).await;
        let res = app.get_as(&ops, &format!("/api/v1/finance/asset-purchases/{pid}")).await;
        assert_eq!(res.ok(200)["status"], "approved");
        let etag = res.header("etag").unwrap().to_owned();

        // Spending more than approved needs a new request.
        let over = app.act_as(&ops, &register, &etag, &json!({"purchase_date": today(), "purchase_value": 130_000,
            "useful_life_months": 60})).await;
        assert_eq!(over.problem(422, "validation_failed")["errors"][0]["field"], "purchase_value");
        let future = app.act_as(&ops, &register, &etag, &json!({"purchase_date": tomorrow(), "purchase_value": 115_000,
            "useful_life_months": 60})).await;
        assert_eq!(future.problem(422, "validation_failed")["errors"][0]["field"], "purchase_date");

        let res = app.act_as(&ops, &register, &etag, &body).await;
        let registered = res.ok(200);
        assert_eq!(registered["status"], "registered");
        let assets = registered["assets"].as_array().unwrap().clone();
        assert_eq!(assets.len(), 2);
        for a in &assets {
            assert!(a["number"].as_str().unwrap().starts_with("FA-GZ01-"), "{a}");
            assert_eq!((a["purchase_request_id"].clone(), a["purchase_value"].clone(), a["category"].clone(), a["status"].clone()),
                (json!(pid), json!(115_000), json!("furniture"), json!("in_use")));
            let on_register = app.get_as(&ops, &format!("/api/v1/finance/assets/{}", id(a))).await.ok(200);
            assert_eq!(on_register["purchase_request_id"], pid);
            assert_eq!(actions(&app, "fixed_asset", id(a)), vec!["create"]);
        }
        // Once only.
        let again = app.act_as(&ops, &register, res.header("etag").unwrap(), &body).await.problem(409, "invalid_transition");
        assert_eq!(again["current_state"], "registered");
        assert_eq!(actions(&app, "asset_purchase", pid), vec!["create", "approved", "register"]);
        let listed = app.get_as(&ops, "/api/v1/finance/asset-purchases?status=registered").await.ok(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    }
}

db_test! {
    async fn a_large_purchase_goes_to_hq_finance_as_well(app) {
        app.load_demo_org();
        let ops = app.login("sh01.operations_specialist").await;
        let purchase = app.post_as(&ops, "/api/v1/finance/asset-purchases", &json!({
            "name": "Server rack", "category": "it", "quantity": 3,
            "estimated_unit_value": 2_000_000, "reason": "The office's own file and mail servers"})).await.ok(201);
        let pid = id(&purchase);
        assert_eq!(purchase["estimated_total"], 6_000_000);
        let approval = purchase["approval_id"].as_i64().unwrap();
        app.approve_as("sh01.office_director", approval).await;
        let waiting = app.get_as(&ops, &format!("/api/v1/finance/asset-purchases/{pid}")).await;
        assert_eq!(waiting.ok(200)["status"], "in_approval");
        app.act_as(&ops, &format!("/api/v1/finance/asset-purchases/{pid}/register"), waiting.header("etag").unwrap(),
            &json!({"purchase_date": today(), "purchase_value": 1_900_000, "useful_life_months": 60})).await
            .problem(409, "invalid_transition");
        app.approve_as("hq.finance", approval).await;
        let res = app.get_as(&ops, &format!("/api/v1/finance/asset-purchases/{pid}")).await;
        assert_eq!(res.ok(200)["status"], "approved");

        let rep = app.user_id("sh01.sales_rep");
        let registered = app.act_as(&ops, &format!("/api/v1/finance/asset-purchases/{pid}/register"), res.header("etag").unwrap(),
            &json!({"purchase_date": today(), "purchase_value": 1_950_000, "salvage_value": 50_000,
                "useful_life_months": 60, "location": "Server room", "custodian_user_id": rep})).await.ok(200);
        let assets = registered["assets"].as_array().unwrap();
        assert_eq!(assets.len(), 3);
        for a in assets {
            assert_eq!((a["custodian_user_id"].clone(), a["salvage_value"].clone()), (json!(rep), json!(50_000)));
            // The custodian named at registration opens the custody history.
            let history = app.get_as(&ops, &format!("/api/v1/finance/assets/{}/assignments", id(a))).await.ok(200);
            let rows = history["items"].as_array().unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!((rows[0]["user_id"].clone(), rows[0]["returned_on"].clone()), (json!(rep), Value::Null));
        }
        assert_eq!(actions(&app, "asset_purchase", pid), vec!["create", "approved", "register"]);
        let events = app.audit_events("asset_purchase", pid);
        assert_eq!(events[1].actor_user_id, Some(app.user_id("hq.finance")), "the last approver decides");
    }
}

db_test! {
    async fn assets_are_assigned_and_returned_with_their_history(app) {
        app.load_demo_org();
        let ops = app.login("gz01.operations_specialist").await;
        let laptop = asset(&app, &ops, "Laptop").await;
        let assign = format!("/api/v1/finance/assets/{laptop}/assign");
        let ret = format!("/api/v1/finance/assets/{laptop}/return");
        let rep = app.user_id("gz01.sales_rep");
        let staff = app.user_id("gz01.staff");

        // Another office's user is refused on the field, not as a missing record.
        let res = app.act_as(&ops, &assign, "\"1\"", &json!({"custodian_user_id": app.user_id("sh01.staff")})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "custodian_user_id");
        let res = app.act_as(&ops, &assign, "\"1\"", &json!({"custodian_user_id": rep, "assigned_on": tomorrow()})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "assigned_on");
        app.act_as(&ops, &ret, "\"1\"", &json!({"condition": "fine"})).await.problem(409, "invalid_transition");

        let res = app.act_as(&ops, &assign, "\"1\"", &json!({"custodian_user_id": rep, "assigned_on": "2025-07-01",
            "notes": "For customer visits"})).await;
        assert_eq!(res.ok(200)["custodian_user_id"], rep);
        assert_eq!(res.header("etag"), Some("\"2\""));
        // Only an asset without a custodian is assigned; a stale ETag is refused.
        let busy = app.act_as(&ops, &assign, "\"2\"", &json!({"custodian_user_id": staff})).await.problem(409, "invalid_transition");
        assert_eq!(busy["allowed_actions"], json!(["return"]));
        app.act_as(&ops, &ret, "\"1\"", &json!({"condition": "fine"})).await.problem(412, "version_conflict");

        let res = app.act_as(&ops, &ret, "\"2\"", &json!({"returned_on": "2025-09-30", "condition": "Keyboard worn, works"})).await;
        assert_eq!(res.ok(200)["custodian_user_id"], Value::Null);
        // Not before the last return.
        let res = app.act_as(&ops, &assign, "\"3\"", &json!({"custodian_user_id": staff, "assigned_on": "2025-09-01"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "assigned_on");
        app.act_as(&ops, &assign, "\"3\"", &json!({"custodian_user_id": staff, "assigned_on": "2025-10-01"})).await.ok(200);

        let on_register = app.get_as(&ops, &format!("/api/v1/finance/assets/{laptop}")).await.ok(200);
        assert_eq!((on_register["custodian_user_id"].clone(), on_register["version"].clone()), (json!(staff), json!(4)));
        let history = app.get_as(&ops, &format!("/api/v1/finance/assets/{laptop}/assignments")).await.ok(200);
        let rows = history["items"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0]["user_id"].clone(), rows[0]["assigned_on"].clone(), rows[0]["returned_on"].clone()),
            (json!(staff), json!("2025-10-01"), Value::Null));
        assert_eq!((rows[1]["user_id"].clone(), rows[1]["returned_on"].clone(), rows[1]["return_condition"].clone(), rows[1]["notes"].clone()),
            (json!(rep), json!("2025-09-30"), json!("Keyboard worn, works"), json!("For customer visits")));
        let page = app.get_as(&ops, &format!("/api/v1/finance/assets/{laptop}/assignments?limit=1")).await.ok(200);
        let next = page["next_cursor"].as_str().unwrap().to_owned();
        let page2 = app.get_as(&ops, &format!("/api/v1/finance/assets/{laptop}/assignments?limit=1&cursor={next}")).await.ok(200);
        assert_eq!(page2["items"][0]["user_id"], rep);
        assert_eq!(actions(&app, "fixed_asset", laptop), vec!["create", "assign", "return", "assign"]);
    }
}

db_test! {
    async fn maintenance_is_logged_and_future_dates_refused(app) {
        app.load_demo_org();
        let ops = app.login("gz01.operations_specialist").await;
        let printer = asset(&app, &ops, "Printer").await;
        let path = format!("/api/v1/finance/assets/{printer}/maintenance");
        let res = app.post_as(&ops, &path, &json!({"performed_on": tomorrow(), "kind": "repair",
            "description": "Paper jam", "cost": 20_000})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "performed_on");
        let res = app.post_as(&ops, &path, &json!({"performed_on": "2025-01-01", "kind": "repair",
            "description": "Before it was bought", "cost": 0})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "performed_on");
        let res = app.post_as(&ops, &path, &json!({"performed_on": "2025-08-01", "kind": "repair",
            "description": "Refund", "cost": -1})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "cost");

        let res = app.post_as(&ops, &path, &json!({"performed_on": "2025-08-01", "kind": "repair",
            "description": "Replaced the fuser unit", "cost": 68_000, "vendor": "Guangzhou Office Equipment Service Co."})).await;
        let entry = res.ok(201);
        let location = res.header("location").unwrap().to_owned();
        assert_eq!(location, format!("/api/v1/finance/assets/{printer}/maintenance/{}", id(&entry)));
        app.post_as(&ops, &path, &json!({"performed_on": today(), "kind": "inspection",
            "description": "Annual check", "cost": 0})).await.ok(201);
        assert_eq!(app.get_as(&ops, &location).await.ok(200)["cost"], 68_000);
        let log = app.get_as(&ops, &path).await.ok(200);
        let kinds: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["inspection", "repair"]);
        assert_eq!(actions(&app, "asset_maintenance", id(&entry)), vec!["create"]);
    }
}

db_test! {
    async fn a_supply_stocktake_closes_shortages_and_surpluses_into_the_ledger(app) {
        app.load_demo_org();
        let ops = app.login("gz01.operations_specialist").await;
        let paper = item_with_stock(&app, &ops, "A4 paper", 20).await;
        let toner = item_with_stock(&app, &ops, "Toner", 4).await;
        let pens = item_with_stock(&app, &ops, "Pens", 10).await;

        let res = app.post_as(&ops, "/api/v1/finance/supply-stocktakes", &json!({})).await;
        let opened = res.ok(201);
        let sid = id(&opened);
        assert_eq!(res.header("location"), Some(format!("/api/v1/finance/supply-stocktakes/{sid}").as_str()));
        assert_eq!(opened["status"], "open");
        assert_eq!((line(&opened, paper)["system_qty"].clone(), line(&opened, toner)["system_qty"].clone(), line(&opened, pens)["system_qty"].clone()),
            (json!(20), json!(4), json!(10)));
        app.post_as(&ops, "/api/v1/finance/supply-stocktakes", &json!({})).await.problem(409, "conflict");

        // Three reams are issued while the count goes on: the ledger moves after the snapshot.
        app.post_as(&ops, &format!("/api/v1/finance/supplies/{paper}/issue"),
            &json!({"quantity": 3, "employee_user_id": app.user_id("gz01.staff")})).await.ok(201);

        let counts = format!("/api/v1/finance/supply-stocktakes/{sid}/counts");
        let close = format!("/api/v1/finance/supply-stocktakes/{sid}/close");
        let res = app.act_as(&ops, &counts, "\"1\"", &json!({"counts": [{"item_id": paper, "counted_qty": -1}]})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "counts[0].counted_qty");
        let other = item_with_stock(&app, &app.login("sh01.operations_specialist").await, "Stapler", 1).await;
        let res = app.act_as(&ops, &counts, "\"1\"", &json!({"counts": [{"item_id": other, "counted_qty": 1}]})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "counts[0].item_id");

        // 18 reams counted against 20 at the snapshot: two short; six toners against four: two over.
        let counted = app.act_as(&ops, &counts, "\"1\"", &json!({"counts": [
            {"item_id": paper, "counted_qty": 18, "note": "Two reams water-damaged"},
            {"item_id": toner, "counted_qty": 6, "note": "Delivery never booked in"}
        ]})).await.ok(200);
        assert_eq!((line(&counted, paper)["difference"].clone(), line(&counted, toner)["difference"].clone(), line(&counted, pens)["difference"].clone()),
            (json!(-2), json!(2), Value::Null));
        // Every item must be counted before closing.
        let res = app.act_as(&ops, &close, "\"2\"", &json!({})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "pending");
        app.act_as(&ops, &counts, "\"2\"", &json!({"counts": [{"item_id": pens, "counted_qty": 10}]})).await.ok(200);
        assert_eq!(stored_stock(&app, paper), 17, "nothing moves before the close");

        let res = app.act_as(&ops, &close, "\"3\"", &json!({})).await;
        let closed = res.ok(200);
        assert_eq!(res.header("etag"), Some("\"4\""));
        assert_eq!(closed["status"], "closed");
        assert!(closed["closed_at"].as_str().unwrap().ends_with('Z'));
        assert!(line(&closed, paper)["movement_id"].is_i64());
        assert!(line(&closed, toner)["movement_id"].is_i64());
        assert_eq!(line(&closed, pens)["movement_id"], Value::Null);
        // Adjusted by the difference, not overwritten with the count: 17 − 2.
        assert_eq!((stored_stock(&app, paper), stored_stock(&app, toner), stored_stock(&app, pens)), (15, 6, 10));
        let ledger = app.get_as(&ops, &format!("/api/v1/finance/supplies/{paper}/movements")).await.ok(200);
        let moves: Vec<(String, i64, i64)> = ledger["items"].as_array().unwrap().iter()
            .map(|m| (m["kind"].as_str().unwrap().to_owned(), m["quantity"].as_i64().unwrap(), m["stock_after"].as_i64().unwrap()))
            .collect();
        assert_eq!(moves, vec![
            ("stocktake_adjustment".to_owned(), -2, 15),
            ("issue".to_owned(), -3, 17),
            ("stock_in".to_owned(), 20, 20),
        ]);
        let ledger = app.get_as(&ops, &format!("/api/v1/finance/supplies/{toner}/movements")).await.ok(200);
        assert_eq!((ledger["items"][0]["kind"].clone(), ledger["items"][0]["quantity"].clone()), (json!("stocktake_adjustment"), json!(2)));

        app.act_as(&ops, &close, "\"4\"", &json!({})).await.problem(409, "invalid_transition");
        app.act_as(&ops, &counts, "\"4\"", &json!({"counts": [{"item_id": pens, "counted_qty": 9}]})).await.problem(409, "invalid_transition");
        assert_eq!(actions(&app, "supply_stocktake", sid), vec!["open", "count", "count", "close"]);
        let list = app.get_as(&ops, "/api/v1/finance/supply-stocktakes?status=closed").await.ok(200);
        assert_eq!(list["items"][0]["id"], sid);
        // The next stocktake may open once this one is closed.
        app.post_as(&ops, "/api/v1/finance/supply-stocktakes", &json!({})).await.ok(201);
    }
}

db_test! {
    async fn a_shortage_beyond_the_ledger_refuses_the_whole_close(app) {
        app.load_demo_org();
        let ops = app.login("hz01.operations_specialist").await;
        let paper = item_with_stock(&app, &ops, "A4 paper", 5).await;
        let toner = item_with_stock(&app, &ops, "Toner", 1).await;
        let sid = id(&app.post_as(&ops, "/api/v1/finance/supply-stocktakes", &json!({})).await.ok(201));
        app.post_as(&ops, &format!("/api/v1/finance/supplies/{paper}/issue"),
            &json!({"quantity": 4, "employee_user_id": app.user_id("hz01.staff")})).await.ok(201);
        // Two counted against five: three short, but the ledger holds one.
        app.act_as(&ops, &format!("/api/v1/finance/supply-stocktakes/{sid}/counts"), "\"1\"", &json!({"counts": [
            {"item_id": toner, "counted_qty": 3}, {"item_id": paper, "counted_qty": 2}]})).await.ok(200);
        let res = app.act_as(&ops, &format!("/api/v1/finance/supply-stocktakes/{sid}/close"), "\"2\"", &json!({})).await;
        assert_eq!(res.problem(409, "insufficient_stock")["item_id"], paper);
        // Nothing was applied, not even the toner's surplus.
        assert_eq!((stored_stock(&app, paper), stored_stock(&app, toner)), (1, 1));
        assert_eq!(app.get_as(&ops, &format!("/api/v1/finance/supply-stocktakes/{sid}")).await.ok(200)["status"], "open");
    }
}

db_test! {
    async fn purchases_custody_maintenance_and_supply_counts_stay_in_their_office(app) {
        app.load_demo_org();
        let gz = app.login("gz01.operations_specialist").await;
        let purchase = id(&app.post_as(&gz, "/api/v1/finance/asset-purchases", &json!({
            "name": "Desk", "category": "furniture", "quantity": 1, "estimated_unit_value": 150_000,
            "reason": "New hire"})).await.ok(201));
        let desk = asset(&app, &gz, "Desk").await;
        app.act_as(&gz, &format!("/api/v1/finance/assets/{desk}/assign"), "\"1\"",
            &json!({"custodian_user_id": app.user_id("gz01.staff")})).await.ok(200);
        let entry = id(&app.post_as(&gz, &format!("/api/v1/finance/assets/{desk}/maintenance"), &json!({
            "performed_on": today(), "kind": "service", "description": "Tightened the legs", "cost": 0})).await.ok(201));
        item_with_stock(&app, &gz, "A4 paper", 3).await;
        let stocktake = id(&app.post_as(&gz, "/api/v1/finance/supply-stocktakes", &json!({})).await.ok(201));

        let sh = app.login("sh01.operations_specialist").await;
        let sh_staff = app.user_id("sh01.staff");
        assert_isolated(&app, &sh, Isolated {
            list: "/api/v1/finance/asset-purchases",
            item: format!("/api/v1/finance/asset-purchases/{purchase}"),
            id: purchase,
            patch: None,
            actions: vec![(format!("/api/v1/finance/asset-purchases/{purchase}/register"),
                json!({"purchase_date": today(), "purchase_value": 100_000, "useful_life_months": 60}))],
        }).await;
        assert_isolated(&app, &sh, Isolated {
            list: "/api/v1/finance/assets",
            item: format!("/api/v1/finance/assets/{desk}/assignments"),
            id: desk,
            patch: None,
            actions: vec![
                (format!("/api/v1/finance/assets/{desk}/assign"), json!({"custodian_user_id": sh_staff})),
                (format!("/api/v1/finance/assets/{desk}/return"), json!({"condition": "fine"})),
            ],
        }).await;
        assert_isolated(&app, &sh, Isolated {
            list: "/api/v1/finance/assets",
            item: format!("/api/v1/finance/assets/{desk}/maintenance"),
            id: desk,
            patch: None,
            actions: vec![],
        }).await;
        app.get_as(&sh, &format!("/api/v1/finance/assets/{desk}/maintenance/{entry}")).await.problem(404, "not_found");
        app.post_as(&sh, &format!("/api/v1/finance/assets/{desk}/maintenance"), &json!({
            "performed_on": today(), "kind": "repair", "description": "x", "cost": 0})).await.problem(404, "not_found");
        assert_isolated(&app, &sh, Isolated {
            list: "/api/v1/finance/supply-stocktakes",
            item: format!("/api/v1/finance/supply-stocktakes/{stocktake}"),
            id: stocktake,
            patch: None,
            actions: vec![
                (format!("/api/v1/finance/supply-stocktakes/{stocktake}/counts"), json!({"counts": [{"item_id": 1, "counted_qty": 1}]})),
                (format!("/api/v1/finance/supply-stocktakes/{stocktake}/close"), json!({})),
            ],
        }).await;
        // A sales representative reads neither; HQ finance reads every office's requests.
        let rep = app.login("gz01.sales_rep").await;
        app.get_as(&rep, "/api/v1/finance/asset-purchases").await.problem(403, "forbidden");
        app.get_as(&rep, "/api/v1/finance/supply-stocktakes").await.problem(403, "forbidden");
        let hq = app.login("hq.finance").await;
        let seen = app.get_as(&hq, "/api/v1/finance/asset-purchases").await.ok(200);
        assert!(seen["items"].as_array().unwrap().iter().any(|p| p["id"] == purchase));
    }
}
