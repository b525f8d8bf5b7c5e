//! The risk register on both backends: grading by the default bands and
//! regrading when HQ changes them; the seeds' response rule (a high risk is
//! never accepted, accepting a medium one and closing a high one go through
//! approval); measures to completion before the residual assessment; the
//! risk's file; the matrix of an office, a region and the company against
//! hand counts; and who sees an office's, a region's and the company's risks.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use chrono::{Duration, Months};
use serde_json::Value;

const RISKS: &str = "/api/v1/risk/risks";
const BANDS: &str = "/api/v1/risk/grade-bands";
const MATRIX: &str = "/api/v1/risk/matrix";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Records a risk as `token`, assessed when `li` is given.
async fn risk(app: &TestApp, token: &str, extra: Value, li: Option<(i64, i64)>) -> Value {
    let mut body = json!({
        "category": "credit", "title": "二網經銷商應收賬款逾期", "description": "逾期集中於三家經銷商",
        "method": "data_analysis", "owner_user_id": app.user_id("gz01.office_director"),
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    if let Some((l, i)) = li {
        body["likelihood"] = json!(l);
        body["impact"] = json!(i);
    }
    app.post_as(token, RISKS, &body).await.ok(201)
}

async fn read(app: &TestApp, token: &str, risk: &Value) -> Value {
    app.get_as(token, &format!("{RISKS}/{}", id(risk)))
        .await
        .ok(200)
}

/// The actions in a risk's file, in order.
async fn file(app: &TestApp, token: &str, risk: &Value) -> Vec<String> {
    let page = app
        .get_as(token, &format!("{RISKS}/{}/history", id(risk)))
        .await
        .ok(200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

db_test! {
    async fn risks_are_graded_by_the_bands_and_regraded_when_hq_changes_them(app) {
        app.load_demo_org();
        let director = app.login("gz01.office_director").await;
        let hq = app.login("hq.admin").await;
        let today = today();

        // Default bands: 3 × 5 = 15 high (reviewed monthly), 2 × 4 = 8 medium
        // (quarterly), 2 × 3 = 6 low (yearly).
        let high = risk(&app, &director, json!({}), Some((3, 5))).await;
        assert_eq!((high["score"].clone(), high["grade"].clone(), high["priority"].clone(), high["status"].clone()),
            (json!(15), json!("high"), json!(1), json!("assessed")));
        assert_eq!(high["next_review_on"], json!((today + Months::new(1)).to_string()));
        assert_eq!(high["office_id"], json!(app.office_id("GZ01")));
        let medium = risk(&app, &director, json!({"category": "legal"}), Some((2, 4))).await;
        assert_eq!((medium["grade"].clone(), medium["priority"].clone()), (json!("medium"), json!(2)));
        assert_eq!(medium["next_review_on"], json!((today + Months::new(3)).to_string()));
        let low = risk(&app, &director, json!({"priority": 2}), Some((2, 3))).await;
        assert_eq!((low["grade"].clone(), low["priority"].clone()), (json!("low"), json!(2)));
        let unassessed = risk(&app, &director, json!({"method": "interview"}), None).await;
        assert_eq!((unassessed["status"].clone(), unassessed["grade"].clone()), (json!("identified"), Value::Null));

        // A priority below the grade's, half an assessment, an owner of another
        // office: refused naming the field.
        let res = app.post_as(&director, RISKS, &json!({"category": "credit", "title": "x", "description": "x",
            "method": "interview", "owner_user_id": app.user_id("gz01.office_director"),
            "likelihood": 5, "impact": 5, "priority": 2})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "priority");
        let res = app.post_as(&director, RISKS, &json!({"category": "credit", "title": "x", "description": "x",
            "method": "interview", "owner_user_id": app.user_id("gz01.office_director"), "likelihood": 5})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "impact");
        let res = app.post_as(&director, RISKS, &json!({"category": "credit", "title": "x", "description": "x",
            "method": "interview", "owner_user_id": app.user_id("sz01.office_director")})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "owner_user_id");

        // Only HQ sets bands; medium must start below high.
        let bands = json!({"high_from": 16, "medium_from": 9, "high_review_months": 1,
            "medium_review_months": 2, "low_review_months": 6, "note": "2027 年起"});
        app.post_as(&director, BANDS, &bands).await.problem(403, "forbidden");
        let mut wrong = bands.clone();
        wrong["medium_from"] = json!(16);
        let res = app.post_as(&hq, BANDS, &wrong).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "medium_from");
        let set = app.post_as(&hq, BANDS, &bands).await.ok(201);
        let current = app.get_as(&director, &format!("{BANDS}/current")).await.ok(200);
        assert_eq!(current["id"], set["id"]);

        // Regraded: 15 is now medium (reviewed every 2 months from the
        // assessment), 8 is low (6 months), 6 stays low (priority 2 kept, more
        // urgent than low's 3) but is reviewed every 6 months now.
        let h = read(&app, &director, &high).await;
        assert_eq!((h["grade"].clone(), h["priority"].clone(), h["band_id"].clone()), (json!("medium"), json!(1), set["id"].clone()));
        assert_eq!(h["next_review_on"], json!((today + Months::new(2)).to_string()));
        assert_eq!(h["version"], json!(2));
        let m = read(&app, &director, &medium).await;
        assert_eq!((m["grade"].clone(), m["priority"].clone()), (json!("low"), json!(2)));
        assert_eq!(m["next_review_on"], json!((today + Months::new(6)).to_string()));
        let l = read(&app, &director, &low).await;
        assert_eq!((l["grade"].clone(), l["priority"].clone()), (json!("low"), json!(2)));
        assert_eq!(read(&app, &director, &unassessed).await["version"], json!(1));
        assert_eq!(file(&app, &director, &high).await, ["create", "regrade"]);
        let audit = app.audit_events("risk", id(&high));
        assert_eq!(audit.last().unwrap().action, "regrade");
        assert_eq!(app.audit_events("risk_grade_bands", id(&set)).len(), 1);

        // A risk assessed now is graded by the new bands: 4 × 4 = 16 high.
        let now_high = risk(&app, &director, json!({}), Some((4, 4))).await;
        assert_eq!(now_high["grade"], json!("high"));
        // Reassessing moves it: 3 × 3 = 9 medium.
        let re = app.act_as(&director, &format!("{RISKS}/{}/assess", id(&now_high)), &etag(&now_high),
            &json!({"likelihood": 3, "impact": 3, "note": "新數據"})).await.ok(200);
        assert_eq!((re["score"].clone(), re["grade"].clone(), re["priority"].clone()), (json!(9), json!("medium"), json!(2)));
        // The list by grade and by review due.
        let page = app.get_as(&director, &format!("{RISKS}?grade=medium")).await.ok(200);
        let ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, vec![id(&high), id(&now_high)]);
        let due = app.get_as(&director, &format!("{RISKS}?review_due=true")).await.ok(200);
        assert_eq!(due["items"].as_array().unwrap().len(), 0);
    }
}

db_test! {
    async fn responses_follow_the_rule_and_measures_come_before_the_residual(app) {
        app.load_demo_org();
        let deputy = app.login("gz01.deputy_director").await;
        let rep = app.login("gz01.sales_rep").await;
        let rep_id = app.user_id("gz01.sales_rep");

        // A high risk is never accepted; the risk is untouched.
        let high = risk(&app, &deputy, json!({}), Some((4, 4))).await;
        let res = app.act_as(&deputy, &format!("{RISKS}/{}/respond", id(&high)), &etag(&high),
            &json!({"response": "accept", "plan": "接受"})).await;
        let problem = res.problem(422, "validation_failed");
        assert_eq!((problem["errors"][0]["field"].clone(), problem["errors"][0]["code"].clone()),
            (json!("response"), json!("not_allowed_for_grade")));
        assert_eq!(read(&app, &deputy, &high).await["version"], json!(1));

        // Accepting a medium risk goes to the office director.
        let medium = risk(&app, &deputy, json!({"category": "market"}), Some((3, 3))).await;
        let decision = app.act_as(&deputy, &format!("{RISKS}/{}/respond", id(&medium)), &etag(&medium),
            &json!({"response": "accept", "plan": "市場波動可承受,按季監控"})).await.ok(202);
        assert_eq!((decision["kind"].clone(), decision["status"].clone()), (json!("accept"), json!("in_approval")));
        let m = read(&app, &deputy, &medium).await;
        assert_eq!((m["status"].clone(), m["response"].clone()), (json!("assessed"), Value::Null));
        let res = app.act_as(&deputy, &format!("{RISKS}/{}/respond", id(&m)), &etag(&m),
            &json!({"response": "accept", "plan": "again"})).await;
        res.problem(409, "conflict");
        let approval = decision["approval_id"].as_i64().unwrap();
        let approved = app.approve_as("gz01.office_director", approval).await;
        assert_eq!(approved["status"], json!("approved"));
        let m = read(&app, &deputy, &medium).await;
        assert_eq!((m["status"].clone(), m["response"].clone(), m["response_plan"].clone()),
            (json!("monitoring"), json!("accept"), json!("市場波動可承受,按季監控")));
        let d = app.get_as(&deputy, &format!("/api/v1/risk/decisions/{}", id(&decision))).await.ok(200);
        assert_eq!(d["status"], json!("approved"));

        // A low risk is accepted at once.
        let low = risk(&app, &deputy, json!({}), Some((1, 3))).await;
        let l = app.act_as(&deputy, &format!("{RISKS}/{}/respond", id(&low)), &etag(&low),
            &json!({"response": "accept", "plan": "影響輕微"})).await.ok(200);
        assert_eq!(l["status"], json!("monitoring"));

        // The high one is reduced: two measures, one overdue; while one is open
        // neither the residual assessment nor the closing is taken.
        let h = app.act_as(&deputy, &format!("{RISKS}/{}/respond", id(&high)), &etag(&high),
            &json!({"response": "reduce", "plan": "停止對逾期客戶發貨"})).await.ok(200);
        assert_eq!(h["status"], json!("responding"));
        let yesterday = today() - Duration::days(1);
        let m1 = app.post_as(&deputy, &format!("{RISKS}/{}/measures", id(&h)), &json!({
            "title": "逾期客戶停止發貨", "owner_user_id": rep_id, "due_on": yesterday})).await.ok(201);
        let m2 = app.post_as(&deputy, &format!("{RISKS}/{}/measures", id(&h)), &json!({
            "title": "逐戶催收", "owner_user_id": rep_id, "due_on": today() + Duration::days(30)})).await.ok(201);
        let overdue = app.get_as(&deputy, "/api/v1/risk/measures?overdue=true").await.ok(200);
        let ids: Vec<i64> = overdue["items"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, vec![id(&m1)]);
        let h = read(&app, &deputy, &h).await;
        let res = app.act_as(&deputy, &format!("{RISKS}/{}/assess-residual", id(&h)), &etag(&h),
            &json!({"likelihood": 2, "impact": 2})).await;
        assert_eq!(res.problem(409, "conflict")["open_measure_ids"], json!([id(&m1), id(&m2)]));
        app.act_as(&deputy, &format!("{RISKS}/{}/close", id(&h)), &etag(&h), &json!({"note": "x"})).await
            .problem(409, "conflict");

        // The owner (no risk:manage) completes one with evidence, sees it in
        // their list; the deputy cancels the other; the owner cannot cancel.
        let mine = app.get_as(&rep, "/api/v1/risk/measures").await.ok(200);
        assert_eq!(mine["items"].as_array().unwrap().len(), 2);
        let done = app.act_as(&rep, &format!("/api/v1/risk/measures/{}/complete", id(&m1)), &etag(&m1),
            &json!({"evidence": "三家客戶已停貨"})).await.ok(200);
        assert_eq!((done["status"].clone(), done["done_on"].clone()), (json!("done"), json!(today().to_string())));
        app.act_as(&rep, &format!("/api/v1/risk/measures/{}/cancel", id(&m2)), &etag(&m2),
            &json!({"reason": "x"})).await.problem(403, "forbidden");
        app.act_as(&deputy, &format!("/api/v1/risk/measures/{}/cancel", id(&m2)), &etag(&m2),
            &json!({"reason": "由轉移措施取代"})).await.ok(200);

        // What remains: 2 × 2 = 4, low; monitored, reviewed yearly.
        let r = app.act_as(&deputy, &format!("{RISKS}/{}/assess-residual", id(&h)), &etag(&h),
            &json!({"likelihood": 2, "impact": 2, "note": "停貨後逾期不再增加"})).await.ok(200);
        assert_eq!((r["status"].clone(), r["residual_grade"].clone(), r["grade"].clone()),
            (json!("monitoring"), json!("low"), json!("high")));
        assert_eq!(r["next_review_on"], json!((today() + Months::new(12)).to_string()));

        // Closing a risk graded high goes to the director; approved, it is closed.
        let d = app.act_as(&deputy, &format!("{RISKS}/{}/close", id(&r)), &etag(&r),
            &json!({"note": "措施完成,殘餘風險低"})).await.ok(202);
        assert_eq!(d["kind"], json!("close"));
        app.approve_as("gz01.office_director", d["approval_id"].as_i64().unwrap()).await;
        let closed = read(&app, &deputy, &r).await;
        assert_eq!((closed["status"].clone(), closed["closed_reason"].clone(), closed["next_review_on"].clone()),
            (json!("closed"), json!("措施完成,殘餘風險低"), Value::Null));
        assert_eq!(file(&app, &deputy, &closed).await, [
            "create", "respond", "add_measure", "add_measure", "measure_done", "measure_cancelled",
            "assess_residual", "decision_submitted", "decision_approved"]);
        app.act_as(&deputy, &format!("{RISKS}/{}/review", id(&closed)), &etag(&closed),
            &json!({"note": "x"})).await.problem(409, "invalid_transition");

        // A medium risk is closed without approval; the rep may not act.
        let other = risk(&app, &deputy, json!({}), Some((2, 5))).await;
        app.act_as(&rep, &format!("{RISKS}/{}/close", id(&other)), &etag(&other), &json!({"note": "x"})).await
            .problem(403, "forbidden");
        let c = app.act_as(&deputy, &format!("{RISKS}/{}/close", id(&other)), &etag(&other),
            &json!({"note": "合同已續簽"})).await.ok(200);
        assert_eq!(c["status"], json!("closed"));
        // A stale version is refused.
        app.act_as(&deputy, &format!("{RISKS}/{}/review", id(&low)), &etag(&low), &json!({"note": "x"})).await
            .problem(412, "version_conflict");
        let stored = app.audit_events("risk", id(&other));
        assert_eq!(stored.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["create", "close"]);
    }
}

db_test! {
    async fn the_matrix_counts_an_office_a_region_and_the_company(app) {
        app.load_demo_org();
        let gz = app.login("gz01.office_director").await;
        let sz = app.login("sz01.office_director").await;
        let south = app.login("south.regional_manager").await;
        let hq = app.login("hq.admin").await;
        let south_id = {
            let offices = app.get_as(&hq, &format!("/api/v1/org/offices/{}", app.office_id("GZ01"))).await.ok(200);
            offices["region_id"].as_i64().unwrap()
        };

        // GZ01: two at (4, 4), one at (2, 4), one at (1, 2), one unassessed,
        // one closed (not counted). SZ01: one at (3, 3). The south region: one
        // at (5, 5). The company: one at (1, 1).
        let a = risk(&app, &gz, json!({}), Some((4, 4))).await;
        let b = risk(&app, &gz, json!({"category": "legal"}), Some((4, 4))).await;
        let c = risk(&app, &gz, json!({"category": "legal"}), Some((2, 4))).await;
        let d = risk(&app, &gz, json!({"category": "market"}), Some((1, 2))).await;
        risk(&app, &gz, json!({}), None).await;
        let closed = risk(&app, &gz, json!({}), Some((1, 1))).await;
        app.act_as(&gz, &format!("{RISKS}/{}/close", id(&closed)), &etag(&closed), &json!({"note": "重複登記"})).await.ok(200);
        let s = risk(&app, &sz, json!({"owner_user_id": app.user_id("sz01.office_director")}), Some((3, 3))).await;
        let region = risk(&app, &hq, json!({"level": "region", "region_id": south_id,
            "owner_user_id": app.user_id("south.regional_manager"), "category": "market"}), Some((5, 5))).await;
        assert_eq!((region["level"].clone(), region["office_id"].clone()), (json!("region"), Value::Null));
        let company = risk(&app, &hq, json!({"level": "company",
            "owner_user_id": app.user_id("hq.admin"), "category": "legal"}), Some((1, 1))).await;
        // A region's risk names no office.
        let res = app.post_as(&hq, RISKS, &json!({"level": "region", "region_id": south_id, "office_id": 1,
            "category": "market", "title": "x", "description": "x", "method": "interview",
            "owner_user_id": app.user_id("hq.admin")})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "office_id");
        // An office director cannot record the region's.
        app.post_as(&gz, RISKS, &json!({"level": "region", "region_id": south_id, "category": "market",
            "title": "x", "description": "x", "method": "interview",
            "owner_user_id": app.user_id("gz01.office_director")})).await.problem(404, "not_found");

        let cell = |m: &Value, l: i64, i: i64| -> Value {
            m["cells"].as_array().unwrap().iter()
                .find(|c| c["likelihood"] == json!(l) && c["impact"] == json!(i)).unwrap().clone()
        };
        let office = app.get_as(&gz, &format!("{MATRIX}?office_id={}", app.office_id("GZ01"))).await.ok(200);
        assert_eq!(office["cells"].as_array().unwrap().len(), 25);
        assert_eq!(cell(&office, 4, 4)["risk_ids"], json!([id(&a), id(&b)]));
        assert_eq!((cell(&office, 4, 4)["grade"].clone(), cell(&office, 2, 4)["count"].clone()), (json!("high"), json!(1)));
        assert_eq!(cell(&office, 2, 4)["risk_ids"], json!([id(&c)]));
        assert_eq!(cell(&office, 1, 2)["risk_ids"], json!([id(&d)]));
        assert_eq!((office["total"].clone(), office["unplaced"].clone()), (json!(4), json!(1)));
        assert_eq!(office["grades"], json!({"high": 2, "medium": 1, "low": 1}));
        let legal = office["categories"].as_array().unwrap().iter().find(|c| c["category"] == "legal").unwrap();
        assert_eq!((legal["count"].clone(), legal["grades"]["high"].clone(), legal["grades"]["medium"].clone()),
            (json!(2), json!(1), json!(1)));
        // The director sees no other office's matrix nor the region's.
        app.get_as(&gz, &format!("{MATRIX}?office_id={}", app.office_id("SZ01"))).await.problem(404, "not_found");
        app.get_as(&gz, &format!("{MATRIX}?region_id={south_id}")).await.problem(404, "not_found");
        // Unfiltered, the director's matrix is their office's.
        let own = app.get_as(&gz, MATRIX).await.ok(200);
        assert_eq!(own["total"], json!(4));

        // The region: GZ01's 4, SZ01's 1 and the region's own: 6.
        let r = app.get_as(&south, &format!("{MATRIX}?region_id={south_id}")).await.ok(200);
        assert_eq!((r["total"].clone(), r["grades"].clone()), (json!(6), json!({"high": 3, "medium": 2, "low": 1})));
        assert_eq!(cell(&r, 5, 5)["risk_ids"], json!([id(&region)]));
        assert_eq!(cell(&r, 3, 3)["risk_ids"], json!([id(&s)]));
        // The company: the 6, and the company's own.
        let all = app.get_as(&hq, MATRIX).await.ok(200);
        assert_eq!((all["total"].clone(), all["unplaced"].clone()), (json!(7), json!(1)));
        assert_eq!(cell(&all, 1, 1)["risk_ids"], json!([id(&company)]));
        // Residual: none assessed yet.
        let res = app.get_as(&hq, &format!("{MATRIX}?basis=residual")).await.ok(200);
        assert_eq!((res["total"].clone(), res["unplaced"].clone()), (json!(0), json!(8)));

        // Who sees what: another office's director nothing of GZ01's; an office
        // director not the region's nor the company's; the regional manager
        // the region's but not the company's.
        assert_isolated(&app, &sz, Isolated {
            list: RISKS,
            item: format!("{RISKS}/{}", id(&a)),
            id: id(&a),
            patch: None,
            actions: vec![
                (format!("{RISKS}/{}/assess", id(&a)), json!({"likelihood": 1, "impact": 1})),
                (format!("{RISKS}/{}/close", id(&a)), json!({"note": "x"})),
            ],
        }).await;
        app.get_as(&gz, &format!("{RISKS}/{}", id(&region))).await.problem(404, "not_found");
        app.get_as(&gz, &format!("{RISKS}/{}", id(&company))).await.problem(404, "not_found");
        app.get_as(&south, &format!("{RISKS}/{}", id(&region))).await.ok(200);
        app.get_as(&south, &format!("{RISKS}/{}", id(&company))).await.problem(404, "not_found");
        let listed = app.get_as(&south, RISKS).await.ok(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 8);

        // A region's high risk is closed on company leadership's approval.
        let d = app.act_as(&hq, &format!("{RISKS}/{}/close", id(&region)), &etag(&region),
            &json!({"note": "區域項目已復工"})).await.ok(202);
        assert_eq!((d["level"].clone(), d["office_id"].clone()), (json!("region"), Value::Null));
        let decided = app.approve_as("hq.executive", d["approval_id"].as_i64().unwrap()).await;
        assert_eq!(decided["status"], json!("approved"));
        let closed = app.get_as(&south, &format!("{RISKS}/{}", id(&region))).await.ok(200);
        assert_eq!(closed["status"], json!("closed"));
    }
}
