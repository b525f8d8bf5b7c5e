//! Abuse from outside, on both backends: a client address that sends too much is
//! slowed down without slowing anyone else, forwarded headers name the client
//! only from configured proxies, and bodies nested without end are refused.

use actix_web::test::TestRequest;
use branchline_tests::{Backend, TestApp};

async fn limited(backend: Backend, proxies: &[&str]) -> Option<TestApp> {
    let proxies: Vec<std::net::IpAddr> = proxies.iter().map(|p| p.parse().unwrap()).collect();
    TestApp::try_with(
        backend,
        move |c| {
            c.rate_limit_per_second = 1;
            c.rate_limit_burst = 3;
            c.trusted_proxies = proxies;
        },
        |_| {},
    )
    .await
}

fn me(forwarded_for: Option<&str>) -> TestRequest {
    let req = TestRequest::get().uri("/api/v1/me");
    match forwarded_for {
        Some(addr) => req.insert_header(("x-forwarded-for", addr)),
        None => req,
    }
}

async fn rate_limit(backend: Backend) {
    // The test client connects from 127.0.0.1, here a trusted proxy.
    let Some(app) = limited(backend, &["127.0.0.1"]).await else {
        return;
    };
    for _ in 0..3 {
        assert_eq!(app.call(me(Some("203.0.113.7"))).await.status, 401);
    }
    let refused = app.call(me(Some("203.0.113.7"))).await;
    let problem = refused.problem(429, "rate_limited");
    assert_eq!(refused.header("retry-after"), Some("1"), "{problem}");
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
    // Another client behind the same proxy has its own budget; probes are not
    // counted.
    assert_eq!(app.call(me(Some("203.0.113.8"))).await.status, 401);
    assert_eq!(app.get("/healthz").await.status, 200);
    assert_eq!(app.call(me(Some("203.0.113.7"))).await.status, 429);
}

async fn untrusted_forwarding(backend: Backend) {
    // The proxy is elsewhere: what 127.0.0.1 forwards is ignored, so changing
    // the header does not buy a new budget.
    let Some(app) = limited(backend, &["10.9.9.9"]).await else {
        return;
    };
    for n in 0..3 {
        let res = app.call(me(Some(&format!("198.51.100.{n}")))).await;
        assert_eq!(res.status, 401);
    }
    app.call(me(Some("198.51.100.99")))
        .await
        .problem(429, "rate_limited");
}

#[actix_web::test]
async fn one_address_is_slowed_down_alone_on_sqlite() {
    rate_limit(Backend::Sqlite).await;
    untrusted_forwarding(Backend::Sqlite).await;
}

#[actix_web::test]
async fn one_address_is_slowed_down_alone_on_postgres() {
    rate_limit(Backend::Postgres).await;
    untrusted_forwarding(Backend::Postgres).await;
}

branchline_tests::db_test! {
    /// A body nested deeper than JSON's parser goes (128 levels) is a 400, not a
    /// stack overflow.
    async fn deep_bodies_are_refused(app) {
        app.load_demo_org();
        let token = app.login("hq.admin").await;
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let res = app
            .call(
                TestRequest::post()
                    .uri("/api/v1/org/departments")
                    .insert_header(("authorization", format!("Bearer {token}")))
                    .insert_header(("content-type", "application/json"))
                    .set_payload(deep),
            )
            .await;
        assert_eq!(res.status, 400, "{}", res.text());
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
    }
}
