//! Labour contracts on both backends: the statutory probation by kind and term
//! (勞動合同法 §19, as data: a later set from its effective day), one probation
//! per employee, renewals as history, contracts ending within 30 days listed to
//! the office only, and the confidentiality agreement.

use branchline_tests::{TestApp, db_test, json};
use serde_json::Value;

const EMPLOYEES: &str = "/api/v1/personnel/employees";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

async fn employee(app: &TestApp, token: &str, number: &str) -> i64 {
    id(&app
        .post_as(
            token,
            EMPLOYEES,
            &json!({"employee_number": number, "name": "員工",
        "position": "銷售人員", "hire_date": "2026-01-01"}),
        )
        .await
        .ok(201))
}

db_test! {
    async fn contracts_hold_the_statutory_probation_and_renew(app) {
        app.load_demo_org();
        let ops = app.login("gz01.operations_specialist").await;
        let hr = app.login("hq.hr").await;
        let a = employee(&app, &ops, "GZ01-101").await;
        let path = format!("{EMPLOYEES}/{a}/contracts");

        // A year's fixed term allows two months of probation, not three; a
        // contract per task none; an open-ended one has no end day.
        let year = |probation: i64| json!({"kind": "fixed_term", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "probation_months": probation, "signed_on": "2025-12-20"});
        let res = app.post_as(&ops, &path, &year(3)).await;
        let p = res.problem(422, "validation_failed");
        assert_eq!((p["errors"][0]["field"].clone(), p["errors"][0]["code"].clone()),
            (json!("probation_months"), json!("above_statutory_limit")));
        app.post_as(&ops, &path, &json!({"kind": "per_task", "starts_on": "2026-01-01",
            "probation_months": 1, "signed_on": "2025-12-20"})).await.problem(422, "validation_failed");
        let res = app.post_as(&ops, &path, &json!({"kind": "open_ended", "starts_on": "2026-01-01",
            "ends_on": "2030-01-01", "probation_months": 0, "signed_on": "2025-12-20"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "ends_on");
        let first = app.post_as(&ops, &path, &year(2)).await.ok(201);
        assert_eq!((first["status"].clone(), first["probation_months"].clone()), (json!("active"), json!(2)));

        // The renewal: no second probation; the first is then `renewed`.
        let renewal = |probation: i64| json!({"kind": "fixed_term", "starts_on": "2027-01-01",
            "ends_on": "2029-12-31", "probation_months": probation, "signed_on": "2026-12-01"});
        let res = app.post_as(&ops, &path, &renewal(1)).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "second_probation");
        let second = app.post_as(&ops, &path, &renewal(0)).await.ok(201);
        assert_eq!(second["renews_contract_id"], json!(id(&first)));
        let history = app.get_as(&ops, &path).await.ok(200);
        let statuses: Vec<Value> = history["items"].as_array().unwrap().iter().map(|c| c["status"].clone()).collect();
        assert_eq!(statuses, [json!("renewed"), json!("active")]);

        // A contract ending in 20 days is listed within 30, not within 10, and
        // not to another office.
        let b = employee(&app, &ops, "GZ01-102").await;
        let ending = app.post_as(&ops, &format!("{EMPLOYEES}/{b}/contracts"), &json!({"kind": "fixed_term",
            "starts_on": day(-300), "ends_on": day(20), "probation_months": 0, "signed_on": day(-310)})).await.ok(201);
        let within = app.get_as(&ops, "/api/v1/personnel/labour-contracts?within_days=30").await.ok(200);
        let ids: Vec<i64> = within["items"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, vec![id(&ending)]);
        let soon = app.get_as(&ops, "/api/v1/personnel/labour-contracts?within_days=10").await.ok(200);
        assert_eq!(soon["items"].as_array().unwrap().len(), 0);
        let sz = app.login("sz01.office_director").await;
        let other = app.get_as(&sz, "/api/v1/personnel/labour-contracts?within_days=30").await.ok(200);
        assert_eq!(other["items"].as_array().unwrap().len(), 0);
        app.get_as(&sz, &path).await.problem(404, "not_found");

        // The law as data: HQ sets three months for one to three years from
        // 2030; a contract starting then may use them, one before may not.
        let director = app.login("gz01.office_director").await;
        let limit = json!({"kind": "fixed_term", "term_from_months": 12, "term_below_months": 36,
            "max_probation_months": 3, "effective_from": "2030-01-01", "note": "假設的修法"});
        app.post_as(&director, "/api/v1/personnel/probation-limits", &limit).await.problem(403, "forbidden");
        app.post_as(&hr, "/api/v1/personnel/probation-limits", &limit).await.ok(201);
        let c = employee(&app, &ops, "GZ01-103").await;
        let later = app.post_as(&ops, &format!("{EMPLOYEES}/{c}/contracts"), &json!({"kind": "fixed_term",
            "starts_on": "2030-06-01", "ends_on": "2031-05-31", "probation_months": 3, "signed_on": "2030-05-20"})).await.ok(201);
        assert_eq!(later["probation_months"], json!(3));
        let d = employee(&app, &ops, "GZ01-104").await;
        app.post_as(&ops, &format!("{EMPLOYEES}/{d}/contracts"), &json!({"kind": "fixed_term",
            "starts_on": "2029-06-01", "ends_on": "2030-05-31", "probation_months": 3, "signed_on": "2029-05-20"})).await
            .problem(422, "validation_failed");

        // The confidentiality agreement.
        let agreement = app.post_as(&ops, &format!("{EMPLOYEES}/{a}/confidentiality-agreements"), &json!({
            "signed_on": "2025-12-20", "scope": "客戶信息、銷售策略、報價與合同"})).await.ok(201);
        assert_eq!(agreement["employee_id"], json!(a));
        let listed = app.get_as(&ops, &format!("{EMPLOYEES}/{a}/confidentiality-agreements")).await.ok(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let audit = app.audit_events("labour_contract", id(&first));
        assert_eq!(audit.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["create", "renew"]);
    }
}
