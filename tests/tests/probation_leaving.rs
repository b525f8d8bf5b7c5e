//! Probation and leaving on both backends: evaluations by the supervisor
//! and the mentor before a conversion request; the conversion approved by
//! the director makes the employee regular; an extension once and within the
//! statutory limit; an end of probation starts the leaving. A leaver's
//! handover names colleagues and is refused while an asset is still in their
//! custody; on the last day the login is deactivated and every role
//! assignment ends — at once when the handover completes that day, else by
//! the job.

use branchline_tests::{TestApp, db_test, json};
use diesel::prelude::*;
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

fn evaluation(role: &str, recommendation: &str) -> Value {
    json!({"evaluator_role": role, "score": 86, "comments": "學習能力強，已獨立跟進三個客戶",
        "recommendation": recommendation})
}

/// The active role assignments of `user`.
fn running_roles(app: &TestApp, user: i64) -> i64 {
    use store::schema::role_assignments as ra;
    app.conn(|c| {
        ra::table
            .filter(ra::user_id.eq(user))
            .filter(ra::ended_at.is_null())
            .count()
            .get_result(c)
            .unwrap()
    })
}

fn active(app: &TestApp, user: i64) -> bool {
    use store::schema::users;
    app.conn(|c| {
        users::table
            .find(user)
            .select(users::active)
            .first(c)
            .unwrap()
    })
}

db_test! {
    async fn a_conversion_needs_the_evaluations_and_the_directors_approval(app) {
        app.load_demo();
        let ops = app.login("sz01.operations_specialist").await;
        let agent = app.login("sz01.service_agent").await;
        let other = app.login("gz01.office_director").await;
        let rep = file_of(&app, "sz01.sales_rep").await;
        let rep_id = id(&rep);
        assert_eq!(rep["status"], json!("probation"));
        let conversions = format!("{EMPLOYEES}/{rep_id}/probation-conversions");
        let evaluations = format!("{EMPLOYEES}/{rep_id}/probation-evaluations");

        // The demo's supervisor evaluation and early conversion request are
        // there; the request is withdrawn here to start afresh.
        let open = app.get_as(&ops, &format!("/api/v1/personnel/probation-conversions?employee_id={rep_id}&status=in_approval")).await.ok(200);
        let approval = open["items"][0]["approval_id"].as_i64().expect("demo request");
        let director = app.login("sz01.office_director").await;
        let chain = app.get_as(&director, &format!("/api/v1/approvals/{approval}")).await;
        let chain_etag = chain.header("etag").unwrap().to_owned();
        app.act_as(&director, &format!("/api/v1/approvals/{approval}/reject"), &chain_etag,
            &json!({"reason": "再觀察一個月"})).await.ok(200);
        use store::schema::probation_evaluations as pe;
        app.conn(|c| diesel::delete(pe::table.filter(pe::employee_id.eq(rep_id))).execute(c).unwrap());

        // Without the supervisor's evaluation nothing is asked.
        let problem = app.post_as(&ops, &conversions, &json!({"outcome": "convert", "reason": "考核合格"})).await
            .problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], json!("evaluations"));
        // Only the mentor evaluates as mentor; another office does not know the file.
        app.post_as(&agent, &evaluations, &evaluation("mentor", "convert")).await.problem(403, "forbidden");
        app.post_as(&other, &evaluations, &evaluation("supervisor", "convert")).await.problem(404, "not_found");
        // The manager on the file (the director) evaluates as supervisor.
        app.post_as(&director, &evaluations, &evaluation("supervisor", "convert")).await.ok(201);

        // An extension stays within §19: three months on a three-year contract
        // plus four would be seven, above six.
        let problem = app.post_as(&ops, &conversions, &json!({"outcome": "extend", "extend_months": 4,
            "reason": "需要更多時間熟悉產品"})).await.problem(422, "validation_failed");
        assert_eq!((problem["errors"][0]["field"].clone(), problem["errors"][0]["code"].clone()),
            (json!("extend_months"), json!("above_statutory_limit")));
        let extend = app.post_as(&ops, &conversions, &json!({"outcome": "extend", "extend_months": 2,
            "reason": "需要更多時間熟悉產品"})).await.ok(201);
        assert_eq!(extend["status"], json!("in_approval"));
        // One request in approval at a time.
        app.post_as(&ops, &conversions, &json!({"outcome": "convert", "reason": "x"})).await.problem(409, "conflict");
        app.approve_as("sz01.office_director", extend["approval_id"].as_i64().unwrap()).await;
        let months: i32 = app.conn(|c| {
            use store::schema::labour_contracts as lc;
            lc::table.filter(lc::employee_id.eq(rep_id)).filter(lc::status.eq("active"))
                .select(lc::probation_months).first(c).unwrap()
        });
        assert_eq!(months, 5);
        // Once only.
        let problem = app.post_as(&ops, &conversions, &json!({"outcome": "extend", "extend_months": 1,
            "reason": "再延長"})).await.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["code"], json!("extended_once"));

        // Converted on the director's approval.
        let convert = app.post_as(&ops, &conversions, &json!({"outcome": "convert",
            "reason": "試用期考核合格"})).await.ok(201);
        let after = app.get_as(&ops, &format!("{EMPLOYEES}/{rep_id}")).await.ok(200);
        assert_eq!(after["status"], json!("probation"));
        app.approve_as("sz01.office_director", convert["approval_id"].as_i64().unwrap()).await;
        let after = app.get_as(&ops, &format!("{EMPLOYEES}/{rep_id}")).await.ok(200);
        assert_eq!(after["status"], json!("regular"));
        let done = app.get_as(&ops, &format!("/api/v1/personnel/probation-conversions/{}", id(&convert))).await.ok(200);
        assert_eq!(done["status"], json!("approved"));
        assert!(app.audit_events("employee", rep_id).iter().any(|e| e.action == "convert"));
        // No more evaluations once regular.
        app.post_as(&director, &evaluations, &evaluation("supervisor", "convert")).await.problem(409, "invalid_transition");
    }
}

db_test! {
    async fn an_ended_probation_starts_the_leaving(app) {
        app.load_demo();
        let ops = app.login("sh01.operations_specialist").await;
        let director = app.login("sh01.office_director").await;
        let rep = file_of(&app, "sh01.sales_rep").await;
        let rep_id = id(&rep);
        let conversions = format!("{EMPLOYEES}/{rep_id}/probation-conversions");
        let open = app.get_as(&ops, &format!("/api/v1/personnel/probation-conversions?employee_id={rep_id}&status=in_approval")).await.ok(200);
        let approval = open["items"][0]["approval_id"].as_i64().expect("demo request");
        let chain = app.get_as(&director, &format!("/api/v1/approvals/{approval}")).await;
        let chain_etag = chain.header("etag").unwrap().to_owned();
        app.act_as(&director, &format!("/api/v1/approvals/{approval}/reject"), &chain_etag,
            &json!({"reason": "另作決定"})).await.ok(200);
        app.post_as(&ops, &conversions, &json!({"outcome": "end", "reason": "x"})).await
            .problem(422, "validation_failed");
        let last_day = kernel::time::today() + chrono::Days::new(10);
        let end = app.post_as(&ops, &conversions, &json!({"outcome": "end", "last_day": last_day.to_string(),
            "reason": "試用期考核不合格"})).await.ok(201);
        app.approve_as("sh01.office_director", end["approval_id"].as_i64().unwrap()).await;
        let after = app.get_as(&ops, &format!("{EMPLOYEES}/{rep_id}")).await.ok(200);
        assert_eq!(after["status"], json!("leaving"));
        let leavings = app.get_as(&ops, "/api/v1/personnel/leavings").await.ok(200);
        let leaving = leavings["items"].as_array().unwrap().iter()
            .find(|l| l["employee_id"] == json!(rep_id)).expect("leaving").clone();
        assert_eq!((leaving["kind"].clone(), leaving["last_day"].clone(), leaving["status"].clone()),
            (json!("probation_end"), json!(last_day.to_string()), json!("handover")));
    }
}

db_test! {
    async fn a_leaver_returns_the_assets_and_leaves_on_the_last_day(app) {
        app.load_demo();
        let ops = app.login("gz01.operations_specialist").await;
        let director = app.login("gz01.office_director").await;
        let other = app.login("sz01.office_director").await;
        let rep = file_of(&app, "gz01.sales_rep").await;
        let colleague = file_of(&app, "gz01.market_specialist").await;
        let user = app.user_id("gz01.sales_rep");
        let token = app.login("gz01.sales_rep").await;
        assert!(running_roles(&app, user) > 0);

        // A past last day is refused; the end of probation is not asked here.
        app.act_as(&ops, &format!("{EMPLOYEES}/{}/leaving", id(&rep)), &etag(&rep),
            &json!({"kind": "resignation", "reason": "個人發展原因", "last_day": "2020-01-01"})).await
            .problem(422, "validation_failed");
        app.act_as(&ops, &format!("{EMPLOYEES}/{}/leaving", id(&rep)), &etag(&rep),
            &json!({"kind": "probation_end", "reason": "x", "last_day": kernel::time::today().to_string()})).await
            .problem(422, "validation_failed");
        let leaving = app.act_as(&ops, &format!("{EMPLOYEES}/{}/leaving", id(&rep)), &etag(&rep),
            &json!({"kind": "resignation", "reason": "個人發展原因", "last_day": kernel::time::today().to_string()})).await
            .ok(201);
        let path = format!("/api/v1/personnel/leavings/{}", id(&leaving));
        app.get_as(&other, &path).await.problem(404, "not_found");
        let file = app.get_as(&ops, &path).await.ok(200);
        // The demo laptop is still in the leaver's custody.
        let held = file["assets_held"].as_array().unwrap().clone();
        assert_eq!(held.len(), 1);
        assert!(held[0]["name"].as_str().unwrap().contains("Laptop"));

        // Nothing handed over, the laptop held: refused, each named.
        let problem = app.act_as(&ops, &format!("{path}/complete"), &etag(&file), &json!({})).await
            .problem(422, "validation_failed");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["archives_to_employee_id", "customers_to_employee_id", "assets_held"]);
        assert_eq!(problem["assets_held"][0]["id"], held[0]["id"]);
        // The leaver does not take over their own customers.
        app.act_as(&ops, &format!("{path}/handover"), &etag(&file), &json!({"archives_to_employee_id": id(&colleague),
            "customers_to_employee_id": id(&rep)})).await.problem(422, "validation_failed");
        let handed = app.act_as(&ops, &format!("{path}/handover"), &etag(&file), &json!({"archives_to_employee_id": id(&colleague),
            "customers_to_employee_id": id(&colleague), "note": "客戶檔案 12 份已交接"})).await.ok(200);
        let problem = app.act_as(&ops, &format!("{path}/complete"), &etag(&handed), &json!({})).await
            .problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["code"], json!("assets_outstanding"));
        // Still signed in and holding roles until it completes.
        assert!(active(&app, user));

        // The laptop comes back; the handover completes on the last day: gone.
        let asset = held[0]["id"].as_i64().unwrap();
        let a = app.get_as(&director, &format!("/api/v1/finance/assets/{asset}")).await.ok(200);
        app.act_as(&director, &format!("/api/v1/finance/assets/{asset}/return"), &etag(&a),
            &json!({"condition": "完好"})).await.ok(200);
        let done = app.act_as(&ops, &format!("{path}/complete"), &etag(&handed), &json!({})).await.ok(200);
        assert_eq!((done["status"].clone(), done["assets_held"].clone()), (json!("left"), json!([])));
        assert!(!active(&app, user));
        assert_eq!(running_roles(&app, user), 0);
        app.get_as(&token, &format!("{EMPLOYEES}/me")).await.problem(401, "unauthenticated");
        let gone = app.get_as(&ops, &format!("{EMPLOYEES}/{}", id(&rep))).await.ok(200);
        assert_eq!(gone["status"], json!("left"));
        // The file is kept, read-only.
        app.patch_as(&ops, &format!("{EMPLOYEES}/{}", id(&rep)), &etag(&gone), &json!({"name": "x"})).await
            .problem(409, "invalid_transition");
    }
}

db_test! {
    async fn a_handover_completed_early_leaves_on_the_last_day_by_the_job(app) {
        app.load_demo();
        let ops = app.login("gz01.operations_specialist").await;
        let agent = file_of(&app, "gz01.service_agent").await;
        let colleague = file_of(&app, "gz01.market_specialist").await;
        let user = app.user_id("gz01.service_agent");
        let last_day = kernel::time::today() + chrono::Days::new(3);
        let leaving = app.act_as(&ops, &format!("{EMPLOYEES}/{}/leaving", id(&agent)), &etag(&agent),
            &json!({"kind": "dismissal", "reason": "嚴重違反公司規章制度", "last_day": last_day.to_string()})).await
            .ok(201);
        let path = format!("/api/v1/personnel/leavings/{}", id(&leaving));
        let handed = app.act_as(&ops, &format!("{path}/handover"), &etag(&leaving), &json!({"archives_to_employee_id": id(&colleague),
            "customers_to_employee_id": id(&colleague)})).await.ok(200);
        let done = app.act_as(&ops, &format!("{path}/complete"), &etag(&handed), &json!({})).await.ok(200);
        assert_eq!(done["status"], json!("completed"));
        assert!(active(&app, user));

        // The job the day before changes nothing; on the last day it does.
        let before = (last_day - chrono::Days::new(1)).and_hms_opt(12, 0, 0).unwrap();
        assert_eq!(app.conn(|c| personnel::leaving::finalize_due(c, before).unwrap()), 0);
        assert!(active(&app, user));
        let on = last_day.and_hms_opt(0, 1, 0).unwrap();
        assert_eq!(app.conn(|c| personnel::leaving::finalize_due(c, on).unwrap()), 1);
        assert_eq!(app.conn(|c| personnel::leaving::finalize_due(c, on).unwrap()), 0);
        assert!(!active(&app, user));
        assert_eq!(running_roles(&app, user), 0);
        let ends: Vec<Option<chrono::NaiveDate>> = app.conn(|c| {
            use store::schema::role_assignments as ra;
            ra::table.filter(ra::user_id.eq(user)).select(ra::valid_to).load(c).unwrap()
        });
        assert!(ends.iter().all(|d| *d == Some(last_day)));
        let gone = app.get_as(&ops, &path).await.ok(200);
        assert_eq!(gone["status"], json!("left"));
    }
}
