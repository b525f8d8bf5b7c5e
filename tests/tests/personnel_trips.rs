//! Business trips on both backends: applied for by the traveller before the trip,
//! approved by the department supervisor and then the office director through the
//! approval engine, rejected with a reason or withdrawn, reported on with the
//! actual cost only by the traveller after the last day; who sees which trips,
//! cross-office isolation, the facts other domains read, and the demo's trips.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use chrono::{Datelike, Days, NaiveDate};
use diesel::prelude::*;
use serde_json::Value;

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect()
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

fn actions(app: &TestApp, trip: i64) -> Vec<String> {
    app.audit_events("business_trip", trip)
        .iter()
        .map(|e| e.action.clone())
        .collect()
}

fn today() -> NaiveDate {
    kernel::time::now().date_naive()
}

/// `n` days from today (negative: ago).
fn day(n: i64) -> NaiveDate {
    if n >= 0 {
        today()
            .checked_add_days(Days::new(n.unsigned_abs()))
            .unwrap()
    } else {
        today()
            .checked_sub_days(Days::new(n.unsigned_abs()))
            .unwrap()
    }
}

fn trip_body(starts_in: i64, ends_in: i64) -> Value {
    json!({
        "destination": "上海",
        "purpose": "參加華東照明經銷商大會，拜訪上海亞明等三家重點客戶",
        "starts_on": day(starts_in),
        "ends_on": day(ends_in),
        "estimated_cost": 680_000
    })
}

const TRIPS: &str = "/api/v1/personnel/trips";

/// Moves a trip's dates directly in the database (a trip is applied for before it
/// starts, so a finished trip is made by moving an approved one into the past).
fn move_dates(app: &TestApp, trip: i64, starts_on: NaiveDate, ends_on: NaiveDate) {
    use store::schema::business_trips as bt;
    app.conn(|c| {
        diesel::update(bt::table.find(trip))
            .set((bt::starts_on.eq(starts_on), bt::ends_on.eq(ends_on)))
            .execute(c)
            .expect("move the trip's dates")
    });
}

async fn approve_trip(app: &TestApp, office: &str, approval: i64) {
    app.approve_as(&format!("{office}.department_supervisor"), approval)
        .await;
    let decided = app
        .approve_as(&format!("{office}.office_director"), approval)
        .await;
    assert_eq!(decided["status"], "approved");
}

db_test! {
    async fn a_trip_is_approved_by_the_department_supervisor_then_the_director_and_reported_after_it(app) {
        app.load_demo_org();
        let gz = app.office_id("GZ01");
        let rep_id = app.user_id("gz01.sales_rep");
        let rep = app.login("gz01.sales_rep").await;

        // Applied for: numbered, in approval at once.
        let res = app.post_as(&rep, TRIPS, &trip_body(10, 12)).await;
        assert_eq!(res.header("etag"), Some("\"1\""));
        let trip = res.ok(201);
        let tid = id(&trip);
        let path = format!("{TRIPS}/{tid}");
        assert_eq!(res.header("location"), Some(path.as_str()));
        let year = kernel::time::now().year();
        assert_eq!(
            (trip["number"].clone(), trip["status"].clone(), trip["office_id"].clone(), trip["traveller_user_id"].clone(),
             trip["created_by"].clone(), trip["estimated_cost"].clone(), trip["currency"].clone(), trip["version"].clone()),
            (json!(format!("BT-GZ01-{year}-000001")), json!("in_approval"), json!(gz), json!(rep_id),
             json!(rep_id), json!(680_000), json!("CNY"), json!(1)));
        assert_eq!((trip["starts_on"].clone(), trip["ends_on"].clone()), (json!(day(10)), json!(day(12))));
        assert_eq!((trip["report"].clone(), trip["actual_cost"].clone(), trip["reported_at"].clone()), (Value::Null, Value::Null, Value::Null));
        let approval = trip["approval_id"].as_i64().expect("approval id");

        // The chain: the traveller's department supervisor, then the office director.
        let director = app.login("gz01.office_director").await;
        let chain = app.get_as(&director, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        let steps: Vec<(String, Value)> = chain["steps"].as_array().unwrap().iter()
            .map(|s| (s["name"].as_str().unwrap().to_owned(), s["approver_user_id"].clone())).collect();
        assert_eq!(steps, vec![
            ("department_supervisor".to_owned(), json!(app.user_id("gz01.department_supervisor"))),
            ("office_director".to_owned(), Value::Null),
        ]);
        assert_eq!((chain["doc_type"].clone(), chain["amount"].clone(), chain["submitter_user_id"].clone()),
            (json!("business_trip"), json!(680_000), json!(rep_id)));

        app.approve_as("gz01.department_supervisor", approval).await;
        assert_eq!(app.get_as(&rep, &path).await.ok(200)["status"], "in_approval");
        let decided = app.approve_as("gz01.office_director", approval).await;
        assert_eq!(decided["status"], "approved");
        let res = app.get_as(&rep, &path).await;
        assert_eq!(res.header("etag"), Some("\"2\""));
        let approved = res.ok(200);
        assert_eq!((approved["status"].clone(), approved["rejection_reason"].clone(), approved["version"].clone()),
            (json!("approved"), Value::Null, json!(2)));

        // Stored: the application by the traveller, the approval by the director,
        // each in the transaction that made it.
        let events = app.audit_events("business_trip", tid);
        assert_eq!(actions(&app, tid), vec!["create", "approved"]);
        assert_eq!((events[0].actor_user_id, events[0].office_id), (Some(rep_id), Some(gz)));
        assert!(events[0].after_json.as_deref().unwrap().contains("上海"));
        assert_eq!(events[1].actor_user_id, Some(app.user_id("gz01.office_director")));
        assert!(events[1].after_json.as_deref().unwrap().contains("\"status\":\"approved\""));
        assert!(events[1].before_json.as_deref().unwrap().contains("\"status\":\"in_approval\""));

        // Not reported before the last day.
        let report = json!({"report": "與三家經銷商達成年度合作意向", "actual_cost": 642_500});
        let res = app.act_as(&rep, &format!("{path}/report"), "\"2\"", &report).await;
        let body = res.problem(422, "validation_failed");
        assert_eq!((body["errors"][0]["field"].clone(), body["errors"][0]["code"].clone()), (json!("ends_on"), json!("not_ended")));

        // After the trip: only the traveller reports. The director sees the trip
        // but may not report on it (403); a colleague without `trip:read` does not
        // see it at all (404).
        move_dates(&app, tid, day(-5), day(-3));
        app.act_as(&director, &format!("{path}/report"), "\"2\"", &report).await.problem(403, "forbidden");
        let colleague = app.login("gz01.market_specialist").await;
        app.act_as(&colleague, &format!("{path}/report"), "\"2\"", &report).await.problem(404, "not_found");
        app.act_as(&rep, &format!("{path}/report"), "\"1\"", &report).await.problem(412, "version_conflict");
        let res = app.act_as(&rep, &format!("{path}/report"), "\"2\"", &json!({"report": "", "actual_cost": -1})).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["actual_cost", "report"]);

        let res = app.act_as(&rep, &format!("{path}/report"), "\"2\"", &report).await;
        assert_eq!(res.header("etag"), Some("\"3\""));
        let done = res.ok(200);
        assert_eq!((done["status"].clone(), done["report"].clone(), done["actual_cost"].clone(), done["version"].clone()),
            (json!("completed"), json!("與三家經銷商達成年度合作意向"), json!(642_500), json!(3)));
        assert!(done["reported_at"].as_str().is_some_and(|t| t.ends_with('Z')));
        let body = app.act_as(&rep, &format!("{path}/report"), "\"3\"", &report).await.problem(409, "invalid_transition");
        assert_eq!(body["current_state"], "completed");

        assert_eq!(actions(&app, tid), vec!["create", "approved", "report"]);
        let reported = app.audit_events("business_trip", tid).pop().unwrap();
        assert_eq!(reported.actor_user_id, Some(rep_id));
        assert!(reported.after_json.unwrap().contains("642500"));
    }
}

db_test! {
    async fn an_application_needs_a_future_start_an_end_after_it_and_an_office(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;

        // Approval comes before the trip: no start in the past.
        let res = app.post_as(&rep, TRIPS, &trip_body(-2, 1)).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["starts_on"]);
        let res = app.post_as(&rep, TRIPS, &trip_body(5, 4)).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["ends_on"]);
        let mut negative = trip_body(5, 6);
        negative["estimated_cost"] = json!(-1);
        let res = app.post_as(&rep, TRIPS, &negative).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["estimated_cost"]);
        // Server-owned fields are not taken from the body.
        let mut owned = trip_body(5, 6);
        owned["status"] = json!("approved");
        app.post_as(&rep, TRIPS, &owned).await.problem(400, "unknown_field");

        // HQ staff belong to no office: nowhere to apply in.
        let hr = app.login("hq.hr").await;
        let res = app.post_as(&hr, TRIPS, &trip_body(5, 6)).await;
        assert_eq!(fields(&res.problem(422, "validation_failed")), vec!["office_id"]);

        // A one-day trip starting today is fine.
        let trip = app.post_as(&rep, TRIPS, &trip_body(0, 0)).await.ok(201);
        let count: i64 = app.conn(|c| store::schema::business_trips::table.count().get_result(c).unwrap());
        assert_eq!(count, 1);
        assert_eq!(actions(&app, id(&trip)), vec!["create"]);
    }
}

db_test! {
    async fn a_rejected_trip_keeps_the_reason_and_a_withdrawn_one_is_final(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        let trip = app.post_as(&rep, TRIPS, &trip_body(10, 12)).await.ok(201);
        let path = format!("{TRIPS}/{}", id(&trip));
        let approval = trip["approval_id"].as_i64().unwrap();

        let supervisor = app.login("gz01.department_supervisor").await;
        let etag = app.get_as(&supervisor, &format!("/api/v1/approvals/{approval}")).await.header("etag").unwrap().to_owned();
        app.act_as(&supervisor, &format!("/api/v1/approvals/{approval}/reject"), &etag,
            &json!({"reason": "客戶已改為視頻會議，無需出差"})).await.ok(200);
        let rejected = app.get_as(&rep, &path).await.ok(200);
        assert_eq!((rejected["status"].clone(), rejected["rejection_reason"].clone(), rejected["version"].clone()),
            (json!("rejected"), json!("客戶已改為視頻會議，無需出差"), json!(2)));
        assert_eq!(actions(&app, id(&trip)), vec!["create", "rejected"]);
        let rejection = app.audit_events("business_trip", id(&trip)).pop().unwrap();
        assert_eq!(rejection.actor_user_id, Some(app.user_id("gz01.department_supervisor")));
        assert!(rejection.after_json.unwrap().contains("客戶已改為視頻會議"));

        // A rejected trip is not reported on, even after its dates.
        move_dates(&app, id(&trip), day(-5), day(-3));
        let body = app.act_as(&rep, &format!("{path}/report"), "\"2\"", &json!({"report": "x", "actual_cost": 0})).await
            .problem(409, "invalid_transition");
        assert_eq!((body["current_state"].clone(), body["allowed_actions"].clone()), (json!("rejected"), json!([])));

        // The traveller withdraws another application before the first decision.
        let other = app.post_as(&rep, TRIPS, &trip_body(20, 21)).await.ok(201);
        let approval = other["approval_id"].as_i64().unwrap();
        let etag = app.get_as(&rep, &format!("/api/v1/approvals/{approval}")).await.header("etag").unwrap().to_owned();
        app.act_as(&rep, &format!("/api/v1/approvals/{approval}/withdraw"), &etag, &json!({})).await.ok(200);
        let withdrawn = app.get_as(&rep, &format!("{TRIPS}/{}", id(&other))).await.ok(200);
        assert_eq!(withdrawn["status"], "withdrawn");
        assert_eq!(actions(&app, id(&other)), vec!["create", "withdrawn"]);
        assert_eq!(other["number"].as_str().unwrap().rsplit('-').next(), Some("000002"));
    }
}

db_test! {
    async fn staff_see_their_own_trips_and_the_director_sees_the_office(app) {
        app.load_demo_org();
        let gz = app.office_id("GZ01");
        let rep = app.login("gz01.sales_rep").await;
        let specialist = app.login("gz01.market_specialist").await;
        let rep_trip = id(&app.post_as(&rep, TRIPS, &trip_body(10, 12)).await.ok(201));
        let spec_trip = id(&app.post_as(&specialist, TRIPS, &trip_body(14, 15)).await.ok(201));
        let sh_trip = id(&app.post_as(&app.login("sh01.sales_rep").await, TRIPS, &trip_body(10, 11)).await.ok(201));

        // Without `trip:read`, one's own trips only.
        assert_eq!(ids(&app.get_as(&rep, TRIPS).await.ok(200)), vec![rep_trip]);
        assert_eq!(ids(&app.get_as(&specialist, TRIPS).await.ok(200)), vec![spec_trip]);
        app.get_as(&specialist, &format!("{TRIPS}/{rep_trip}")).await.problem(404, "not_found");
        assert_eq!(ids(&app.get_as(&app.login("gz01.staff").await, TRIPS).await.ok(200)), Vec::<i64>::new());

        // The director, the supervisor and the operations specialist see the office's.
        for user in ["gz01.office_director", "gz01.department_supervisor", "gz01.operations_specialist"] {
            let token = app.login(user).await;
            assert_eq!(ids(&app.get_as(&token, TRIPS).await.ok(200)), vec![rep_trip, spec_trip], "{user}");
        }
        let director = app.login("gz01.office_director").await;
        assert_eq!(app.get_as(&director, &format!("{TRIPS}/{spec_trip}")).await.ok(200)["office_id"], gz);
        let mine = ids(&app.get_as(&director, &format!("{TRIPS}?traveller_user_id={}", app.user_id("gz01.market_specialist"))).await.ok(200));
        assert_eq!(mine, vec![spec_trip]);
        assert_eq!(ids(&app.get_as(&director, &format!("{TRIPS}?status=approved")).await.ok(200)), Vec::<i64>::new());
        assert_eq!(ids(&app.get_as(&director, &format!("{TRIPS}?status=in_approval&limit=1")).await.ok(200)), vec![rep_trip]);
        app.get_as(&director, &format!("{TRIPS}?status=cancelled")).await.problem(400, "invalid_parameter");

        // Company-wide readers see every office's; HQ finance has no `trip:read`.
        let all = ids(&app.get_as(&app.login("hq.auditor").await, TRIPS).await.ok(200));
        assert_eq!(all, vec![rep_trip, spec_trip, sh_trip]);
        assert_eq!(ids(&app.get_as(&app.login("hq.hr").await, &format!("{TRIPS}?office_id={gz}")).await.ok(200)), vec![rep_trip, spec_trip]);
        assert_eq!(ids(&app.get_as(&app.login("hq.finance").await, TRIPS).await.ok(200)), Vec::<i64>::new());
    }
}

db_test! {
    async fn trips_stay_in_their_office(app) {
        app.load_demo_org();
        let sh = app.login("sh01.sales_rep").await;
        let trip = app.post_as(&sh, TRIPS, &trip_body(10, 12)).await.ok(201);
        let tid = id(&trip);
        approve_trip(&app, "sh01", trip["approval_id"].as_i64().unwrap()).await;
        move_dates(&app, tid, day(-5), day(-3));

        for user in ["gz01.office_director", "gz01.sales_rep", "south.regional_manager"] {
            let token = app.login(user).await;
            let item = format!("{TRIPS}/{tid}");
            assert_isolated(&app, &token, Isolated {
                list: TRIPS,
                item: item.clone(),
                id: tid,
                patch: None,
                actions: vec![(format!("{item}/report"), json!({"report": "x", "actual_cost": 1}))],
            }).await;
        }
        // Still approved, and reported by its traveller.
        let done = app.act_as(&sh, &format!("{TRIPS}/{tid}/report"), "\"2\"", &json!({"report": "已完成", "actual_cost": 1})).await.ok(200);
        assert_eq!(done["status"], "completed");
    }
}

db_test! {
    async fn the_facts_name_the_approved_trip_covering_a_day(app) {
        app.load_demo_org();
        let rep_id = app.user_id("gz01.sales_rep");
        let rep = app.login("gz01.sales_rep").await;
        let trip = app.post_as(&rep, TRIPS, &trip_body(10, 12)).await.ok(201);
        let tid = id(&trip);
        // Waiting for approval: not yet a trip anyone may rely on.
        let pending = id(&app.post_as(&rep, TRIPS, &trip_body(11, 11)).await.ok(201));
        assert!(app.conn(|c| personnel::facts::trips_covering(c, rep_id, day(11))).unwrap().is_empty());

        approve_trip(&app, "gz01", trip["approval_id"].as_i64().unwrap()).await;
        for inside in [10, 11, 12] {
            let found = app.conn(|c| personnel::facts::trips_covering(c, rep_id, day(inside))).unwrap();
            assert_eq!(found.iter().map(|t| t.id).collect::<Vec<_>>(), vec![tid], "day {inside}");
        }
        for outside in [9, 13] {
            assert!(app.conn(|c| personnel::facts::trips_covering(c, rep_id, day(outside))).unwrap().is_empty(), "day {outside}");
        }
        // Someone else's day is not covered by this trip.
        let other = app.user_id("gz01.market_specialist");
        assert!(app.conn(|c| personnel::facts::trips_covering(c, other, day(11))).unwrap().is_empty());

        let fact = app.conn(|c| personnel::facts::trip(c, tid)).unwrap().expect("the trip");
        assert_eq!(fact, personnel::facts::TripFact {
            id: tid,
            office_id: app.office_id("GZ01"),
            traveller_user_id: rep_id,
            destination: "上海".to_owned(),
            starts_on: day(10),
            ends_on: day(12),
            status: "approved".to_owned(),
        });
        assert_eq!(app.conn(|c| personnel::facts::trip(c, pending)).unwrap().unwrap().status, "in_approval");
        assert_eq!(app.conn(|c| personnel::facts::trip(c, tid + 1000)).unwrap(), None);

        // A completed trip still covers its days.
        move_dates(&app, tid, day(-5), day(-3));
        app.act_as(&rep, &format!("{TRIPS}/{tid}/report"), "\"2\"", &json!({"report": "已完成", "actual_cost": 600_000})).await.ok(200);
        let found = app.conn(|c| personnel::facts::trips_covering(c, rep_id, day(-4))).unwrap();
        assert_eq!((found.len(), found[0].status.as_str()), (1, "completed"));
    }
}

db_test! {
    async fn each_demo_office_has_an_approved_upcoming_trip_and_one_in_approval(app) {
        app.load_demo();
        for office in ["gz01", "sz01", "sh01", "hz01"] {
            let rep = app.login(&format!("{office}.sales_rep")).await;
            let page = app.get_as(&rep, TRIPS).await.ok(200);
            let trips = page["items"].as_array().unwrap();
            let states: Vec<(&str, &str)> = trips.iter()
                .map(|t| (t["status"].as_str().unwrap(), t["starts_on"].as_str().unwrap())).collect();
            let (in_a_week, in_three_weeks) = (day(7).to_string(), day(21).to_string());
            assert_eq!(states, vec![("approved", in_a_week.as_str()), ("in_approval", in_three_weeks.as_str())], "{office}");
            assert!(trips.iter().all(|t| t["traveller_user_id"] == app.user_id(&format!("{office}.sales_rep"))));
        }
        // The waiting one is in the supervisor's inbox.
        let supervisor = app.login("gz01.department_supervisor").await;
        let inbox = app.get_as(&supervisor, "/api/v1/approvals/inbox").await.ok(200);
        assert!(inbox["items"].as_array().unwrap().iter().any(|i| i["doc_type"] == "business_trip"), "{inbox}");
    }
}
