//! Identity on both backends: login and lockout, refresh rotation and reuse
//! detection, logout, expired / tampered / foreign-algorithm tokens, deactivated
//! users, password change, every demo user signing in, and the cache of
//! resolved callers (served until the principal epoch moves).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use branchline_tests::{Backend, DEMO_PASSWORD, TEST_JWT_SECRET, TestApp, db_test, json};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use store::schema::{login_failures, refresh_tokens};

fn forged(user_id: i64, exp_offset: i64, alg: Algorithm, secret: &[u8], aud: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": user_id.to_string(), "iss": "branchline", "aud": aud,
        "iat": now, "exp": now + exp_offset, "jti": "t"
    });
    encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

db_test! {
    async fn login_returns_tokens_and_me_describes_the_caller(app) {
        app.load_demo();
        let pair = app.login_pair("gz01.office_director", DEMO_PASSWORD).await;
        assert_eq!(pair["token_type"], "Bearer");
        assert_eq!(pair["expires_in"], 900);
        assert!(pair["refresh_token"].as_str().unwrap().len() >= 40);

        let me = app.get_as(pair["access_token"].as_str().unwrap(), "/api/v1/me").await.ok(200);
        assert_eq!(me["user"]["username"], "gz01.office_director");
        assert_eq!(me["roles"][0]["role"], "office_director");
        assert_eq!(me["roles"][0]["scope_kind"], "office");
        assert_eq!(me["office_ids"], json!([app.office_id("GZ01")]));
        let perms = me["permissions"].as_array().unwrap();
        assert!(perms.contains(&json!("user:manage")));
        assert!(!perms.contains(&json!("office:open")));

        // Stored: only a hash of the refresh token.
        let stored: Vec<String> = app.conn(|c| refresh_tokens::table.select(refresh_tokens::token_hash).load(c).unwrap());
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0], pair["refresh_token"].as_str().unwrap());
    }
}

db_test! {
    async fn wrong_password_and_unknown_user_are_the_same_401(app) {
        app.load_demo();
        let a = app.post_json("/api/v1/auth/login", &json!({"username": "gz01.sales_rep", "password": "nope"})).await;
        let b = app.post_json("/api/v1/auth/login", &json!({"username": "nobody", "password": "nope"})).await;
        assert_eq!(a.problem(401, "unauthenticated")["detail"], b.problem(401, "unauthenticated")["detail"]);
        app.get("/api/v1/me").await.problem(401, "unauthenticated");
    }
}

db_test! {
    async fn repeated_failures_lock_the_account_out(app) {
        app.load_demo();
        for _ in 0..5 {
            app.post_json("/api/v1/auth/login", &json!({"username": "sh01.staff", "password": "wrong password"}))
                .await
                .problem(401, "unauthenticated");
        }
        // Locked: even the right password is refused until the window passes.
        let res = app.post_json("/api/v1/auth/login", &json!({"username": "sh01.staff", "password": DEMO_PASSWORD})).await;
        res.problem(429, "rate_limited");
        let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 900, "{retry}");
        // Another user is not affected.
        app.login("sh01.sales_rep").await;
        // Failures are recorded by name and address, never with the password.
        let rows: Vec<(String, String)> =
            app.conn(|c| login_failures::table.select((login_failures::username, login_failures::ip)).load(c).unwrap());
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|(u, ip)| u == "sh01.staff" && ip == "127.0.0.1"));
    }
}

db_test! {
    async fn one_address_failing_for_many_users_is_slowed_but_locks_nobody_out(app) {
        app.load_demo();
        // Behind the recommended proxy every client shares one address: twenty
        // wrong passwords from anyone must not lock the company out.
        for i in 0..20 {
            app.post_json("/api/v1/auth/login", &json!({"username": format!("guess{i}"), "password": "x"}))
                .await
                .problem(401, "unauthenticated");
        }
        let started = std::time::Instant::now();
        let pair = app.login_pair("hz01.staff", DEMO_PASSWORD).await;
        assert!(pair["access_token"].is_string());
        assert!(started.elapsed() >= std::time::Duration::from_millis(900), "the address is slowed");
        // Leadership too.
        app.login("hq.executive").await;
    }
}

async fn login_from(
    app: &TestApp,
    forwarded_for: &str,
    username: &str,
    password: &str,
) -> branchline_tests::TestResponse {
    app.call(
        actix_web::test::TestRequest::post()
            .uri("/api/v1/auth/login")
            .insert_header(("x-forwarded-for", forwarded_for))
            .set_json(json!({"username": username, "password": password})),
    )
    .await
}

#[actix_web::test]
async fn a_lockout_holds_at_the_failing_address_only_on_sqlite() {
    lockout_per_address(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_lockout_holds_at_the_failing_address_only_on_postgres() {
    lockout_per_address(Backend::Postgres).await;
}

async fn lockout_per_address(backend: Backend) {
    // The in-process peer (127.0.0.1) is the configured proxy.
    let Some(app) = TestApp::try_with(
        backend,
        |c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()],
        |_| {},
    )
    .await
    else {
        return;
    };
    app.load_demo();
    for _ in 0..5 {
        login_from(&app, "203.0.113.9", "sz01.staff", "wrong password")
            .await
            .problem(401, "unauthenticated");
    }
    login_from(&app, "203.0.113.9", "sz01.staff", DEMO_PASSWORD)
        .await
        .problem(429, "rate_limited");
    // The real user, at another address behind the same proxy, signs in.
    login_from(&app, "198.51.100.20", "sz01.staff", DEMO_PASSWORD)
        .await
        .ok(200);
    // Failures are recorded under the forwarded address, not the proxy's.
    let ips: Vec<String> = app.conn(|c| {
        login_failures::table
            .select(login_failures::ip)
            .load(c)
            .unwrap()
    });
    assert_eq!(ips.len(), 5);
    assert!(ips.iter().all(|ip| ip == "203.0.113.9"), "{ips:?}");
}

#[actix_web::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = TestApp::new(Backend::Sqlite).await;
    app.load_demo();
    for _ in 0..5 {
        login_from(&app, "203.0.113.9", "gz01.staff", "wrong")
            .await
            .problem(401, "unauthenticated");
    }
    // Claiming another address does not escape the lockout at the real one.
    login_from(&app, "198.51.100.20", "gz01.staff", DEMO_PASSWORD)
        .await
        .problem(429, "rate_limited");
    let ips: Vec<String> = app.conn(|c| {
        login_failures::table
            .select(login_failures::ip)
            .load(c)
            .unwrap()
    });
    assert!(ips.iter().all(|ip| ip == "127.0.0.1"), "{ips:?}");
}

db_test! {
    async fn refresh_rotates_and_reuse_revokes_the_family(app) {
        app.load_demo();
        let first = app.login_pair("hz01.sales_rep", DEMO_PASSWORD).await;
        let r1 = first["refresh_token"].as_str().unwrap();
        let second = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": r1})).await.ok(200);
        let r2 = second["refresh_token"].as_str().unwrap();
        assert_ne!(r1, r2);
        app.get_as(second["access_token"].as_str().unwrap(), "/api/v1/me").await.ok(200);

        // r1 again: reuse. It fails, and so does r2, its successor.
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": r1})).await.problem(401, "unauthenticated");
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": r2})).await.problem(401, "unauthenticated");
        let revoked: Vec<Option<chrono::NaiveDateTime>> =
            app.conn(|c| refresh_tokens::table.select(refresh_tokens::revoked_at).load(c).unwrap());
        assert_eq!(revoked.len(), 2);
        assert!(revoked.iter().all(Option::is_some));

        // A separate sign-in is a separate family and still works.
        let other = app.login_pair("hz01.sales_rep", DEMO_PASSWORD).await;
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": other["refresh_token"]})).await.ok(200);
    }
}

db_test! {
    async fn logout_revokes_the_refresh_token(app) {
        app.load_demo();
        let pair = app.login_pair("gz01.staff", DEMO_PASSWORD).await;
        let body = json!({"refresh_token": pair["refresh_token"]});
        assert_eq!(app.post_json("/api/v1/auth/logout", &body).await.status, 204);
        app.post_json("/api/v1/auth/refresh", &body).await.problem(401, "unauthenticated");
    }
}

db_test! {
    async fn expired_tampered_and_foreign_tokens_are_refused(app) {
        app.load_demo();
        let id = app.user_id("hq.admin");
        let secret = TEST_JWT_SECRET.as_bytes();
        // Inside the 60 s leeway: accepted. Past it: refused.
        app.get_as(&forged(id, -30, Algorithm::HS256, secret, "branchline-api"), "/api/v1/me").await.ok(200);
        let body = app.get_as(&forged(id, -120, Algorithm::HS256, secret, "branchline-api"), "/api/v1/me").await.problem(401, "unauthenticated");
        assert!(body["detail"].as_str().unwrap().contains("expired"), "{body}");
        // Another algorithm with the same key, another key, another audience.
        app.get_as(&forged(id, 600, Algorithm::HS512, secret, "branchline-api"), "/api/v1/me").await.problem(401, "unauthenticated");
        app.get_as(&forged(id, 600, Algorithm::HS256, b"some-other-key-0123456789-abcdefghijkl", "branchline-api"), "/api/v1/me")
            .await
            .problem(401, "unauthenticated");
        app.get_as(&forged(id, 600, Algorithm::HS256, secret, "elsewhere"), "/api/v1/me").await.problem(401, "unauthenticated");
        // alg: none, unsigned.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            json!({"sub": id.to_string(), "iss": "branchline", "aud": "branchline-api", "exp": chrono::Utc::now().timestamp() + 600})
                .to_string(),
        );
        app.get_as(&format!("{header}.{claims}."), "/api/v1/me").await.problem(401, "unauthenticated");
        // A real token with one character of its payload changed.
        let real = app.login("hq.admin").await;
        let mut parts: Vec<String> = real.split('.').map(str::to_owned).collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        let other = app.user_id("hq.auditor");
        parts[1] = URL_SAFE_NO_PAD.encode(payload.replace(&format!("\"sub\":\"{id}\""), &format!("\"sub\":\"{other}\"")));
        app.get_as(&parts.join("."), "/api/v1/me").await.problem(401, "unauthenticated");
        app.get_as(&real, "/api/v1/me").await.ok(200);
    }
}

db_test! {
    /// Claims a token of this server never has: not valid yet, issued in the
    /// future, another issuer, a claim missing; and a refresh token, which is
    /// opaque, presented as an access token.
    async fn tokens_with_impossible_claims_are_refused(app) {
        app.load_demo();
        let id = app.user_id("hq.admin").to_string();
        let now = chrono::Utc::now().timestamp();
        let sign = |claims: serde_json::Value| {
            encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes())).unwrap()
        };
        let good = json!({"sub": id, "iss": "branchline", "aud": "branchline-api", "iat": now, "exp": now + 600, "jti": "t"});
        app.get_as(&sign(good.clone()), "/api/v1/me").await.ok(200);
        let with = |key: &str, value: serde_json::Value| {
            let mut c = good.clone();
            c[key] = value;
            c
        };
        let without = |key: &str| {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove(key);
            c
        };
        let cases = [
            ("not valid for another hour", with("nbf", json!(now + 3600))),
            ("issued an hour from now", with("iat", json!(now + 3600))),
            ("another issuer", with("iss", json!("elsewhere"))),
            ("no subject", without("sub")),
            ("no expiry", without("exp")),
            ("no audience", without("aud")),
            ("no issue time", without("iat")),
            ("a subject that is no user id", with("sub", json!("hq.admin"))),
        ];
        for (why, claims) in cases {
            let res = app.get_as(&sign(claims), "/api/v1/me").await;
            assert_eq!(res.status, 401, "{why}: {}", res.text());
            res.problem(401, "unauthenticated");
        }
        // Within the leeway a clock a little ahead is tolerated.
        app.get_as(&sign(with("iat", json!(now + 30))), "/api/v1/me").await.ok(200);
        let pair = app.login_pair("hq.admin", DEMO_PASSWORD).await;
        app.get_as(pair["refresh_token"].as_str().unwrap(), "/api/v1/me").await.problem(401, "unauthenticated");
    }
}

db_test! {
    async fn a_deactivated_user_is_refused_at_once(app) {
        app.load_demo();
        let staff = app.login("sz01.staff").await;
        app.get_as(&staff, "/api/v1/me").await.ok(200);
        let admin = app.login("hq.admin").await;
        let id = app.user_id("sz01.staff");
        let res = app.patch_as(&admin, &format!("/api/v1/org/users/{id}"), "\"1\"", &json!({"active": false})).await;
        assert_eq!(res.ok(200)["active"], false);
        app.get_as(&staff, "/api/v1/me").await.problem(401, "unauthenticated");
        app.post_json("/api/v1/auth/login", &json!({"username": "sz01.staff", "password": DEMO_PASSWORD}))
            .await
            .problem(401, "unauthenticated");
    }
}

db_test! {
    async fn password_change_needs_the_current_one_and_ends_other_sessions(app) {
        app.load_demo();
        let pair = app.login_pair("hz01.market_specialist", DEMO_PASSWORD).await;
        let token = pair["access_token"].as_str().unwrap();
        let res = app
            .post_as(token, "/api/v1/me/password", &json!({"current_password": "wrong", "new_password": "a much longer secret"}))
            .await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "current_password");
        let res = app
            .post_as(token, "/api/v1/me/password", &json!({"current_password": DEMO_PASSWORD, "new_password": "short"}))
            .await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "new_password");
        let res = app
            .post_as(token, "/api/v1/me/password", &json!({"current_password": DEMO_PASSWORD, "new_password": "a much longer secret"}))
            .await;
        assert_eq!(res.status, 204);
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": pair["refresh_token"]})).await.problem(401, "unauthenticated");
        app.post_json("/api/v1/auth/login", &json!({"username": "hz01.market_specialist", "password": DEMO_PASSWORD}))
            .await
            .problem(401, "unauthenticated");
        app.login_pair("hz01.market_specialist", "a much longer secret").await;
        let events = app.audit_events("user", app.user_id("hz01.market_specialist"));
        let change = events.iter().find(|e| e.action == "change_password").expect("audited");
        assert!(change.after_json.is_none() && change.before_json.is_none(), "no hash in the trail");
    }
}

db_test! {
    async fn every_demo_user_can_sign_in(app) {
        app.load_demo();
        let usernames: Vec<String> = app.conn(|c| {
            use store::schema::users;
            users::table.select(users::username).order(users::id).load(c).unwrap()
        });
        assert_eq!(usernames.len(), 49);
        for expected in ["hq.admin", "hq.executive", "hq.finance", "hq.hr", "hq.network_manager", "hq.auditor",
                         "south.regional_manager", "east.regional_manager", "gz01.office_director", "sh01.sales_rep",
                         "hz01.service_engineer", "sz01.department_supervisor"] {
            assert!(usernames.iter().any(|u| u == expected), "{expected} missing");
        }
        for username in &usernames {
            let me = app.get_as(&app.login(username).await, "/api/v1/me").await.ok(200);
            assert_eq!(me["user"]["username"], username.as_str());
            assert_eq!(me["roles"].as_array().unwrap().len(), 1, "{username}");
        }
    }
}

db_test! {
    async fn callers_are_served_from_the_cache_until_the_epoch_moves(app) {
        app.load_demo_org();
        let staff = app.login("gz01.staff").await;
        let id = app.user_id("gz01.staff");
        let before = app.get_as(&staff, "/api/v1/me").await.ok(200)["user"]["display_name"].clone();
        // A change written with the epoch trigger switched off: the cached caller
        // is still served — the steady state does not read the user again.
        let (off, on) = match app.backend() {
            Backend::Sqlite => (
                "DROP TRIGGER users_principal_epoch_update".to_owned(),
                "CREATE TRIGGER users_principal_epoch_update AFTER UPDATE OF active, office_id, username, display_name ON users \
                 BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END".to_owned(),
            ),
            Backend::Postgres => (
                "ALTER TABLE users DISABLE TRIGGER users_principal_epoch".to_owned(),
                "ALTER TABLE users ENABLE TRIGGER users_principal_epoch".to_owned(),
            ),
        };
        app.conn(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&off).unwrap();
            c.batch_execute(&format!("UPDATE users SET display_name = 'Renamed' WHERE id = {id}")).unwrap();
            c.batch_execute(&on).unwrap();
        });
        assert_eq!(app.get_as(&staff, "/api/v1/me").await.ok(200)["user"]["display_name"], before);
        // The epoch moves (as any such change moves it): within the watch
        // interval the caller is loaded again.
        app.conn(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute("UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1").unwrap();
        });
        let started = std::time::Instant::now();
        loop {
            let name = app.get_as(&staff, "/api/v1/me").await.ok(200)["user"]["display_name"].clone();
            if name == "Renamed" {
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(2), "still {name} after {:?}", started.elapsed());
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // A change through the API is seen at once by the process that made it.
        let admin = app.login("hq.admin").await;
        let version = app.get_as(&admin, &format!("/api/v1/org/users/{id}")).await.header("etag").unwrap().to_owned();
        app.patch_as(&admin, &format!("/api/v1/org/users/{id}"), &version, &json!({"display_name": "Again"})).await.ok(200);
        assert_eq!(app.get_as(&staff, "/api/v1/me").await.ok(200)["user"]["display_name"], "Again");
    }
}
