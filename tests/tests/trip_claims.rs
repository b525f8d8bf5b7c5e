//! Travel expense lines and business trips on both backends: a travel line links
//! to the claimant's approved trip (named, or found by its day), and a link that
//! is not the claimant's, not approved, not a travel claim or outside the trip's
//! dates is refused naming the field. Finance reads the trips through its
//! `TripFacts` trait, which the gateway wires to personnel.

use branchline_tests::{TestApp, db_test, json};
use chrono::Duration;
use serde_json::Value;

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + Duration::days(offset)).to_string()
}

/// Applies for a trip as `username` and has it approved; then moves its dates
/// `shift` days (into the past, as if it had happened). Returns its id.
async fn approved_trip(app: &TestApp, username: &str, shift: i64) -> i64 {
    let token = app.login(username).await;
    let trip = app
        .post_as(
            &token,
            "/api/v1/personnel/trips",
            &json!({"destination": "深圳", "purpose": "客戶技術交流", "starts_on": day(1),
                    "ends_on": day(3), "estimated_cost": 300_000}),
        )
        .await
        .ok(201);
    let approval = trip["approval_id"].as_i64().unwrap();
    app.approve_as("gz01.department_supervisor", approval).await;
    let done = app.approve_as("gz01.office_director", approval).await;
    assert_eq!(done["status"], "approved");
    let id = trip["id"].as_i64().unwrap();
    shift_trip(app, id, shift);
    id
}

fn shift_trip(app: &TestApp, id: i64, days: i64) {
    use diesel::prelude::*;
    use store::schema::business_trips as bt;
    let (starts, ends): (chrono::NaiveDate, chrono::NaiveDate) = app.conn(|c| {
        bt::table
            .find(id)
            .select((bt::starts_on, bt::ends_on))
            .first(c)
            .unwrap()
    });
    app.conn(|c| {
        diesel::update(bt::table.find(id))
            .set((
                bt::starts_on.eq(starts + Duration::days(days)),
                bt::ends_on.eq(ends + Duration::days(days)),
            ))
            .execute(c)
            .unwrap()
    });
}

fn claim(category: &str, spent_on: String, invoice: &str, trip: Option<i64>) -> Value {
    json!({"category": category, "title": "出差深圳", "lines": [{"spent_on": spent_on,
        "description": "高鐵票", "amount": 48_000, "invoice_number": invoice, "trip_id": trip}]})
}

fn field(res: &Value) -> (String, String) {
    (
        res["errors"][0]["field"].as_str().unwrap().to_owned(),
        res["errors"][0]["code"].as_str().unwrap().to_owned(),
    )
}

db_test! {
    async fn a_travel_line_links_to_the_claimants_approved_trip(app) {
        app.load_demo_org();
        let rep = app.login("gz01.sales_rep").await;
        // The trip ran from 11 to 9 days ago.
        let trip = approved_trip(&app, "gz01.sales_rep", -12).await;

        // Named: linked. Found by its day: linked too.
        let named = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(-10), "TRIP-0001", Some(trip))).await.ok(201);
        assert_eq!(named["lines"][0]["trip_id"], trip);
        let found = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(-9), "TRIP-0002", None)).await.ok(201);
        assert_eq!(found["lines"][0]["trip_id"], trip);
        // A ticket booked ahead (within 30 days of the start) still belongs to it.
        app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(-30), "TRIP-0003", Some(trip))).await.ok(201);
        // A day no trip covers: no link.
        let none = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(-60), "TRIP-0004", None)).await.ok(201);
        assert_eq!(none["lines"][0]["trip_id"], Value::Null);

        // After the trip ended, or long before it: refused on spent_on.
        let res = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(-5), "TRIP-0005", Some(trip))).await;
        assert_eq!(field(&res.problem(422, "validation_failed")), ("lines[0].spent_on".into(), "outside_trip".into()));
        let res = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(-60), "TRIP-0006", Some(trip))).await;
        assert_eq!(field(&res.problem(422, "validation_failed")), ("lines[0].spent_on".into(), "outside_trip".into()));
        // Not a travel claim.
        let res = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("entertainment", day(-10), "TRIP-0007", Some(trip))).await;
        assert_eq!(field(&res.problem(422, "validation_failed")), ("lines[0].trip_id".into(), "category".into()));
        // Someone else's trip, a trip still in approval, a trip that does not exist.
        let other = approved_trip(&app, "gz01.market_specialist", -12).await;
        let res = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(-10), "TRIP-0008", Some(other))).await;
        assert_eq!(field(&res.problem(422, "validation_failed")), ("lines[0].trip_id".into(), "not_found".into()));
        let pending = app.post_as(&rep, "/api/v1/personnel/trips", &json!({"destination": "珠海", "purpose": "展會",
            "starts_on": day(2), "ends_on": day(4), "estimated_cost": 100_000})).await.ok(201);
        let res = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(3), "TRIP-0009", pending["id"].as_i64())).await;
        assert_eq!(field(&res.problem(422, "validation_failed")), ("lines[0].trip_id".into(), "not_approved".into()));
        let res = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim("travel", day(-10), "TRIP-0010", Some(999_999))).await;
        assert_eq!(field(&res.problem(422, "validation_failed")), ("lines[0].trip_id".into(), "not_found".into()));

        // What is stored: the link on the line, and nothing of the refused claims.
        use diesel::prelude::*;
        use store::schema::expense_claim_lines as el;
        let stored: Vec<(String, Option<i64>)> = app.conn(|c| {
            el::table.select((el::invoice_number, el::trip_id)).order(el::invoice_number.asc()).load(c).unwrap()
        });
        assert_eq!(stored, vec![
            ("TRIP-0001".to_owned(), Some(trip)),
            ("TRIP-0002".to_owned(), Some(trip)),
            ("TRIP-0003".to_owned(), Some(trip)),
            ("TRIP-0004".to_owned(), None),
        ]);
    }
}
