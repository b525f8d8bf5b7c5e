//! Customer files on both backends: credit-code validation and uniqueness,
//! key-account rules, search, contacts, the interaction log, merging duplicates,
//! permissions, the audit trail, and cross-office isolation.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use serde_json::Value;

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

async fn customer(app: &TestApp, token: &str, body: Value) -> Value {
    app.post_as(token, "/api/v1/sales/customers", &body)
        .await
        .ok(201)
}

db_test! {
    async fn credit_codes_are_checked_and_unique(app) {
        app.load_demo();
        let rep = app.login("sz01.sales_rep").await;
        let res = app.post_as(&rep, "/api/v1/sales/customers",
            &json!({"name": "Typo Ltd", "classification": "potential", "uscc": "91350100M000100Y44"})).await;
        let body = res.problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "uscc");
        assert_eq!(body["errors"][0]["message"], "has a wrong check character");
        // The demo's GZ01 key account holds 91350100M000100Y43 already: company-wide unique.
        let res = app.post_as(&rep, "/api/v1/sales/customers",
            &json!({"name": "Copy Ltd", "classification": "potential", "uscc": "91350100M000100Y43"})).await;
        res.problem(409, "duplicate");
        let created = customer(&app, &rep, json!({"name": "北京某公司", "classification": "intent",
            "uscc": "91110000600037341L", "credit_limit": 1_000_000, "payment_terms_days": 45})).await;
        assert_eq!(created["office_id"], app.office_id("SZ01"));
        assert_eq!((created["credit_limit"].clone(), created["currency"].clone()), (json!(1_000_000), json!("CNY")));
        assert_eq!(app.audit_events("customer", created["id"].as_i64().unwrap()).len(), 1);
    }
}

db_test! {
    async fn a_key_account_needs_an_owner_and_a_maintenance_plan(app) {
        app.load_demo();
        let rep = app.login("gz01.sales_rep").await;
        let res = app.post_as(&rep, "/api/v1/sales/customers", &json!({"name": "Big Co", "classification": "key_account"})).await;
        let body = res.problem(422, "validation_failed");
        let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["owner_user_id", "maintenance_plan", "next_review_on"]);
        // The owner must work in the customer's office.
        let res = app.post_as(&rep, "/api/v1/sales/customers", &json!({"name": "Big Co", "classification": "key_account",
            "owner_user_id": app.user_id("sh01.sales_rep"), "maintenance_plan": "monthly", "next_review_on": "2027-01-31"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "owner_user_id");
        let ok = customer(&app, &rep, json!({"name": "Big Co", "classification": "key_account",
            "owner_user_id": app.user_id("gz01.sales_rep"), "maintenance_plan": "monthly", "next_review_on": "2027-01-31"})).await;
        // Downgrading keeps working; upgrading a plain customer needs the plan.
        let plain = customer(&app, &rep, json!({"name": "Small Co", "classification": "potential"})).await;
        let res = app.patch_as(&rep, &format!("/api/v1/sales/customers/{}", plain["id"]), "\"1\"", &json!({"classification": "key_account"})).await;
        res.problem(422, "validation_failed");
        let stored = app.get_as(&rep, &format!("/api/v1/sales/customers/{}", plain["id"])).await.ok(200);
        assert_eq!((stored["classification"].clone(), stored["version"].clone()), (json!("potential"), json!(1)));
        let res = app.patch_as(&rep, &format!("/api/v1/sales/customers/{}", ok["id"]), "\"1\"",
            &json!({"classification": "intent", "maintenance_plan": null})).await;
        assert_eq!(res.ok(200)["maintenance_plan"], Value::Null);
    }
}

db_test! {
    async fn search_finds_by_name_code_contact_and_phone(app) {
        app.load_demo();
        let rep = app.login("gz01.sales_rep").await;
        let created = customer(&app, &rep, json!({"name": "Pearl River Lighting", "classification": "intent"})).await;
        let id = created["id"].as_i64().unwrap();
        app.post_as(&rep, &format!("/api/v1/sales/customers/{id}/contacts"),
            &json!({"name": "Chen Jie", "phone": "13912345678", "email": "chen@example.com"})).await.ok(201);
        for q in ["pearl", "PEARL%20RIVER", "chen", "1391234"] {
            let found = ids(&app.get_as(&rep, &format!("/api/v1/sales/customers?q={q}")).await.ok(200));
            assert_eq!(found, vec![id], "q={q}");
        }
        let by_code = ids(&app.get_as(&rep, "/api/v1/sales/customers?q=91350100m").await.ok(200));
        assert_eq!(by_code.len(), 1);
        assert!(ids(&app.get_as(&rep, "/api/v1/sales/customers?q=nothing-like-this").await.ok(200)).is_empty());
    }
}

db_test! {
    async fn contacts_keep_one_primary_and_the_log_runs_newest_first(app) {
        app.load_demo();
        let rep = app.login("hz01.sales_rep").await;
        let id = customer(&app, &rep, json!({"name": "West Lake Hotels", "classification": "intent"})).await["id"].as_i64().unwrap();
        let first = app.post_as(&rep, &format!("/api/v1/sales/customers/{id}/contacts"), &json!({"name": "A"})).await.ok(201);
        assert_eq!(first["is_primary"], true);
        app.post_as(&rep, &format!("/api/v1/sales/customers/{id}/contacts"), &json!({"name": "B"})).await.ok(201);
        app.post_as(&rep, &format!("/api/v1/sales/customers/{id}/contacts"), &json!({"name": "C", "is_primary": true})).await.ok(201);
        let contacts = app.get_as(&rep, &format!("/api/v1/sales/customers/{id}/contacts")).await.ok(200);
        let primaries: Vec<&str> = contacts["items"].as_array().unwrap().iter()
            .filter(|c| c["is_primary"] == true).map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(primaries, vec!["C"]);
        let res = app.post_as(&rep, &format!("/api/v1/sales/customers/{id}/contacts"), &json!({"name": "D", "email": "not-an-email"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "email");

        for (day, summary) in [("2026-10-01", "first call"), ("2026-10-20", "site visit")] {
            app.post_as(&rep, &format!("/api/v1/sales/customers/{id}/interactions"),
                &json!({"kind": "call", "occurred_on": day, "summary": summary, "next_step": "quote"})).await.ok(201);
        }
        let log = app.get_as(&rep, &format!("/api/v1/sales/customers/{id}/interactions")).await.ok(200);
        assert_eq!(log["items"][0]["summary"], "site visit");
        assert_eq!(log["items"][0]["user_id"], app.user_id("hz01.sales_rep"));
        let res = app.post_as(&rep, &format!("/api/v1/sales/customers/{id}/interactions"),
            &json!({"kind": "visit", "occurred_on": "2099-01-01", "summary": "future"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "occurred_on");
    }
}

db_test! {
    async fn merging_a_duplicate_keeps_both_histories(app) {
        app.load_demo();
        let rep = app.login("sh01.sales_rep").await;
        let keep = customer(&app, &rep, json!({"name": "Huangpu Builders", "classification": "intent"})).await["id"].as_i64().unwrap();
        let dup = customer(&app, &rep, json!({"name": "Huangpu Builders Co.", "classification": "potential",
            "uscc": "91110000600037341L"})).await["id"].as_i64().unwrap();
        app.post_as(&rep, &format!("/api/v1/sales/customers/{dup}/contacts"), &json!({"name": "Li"})).await.ok(201);
        app.post_as(&rep, &format!("/api/v1/sales/customers/{dup}/interactions"),
            &json!({"kind": "email", "occurred_on": "2026-11-01", "summary": "price list sent"})).await.ok(201);
        let res = app.act_as(&rep, &format!("/api/v1/sales/customers/{dup}/merge"), "\"1\"", &json!({"into_customer_id": dup})).await;
        res.problem(422, "validation_failed");
        let kept = app.act_as(&rep, &format!("/api/v1/sales/customers/{dup}/merge"), "\"1\"", &json!({"into_customer_id": keep})).await.ok(200);
        assert_eq!((kept["id"].clone(), kept["uscc"].clone()), (json!(keep), json!("91110000600037341L")));
        let contacts = app.get_as(&rep, &format!("/api/v1/sales/customers/{keep}/contacts")).await.ok(200);
        assert_eq!(contacts["items"][0]["name"], "Li");
        let log = app.get_as(&rep, &format!("/api/v1/sales/customers/{keep}/interactions")).await.ok(200);
        assert_eq!(log["items"][0]["summary"], "price list sent");
        let merged = app.get_as(&rep, &format!("/api/v1/sales/customers/{dup}")).await.ok(200);
        assert_eq!((merged["status"].clone(), merged["merged_into_id"].clone()), (json!("merged"), json!(keep)));
        assert!(!ids(&app.get_as(&rep, "/api/v1/sales/customers?limit=200").await.ok(200)).contains(&dup));
        assert!(ids(&app.get_as(&rep, "/api/v1/sales/customers?limit=200&include_merged=true").await.ok(200)).contains(&dup));
        app.post_as(&rep, &format!("/api/v1/sales/customers/{dup}/contacts"), &json!({"name": "late"})).await.problem(409, "invalid_transition");
        assert_eq!(app.audit_events("customer", dup).last().unwrap().action, "merge");
        assert_eq!(app.audit_events("customer", keep).last().unwrap().action, "absorb");
    }
}

db_test! {
    async fn who_may_read_and_who_may_change_customers(app) {
        app.load_demo();
        let gz = app.office_id("GZ01");
        let staff = app.login("gz01.staff").await;
        app.get_as(&staff, "/api/v1/sales/customers").await.problem(403, "forbidden");
        let agent = app.login("gz01.service_agent").await;
        assert_eq!(ids(&app.get_as(&agent, "/api/v1/sales/customers").await.ok(200)).len(), 3);
        app.post_as(&agent, "/api/v1/sales/customers", &json!({"name": "x", "classification": "potential"})).await.problem(403, "forbidden");
        // HQ reads everywhere but, holding no office, must name one to create.
        let auditor = app.login("hq.auditor").await;
        assert_eq!(ids(&app.get_as(&auditor, "/api/v1/sales/customers?limit=200").await.ok(200)).len(), 12);
        let admin = app.login("hq.admin").await;
        let res = app.post_as(&admin, "/api/v1/sales/customers", &json!({"name": "x", "classification": "potential"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "office_id");
        let made = customer(&app, &admin, json!({"name": "HQ-made", "classification": "potential", "office_id": gz})).await;
        assert_eq!(made["office_id"], gz);
        // A stale If-Match.
        let rep = app.login("gz01.sales_rep").await;
        let path = format!("/api/v1/sales/customers/{}", made["id"]);
        app.patch_as(&rep, &path, "\"1\"", &json!({"industry": "hotels"})).await.ok(200);
        app.patch_as(&rep, &path, "\"1\"", &json!({"industry": "retail"})).await.problem(412, "version_conflict");
        let events = app.audit_events("customer", made["id"].as_i64().unwrap());
        let update = events.last().unwrap();
        assert_eq!(update.action, "update");
        assert_eq!(update.after_json.as_deref(), Some(r#"{"industry":"hotels"}"#));
        assert_eq!(update.before_json.as_deref(), Some(r#"{"industry":null}"#));
    }
}

db_test! {
    async fn no_customer_leaks_across_offices(app) {
        app.load_demo();
        let gz_rep = app.login("gz01.sales_rep").await;
        let sh_rep = app.login("sh01.sales_rep").await;
        let sh_customer = customer(&app, &sh_rep, json!({"name": "Pudong Towers", "classification": "intent"})).await["id"].as_i64().unwrap();
        let gz_customer = ids(&app.get_as(&gz_rep, "/api/v1/sales/customers").await.ok(200))[0];
        assert_isolated(&app, &gz_rep, Isolated {
            list: "/api/v1/sales/customers?limit=200&include_merged=true",
            item: format!("/api/v1/sales/customers/{sh_customer}"),
            id: sh_customer,
            patch: Some(json!({"name": "taken"})),
            actions: vec![
                (format!("/api/v1/sales/customers/{sh_customer}/merge"), json!({"into_customer_id": gz_customer})),
            ],
        }).await;
        // Another office's customer named in the body answers as a missing one.
        let merge = format!("/api/v1/sales/customers/{gz_customer}/merge");
        let foreign = app.act_as(&gz_rep, &merge, "\"1\"", &json!({"into_customer_id": sh_customer})).await;
        let missing = app.act_as(&gz_rep, &merge, "\"1\"", &json!({"into_customer_id": 987_654_321})).await;
        assert_eq!(foreign.problem(422, "validation_failed")["errors"], missing.problem(422, "validation_failed")["errors"]);
        app.get_as(&gz_rep, &format!("/api/v1/sales/customers/{sh_customer}/contacts")).await.problem(404, "not_found");
        app.get_as(&gz_rep, &format!("/api/v1/sales/customers/{sh_customer}/interactions")).await.problem(404, "not_found");
        app.post_as(&gz_rep, &format!("/api/v1/sales/customers/{sh_customer}/contacts"), &json!({"name": "x"})).await.problem(404, "not_found");
        app.post_as(&gz_rep, &format!("/api/v1/sales/customers/{sh_customer}/interactions"),
            &json!({"kind": "call", "occurred_on": "2026-11-01", "summary": "x"})).await.problem(404, "not_found");
        app.post_as(&gz_rep, "/api/v1/sales/customers", &json!({"name": "x", "classification": "potential",
            "office_id": app.office_id("SH01")})).await.problem(404, "not_found");
        // Searching by another office's contact finds nothing.
        assert!(ids(&app.get_as(&gz_rep, "/api/v1/sales/customers?q=Pudong").await.ok(200)).is_empty());
        let untouched = app.get_as(&sh_rep, &format!("/api/v1/sales/customers/{sh_customer}")).await.ok(200);
        assert_eq!((untouched["name"].clone(), untouched["version"].clone()), (json!("Pudong Towers"), json!(1)));
    }
}
