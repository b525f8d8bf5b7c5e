//! Fixed assets on both backends: numbering, depreciation figures checked against
//! hand-computed values through the API, disposal only through an approved
//! request, and scope.

use branchline_tests::{Isolated, assert_isolated, db_test, json};

db_test! {
    async fn depreciation_matches_the_hand_computed_figures(app) {
        app.load_demo_org();
        let ops = app.login("gz01.operations_specialist").await;
        // 12,000.00, no salvage, 36 months, bought 15 January 2026: 333.33 a month from February.
        let asset = app.post_as(&ops, "/api/v1/finance/assets", &json!({"name": "Laptop", "category": "it",
            "purchase_date": "2026-01-15", "purchase_value": 1_200_000, "useful_life_months": 36,
            "custodian_user_id": app.user_id("gz01.sales_rep")})).await.ok(201);
        assert_eq!(asset["number"], "FA-GZ01-2026-000001");
        let id = asset["id"].as_i64().unwrap();
        for (as_of, months, accumulated, nbv) in [
            ("2026-01-31", 0, 0, 1_200_000),
            ("2026-02-28", 1, 33_333, 1_166_667),
            ("2026-11-30", 10, 333_330, 866_670),
            ("2029-01-31", 36, 1_200_000, 0),
        ] {
            let d = app.get_as(&ops, &format!("/api/v1/finance/assets/{id}/depreciation?as_of={as_of}")).await.ok(200);
            assert_eq!(
                (d["months_depreciated"].clone(), d["accumulated"].clone(), d["net_book_value"].clone()),
                (json!(months), json!(accumulated), json!(nbv)),
                "as of {as_of}"
            );
        }
        let res = app.post_as(&ops, "/api/v1/finance/assets", &json!({"name": "x", "category": "it",
            "purchase_date": "2026-01-15", "purchase_value": 100, "salvage_value": 100, "useful_life_months": 12})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "salvage_value");
    }
}

db_test! {
    async fn an_asset_leaves_the_register_only_by_approved_disposal(app) {
        app.load_demo_org();
        let ops = app.login("sz01.operations_specialist").await;
        let asset = app.post_as(&ops, "/api/v1/finance/assets", &json!({"name": "Projector", "category": "office_equipment",
            "purchase_date": "2024-03-01", "purchase_value": 800_000, "useful_life_months": 60})).await.ok(201);
        let id = asset["id"].as_i64().unwrap();
        // No informal way: the status cannot be written.
        let res = app.patch_as(&ops, &format!("/api/v1/finance/assets/{id}"), "\"1\"", &json!({"status": "disposed"})).await;
        res.problem(405, "method_not_allowed");
        let request = app.post_as(&ops, &format!("/api/v1/finance/assets/{id}/disposals"),
            &json!({"kind": "scrap", "reason": "Lamp burnt out, repair costs more than the projector"})).await.ok(201);
        app.post_as(&ops, &format!("/api/v1/finance/assets/{id}/disposals"), &json!({"kind": "scrap", "reason": "again"})).await
            .problem(409, "duplicate");
        let approval = request["approval_id"].as_i64().unwrap();
        // Still on the register after the first approval.
        app.approve_as("sz01.office_director", approval).await;
        assert_eq!(app.get_as(&ops, &format!("/api/v1/finance/assets/{id}")).await.ok(200)["status"], "in_use");
        app.approve_as("hq.finance", approval).await;
        let disposed = app.get_as(&ops, &format!("/api/v1/finance/assets/{id}")).await.ok(200);
        assert_eq!((disposed["status"].clone(), disposed["disposal_kind"].clone()), (json!("disposed"), json!("scrap")));
        let actions: Vec<String> = app.audit_events("fixed_asset", id).iter().map(|e| e.action.clone()).collect();
        assert_eq!(actions, vec!["create", "dispose"]);
        app.post_as(&ops, &format!("/api/v1/finance/assets/{id}/disposals"), &json!({"kind": "sale", "reason": "x"})).await
            .problem(409, "invalid_transition");
        // A rejected request leaves the asset where it was.
        let other = app.post_as(&ops, "/api/v1/finance/assets", &json!({"name": "Desk", "category": "furniture",
            "purchase_date": "2025-01-01", "purchase_value": 150_000, "useful_life_months": 120})).await.ok(201);
        let req = app.post_as(&ops, &format!("/api/v1/finance/assets/{}/disposals", other["id"]),
            &json!({"kind": "sale", "reason": "moving", "proceeds": 50_000})).await.ok(201);
        let director = app.login("sz01.office_director").await;
        let approval = req["approval_id"].as_i64().unwrap();
        let etag = app.get_as(&director, &format!("/api/v1/approvals/{approval}")).await.header("etag").unwrap().to_owned();
        app.act_as(&director, &format!("/api/v1/approvals/{approval}/reject"), &etag, &json!({"reason": "we still need it"})).await.ok(200);
        assert_eq!(app.get_as(&ops, &format!("/api/v1/finance/assets/{}", other["id"])).await.ok(200)["status"], "in_use");
    }
}

db_test! {
    async fn assets_stay_in_their_office(app) {
        app.load_demo_org();
        let gz = app.login("gz01.operations_specialist").await;
        let id = app.post_as(&gz, "/api/v1/finance/assets", &json!({"name": "Printer", "category": "office_equipment",
            "purchase_date": "2026-06-01", "purchase_value": 300_000, "useful_life_months": 36})).await.ok(201)["id"].as_i64().unwrap();
        let sh = app.login("sh01.operations_specialist").await;
        assert_isolated(&app, &sh, Isolated {
            list: "/api/v1/finance/assets",
            item: format!("/api/v1/finance/assets/{id}"),
            id,
            patch: None,
            actions: vec![],
        }).await;
        app.get_as(&sh, &format!("/api/v1/finance/assets/{id}/depreciation")).await.problem(404, "not_found");
        app.post_as(&sh, &format!("/api/v1/finance/assets/{id}/disposals"), &json!({"kind": "loss", "reason": "x"})).await
            .problem(404, "not_found");
        app.get_as(&app.login("gz01.sales_rep").await, "/api/v1/finance/assets").await.problem(403, "forbidden");
    }
}
