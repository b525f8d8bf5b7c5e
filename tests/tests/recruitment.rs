//! Recruitment and onboarding on both backends: a plan approved by the
//! office director and HQ HR; a candidate through every stage in order (a
//! skipped stage refused); hired into an employee file with a login and a
//! role in one transaction; the onboarding checklist completed item by item
//! by its rules (the contract signed first, the supplies issued through
//! finance, the mentor named), which starts the probation; the mentor's and
//! the supervisor's evaluations and the conversion the director approves; and
//! the plan's headcount never exceeded.

use branchline_tests::{TestApp, db_test, json};
use diesel::prelude::*;
use serde_json::Value;

const PLANS: &str = "/api/v1/personnel/recruitment-plans";
const CANDIDATES: &str = "/api/v1/personnel/candidates";
const EMPLOYEES: &str = "/api/v1/personnel/employees";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

fn plan_body(headcount: i64, stages: Option<Value>) -> Value {
    let mut b = json!({"post": "銷售人員", "headcount": headcount,
        "requirements": "大專以上學歷，兩年以上照明銷售經驗",
        "channels": ["job_site", "referral"], "reason": "新增重點客戶，人手不足",
        "wanted_by": "2099-03-01"});
    if let Some(s) = stages {
        b["stages"] = s;
    }
    b
}

/// Makes a plan as the office's HR holder and has it approved by the
/// director and HQ HR.
async fn approved_plan(app: &TestApp, ops: &str, headcount: i64, stages: Option<Value>) -> Value {
    let plan = app
        .post_as(ops, PLANS, &plan_body(headcount, stages))
        .await
        .ok(201);
    assert_eq!(plan["status"], json!("in_approval"));
    let approval = plan["approval_id"].as_i64().expect("approval");
    let step = app.approve_as("gz01.office_director", approval).await;
    assert_eq!(step["status"], json!("pending"));
    app.approve_as("hq.hr", approval).await;
    let plan = app
        .get_as(ops, &format!("{PLANS}/{}", id(&plan)))
        .await
        .ok(200);
    assert_eq!(plan["status"], json!("approved"));
    plan
}

/// Passes `candidate` through `stages` in order; returns it after.
async fn pass(app: &TestApp, token: &str, mut candidate: Value, stages: &[&str]) -> Value {
    for stage in stages {
        assert_eq!(candidate["stage"], json!(stage));
        candidate = app
            .act_as(
                token,
                &format!("{CANDIDATES}/{}/stage-results", id(&candidate)),
                &etag(&candidate),
                &json!({"stage": stage, "interviewers": ["陳曉明", "王主任"], "score": 80,
                    "notes": "符合要求", "passed": true}),
            )
            .await
            .ok(201);
    }
    candidate
}

db_test! {
    async fn a_candidate_passes_every_stage_is_hired_and_onboarded_into_probation(app) {
        app.load_demo();
        let ops = app.login("gz01.operations_specialist").await;
        let director = app.login("gz01.office_director").await;
        let rep = app.login("gz01.sales_rep").await;
        let other = app.login("sz01.office_director").await;

        // Bad plans are refused naming the field.
        let mut bad = plan_body(2, Some(json!(["interview", "interview"])));
        bad["wanted_by"] = json!("2020-01-01");
        let problem = app.post_as(&ops, PLANS, &bad).await.problem(422, "validation_failed");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["stages", "wanted_by"]);
        app.post_as(&rep, PLANS, &plan_body(1, None)).await.problem(403, "forbidden");

        let plan = approved_plan(&app, &ops, 1, None).await;
        assert_eq!(plan["stages"], json!(["resume_screening", "interview", "written_test", "background_check"]));
        let candidates = format!("{PLANS}/{}/candidates", id(&plan));
        // A source the plan does not use is refused.
        app.post_as(&ops, &candidates, &json!({"name": "黃志強", "source": "campus"})).await
            .problem(422, "validation_failed");
        let cand = app.post_as(&ops, &candidates, &json!({"name": "黃志強", "phone": "13600136000",
            "source": "job_site", "resume_ref": "resumes/2026/huang.pdf"})).await.ok(201);
        assert_eq!(cand["stage"], json!("resume_screening"));
        // Another office does not know the candidate.
        app.get_as(&other, &format!("{CANDIDATES}/{}", id(&cand))).await.problem(404, "not_found");

        // No stage is skipped: the interview before the screening is refused.
        let res = app.act_as(&ops, &format!("{CANDIDATES}/{}/stage-results", id(&cand)), &etag(&cand),
            &json!({"stage": "interview", "interviewers": ["王主任"], "score": 90, "passed": true})).await;
        let problem = res.problem(422, "validation_failed");
        assert_eq!((problem["errors"][0]["field"].clone(), problem["errors"][0]["code"].clone()),
            (json!("stage"), json!("skipped")));
        // Failing needs a reason.
        app.act_as(&ops, &format!("{CANDIDATES}/{}/stage-results", id(&cand)), &etag(&cand),
            &json!({"stage": "resume_screening", "interviewers": ["王主任"], "passed": false})).await
            .problem(422, "validation_failed");

        let second = app.post_as(&ops, &candidates, &json!({"name": "李明", "source": "referral"})).await.ok(201);
        let all = ["resume_screening", "interview", "written_test", "background_check"];
        let cand = pass(&app, &ops, cand, &all).await;
        assert_eq!(cand["stage"], json!("offer"));
        let results = cand["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);
        assert_eq!(results[1]["interviewers"], json!(["陳曉明", "王主任"]));
        let second = pass(&app, &ops, second, &all).await;
        assert_eq!(second["stage"], json!("offer"));
        // A passed stage is not recorded again.
        app.act_as(&ops, &format!("{CANDIDATES}/{}/stage-results", id(&cand)), &etag(&cand),
            &json!({"stage": "interview", "interviewers": ["王主任"], "passed": true})).await
            .problem(422, "validation_failed");

        // A login needs user and role management: HR's office holder lacks it.
        let hire = json!({"employee_number": "GZ01-031", "hire_date": kernel::time::today().to_string(),
            "account": {"username": "gz01.huang.zq", "password": "correct-horse-battery", "role": "sales_rep"}});
        app.act_as(&ops, &format!("{CANDIDATES}/{}/hire", id(&cand)), &etag(&cand), &hire).await
            .problem(403, "forbidden");
        let mut director_role = hire.clone();
        director_role["account"]["role"] = json!("office_director");
        let problem = app.act_as(&director, &format!("{CANDIDATES}/{}/hire", id(&cand)), &etag(&cand), &director_role).await
            .problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], json!("account.role"));
        // Nothing of the refused hire was kept.
        let users: i64 = app.conn(|c| store::schema::users::table
            .filter(store::schema::users::username.eq("gz01.huang.zq")).count().get_result(c).unwrap());
        assert_eq!(users, 0);

        let made = app.act_as(&director, &format!("{CANDIDATES}/{}/hire", id(&cand)), &etag(&cand), &hire).await.ok(201);
        let employee = made["employee"].clone();
        assert_eq!((employee["status"].clone(), employee["position"].clone(), employee["name"].clone()),
            (json!("hired"), json!("銷售人員"), json!("黃志強")));
        assert_eq!(made["candidate"]["stage"], json!("hired"));
        assert_eq!(made["candidate"]["employee_id"], employee["id"]);
        assert_eq!((made["plan"]["hired"].clone(), made["plan"]["status"].clone()), (json!(1), json!("filled")));
        // The login exists with its role, and signs in.
        let user = made["account"]["id"].as_i64().unwrap();
        assert_eq!(employee["user_id"], json!(user));
        let roles: Vec<(String, Option<i64>)> = app.conn(|c| {
            use store::schema::role_assignments as ra;
            ra::table.filter(ra::user_id.eq(user)).select((ra::role, ra::office_id)).load(c).unwrap()
        });
        assert_eq!(roles, vec![("sales_rep".to_owned(), Some(app.office_id("GZ01")))]);
        let new = app.login_pair("gz01.huang.zq", "correct-horse-battery").await["access_token"].as_str().unwrap().to_owned();
        let me = app.get_as(&new, &format!("{EMPLOYEES}/me")).await.ok(200);
        assert_eq!(me["id"], employee["id"]);

        // The headcount is never exceeded: the second at the offer is refused.
        let problem = app.act_as(&director, &format!("{CANDIDATES}/{}/hire", id(&second)), &etag(&second),
            &json!({"employee_number": "GZ01-032", "hire_date": "2026-12-01"})).await
            .problem(409, "invalid_transition");
        assert_eq!((problem["headcount"].clone(), problem["hired"].clone()), (json!(1), json!(1)));
        assert!(problem["detail"].as_str().unwrap().contains("headcount"));
        let second_now = app.get_as(&ops, &format!("{CANDIDATES}/{}", id(&second))).await.ok(200);
        assert_eq!(second_now["stage"], json!("offer"));
        // A filled plan takes no more candidates.
        app.post_as(&ops, &candidates, &json!({"name": "周敏", "source": "job_site"})).await
            .problem(409, "invalid_transition");

        // Onboarding: the checklist of the template in force, item by item.
        let file = id(&employee);
        let onboarding = app.get_as(&ops, &format!("{EMPLOYEES}/{file}/onboarding")).await.ok(200);
        assert_eq!((onboarding["total"].clone(), onboarding["done"].clone()), (json!(8), json!(0)));
        let items: Vec<(i64, String)> = onboarding["items"].as_array().unwrap().iter()
            .map(|i| (id(i), i["kind"].as_str().unwrap().to_owned())).collect();
        let item = |kind: &str| items.iter().find(|(_, k)| k == kind).unwrap().0;
        let complete = |item: i64| format!("/api/v1/personnel/onboarding-items/{item}/complete");
        let open = app.get_as(&ops, &format!("/api/v1/personnel/onboarding-items?employee_id={file}&open=true")).await.ok(200);
        assert_eq!(open["items"].as_array().unwrap().len(), 8);
        app.get_as(&other, &format!("/api/v1/personnel/onboarding-items?employee_id={file}")).await.ok(200)["items"]
            .as_array().unwrap().is_empty().then_some(()).expect("another office sees none");
        app.post_as(&other, &complete(item("documents")), &json!({})).await.problem(404, "not_found");
        // The contract item waits for the contract.
        let problem = app.post_as(&ops, &complete(item("contract")), &json!({})).await.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["code"], json!("no_contract"));
        app.post_as(&ops, &format!("{EMPLOYEES}/{file}/contracts"), &json!({"kind": "fixed_term",
            "starts_on": "2026-12-01", "ends_on": "2029-11-30", "probation_months": 3,
            "signed_on": "2026-12-01"})).await.ok(201);
        // The supplies item names an issue to the hire: another person's is refused.
        let supplies = app.get_as(&director, "/api/v1/finance/supplies").await.ok(200);
        let supply = id(&supplies["items"][0]);
        let to_rep = app.post_as(&director, &format!("/api/v1/finance/supplies/{supply}/issue"),
            &json!({"quantity": 1, "employee_user_id": app.user_id("gz01.sales_rep")})).await.ok(201);
        let problem = app.post_as(&ops, &complete(item("supplies")), &json!({"supply_movement_id": id(&to_rep)})).await
            .problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], json!("supply_movement_id"));
        let issued = app.post_as(&director, &format!("/api/v1/finance/supplies/{supply}/issue"),
            &json!({"quantity": 1, "employee_user_id": user})).await.ok(201);
        // The mentor item names the mentor.
        app.post_as(&ops, &complete(item("mentor")), &json!({})).await.problem(422, "validation_failed");
        let mentor = app.get_as(&rep, &format!("{EMPLOYEES}/me")).await.ok(200);
        let mut last = Value::Null;
        for (item, kind) in &items {
            let body = match kind.as_str() {
                "supplies" => json!({"supply_movement_id": id(&issued)}),
                "mentor" => json!({"mentor_employee_id": id(&mentor)}),
                _ => json!({"note": "完成"}),
            };
            // Still a hire until the last item is done.
            let status = app.get_as(&ops, &format!("{EMPLOYEES}/{file}")).await.ok(200)["status"].clone();
            assert_eq!(status, json!("hired"));
            last = app.post_as(&ops, &complete(*item), &body).await.ok(200);
        }
        assert_eq!((last["done"].clone(), last["complete"].clone()), (json!(8), json!(true)));
        app.post_as(&ops, &complete(item("documents")), &json!({})).await.problem(409, "invalid_transition");
        let after = app.get_as(&ops, &format!("{EMPLOYEES}/{file}")).await.ok(200);
        assert_eq!((after["status"].clone(), after["mentor_employee_id"].clone()), (json!("probation"), json!(id(&mentor))));
        let linked: (Option<i64>, Option<i64>) = app.conn(|c| {
            use store::schema::onboarding_items as oi;
            let contract = oi::table.filter(oi::employee_id.eq(file)).filter(oi::kind.eq("contract"))
                .select(oi::contract_id).first::<Option<i64>>(c).unwrap();
            let movement = oi::table.filter(oi::employee_id.eq(file)).filter(oi::kind.eq("supplies"))
                .select(oi::supply_movement_id).first::<Option<i64>>(c).unwrap();
            (contract, movement)
        });
        assert!(linked.0.is_some());
        assert_eq!(linked.1, Some(id(&issued)));
        let trail: Vec<String> = app.audit_events("employee", file).into_iter().map(|e| e.action).collect();
        assert!(trail.contains(&"start_onboarding".to_owned()) && trail.contains(&"start_probation".to_owned()));

        // The probation: with a mentor on the file both the mentor's and the
        // supervisor's evaluations come before the conversion, which the
        // director approves.
        let evaluations = format!("{EMPLOYEES}/{file}/probation-evaluations");
        let conversions = format!("{EMPLOYEES}/{file}/probation-conversions");
        app.post_as(&ops, &evaluations, &json!({"evaluator_role": "supervisor", "score": 84,
            "comments": "能獨立拜訪客戶", "recommendation": "convert"})).await.ok(201);
        let problem = app.post_as(&ops, &conversions, &json!({"outcome": "convert", "reason": "考核合格"})).await
            .problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], json!("evaluations"));
        app.post_as(&ops, &evaluations, &json!({"evaluator_role": "mentor", "score": 84,
            "comments": "x", "recommendation": "convert"})).await.problem(403, "forbidden");
        app.post_as(&rep, &evaluations, &json!({"evaluator_role": "mentor", "score": 90,
            "comments": "產品知識紮實，客戶反饋良好", "recommendation": "convert"})).await.ok(201);
        let conversion = app.post_as(&ops, &conversions, &json!({"outcome": "convert",
            "reason": "導師與主管均建議轉正"})).await.ok(201);
        app.approve_as("gz01.office_director", conversion["approval_id"].as_i64().unwrap()).await;
        let regular = app.get_as(&new, &format!("{EMPLOYEES}/me")).await.ok(200);
        assert_eq!(regular["status"], json!("regular"));
    }
}

db_test! {
    async fn a_plan_assesses_only_the_stages_it_names_and_a_rejected_one_stops(app) {
        app.load_demo();
        let ops = app.login("gz01.operations_specialist").await;
        let plan = approved_plan(&app, &ops, 2, Some(json!(["interview"]))).await;
        let candidates = format!("{PLANS}/{}/candidates", id(&plan));
        let cand = app.post_as(&ops, &candidates, &json!({"name": "林小華", "source": "referral"})).await.ok(201);
        assert_eq!(cand["stage"], json!("interview"));
        let res = app.act_as(&ops, &format!("{CANDIDATES}/{}/stage-results", id(&cand)), &etag(&cand),
            &json!({"stage": "written_test", "interviewers": ["王主任"], "passed": true})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], json!("not_required"));
        let failed = app.act_as(&ops, &format!("{CANDIDATES}/{}/stage-results", id(&cand)), &etag(&cand),
            &json!({"stage": "interview", "interviewers": ["王主任"], "score": 40, "passed": false,
                "reason": "產品知識不足"})).await.ok(201);
        assert_eq!((failed["stage"].clone(), failed["rejected_at_stage"].clone(), failed["rejection_reason"].clone()),
            (json!("rejected"), json!("interview"), json!("產品知識不足")));
        app.act_as(&ops, &format!("{CANDIDATES}/{}/hire", id(&cand)), &etag(&failed),
            &json!({"employee_number": "GZ01-040", "hire_date": "2026-12-01"})).await
            .problem(409, "invalid_transition");
        // Withdrawal at the offer is recorded as a rejection with the reason.
        let other = app.post_as(&ops, &candidates, &json!({"name": "吳芳", "source": "job_site"})).await.ok(201);
        let other = pass(&app, &ops, other, &["interview"]).await;
        assert_eq!(other["stage"], json!("offer"));
        let gone = app.act_as(&ops, &format!("{CANDIDATES}/{}/reject", id(&other)), &etag(&other),
            &json!({"reason": "候選人已接受其他公司錄用"})).await.ok(200);
        assert_eq!(gone["rejected_at_stage"], json!("offer"));
        // Listing by stage.
        let rejected = app.get_as(&ops, &format!("{CANDIDATES}?plan_id={}&stage=rejected", id(&plan))).await.ok(200);
        assert_eq!(rejected["items"].as_array().unwrap().len(), 2);
        // The plan is closed before it is filled.
        let plan = app.get_as(&ops, &format!("{PLANS}/{}", id(&plan))).await.ok(200);
        let closed = app.act_as(&ops, &format!("{PLANS}/{}/close", id(&plan)), &etag(&plan), &json!({})).await.ok(200);
        assert_eq!(closed["status"], json!("closed"));
    }
}
