//! No list leaks across offices, checked from the served contract rather than a
//! hand-kept list: every list operation of the spec (a `GET` without path
//! parameters answering a page) is called by office-scoped roles of one office,
//! and no item may belong to another office. A route added without the scoped
//! list mechanism is caught the day it lands — shown here with a throwaway route
//! that lists every customer.

use actix_web::{HttpResponse, get, web};
use branchline_tests::{Backend, TestApp, db_test, json};
use diesel::prelude::*;
use kernel::{ApiError, Page, Principal};
use serde_json::Value;
use store::Db;
use store::schema::customers;
use utoipa_actix_web::service_config::ServiceConfig;

/// The office ids an item names, at its top level or one object down (a view
/// wrapping its record).
fn offices_of(item: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = item["office_id"].as_i64().into_iter().collect();
    for v in item.as_object().into_iter().flat_map(|o| o.values()) {
        if v.is_object() {
            out.extend(v["office_id"].as_i64());
        }
    }
    out
}

/// Every list of the served spec, called as `token`: the items that belong to an
/// office other than `office`, and how many lists answered.
async fn leaks(app: &TestApp, token: &str, office: i64) -> (Vec<String>, usize) {
    let spec = app.get("/openapi.json").await.ok(200);
    let mut found = Vec::new();
    let mut lists = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let pages = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.contains("Page"));
        if path.contains('{') || !pages {
            continue;
        }
        let res = app.get_as(token, &format!("{path}?limit=200")).await;
        if res.status != 200 {
            continue;
        }
        lists += 1;
        for row in res.json()["items"].as_array().into_iter().flatten() {
            if offices_of(row).iter().any(|o| *o != office) {
                found.push(format!("{path}: {row}"));
            }
        }
    }
    (found, lists)
}

db_test! {
    async fn no_list_of_the_spec_shows_another_office_s_records(app) {
        app.load_demo();
        let sh = app.office_id("SH01");
        for role in ["office_director", "sales_rep", "operations_specialist", "staff"] {
            let token = app.login(&format!("sh01.{role}")).await;
            let (found, lists) = leaks(&app, &token, sh).await;
            assert!(found.is_empty(), "sh01.{role} sees other offices' records:\n{}", found.join("\n"));
            let least = if role == "office_director" { 25 } else { 5 };
            assert!(lists >= least, "sh01.{role} could call only {lists} lists");
        }
    }
}

/// A list written without `store::list_scoped!`: every customer, whoever asks.
#[utoipa::path(responses((status = 200, description = "every customer", body = Page<i64>)))]
#[get("/test/unscoped-customers")]
async fn unscoped_customers(db: web::Data<Db>, _p: Principal) -> Result<HttpResponse, ApiError> {
    let rows: Vec<(i64, i64)> = db
        .run(|c| {
            customers::table
                .select((customers::id, customers::office_id))
                .load(c)
                .map_err(store::db_error)
        })
        .await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(id, office_id)| json!({"id": id, "office_id": office_id}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

fn unscoped_routes(cfg: &mut ServiceConfig) {
    cfg.service(unscoped_customers);
}

#[actix_web::test]
async fn a_list_without_the_scoped_mechanism_is_caught() {
    let app = TestApp::try_with(Backend::Sqlite, |_| {}, unscoped_routes)
        .await
        .unwrap();
    app.load_demo();
    let token = app.login("sh01.office_director").await;
    let (found, _) = leaks(&app, &token, app.office_id("SH01")).await;
    assert!(!found.is_empty(), "the unscoped list went unnoticed");
    assert!(
        found
            .iter()
            .all(|f| f.starts_with("/test/unscoped-customers")),
        "{found:?}"
    );
}
