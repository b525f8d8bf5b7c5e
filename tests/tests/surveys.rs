//! Satisfaction surveys on both backends: a company template checked, a
//! round sent to a group of an office's customers (once per customer and
//! round), answers checked against the questions and nothing stored when they
//! fail, the results per office and question against hand-computed figures,
//! improvement actions tracked until someone other than the owner verifies
//! them, and isolation between offices.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use chrono::Datelike;
use serde_json::Value;

const TEMPLATES: &str = "/api/v1/after-sales/survey-templates";
const SURVEYS: &str = "/api/v1/after-sales/surveys";
const ACTIONS: &str = "/api/v1/after-sales/improvement-actions";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn customer(app: &TestApp, token: &str, name: &str, classification: &str) -> i64 {
    id(&app
        .post_as(
            token,
            "/api/v1/sales/customers",
            &json!({"name": name, "classification": classification}),
        )
        .await
        .ok(201))
}

/// The customer's survey.
async fn survey_of(app: &TestApp, token: &str, customer: i64) -> Value {
    let page = app
        .get_as(token, &format!("{SURVEYS}?customer_id={customer}"))
        .await
        .ok(200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    page["items"][0].clone()
}

db_test! {
    async fn a_round_is_answered_counted_per_question_and_acted_on(app) {
        app.load_demo_org();
        let hq = app.login("hq.service").await;
        let agent = app.login("gz01.service_agent").await;
        let engineer = app.login("gz01.service_engineer").await;
        let rep = app.login("gz01.sales_rep").await;

        let questions = json!([
            {"key": "overall", "text": "您對我們的整體服務是否滿意?", "kind": "score", "required": true},
            {"key": "response_speed", "text": "響應速度", "kind": "score", "required": true},
            {"key": "channel", "text": "您希望以何種方式獲得服務?", "kind": "choice", "options": ["電話", "上門", "郵件"]},
            {"key": "note", "text": "其他意見", "kind": "text"}
        ]);
        let mut twice = questions.clone();
        twice[1]["key"] = json!("overall");
        let res = app.post_as(&hq, TEMPLATES, &json!({"company_wide": true, "name": "x", "kind": "periodic",
            "questions": twice})).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), ["questions[1].key"]);
        let template = app.post_as(&hq, TEMPLATES, &json!({"company_wide": true, "name": "年度客戶滿意度調查",
            "kind": "periodic", "questions": questions})).await.ok(201);
        assert_eq!(template["questions"].as_array().unwrap().len(), 4);
        app.post_as(&agent, TEMPLATES, &json!({"company_wide": true, "name": "x", "kind": "periodic",
            "questions": questions})).await.problem(403, "forbidden");

        // A round to the office's intent customers: two; again, none new; then
        // to all: the potential one.
        let a = customer(&app, &rep, "珠江新城寫字樓", "intent").await;
        let b = customer(&app, &rep, "天河體育中心", "intent").await;
        customer(&app, &rep, "番禺廣場", "potential").await;
        let round = json!({"template_id": id(&template), "round": "2026-Q4", "group": "intent"});
        let sent = app.post_as(&agent, "/api/v1/after-sales/survey-rounds", &round).await.ok(201);
        assert_eq!((sent["sent"].clone(), sent["already"].clone()), (json!(2), json!(0)));
        let sent = app.post_as(&agent, "/api/v1/after-sales/survey-rounds", &round).await.ok(201);
        assert_eq!((sent["sent"].clone(), sent["already"].clone()), (json!(0), json!(2)));
        let sent = app.post_as(&agent, "/api/v1/after-sales/survey-rounds",
            &json!({"template_id": id(&template), "round": "2026-Q4", "group": "all"})).await.ok(201);
        assert_eq!((sent["sent"].clone(), sent["already"].clone()), (json!(1), json!(2)));

        let sa = survey_of(&app, &agent, a).await;
        let sb = survey_of(&app, &agent, b).await;
        // Answers of the wrong kind, a score out of range, a required question
        // left out: refused, nothing stored.
        let res = app.act_as(&agent, &format!("{SURVEYS}/{}/responses", id(&sa)), &etag(&sa), &json!({"answers": [
            {"question_key": "overall", "score": 6},
            {"question_key": "channel", "choice": "傳真"}]})).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), ["answers[0].score", "answers[1].choice", "answers"]);
        let still = app.get_as(&agent, &format!("{SURVEYS}/{}", id(&sa))).await.ok(200);
        assert_eq!((still["status"].clone(), still["answers"].as_array().unwrap().len()), (json!("sent"), 0));

        let answered = app.act_as(&agent, &format!("{SURVEYS}/{}/responses", id(&sa)), &etag(&sa), &json!({
            "respondent": "王經理", "answers": [
            {"question_key": "overall", "score": 5}, {"question_key": "response_speed", "score": 4},
            {"question_key": "channel", "choice": "電話"}]})).await.ok(200);
        assert_eq!((answered["status"].clone(), answered["answers"].as_array().unwrap().len()), (json!("answered"), 3));
        app.act_as(&agent, &format!("{SURVEYS}/{}/responses", id(&sa)), &etag(&answered), &json!({"answers": [
            {"question_key": "overall", "score": 1}, {"question_key": "response_speed", "score": 1}]})).await
            .problem(409, "invalid_transition");
        app.act_as(&agent, &format!("{SURVEYS}/{}/responses", id(&sb)), &etag(&sb), &json!({"answers": [
            {"question_key": "overall", "score": 4}, {"question_key": "response_speed", "score": 3},
            {"question_key": "channel", "choice": "上門"}, {"question_key": "note", "text": "希望週末也能服務"}]})).await.ok(200);

        // This quarter at GZ01: 2 surveys; overall (5 + 4) / 2 = 4.50, response
        // speed (4 + 3) / 2 = 3.50; 電話 once, 上門 once; one note.
        let now = chrono::Utc::now();
        let period = format!("{}-Q{}", now.year(), (now.month() - 1) / 3 + 1);
        let results = app.get_as(&agent, &format!("/api/v1/after-sales/survey-results?template_id={}&period={period}",
            id(&template))).await.ok(200);
        let offices = results["offices"].as_array().unwrap();
        assert_eq!(offices.len(), 1);
        assert_eq!((offices[0]["office_id"].clone(), offices[0]["surveys"].clone()), (json!(app.office_id("GZ01")), json!(2)));
        let q: Vec<(Value, Value, Value, Value)> = offices[0]["questions"].as_array().unwrap().iter()
            .map(|q| (q["key"].clone(), q["answered"].clone(), q["average_score"].clone(), q["choices"].clone())).collect();
        assert_eq!(q, [
            (json!("overall"), json!(2), json!("4.50"), json!({})),
            (json!("response_speed"), json!(2), json!("3.50"), json!({})),
            (json!("channel"), json!(2), Value::Null, json!({"上門": 1, "電話": 1})),
            (json!("note"), json!(1), Value::Null, json!({})),
        ]);
        // Another office's reader sees no GZ01 results, and no GZ01 survey.
        let sh = app.login("sh01.service_agent").await;
        let theirs = app.get_as(&sh, &format!("/api/v1/after-sales/survey-results?template_id={}&period={period}",
            id(&template))).await.ok(200);
        assert!(theirs["offices"].as_array().unwrap().is_empty());
        assert_isolated(&app, &sh, Isolated {
            list: SURVEYS,
            item: format!("{SURVEYS}/{}", id(&sb)),
            id: id(&sb),
            patch: None,
            actions: vec![(format!("{SURVEYS}/{}/responses", id(&sb)), json!({"answers": [{"question_key": "overall", "score": 5}]}))],
        }).await;

        // Response speed is low: an action owned by the engineer. The owner does
        // not verify it; the first verification finds it did not work.
        let engineer_id = app.user_id("gz01.service_engineer");
        let res = app.post_as(&agent, ACTIONS, &json!({"survey_id": id(&sb), "question_key": "speed",
            "description": "x", "owner_user_id": engineer_id, "due_on": "2027-01-31"})).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), ["question_key"]);
        let action = app.post_as(&agent, ACTIONS, &json!({"survey_id": id(&sb), "question_key": "response_speed",
            "description": "響應速度評分偏低:增設週末值班電話", "owner_user_id": engineer_id,
            "due_on": "2027-01-31"})).await.ok(201);
        let path = format!("{ACTIONS}/{}", id(&action));
        let action = app.act_as(&engineer, &format!("{path}/complete"), &etag(&action),
            &json!({"result": "已開通週末值班電話"})).await.ok(200);
        app.act_as(&engineer, &format!("{path}/verify"), &etag(&action),
            &json!({"effective": true, "note": "x"})).await.problem(403, "forbidden");
        let action = app.act_as(&agent, &format!("{path}/verify"), &etag(&action),
            &json!({"effective": false, "note": "週末來電仍無人接聽"})).await.ok(200);
        assert_eq!(action["status"], "open");
        let action = app.act_as(&engineer, &format!("{path}/complete"), &etag(&action),
            &json!({"result": "值班表落實到人,轉接手機"})).await.ok(200);
        let action = app.act_as(&agent, &format!("{path}/verify"), &etag(&action),
            &json!({"effective": true, "note": "抽查 5 次週末來電均接通"})).await.ok(200);
        assert_eq!((action["status"].clone(), action["verified_by"].clone()),
            (json!("verified"), json!(app.user_id("gz01.service_agent"))));
        assert_eq!(app.audit_events("improvement_action", id(&action)).iter().map(|e| e.action.clone())
            .collect::<Vec<_>>(), ["create", "complete", "verify", "complete", "verify"]);
        // An open action past its day is overdue.
        let late = app.post_as(&agent, ACTIONS, &json!({"description": "回訪話術培訓",
            "owner_user_id": engineer_id, "due_on": "2026-11-01"})).await.ok(201);
        let overdue = app.get_as(&agent, &format!("{ACTIONS}?overdue=true")).await.ok(200);
        assert_eq!(overdue["items"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), [id(&late)]);
    }
}
