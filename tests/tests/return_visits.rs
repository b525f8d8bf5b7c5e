//! Return visits on both backends: a quarterly plan that opens its visits one
//! after another on its cadence, a monthly one whose visit is cancelled (the
//! next still opens), a one-off visit done late, the overdue list, follow-ups
//! routed to a department's supervisor (told, and recording the result), the
//! completion rate per office and person for a month against hand-computed
//! figures, ending a plan, and isolation between offices.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use diesel::prelude::*;
use serde_json::Value;

const PLANS: &str = "/api/v1/after-sales/return-visit-plans";
const VISITS: &str = "/api/v1/after-sales/return-visits";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

async fn customer(app: &TestApp, name: &str) -> i64 {
    let rep = app.login("gz01.sales_rep").await;
    id(&app
        .post_as(
            &rep,
            "/api/v1/sales/customers",
            &json!({"name": name, "classification": "intent"}),
        )
        .await
        .ok(201))
}

/// The visits of a plan, oldest first: (due_on, status).
async fn visits_of(app: &TestApp, token: &str, plan: i64) -> Vec<(String, String)> {
    let page = app
        .get_as(token, &format!("{VISITS}?plan_id={plan}"))
        .await
        .ok(200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["due_on"].as_str().unwrap().to_owned(),
                v["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

db_test! {
    async fn plans_open_visits_on_their_cadence_and_completion_is_counted(app) {
        app.load_demo_org();
        let agent = app.login("gz01.service_agent").await;
        let agent_id = app.user_id("gz01.service_agent");
        let engineer_id = app.user_id("gz01.service_engineer");
        let a = customer(&app, "珠江新城寫字樓").await;
        let b = customer(&app, "天河體育中心").await;

        // A periodic plan needs its interval and first day, and takes no days_after.
        let res = app.post_as(&agent, PLANS, &json!({"customer_id": a, "kind": "periodic",
            "days_after": 3, "method": "phone", "owner_user_id": agent_id})).await;
        let mut fields: Vec<String> = res.problem(422, "validation_failed")["errors"].as_array().unwrap()
            .iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        fields.sort();
        assert_eq!(fields, ["days_after", "interval_months", "starts_on"]);

        // Quarterly from 10 September: the first visit is open at once.
        let quarterly = app.post_as(&agent, PLANS, &json!({"customer_id": a, "kind": "periodic",
            "interval_months": 3, "starts_on": "2026-09-10", "method": "visit", "owner_user_id": agent_id,
            "note": "重點客戶,每季度回訪"})).await.ok(201);
        assert_eq!(visits_of(&app, &agent, id(&quarterly)).await, [("2026-09-10".into(), "due".into())]);
        // One active plan per customer and kind.
        app.post_as(&agent, PLANS, &json!({"customer_id": a, "kind": "periodic", "interval_months": 1,
            "starts_on": "2026-10-01", "method": "phone", "owner_user_id": agent_id})).await
            .problem(409, "conflict");
        let monthly = app.post_as(&agent, PLANS, &json!({"customer_id": b, "kind": "periodic",
            "interval_months": 1, "starts_on": "2026-09-20", "method": "phone",
            "owner_user_id": engineer_id})).await.ok(201);

        // The September visit of the quarterly plan, done on the 12th, with a
        // follow-up for the sales department: its supervisor is assigned and told.
        let page = app.get_as(&agent, &format!("{VISITS}?plan_id={}", id(&quarterly))).await.ok(200);
        let first = page["items"][0].clone();
        assert_eq!(first["overdue"], true);
        let sales = app.sales_department("GZ01");
        let done = app.act_as(&agent, &format!("{VISITS}/{}/complete", id(&first)), &etag(&first), &json!({
            "method": "visit", "done_on": "2026-09-12", "findings": "燈具運行正常,客戶希望增加節能改造方案",
            "satisfaction": 4, "follow_ups": [{"department_id": sales,
            "description": "客戶希望提供節能改造方案,請銷售部報價", "due_on": "2026-09-30"}]})).await.ok(200);
        assert_eq!((done["status"].clone(), done["overdue"].clone()), (json!("done"), json!(false)));
        // The next one, three months after the first's day.
        assert_eq!(visits_of(&app, &agent, id(&quarterly)).await,
            [("2026-09-10".into(), "done".into()), ("2026-12-10".into(), "due".into())]);
        let supervisor: i64 = app.conn(|c| {
            use store::schema::departments as d;
            d::table.find(sales).select(d::supervisor_user_id).first::<Option<i64>>(c).unwrap()
        }).expect("the sales department has a supervisor");
        let follow_ups = app.get_as(&agent, &format!("/api/v1/after-sales/follow-ups?visit_id={}", id(&done))).await.ok(200);
        let follow_up = follow_ups["items"][0].clone();
        assert_eq!((follow_up["assignee_user_id"].clone(), follow_up["status"].clone()),
            (json!(supervisor), json!("open")));
        let username: String = app.conn(|c| {
            use store::schema::users as u;
            u::table.find(supervisor).select(u::username).first(c).unwrap()
        });
        let boss = app.login(&username).await;
        let notices = app.get_as(&boss, "/api/v1/me/notifications").await.ok(200);
        assert!(notices["items"].as_array().unwrap().iter()
            .any(|n| n["kind"] == "return_visit_follow_up" && n["entity_id"] == follow_up["id"]));
        // A visit done allows nothing more.
        let res = app.act_as(&agent, &format!("{VISITS}/{}/complete", id(&first)), &etag(&done),
            &json!({"method": "phone", "findings": "x"})).await;
        assert_eq!(res.problem(409, "invalid_transition")["allowed_actions"], json!([]));
        let followed = app.act_as(&boss, &format!("/api/v1/after-sales/follow-ups/{}/complete", id(&follow_up)),
            &etag(&follow_up), &json!({"result": "已提交節能改造報價"})).await.ok(200);
        assert_eq!((followed["status"].clone(), followed["done_by"].clone()), (json!("done"), json!(supervisor)));

        // The monthly plan's September visit is cancelled: October's opens, and
        // it is overdue.
        let page = app.get_as(&agent, &format!("{VISITS}?plan_id={}", id(&monthly))).await.ok(200);
        let sept = page["items"][0].clone();
        app.act_as(&agent, &format!("{VISITS}/{}/cancel", id(&sept)), &etag(&sept),
            &json!({"reason": "客戶停業裝修"})).await.ok(200);
        assert_eq!(visits_of(&app, &agent, id(&monthly)).await,
            [("2026-09-20".into(), "cancelled".into()), ("2026-10-20".into(), "due".into())]);

        // A one-off visit due 25 September, done only on 2 October.
        let one_off = app.post_as(&agent, VISITS, &json!({"customer_id": b, "due_on": "2026-09-25",
            "assignee_user_id": agent_id, "method": "phone"})).await.ok(201);
        app.act_as(&agent, &format!("{VISITS}/{}/complete", id(&one_off)), &etag(&one_off),
            &json!({"method": "phone", "done_on": "2026-10-02", "findings": "客戶反饋良好"})).await.ok(200);

        // Overdue today (4 December 2026 or later): October's monthly visit, not
        // December's quarterly one while its day has not come.
        let overdue = app.get_as(&agent, &format!("{VISITS}?overdue=true")).await.ok(200);
        let days: Vec<&str> = overdue["items"].as_array().unwrap().iter().map(|v| v["due_on"].as_str().unwrap()).collect();
        assert!(days.contains(&"2026-10-20"), "{days:?}");
        assert!(!days.contains(&"2026-09-10") && !days.contains(&"2026-09-25"), "{days:?}");

        // September at GZ01: due 10 Sep (done 12 Sep) and 25 Sep (done 2 Oct, after
        // the month): 1 of 2, 5,000 bp; 20 Sep was cancelled and does not count.
        // The agent's share is the same two; the engineer had only the cancelled one.
        let gz = app.office_id("GZ01");
        let path = |period: &str, user: Option<i64>| match user {
            Some(u) => format!("/api/v1/after-sales/indicators?office_id={gz}&period={period}&user_id={u}"),
            None => format!("/api/v1/after-sales/indicators?office_id={gz}&period={period}"),
        };
        let sep = app.get_as(&agent, &path("2026-09", None)).await.ok(200);
        assert_eq!((sep["return_visits_due"].clone(), sep["return_visits_done"].clone(), sep["return_visit_completion_bp"].clone()),
            (json!(2), json!(1), json!(5000)));
        let mine = app.get_as(&agent, &path("2026-09", Some(agent_id))).await.ok(200);
        assert_eq!(mine["return_visit_completion_bp"], 5000);
        let theirs = app.get_as(&agent, &path("2026-09", Some(engineer_id))).await.ok(200);
        assert_eq!((theirs["return_visits_due"].clone(), theirs["return_visit_completion_bp"].clone()),
            (json!(0), Value::Null));
        // October: the monthly visit of the 20th, not done.
        let oct = app.get_as(&agent, &path("2026-10", None)).await.ok(200);
        assert_eq!((oct["return_visits_due"].clone(), oct["return_visit_completion_bp"].clone()),
            (json!(1), json!(0)));

        // Ending the quarterly plan cancels December's visit and opens no more.
        let ended = app.act_as(&agent, &format!("{PLANS}/{}/end", id(&quarterly)), &etag(&quarterly),
            &json!({"reason": "客戶合同到期"})).await.ok(200);
        assert_eq!(ended["active"], false);
        assert_eq!(visits_of(&app, &agent, id(&quarterly)).await,
            [("2026-09-10".into(), "done".into()), ("2026-12-10".into(), "cancelled".into())]);
        assert_eq!(app.audit_events("return_visit_plan", id(&quarterly)).iter().map(|e| e.action.clone())
            .collect::<Vec<_>>(), ["create", "end"]);

        // Another office sees none of it.
        let sh = app.login("sh01.service_agent").await;
        assert_isolated(&app, &sh, Isolated {
            list: PLANS,
            item: format!("{PLANS}/{}", id(&monthly)),
            id: id(&monthly),
            patch: None,
            actions: vec![(format!("{PLANS}/{}/end", id(&monthly)), json!({"reason": "x"}))],
        }).await;
        assert_isolated(&app, &sh, Isolated {
            list: VISITS,
            item: format!("{VISITS}/{}", id(&one_off)),
            id: id(&one_off),
            patch: None,
            actions: vec![(format!("{VISITS}/{}/cancel", id(&one_off)), json!({"reason": "x"}))],
        }).await;
        // A department of another office is answered as one that does not exist.
        let page = app.get_as(&agent, &format!("{VISITS}?plan_id={}", id(&monthly))).await.ok(200);
        let oct_visit = page["items"][1].clone();
        let sh_sales = app.sales_department("SH01");
        let foreign = app.act_as(&agent, &format!("{VISITS}/{}/complete", id(&oct_visit)), &etag(&oct_visit),
            &json!({"method": "phone", "findings": "x", "follow_ups": [{"department_id": sh_sales, "description": "y"}]}))
            .await.problem(422, "validation_failed");
        let missing = app.act_as(&agent, &format!("{VISITS}/{}/complete", id(&oct_visit)), &etag(&oct_visit),
            &json!({"method": "phone", "findings": "x", "follow_ups": [{"department_id": 99_999_999, "description": "y"}]}))
            .await.problem(422, "validation_failed");
        assert_eq!(foreign["errors"], missing["errors"]);
        assert_eq!(foreign["errors"][0]["field"], "follow_ups[0].department_id");
        // Nothing of the refused completion was stored.
        let again = app.get_as(&agent, &format!("{VISITS}/{}", id(&oct_visit))).await.ok(200);
        assert_eq!(again["status"], "due");
    }
}
