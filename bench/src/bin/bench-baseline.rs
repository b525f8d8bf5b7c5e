//! The bare baseline `bench/run` measures Branchline against: actix-web and
//! diesel over the same r2d2 pool of the same size, on the same database and the
//! same tables, doing the same primary-key read, keyset page and insert — with
//! no token, no scope, no audit, no idempotency and no middleware. Not part of
//! the product.
//!
//! `BENCH_DATABASE_URL`, `BENCH_BIND` (127.0.0.1:8090), `BENCH_POOL_SIZE` (10),
//! `BENCH_WORKERS` (the cores).
//!
//! - `GET /customers/{id}`: one customer row as JSON, 404 when absent;
//! - `GET /customers?office_id=&limit=&cursor=`: a keyset page of an office's
//!   customers, with the same cursor encoding as the API;
//! - `POST /customers/{id}/interactions`: one insert, the row back as JSON;
//! - `POST /customers/{id}/interactions/guarded`: what a Branchline create
//!   writes, with none of its framework: in one transaction the
//!   `Idempotency-Key` reserved, the row inserted, its audit row written and
//!   the response kept on the reservation — the ceiling for a write with these
//!   guarantees on this database.

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::{ApiError, PageRequest};
use serde::{Deserialize, Serialize};
use store::schema::{
    audit_events as ae, customer_interactions as ci, customers as c, idempotency_keys as ik,
};
use store::{Db, DbResultExt, PoolOptions};

#[derive(Debug, Serialize, Queryable, Selectable)]
#[diesel(table_name = c)]
struct Customer {
    id: i64,
    office_id: i64,
    name: String,
    uscc: Option<String>,
    industry: Option<String>,
    address: Option<String>,
    classification: String,
    source_channel: Option<String>,
    owner_user_id: Option<i64>,
    credit_limit: i64,
    currency: String,
    payment_terms_days: i32,
    credit_rating: Option<String>,
    maintenance_plan: Option<String>,
    next_review_on: Option<NaiveDate>,
    status: String,
    merged_into_id: Option<i64>,
    created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    updated_at: NaiveDateTime,
    version: i64,
}

#[derive(Debug, Serialize, Queryable, Selectable)]
#[diesel(table_name = ci)]
struct Interaction {
    id: i64,
    customer_id: i64,
    office_id: i64,
    kind: String,
    occurred_on: NaiveDate,
    summary: String,
    next_step: Option<String>,
    user_id: i64,
    #[serde(with = "kernel::time::utc")]
    created_at: NaiveDateTime,
}

#[derive(Deserialize)]
struct PageQuery {
    office_id: i64,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct NewInteraction {
    office_id: i64,
    user_id: i64,
    kind: String,
    occurred_on: NaiveDate,
    summary: String,
}

async fn get_customer(db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            c::table
                .find(id)
                .select(Customer::as_select())
                .first(conn)
                .found("customer")
        })
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

async fn list_customers(
    db: web::Data<Db>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let mut query = c::table
                .filter(c::office_id.eq(q.office_id))
                .select(Customer::as_select())
                .into_boxed::<store::MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(c::id.gt(after));
            }
            let rows = query
                .order(c::id.asc())
                .limit(req.fetch())
                .load::<Customer>(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn add_interaction(
    db: web::Data<Db>,
    id: web::Path<i64>,
    body: web::Json<NewInteraction>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let row = db
        .run(move |conn| {
            diesel::insert_into(ci::table)
                .values((
                    ci::customer_id.eq(id),
                    ci::office_id.eq(b.office_id),
                    ci::kind.eq(b.kind),
                    ci::occurred_on.eq(b.occurred_on),
                    ci::summary.eq(b.summary),
                    ci::user_id.eq(b.user_id),
                    ci::created_at.eq(kernel::time::now_db()),
                ))
                .returning(ci::all_columns)
                .get_result::<Interaction>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Created().json(row))
}

async fn add_interaction_guarded(
    db: web::Data<Db>,
    req: actix_web::HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b: NewInteraction =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("Idempotency-Key is required"))?
        .to_owned();
    let path = req.path().to_owned();
    let hash = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&path, &body[..]).hash(&mut h);
        format!("{:016x}", h.finish())
    };
    let json = db
        .run(move |conn| {
            store::transaction(conn, |conn| {
                let now = kernel::time::now_db();
                let reservation: i64 = diesel::insert_into(ik::table)
                    .values((
                        ik::user_id.eq(b.user_id),
                        ik::idempotency_key.eq(&key),
                        ik::method.eq("POST"),
                        ik::path.eq(&path),
                        ik::request_hash.eq(&hash),
                        ik::state.eq("committed"),
                        ik::created_at.eq(now),
                        ik::expires_at.eq(now + chrono::Duration::hours(24)),
                    ))
                    .returning(ik::id)
                    .get_result(conn)
                    .api()?;
                let row = diesel::insert_into(ci::table)
                    .values((
                        ci::customer_id.eq(id),
                        ci::office_id.eq(b.office_id),
                        ci::kind.eq(b.kind),
                        ci::occurred_on.eq(b.occurred_on),
                        ci::summary.eq(b.summary),
                        ci::user_id.eq(b.user_id),
                        ci::created_at.eq(now),
                    ))
                    .returning(ci::all_columns)
                    .get_result::<Interaction>(conn)
                    .api()?;
                let json = serde_json::to_string(&row).map_err(ApiError::internal)?;
                diesel::insert_into(ae::table)
                    .values((
                        ae::occurred_at.eq(now),
                        ae::actor_user_id.eq(Some(row.user_id)),
                        ae::action.eq("create"),
                        ae::entity_type.eq("customer_interaction"),
                        ae::entity_id.eq(row.id),
                        ae::office_id.eq(Some(row.office_id)),
                        ae::after_json.eq(Some(&json)),
                    ))
                    .execute(conn)
                    .api()?;
                diesel::update(ik::table.find(reservation))
                    .set((
                        ik::state.eq("done"),
                        ik::response_status.eq(201),
                        ik::response_headers.eq(r#"{"content-type":"application/json"}"#),
                        ik::response_body.eq(&json),
                    ))
                    .execute(conn)
                    .api()?;
                Ok::<_, ApiError>(json)
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .content_type("application/json")
        .body(json))
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn main() -> std::io::Result<()> {
    let url = store::DatabaseUrl::parse(&env("BENCH_DATABASE_URL", "sqlite://data/branchline.db"))
        .map_err(std::io::Error::other)?;
    let pool_size: u32 = env("BENCH_POOL_SIZE", "10").parse().unwrap_or(10);
    let db = Db::connect(
        url,
        &PoolOptions {
            max_size: pool_size,
            checkout_timeout: std::time::Duration::from_secs(5),
        },
    )
    .map_err(std::io::Error::other)?;
    let bind = env("BENCH_BIND", "127.0.0.1:8090");
    let workers: Option<usize> = std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok());
    actix_web::rt::System::new().block_on(async move {
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(db.clone()))
                .route("/customers/{id}", web::get().to(get_customer))
                .route("/customers", web::get().to(list_customers))
                .route(
                    "/customers/{id}/interactions",
                    web::post().to(add_interaction),
                )
                .route(
                    "/customers/{id}/interactions/guarded",
                    web::post().to(add_interaction_guarded),
                )
        })
        .bind(&bind)?;
        if let Some(n) = workers {
            server = server.workers(n);
        }
        println!("bench-baseline listening on http://{bind}");
        server.run().await
    })
}
