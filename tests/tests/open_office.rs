//! A closed office takes no new records, on both backends, held in one place:
//! every table whose rows belong to an office refuses an insert into an office
//! that is not active (the open-office triggers of migration 000017), whichever
//! handler writes it. These tests check that every such table has the guard, that
//! the writes that once forgot the check are refused, and that no create
//! operation of the spec stores anything in a closed office.

use branchline_tests::{Backend, TestApp, db_test, json};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::Value;
use store::AnyConnection;
use store::schema::offices;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Tables with an `office_id` column, and tables with an open-office trigger.
fn office_tables_and_guards(
    conn: &mut AnyConnection,
    backend: Backend,
) -> (Vec<String>, Vec<String>) {
    let (tables, guards) = match backend {
        Backend::Postgres => (
            "SELECT table_name AS name FROM information_schema.columns \
             WHERE column_name = 'office_id' AND table_schema = current_schema() ORDER BY 1",
            "SELECT DISTINCT event_object_table AS name FROM information_schema.triggers \
             WHERE trigger_name = event_object_table || '_open_office' \
             AND event_manipulation = 'INSERT' AND action_timing = 'BEFORE' ORDER BY 1",
        ),
        Backend::Sqlite => (
            "SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND c.name = 'office_id' ORDER BY 1",
            "SELECT tbl_name AS name FROM sqlite_master WHERE type = 'trigger' \
             AND name = tbl_name || '_open_office' AND sql LIKE '%BEFORE INSERT%' ORDER BY 1",
        ),
    };
    let load = |conn: &mut AnyConnection, sql: &str| -> Vec<String> {
        diesel::sql_query(sql)
            .load::<Name>(conn)
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect()
    };
    (load(conn, tables), load(conn, guards))
}

/// The records of all office tables that belong to `office`.
fn rows_in_office(conn: &mut AnyConnection, backend: Backend, office: i64) -> i64 {
    let (tables, _) = office_tables_and_guards(conn, backend);
    tables
        .iter()
        .map(|t| {
            diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM {t} WHERE office_id = {office}"
            ))
            .get_result::<Count>(conn)
            .unwrap()
            .n
        })
        .sum()
}

/// Written for an office after it closes, or not records of their own: the
/// closing is recorded in the audit trail and the office's changes, and a
/// document-number sequence only numbers records that are themselves guarded.
const EXEMPT: [&str; 3] = ["audit_events", "office_changes", "document_sequences"];

db_test! {
    async fn every_table_of_an_office_has_the_open_office_guard(app) {
        let backend = app.backend();
        let (tables, guards) = app.conn(|c| office_tables_and_guards(c, backend));
        assert!(tables.len() > 40, "{tables:?}");
        let unguarded: Vec<&String> =
            tables.iter().filter(|t| !EXEMPT.contains(&t.as_str()) && !guards.contains(t)).collect();
        assert!(unguarded.is_empty(), "tables of an office without the open-office trigger: {unguarded:?}");
    }
}

fn close(app: &TestApp, office: i64) {
    app.conn(|c| {
        diesel::update(offices::table.find(office))
            .set(offices::status.eq("closed"))
            .execute(c)
            .unwrap()
    });
}

fn one(app: &TestApp, sql: String) -> i64 {
    app.conn(|c| diesel::sql_query(sql).get_result::<Count>(c).unwrap().n)
}

db_test! {
    async fn writes_that_forgot_the_check_are_refused_in_a_closed_office(app) {
        app.load_demo();
        let backend = app.backend();
        let gz = app.office_id("GZ01");
        let customer = one(&app, format!("SELECT MIN(id) AS n FROM customers WHERE office_id = {gz}"));
        let instalment = one(&app, format!(
            "SELECT MIN(i.id) AS n FROM contract_instalments i JOIN contracts c ON c.id = i.contract_id \
             WHERE i.office_id = {gz} AND c.status IN ('signed', 'filed', 'in_execution') AND i.paid < i.amount"));
        let contract = one(&app, format!("SELECT contract_id AS n FROM contract_instalments WHERE id = {instalment}"));
        let asset = one(&app, format!("SELECT MIN(id) AS n FROM fixed_assets WHERE office_id = {gz} AND status = 'in_use'"));
        let staff = app.user_id("gz01.staff");
        let ops = app.login("gz01.operations_specialist").await;
        let rep = app.login("gz01.sales_rep").await;
        let before = app.conn(|c| rows_in_office(c, backend, gz));
        close(&app, gz);

        let posts: Vec<(&str, String, Value)> = vec![
            (&rep, format!("/api/v1/sales/customers/{customer}/contacts"), json!({"name": "王經理"})),
            (&rep, format!("/api/v1/sales/customers/{customer}/interactions"),
                json!({"kind": "call", "occurred_on": "2026-10-01", "summary": "follow-up"})),
            (&rep, format!("/api/v1/sales/contracts/{contract}/payments"),
                json!({"instalment_id": instalment, "amount": 100, "received_on": "2026-11-05", "method": "bank_transfer"})),
            (&rep, format!("/api/v1/sales/receivables/{instalment}/dunning"),
                json!({"channel": "call", "contacted_person": "財務部", "reason_given": "pending"})),
            (&ops, format!("/api/v1/finance/assets/{asset}/maintenance"),
                json!({"performed_on": "2026-10-01", "kind": "repair", "description": "fan", "cost": 100})),
        ];
        for (token, path, body) in posts {
            let res = app.post_as(token, &path, &body).await;
            let problem = res.problem(409, "invalid_transition");
            assert_eq!(problem["current_state"], "closed", "{path}: {problem}");
        }
        let res = app.act_as(&ops, &format!("/api/v1/finance/assets/{asset}/assign"), "\"1\"",
            &json!({"custodian_user_id": staff})).await;
        assert!(res.status == 409 || res.status == 412, "{}", res.text());
        assert_eq!(app.conn(|c| rows_in_office(c, backend, gz)), before, "nothing was stored in the closed office");
    }
}

db_test! {
    /// Every create operation of the spec, with a body made from its own schema
    /// aimed at the closed office: none answers 201 with a record of an office,
    /// and the office's records stay as they were.
    async fn no_create_operation_stores_anything_in_a_closed_office(app) {
        app.load_demo();
        let backend = app.backend();
        let gz = app.office_id("GZ01");
        let token = app.login("hq.admin").await;
        let director = app.login("gz01.office_director").await;
        let spec = branchline_tests::spec::spec();
        let before = app.conn(|c| rows_in_office(c, backend, gz));
        close(&app, gz);
        let mut walked = 0;
        for op in branchline_tests::spec::operations(&spec) {
            let creates = spec["paths"][&op.path][op.method.to_lowercase()]["responses"]["201"].is_object();
            if op.method != "POST" || !creates {
                continue;
            }
            let mut body = op.body.as_ref().map_or(json!({}), |s| branchline_tests::spec::example(&spec, s));
            if let Some(o) = body.as_object_mut().filter(|o| o.contains_key("office_id")) {
                o.insert("office_id".into(), json!(gz));
            }
            let path = op.path.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/");
            for who in [&token, &director] {
                let res = app.post_as(who, &path, &body).await;
                // Company data (a record with no office, such as a warranty
                // term) is outside the guarantee: no office is closed for it.
                if res.status == 201 && res.json().get("office_id").is_none_or(Value::is_null) {
                    continue;
                }
                assert_ne!(res.status, 201, "{} created a record in a closed office: {}", op.operation_id, res.text());
                assert!(res.status.as_u16() < 500, "{}: {}", op.operation_id, res.text());
            }
            walked += 1;
        }
        assert!(walked > 30, "walked only {walked} create operations");
        assert_eq!(app.conn(|c| rows_in_office(c, backend, gz)), before);
    }
}
