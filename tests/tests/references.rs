//! References in request bodies, on both backends: a record named by id must be
//! one of the office being written. One of another office and one that does not
//! exist get the same answer — the same status, field, code and message — and
//! nothing is stored, so a body cannot be used to learn what exists elsewhere.

use branchline_tests::{TestApp, db_test, json};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::Value;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn one(app: &TestApp, sql: &str) -> i64 {
    app.conn(|c| diesel::sql_query(sql).get_result::<Count>(c).unwrap().n)
}

const MISSING: i64 = 987_654_321;

/// Sends `make(foreign)` and `make(MISSING)`; both must be the same 422 on
/// `field`, and `stored` (a count) must not change.
async fn same_answer(
    app: &TestApp,
    token: &str,
    path: &str,
    field: &str,
    foreign: i64,
    stored: &str,
    make: impl Fn(i64) -> Value,
) {
    let before = one(app, stored);
    let a = app.post_as(token, path, &make(foreign)).await;
    let b = app.post_as(token, path, &make(MISSING)).await;
    let (pa, pb) = (
        a.problem(422, "validation_failed"),
        b.problem(422, "validation_failed"),
    );
    assert_eq!(
        pa["errors"], pb["errors"],
        "{path}: another office's record and a missing one answer differently"
    );
    assert_eq!(pa["detail"], pb["detail"]);
    assert_eq!(pa["errors"][0]["field"], field, "{pa}");
    assert_eq!(pa["errors"][0]["code"], "not_found", "{pa}");
    assert_eq!(one(app, stored), before, "{path}: something was stored");
}

db_test! {
    async fn a_reference_to_another_office_answers_as_one_that_does_not_exist(app) {
        app.load_demo();
        let sh = app.login("sh01.office_director").await;
        let sh_rep = app.login("sh01.sales_rep").await;
        let gz_dept = app.sales_department("GZ01");
        let gz_user = app.user_id("gz01.staff");
        let gz_pre = {
            let gz_rep = app.login("gz01.sales_rep").await;
            app.post_as(&gz_rep, "/api/v1/finance/expense-pre-approvals",
                &json!({"category": "travel", "purpose": "Trade show", "estimated_amount": 6_500_000})).await.ok(201)["id"].as_i64().unwrap()
        };
        let sh_customer = one(&app, "SELECT MIN(c.id) AS n FROM customers c JOIN offices o ON o.id = c.office_id WHERE o.code = 'SH01'");
        let gz_customer = one(&app, "SELECT MIN(c.id) AS n FROM customers c JOIN offices o ON o.id = c.office_id WHERE o.code = 'GZ01'");
        let sh_item = one(&app, "SELECT MIN(s.id) AS n FROM supply_items s JOIN offices o ON o.id = s.office_id WHERE o.code = 'SH01'");
        let sh_ops = app.login("sh01.operations_specialist").await;
        let sh_office = app.office_id("SH01");

        let claim = |dept: Option<i64>, pre: Option<i64>| move |id: i64| json!({
            "category": "travel", "title": "Trip",
            "department_id": dept.unwrap_or(id), "pre_approval_id": pre.map(|_| id),
            "lines": [{"spent_on": "2026-11-05", "description": "train", "amount": 10_000, "invoice_number": format!("INV-{id}")}]});
        let sh_dept = app.sales_department("SH01");
        same_answer(&app, &sh_rep, "/api/v1/finance/expense-claims", "department_id", gz_dept,
            "SELECT COUNT(*) AS n FROM expense_claims", claim(None, None)).await;
        same_answer(&app, &sh_rep, "/api/v1/finance/expense-claims", "pre_approval_id", gz_pre,
            "SELECT COUNT(*) AS n FROM expense_claims", claim(Some(sh_dept), Some(0))).await;
        let months = |total: i64| { let mut m = vec![total / 12; 12]; m[11] += total - total / 12 * 12; m };
        same_answer(&app, &sh, "/api/v1/finance/budgets", "lines[0].department_id", gz_dept,
            "SELECT COUNT(*) AS n FROM budgets", |id| json!({"year": 2027, "block_overruns": false, "lines": [
                {"kind": "expense", "category": "travel", "department_id": id, "annual": 1_200_000, "months": months(1_200_000)}]})).await;
        same_answer(&app, &sh_rep, "/api/v1/sales/leads", "owner_user_id", gz_user,
            "SELECT COUNT(*) AS n FROM leads", |id| json!({"company_name": "A lead", "source_channel": "trade_show", "owner_user_id": id})).await;
        same_answer(&app, &sh, "/api/v1/org/departments", "supervisor_user_id", gz_user,
            "SELECT COUNT(*) AS n FROM departments", move |id| json!({"office_id": sh_office, "name": "Archive", "kind": "other", "supervisor_user_id": id})).await;
        same_answer(&app, &sh_ops, &format!("/api/v1/finance/supplies/{sh_item}/issue"), "employee_user_id", gz_user,
            "SELECT COUNT(*) AS n FROM supply_movements", |id| json!({"employee_user_id": id, "quantity": 1})).await;
        let merge = format!("/api/v1/sales/customers/{sh_customer}/merge");
        let (a, b) = (
            app.act_as(&sh, &merge, "\"1\"", &json!({"into_customer_id": gz_customer})).await,
            app.act_as(&sh, &merge, "\"1\"", &json!({"into_customer_id": MISSING})).await,
        );
        assert_eq!(a.problem(422, "validation_failed")["errors"], b.problem(422, "validation_failed")["errors"]);
    }
}
