//! Training on both backends: needs collected into an annual plan approved by
//! the office director and HQ HR; a session of its item with attendees of the
//! office, its results recorded once after the day (a certificate earned goes
//! on the file, due a reward), the supervisor's assessment only from the
//! weeks the session names, the effectiveness computed; each employee's
//! training history on their file, and the record appraisal will read.

use branchline_tests::{TestApp, db_test, json};
use chrono::{Datelike, Days};
use serde_json::Value;

const EMPLOYEES: &str = "/api/v1/personnel/employees";
const PLANS: &str = "/api/v1/personnel/training-plans";
const SESSIONS: &str = "/api/v1/personnel/training-sessions";

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

fn item(year: i32, budget: i64, needs: Vec<i64>) -> Value {
    json!({"content": "節能改造方案講解", "method": "practical", "lecturer": "技術支持 陳工",
        "starts_on": format!("{year}-01-01"), "ends_on": format!("{year}-12-31"), "budget": budget,
        "need_ids": needs})
}

db_test! {
    async fn a_plan_is_approved_a_session_is_held_and_the_history_shows_it(app) {
        app.load_demo();
        let ops = app.login("gz01.operations_specialist").await;
        let director = app.login("gz01.office_director").await;
        let agent = app.login("gz01.service_agent").await;
        let other = app.login("sz01.office_director").await;
        let rep = file_of(&app, "gz01.sales_rep").await;
        let market = file_of(&app, "gz01.market_specialist").await;
        let rep_token = app.login("gz01.sales_rep").await;

        // The demo: a session a week ago, the rep certified.
        let sessions = app.get_as(&ops, SESSIONS).await.ok(200);
        let demo = &sessions["items"][0];
        assert_eq!(demo["status"], json!("held"));
        let demo = app.get_as(&ops, &format!("{SESSIONS}/{}", id(demo))).await.ok(200);
        // 92 and 78 passed, the agent absent: 2 of 2 = 10000 bp, (92 + 78) / 2 = 85, (5 + 4) / 2 = 4.5.
        assert_eq!(demo["effectiveness"], json!({"attendees": 3, "attended": 2, "passed": 2,
            "pass_rate_bp": 10000, "average_exam_score": 85.0, "average_participant_score": 4.5,
            "assessed": 0, "average_supervisor_score": null}));
        let certificates = app.get_as(&ops, &format!("{EMPLOYEES}/{}/certificates", id(&rep))).await.ok(200);
        assert_eq!(certificates["items"][0]["session_id"], demo["id"]);
        // Earned at training it was due a reward, which the director approved.
        assert_eq!(certificates["items"][0]["reward_due"], json!(false));

        // Needs into a plan for next year, approved by the director and HQ HR.
        let next = kernel::time::today().year() + 1;
        let need = app.post_as(&ops, "/api/v1/personnel/training-needs", &json!({"year": next,
            "topic": "客戶投訴處理技巧", "audience": "客服人員", "reason": "投訴處理時效偏低"})).await.ok(201);
        // Items outside the year and over the budget are refused.
        let mut bad = item(next, 900_000, vec![]);
        bad["starts_on"] = json!(format!("{}-12-01", next - 1));
        let problem = app.post_as(&ops, PLANS, &json!({"year": next, "goals": "提升服務", "budget": 500_000,
            "items": [bad]})).await.problem(422, "validation_failed");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["items[0].starts_on", "budget"]);
        // Another office's need is not covered.
        let sz_need = app.post_as(&other, "/api/v1/personnel/training-needs", &json!({"year": next,
            "topic": "x", "audience": "x", "reason": "x"})).await.ok(201);
        app.post_as(&ops, PLANS, &json!({"year": next, "goals": "提升服務", "budget": 500_000,
            "items": [item(next, 400_000, vec![id(&sz_need)])]})).await.problem(422, "validation_failed");
        let plan = app.post_as(&ops, PLANS, &json!({"year": next, "goals": "提升服務", "budget": 500_000,
            "items": [item(next, 400_000, vec![id(&need)])]})).await.ok(201);
        assert_eq!(plan["status"], json!("in_approval"));
        app.post_as(&ops, PLANS, &json!({"year": next, "goals": "again", "budget": 1,
            "items": [item(next, 1, vec![])]})).await.problem(409, "duplicate");
        let approval = plan["approval_id"].as_i64().unwrap();
        app.approve_as("gz01.office_director", approval).await;
        let waiting = app.get_as(&ops, &format!("{PLANS}/{}", id(&plan))).await.ok(200);
        assert_eq!(waiting["status"], json!("in_approval"));
        app.approve_as("hq.hr", approval).await;
        let approved = app.get_as(&ops, &format!("{PLANS}/{}", id(&plan))).await.ok(200);
        assert_eq!(approved["status"], json!("approved"));
        let needs = app.get_as(&ops, &format!("/api/v1/personnel/training-needs?year={next}")).await.ok(200);
        assert_eq!(needs["items"][0]["plan_id"], plan["id"]);

        // A session five weeks ago on this year's approved plan.
        let held_on = kernel::time::today() - Days::new(35);
        let plans = app.get_as(&ops, &format!("{PLANS}?year={}", held_on.year())).await.ok(200);
        let this_year = plans["items"].as_array().unwrap().iter()
            .find(|p| p["status"] == json!("approved") && p["office_id"] == json!(app.office_id("GZ01")))
            .expect("an approved plan this year").clone();
        let this_year = app.get_as(&ops, &format!("{PLANS}/{}", id(&this_year))).await.ok(200);
        let item_id = id(&this_year["items"][0]);
        app.post_as(&ops, SESSIONS, &json!({"plan_item_id": item_id, "title": "x", "held_on": held_on.to_string(),
            "attendee_ids": [id(&rep), id(&rep)]})).await.problem(422, "validation_failed");
        app.post_as(&other, SESSIONS, &json!({"plan_item_id": item_id, "title": "x", "held_on": held_on.to_string(),
            "attendee_ids": [id(&rep)]})).await.problem(422, "validation_failed");
        let session = app.post_as(&ops, SESSIONS, &json!({"plan_item_id": item_id,
            "title": "節能改造方案（第二期）", "held_on": held_on.to_string(), "review_after_weeks": 4,
            "attendee_ids": [id(&rep), id(&market)]})).await.ok(201);
        assert_eq!(session["status"], json!("planned"));
        let results = format!("{SESSIONS}/{}/results", id(&session));
        // One result per attendee; an absentee has no score; a certificate needs a pass.
        app.act_as(&ops, &results, &etag(&session), &json!({"results": [
            {"employee_id": id(&rep), "attended": true, "exam_score": 80, "passed": true}]})).await
            .problem(422, "validation_failed");
        let problem = app.act_as(&ops, &results, &etag(&session), &json!({"results": [
            {"employee_id": id(&rep), "attended": true, "exam_score": 55, "passed": false,
                "certificate": {"name": "x", "issuer": "y"}},
            {"employee_id": id(&market), "attended": false, "exam_score": 70}]})).await
            .problem(422, "validation_failed");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["results[0].certificate", "results[1].attended"]);
        let held = app.act_as(&ops, &results, &etag(&session), &json!({"results": [
            {"employee_id": id(&rep), "attended": true, "exam_score": 84, "passed": true, "participant_score": 4},
            {"employee_id": id(&market), "attended": true, "exam_score": 52, "passed": false, "participant_score": 3}]})).await
            .ok(200);
        assert_eq!(held["status"], json!("held"));
        assert_eq!((held["effectiveness"]["pass_rate_bp"].clone(), held["effectiveness"]["average_exam_score"].clone()),
            (json!(5000), json!(68.0)));
        app.act_as(&ops, &results, &etag(&held), &json!({"results": []})).await.problem(422, "validation_failed");
        app.act_as(&ops, &results, &etag(&held), &json!({"results": [
            {"employee_id": id(&rep), "attended": false}, {"employee_id": id(&market), "attended": false}]})).await
            .problem(409, "invalid_transition");

        // Four weeks on, the supervisor assesses; not the agent, not twice.
        let assessments = format!("{SESSIONS}/{}/assessments", id(&session));
        let body = json!({"employee_id": id(&rep), "supervisor_score": 90, "assessment": "已能獨立講解改造回收期"});
        app.post_as(&agent, &assessments, &body).await.problem(403, "forbidden");
        let assessed = app.post_as(&director, &assessments, &body).await.ok(200);
        assert_eq!((assessed["effectiveness"]["assessed"].clone(), assessed["effectiveness"]["average_supervisor_score"].clone()),
            (json!(1), json!(90.0)));
        app.post_as(&director, &assessments, &body).await.problem(409, "invalid_transition");
        // A session that names 26 weeks is assessed only then.
        let late = app.post_as(&ops, SESSIONS, &json!({"plan_item_id": item_id, "title": "複訓",
            "held_on": held_on.to_string(), "review_after_weeks": 26, "attendee_ids": [id(&rep)]})).await.ok(201);
        let late = app.act_as(&ops, &format!("{SESSIONS}/{}/results", id(&late)), &etag(&late), &json!({"results": [
            {"employee_id": id(&rep), "attended": true, "passed": true}]})).await.ok(200);
        let problem = app.post_as(&director, &format!("{SESSIONS}/{}/assessments", id(&late)), &body).await
            .problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["code"], json!("too_early"));

        // The history on the file: the rep sees their own, another office nothing.
        let history = app.get_as(&rep_token, &format!("{EMPLOYEES}/{}/training", id(&rep))).await.ok(200);
        let titles: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap()).collect();
        assert_eq!(titles.len(), 3);
        assert!(titles.contains(&"節能改造方案（第二期）") && titles.contains(&"LED 工礦燈選型與報價（第一期）"));
        let second = history.as_array().unwrap().iter().find(|h| h["title"] == json!("節能改造方案（第二期）")).unwrap();
        assert_eq!((second["exam_score"].clone(), second["passed"].clone(), second["supervisor_score"].clone(), second["method"].clone()),
            (json!(84), json!(true), json!(90), json!("internal")));
        app.get_as(&other, &format!("{EMPLOYEES}/{}/training", id(&rep))).await.problem(404, "not_found");
        let market_history = app.get_as(&ops, &format!("{EMPLOYEES}/{}/training", id(&market))).await.ok(200);
        assert_eq!(market_history.as_array().unwrap().len(), 2);

        // What appraisal reads: the year's sessions, attended, passed.
        let from = chrono::NaiveDate::from_ymd_opt(held_on.year(), 1, 1).unwrap();
        let to = kernel::time::today();
        let record = app.conn(|c| personnel::facts::training_record(c, id(&market), from, to).unwrap());
        assert_eq!((record.sessions, record.attended, record.passed), (2, 2, 1));
    }
}
