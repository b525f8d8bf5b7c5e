//! The shared write path on both backends: idempotent POSTs (replay, a reused key
//! with another body, a concurrent duplicate), gapless document numbers under
//! concurrency, and atomic units of work.

use actix_web::test::TestRequest;
use actix_web::{HttpResponse, post, web};
use branchline_tests::{Backend, TestApp, db_test, json};
use diesel::prelude::*;
use kernel::{ApiError, Principal};
use store::Db;
use store::schema::{departments, idempotency_keys};
use utoipa_actix_web::service_config::ServiceConfig;

fn with_key(token: &str, path: &str, key: &str, body: &serde_json::Value) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {token}")))
        .insert_header(("idempotency-key", key))
        .set_json(body)
}

fn department_count(app: &TestApp, name: &str) -> i64 {
    app.conn(|c| {
        departments::table
            .filter(departments::name.eq(name))
            .count()
            .get_result(c)
            .unwrap()
    })
}

db_test! {
    async fn a_retried_post_returns_the_first_response_and_does_no_work(app) {
        app.load_demo();
        let token = app.login("gz01.office_director").await;
        let body = json!({"office_id": app.office_id("GZ01"), "name": "檔案室 Archive", "kind": "administration"});
        let first = app.call(with_key(&token, "/api/v1/org/departments", "key-1", &body)).await;
        let created = first.ok(201);
        let replay = app.call(with_key(&token, "/api/v1/org/departments", "key-1", &body)).await;
        assert_eq!(replay.status, 201);
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        assert_eq!(replay.header("location"), first.header("location"));
        assert_eq!(replay.header("etag"), first.header("etag"));
        assert_eq!(replay.json(), created);
        assert_eq!(department_count(&app, "檔案室 Archive"), 1);
        assert_eq!(app.audit_events("department", created["id"].as_i64().unwrap()).len(), 1);

        // The same key with another body.
        let other = json!({"office_id": app.office_id("GZ01"), "name": "Another", "kind": "other"});
        app.call(with_key(&token, "/api/v1/org/departments", "key-1", &other)).await.problem(422, "idempotency_key_reused");
        assert_eq!(department_count(&app, "Another"), 0);

        // Keys are per caller: another user's identical key is independent.
        let admin = app.login("hq.admin").await;
        app.call(with_key(&admin, "/api/v1/org/departments", "key-1", &other)).await.ok(201);

        // A refused request is replayed as refused, without running again.
        let closed_body = json!({"office_id": 999_999, "name": "Ghost", "kind": "other"});
        app.call(with_key(&token, "/api/v1/org/departments", "key-2", &closed_body)).await.problem(404, "not_found");
        let again = app.call(with_key(&token, "/api/v1/org/departments", "key-2", &closed_body)).await;
        again.problem(404, "not_found");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));

        let stored: i64 = app.conn(|c| idempotency_keys::table.count().get_result(c).unwrap());
        assert_eq!(stored, 3);
    }
}

/// A slow create, to hold a key in progress while a duplicate arrives: the work
/// takes 600 ms inside its transaction, where the key is reserved.
#[utoipa::path(responses((status = 201, description = "created")))]
#[post("/test/slow-create")]
async fn slow_create(db: web::Data<Db>, p: Principal) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(Default::default());
    let id = db
        .tx(move |conn| {
            std::thread::sleep(std::time::Duration::from_millis(600));
            store::audit::record(
                conn,
                &actor,
                store::audit::Change::new("create", "probe", 1, None),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({"event": id})))
}

fn slow_routes(cfg: &mut ServiceConfig) {
    cfg.service(slow_create);
}

async fn slow_app(backend: Backend) -> Option<TestApp> {
    TestApp::try_with(backend, |_| {}, slow_routes).await
}

#[actix_web::test]
async fn a_concurrent_duplicate_is_409_on_sqlite() {
    concurrent_duplicate(slow_app(Backend::Sqlite).await.unwrap()).await;
}

#[actix_web::test]
async fn a_concurrent_duplicate_is_409_on_postgres() {
    if let Some(app) = slow_app(Backend::Postgres).await {
        concurrent_duplicate(app).await;
    }
}

async fn concurrent_duplicate(app: TestApp) {
    app.load_demo();
    let token = app.login("hq.admin").await;
    let body = json!({});
    let (a, b) = futures_util::future::join(
        app.call(with_key(&token, "/test/slow-create", "dup", &body)),
        app.call(with_key(&token, "/test/slow-create", "dup", &body)),
    )
    .await;
    let fresh = [&a, &b]
        .into_iter()
        .filter(|r| r.status == 201 && r.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(fresh, 1, "{} / {}", a.text(), b.text());
    let (first, second) = if a.header("idempotent-replayed").is_none() && a.status == 201 {
        (&a, &b)
    } else {
        (&b, &a)
    };
    loser_answer(first, second);
    assert_eq!(app.audit_events("probe", 1).len(), 1, "the work ran once");
    // Once finished, the retry is a replay.
    let replay = app
        .call(with_key(&token, "/test/slow-create", "dup", &body))
        .await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.audit_events("probe", 1).len(), 1);
}

#[actix_web::test]
async fn twenty_concurrent_duplicates_are_all_in_progress_on_sqlite() {
    twenty_duplicates(slow_app(Backend::Sqlite).await.unwrap()).await;
}

#[actix_web::test]
async fn twenty_concurrent_duplicates_are_all_in_progress_on_postgres() {
    if let Some(app) = slow_app(Backend::Postgres).await {
        twenty_duplicates(app).await;
    }
}

/// Twenty first requests with one key at once: the reservations race on the
/// unique key, and every loser must answer like any retry in progress — never a
/// `duplicate` that names the constraint.
async fn twenty_duplicates(app: TestApp) {
    app.load_demo();
    let token = app.login("hq.admin").await;
    let body = json!({});
    let calls = (0..20).map(|_| app.call(with_key(&token, "/test/slow-create", "race", &body)));
    let answers = futures_util::future::join_all(calls).await;
    let fresh: Vec<_> = answers
        .iter()
        .filter(|a| a.status == 201 && a.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(fresh.len(), 1, "exactly one request does the work");
    for a in answers.iter().filter(|a| !std::ptr::eq(*a, fresh[0])) {
        loser_answer(fresh[0], a);
    }
    assert_eq!(app.audit_events("probe", 1).len(), 1, "the work ran once");
}

/// A duplicate that lost the race answers like any retry: in progress while the
/// first one's response is being kept, its replay once it is — never a
/// `duplicate` that names the constraint.
fn loser_answer(first: &branchline_tests::TestResponse, loser: &branchline_tests::TestResponse) {
    assert!(
        !loser.text().contains("idempotency_keys"),
        "{}",
        loser.text()
    );
    if loser.status == 409 {
        loser.problem(409, "idempotency_in_progress");
        assert_eq!(loser.header("retry-after"), Some("1"), "{}", loser.text());
    } else {
        assert_eq!(loser.status, 201, "{}", loser.text());
        assert_eq!(loser.header("idempotent-replayed"), Some("true"));
        assert_eq!(loser.json(), first.json());
    }
}

db_test! {
    async fn fifty_concurrent_document_numbers_are_distinct_and_consecutive(app) {
        app.load_demo();
        let office = app.office_id("GZ01");
        let tasks = (0..50).map(|_| {
            let db = app.db.clone();
            async move { db.tx(move |c| store::docnum::next(c, office, "GZ01", "TS", 2026)).await.unwrap() }
        });
        let mut numbers = futures_util::future::join_all(tasks).await;
        numbers.sort();
        let expected: Vec<String> = (1..=50).map(|n| format!("TS-GZ01-2026-{n:06}")).collect();
        assert_eq!(numbers, expected);
        // Another type, office or year has its own sequence.
        let other = app.db.tx(move |c| store::docnum::next(c, office, "GZ01", "TD", 2026)).await.unwrap();
        assert_eq!(other, "TD-GZ01-2026-000001");
    }
}

db_test! {
    async fn a_rolled_back_document_gives_its_number_back(app) {
        app.load_demo();
        let office = app.office_id("SH01");
        let failed = app
            .db
            .tx(move |c| {
                store::docnum::next(c, office, "SH01", "TR", 2026)?;
                Err::<(), _>(ApiError::conflict("the document failed after taking a number"))
            })
            .await;
        assert!(failed.is_err());
        // A type of its own: the demo registers assets (FA) bought this year.
        let n = app.db.tx(move |c| store::docnum::next(c, office, "SH01", "TR", 2026)).await.unwrap();
        assert_eq!(n, "TR-SH01-2026-000001");
    }
}

db_test! {
    async fn a_failed_unit_of_work_leaves_nothing_behind(app) {
        app.load_demo();
        let office = app.office_id("HZ01");
        let result = app
            .db
            .tx(move |c| {
                diesel::insert_into(departments::table)
                    .values((
                        departments::office_id.eq(office),
                        departments::name.eq("Half-written"),
                        departments::kind.eq("other"),
                        departments::status.eq("active"),
                        departments::created_at.eq(chrono::Utc::now().naive_utc()),
                        departments::updated_at.eq(chrono::Utc::now().naive_utc()),
                    ))
                    .execute(c)
                    .map_err(store::db_error)?;
                // The audit write fails (no such table): the department must go too.
                diesel::sql_query("INSERT INTO no_such_table VALUES (1)").execute(c).map_err(store::db_error)?;
                Ok(())
            })
            .await;
        assert_eq!(result.unwrap_err().status().as_u16(), 500);
        assert_eq!(department_count(&app, "Half-written"), 0);
    }
}

db_test! {
    /// The reservation itself under a race: twenty first uses of one key at once
    /// on the database, five keys in a row. One reserves; every other finds it in
    /// progress — never a unique-key error.
    async fn racing_reservations_of_one_key_find_it_in_progress(app) {
        app.load_demo_org();
        let user = app.user_id("hq.admin");
        for round in 0..5 {
            let key = format!("race-{round}");
            let tasks = (0..20).map(|_| {
                let (db, key) = (app.db.clone(), key.clone());
                async move {
                    db.run(move |c| store::idempotency::reserve(c, user, &key, "POST", "/x", "h")).await
                }
            });
            let results = futures_util::future::join_all(tasks).await;
            let mut reserved = 0;
            for r in results {
                match r {
                    Ok(store::idempotency::Reservation::Reserved(_)) => reserved += 1,
                    Ok(store::idempotency::Reservation::InProgress) => {}
                    other => panic!("round {round}: {other:?}"),
                }
            }
            assert_eq!(reserved, 1, "round {round}");
        }
    }
}

db_test! {
    /// A reservation taken in the work's own transaction means the work was
    /// committed: a process that stopped before keeping the response leaves it
    /// `committed`. A retry is told the work was done (409) — even after five
    /// minutes, when a reservation taken before its work may be taken over — and
    /// the work does not run again.
    async fn a_committed_reservation_without_its_response_is_never_run_again(app) {
        app.load_demo();
        let token = app.login("gz01.office_director").await;
        let path = "/api/v1/org/departments";
        let body = json!({"office_id": app.office_id("GZ01"), "name": "Lost answer", "kind": "other"});
        let hash = store::idempotency::request_hash("POST", path, &serde_json::to_vec(&body).unwrap());
        let user = app.user_id("gz01.office_director");
        let insert = |key: &'static str, state: &'static str, age: i64| {
            let hash = hash.clone();
            app.conn(move |c| {
                let created = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(age);
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::user_id.eq(user),
                        idempotency_keys::idempotency_key.eq(key),
                        idempotency_keys::method.eq("POST"),
                        idempotency_keys::path.eq(path),
                        idempotency_keys::request_hash.eq(hash),
                        idempotency_keys::state.eq(state),
                        idempotency_keys::created_at.eq(created),
                        idempotency_keys::expires_at.eq(created + chrono::Duration::hours(24)),
                    ))
                    .execute(c)
                    .unwrap();
            })
        };
        // Committed a moment ago: its response is on its way.
        insert("fresh", "committed", 0);
        app.call(with_key(&token, path, "fresh", &body)).await.problem(409, "idempotency_in_progress");
        // Committed ten minutes ago and never answered: done, not to be redone.
        insert("lost", "committed", 10);
        let lost = app.call(with_key(&token, path, "lost", &body)).await;
        lost.problem(409, "conflict");
        assert!(lost.text().contains("carried out"), "{}", lost.text());
        assert_eq!(department_count(&app, "Lost answer"), 0, "the work did not run again");
        // Reserved before its work ten minutes ago: the work may never have run,
        // so a retry takes the key over and does it.
        insert("abandoned", "in_progress", 10);
        app.call(with_key(&token, path, "abandoned", &body)).await.ok(201);
        assert_eq!(department_count(&app, "Lost answer"), 1);
        let state: String = app.conn(move |c| {
            idempotency_keys::table
                .filter(idempotency_keys::idempotency_key.eq("abandoned"))
                .select(idempotency_keys::state)
                .first(c)
                .unwrap()
        });
        assert_eq!(state, "done");
    }
}
