//! Organization on both backends: what each role may do on the org endpoints,
//! cross-office isolation on every org resource, the office lifecycle as recorded
//! actions, acting assignments, and the audit event each write leaves.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use serde_json::Value;

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// Opens an office the regulated way: a request by network management, approved
/// by company leadership.
async fn new_office(app: &TestApp, token: &str, code: &str) -> Value {
    let region: i64 = app.get_as(token, "/api/v1/org/regions").await.ok(200)["items"][0]["id"]
        .as_i64()
        .unwrap();
    let request = app
        .post_as(
            token,
            "/api/v1/org/office-requests",
            &json!({"kind": "open", "code": code, "name": format!("Office {code}"), "region_id": region,
                    "address": "1 Road", "reason": "new market", "effective_date": "2026-12-01"}),
        )
        .await
        .ok(201);
    assert_eq!(request["status"], "in_approval");
    let approval = request["approval_id"].as_i64().unwrap();
    let leader = app.login("hq.executive").await;
    app.act_as(
        &leader,
        &format!("/api/v1/approvals/{approval}/approve"),
        "\"1\"",
        &json!({}),
    )
    .await
    .ok(200);
    let request = app
        .get_as(
            token,
            &format!("/api/v1/org/office-requests/{}", request["id"]),
        )
        .await
        .ok(200);
    assert_eq!(request["status"], "approved");
    app.get_as(
        token,
        &format!("/api/v1/org/offices/{}", request["result_office_id"]),
    )
    .await
    .ok(200)
}

db_test! {
    async fn roles_decide_what_may_be_done_on_org_endpoints(app) {
        app.load_demo();
        let gz = app.office_id("GZ01");
        let sh = app.office_id("SH01");

        // Requesting an office opening: HQ network management and admin only.
        let cases: [(&str, u16); 6] = [("hq.admin", 201), ("hq.network_manager", 201), ("hq.auditor", 403),
                               ("hq.finance", 403), ("gz01.office_director", 403), ("south.regional_manager", 403)];
        for (i, (user, status)) in cases.into_iter().enumerate() {
            let token = app.login(user).await;
            let res = app.post_as(&token, "/api/v1/org/office-requests", &json!({"kind": "open", "code": format!("T{i}"),
                "name": "x", "region_id": 1, "address": "a", "reason": "r", "effective_date": "2026-12-01"})).await;
            assert_eq!(res.status.as_u16(), status, "{user}: {}", res.text());
        }
        // Opening only happens through approval: nothing is open yet.
        let admin = app.login("hq.admin").await;
        assert_eq!(ids(&app.get_as(&admin, "/api/v1/org/offices").await.ok(200)).len(), 4);
        // Leadership approves one of them; then it is an office.
        let pending = app.get_as(&app.login("hq.executive").await, "/api/v1/approvals/inbox").await.ok(200);
        assert_eq!(pending["items"].as_array().unwrap().len(), 2);
        new_office(&app, &app.login("hq.network_manager").await, "T9").await;

        // Reading offices: everyone with a role, each within their reach.
        let seen = |page: Value| ids(&page).len();
        let auditor = app.login("hq.auditor").await;
        assert!(seen(app.get_as(&auditor, "/api/v1/org/offices").await.ok(200)) >= 4);
        let south = app.login("south.regional_manager").await;
        let south_offices = ids(&app.get_as(&south, "/api/v1/org/offices").await.ok(200));
        // GZ01, SZ01 and the two offices just opened in the first region.
        let region = app.get_as(&auditor, &format!("/api/v1/org/offices/{gz}")).await.ok(200)["region_id"].as_i64().unwrap();
        let in_region = ids(&app.get_as(&auditor, &format!("/api/v1/org/offices?region_id={region}")).await.ok(200));
        assert_eq!(south_offices, in_region);
        assert!(south_offices.contains(&app.office_id("SZ01")) && !south_offices.contains(&sh));
        let staff = app.login("gz01.staff").await;
        assert_eq!(ids(&app.get_as(&staff, "/api/v1/org/offices").await.ok(200)), vec![gz]);

        // Users: staff may not list them; the director sees their own office's.
        app.get_as(&staff, "/api/v1/org/users").await.problem(403, "forbidden");
        let director = app.login("gz01.office_director").await;
        let users = app.get_as(&director, "/api/v1/org/users?limit=200").await.ok(200);
        assert!(users["items"].as_array().unwrap().iter().all(|u| u["office_id"] == gz));
        assert_eq!(users["items"].as_array().unwrap().len(), 10);

        // Departments: the director manages their own office's, nobody else's.
        let body = |office: i64| json!({"office_id": office, "name": "培訓部 Training", "kind": "other"});
        assert_eq!(app.post_as(&director, "/api/v1/org/departments", &body(gz)).await.ok(201)["office_id"], gz);
        app.post_as(&director, "/api/v1/org/departments", &body(sh)).await.problem(404, "not_found");
        app.post_as(&auditor, "/api/v1/org/departments", &body(gz)).await.problem(403, "forbidden");
        let deputy = app.login("gz01.deputy_director").await;
        app.post_as(&deputy, "/api/v1/org/departments", &body(gz)).await.problem(403, "forbidden");

        // Users: HQ HR creates anywhere; the director only in their office.
        let hr = app.login("hq.hr").await;
        let new_user = |office: i64, name: &str| json!({"username": name, "display_name": name, "password": "long enough password", "office_id": office});
        app.post_as(&hr, "/api/v1/org/users", &new_user(sh, "sh01.new.hire")).await.ok(201);
        app.post_as(&director, "/api/v1/org/users", &new_user(gz, "gz01.new.hire")).await.ok(201);
        app.post_as(&director, "/api/v1/org/users", &new_user(sh, "sh01.other")).await.problem(404, "not_found");
        let dup = app.post_as(&hr, "/api/v1/org/users", &new_user(sh, "sh01.new.hire")).await;
        dup.problem(409, "duplicate");

        // Audit trail: readers only, within reach.
        app.get_as(&staff, "/api/v1/audit-events").await.problem(403, "forbidden");
        let events = app.get_as(&director, "/api/v1/audit-events?limit=200").await.ok(200);
        assert!(events["items"].as_array().unwrap().iter().all(|e| e["office_id"] == gz), "{events}");
        assert!(!events["items"].as_array().unwrap().is_empty());

        // Everyone may read the role catalogue.
        let roles = app.get_as(&staff, "/api/v1/org/roles").await.ok(200);
        assert_eq!(roles.as_array().unwrap().len(), 18);
    }
}

db_test! {
    async fn no_org_record_leaks_across_offices(app) {
        app.load_demo();
        let gz_director = app.login("gz01.office_director").await;
        let admin = app.login("hq.admin").await;
        let sh = app.office_id("SH01");

        // Offices.
        assert_isolated(&app, &gz_director, Isolated {
            list: "/api/v1/org/offices",
            item: format!("/api/v1/org/offices/{sh}"),
            id: sh,
            patch: None,
            actions: vec![],
        }).await;
        app.get_as(&gz_director, &format!("/api/v1/org/offices/{sh}/changes")).await.problem(404, "not_found");

        // Departments.
        let sh_dept = app.get_as(&admin, &format!("/api/v1/org/departments?office_id={sh}")).await.ok(200)["items"][0]["id"]
            .as_i64()
            .unwrap();
        assert_isolated(&app, &gz_director, Isolated {
            list: "/api/v1/org/departments?limit=200",
            item: format!("/api/v1/org/departments/{sh_dept}"),
            id: sh_dept,
            patch: Some(json!({"name": "taken over"})),
            actions: vec![],
        }).await;

        // Users.
        let sh_user = app.user_id("sh01.sales_rep");
        assert_isolated(&app, &gz_director, Isolated {
            list: "/api/v1/org/users?limit=200",
            item: format!("/api/v1/org/users/{sh_user}"),
            id: sh_user,
            patch: Some(json!({"active": false})),
            actions: vec![],
        }).await;

        // Role assignments: not listed, cannot be ended, cannot be granted there.
        let sh_assignment = app
            .get_as(&admin, &format!("/api/v1/org/role-assignments?user_id={sh_user}"))
            .await
            .ok(200)["items"][0]["id"]
            .as_i64()
            .unwrap();
        let listed = ids(&app.get_as(&gz_director, "/api/v1/org/role-assignments?limit=200").await.ok(200));
        assert!(!listed.contains(&sh_assignment));
        app.post_as(&gz_director, &format!("/api/v1/org/role-assignments/{sh_assignment}/end"), &json!({}))
            .await
            .problem(404, "not_found");
        app.post_as(&gz_director, "/api/v1/org/role-assignments", &json!({
            "user_id": sh_user, "role": "staff", "scope_kind": "office", "scope_id": sh, "valid_from": "2026-01-01"
        })).await.problem(404, "not_found");

        // Audit events of another office, even when asked for by filter.
        let events = app.get_as(&gz_director, &format!("/api/v1/audit-events?office_id={sh}")).await.ok(200);
        assert_eq!(events["items"], json!([]));

        // Nothing changed in office B.
        let user = app.get_as(&admin, &format!("/api/v1/org/users/{sh_user}")).await.ok(200);
        assert_eq!((user["active"].clone(), user["version"].clone()), (json!(true), json!(1)));
    }
}

db_test! {
    async fn office_lifecycle_is_recorded_and_closing_stops_new_records(app) {
        app.load_demo();
        let network = app.login("hq.network_manager").await;
        let office = new_office(&app, &network, "FS01").await;
        let id = office["id"].as_i64().unwrap();
        assert_eq!(office["status"], "active");
        assert_eq!(office["opened_on"], "2026-12-01");

        // Change: rename and move region, with If-Match.
        let regions = app.get_as(&network, "/api/v1/org/regions").await.ok(200);
        let east = regions["items"][1]["id"].as_i64().unwrap();
        let changed = app.patch_as(&network, &format!("/api/v1/org/offices/{id}"), "\"1\"",
            &json!({"name": "Foshan", "region_id": east, "reason": "reorganisation", "effective_date": "2027-01-01"})).await;
        assert_eq!(changed.header("etag"), Some("\"2\""));
        let changed = changed.ok(200);
        assert_eq!((changed["name"].clone(), changed["region_id"].clone()), (json!("Foshan"), json!(east)));

        // A stale If-Match and a missing one.
        let body = json!({"address": "2 Road", "reason": "move", "effective_date": "2027-02-01"});
        let stale = app.patch_as(&network, &format!("/api/v1/org/offices/{id}"), "\"1\"", &body).await;
        assert_eq!(stale.problem(412, "version_conflict")["current_version"], 2);
        let missing = app.call(actix_web::test::TestRequest::patch().uri(&format!("/api/v1/org/offices/{id}"))
            .insert_header(("authorization", format!("Bearer {network}"))).set_json(&body)).await;
        missing.problem(428, "precondition_required");

        // Close through a request; leadership rejects once, then approves the resubmission.
        let admin = app.login("hq.admin").await;
        let leader = app.login("hq.executive").await;
        let request = app.post_as(&network, "/api/v1/org/office-requests",
            &json!({"kind": "close", "office_id": id, "reason": "market exit", "effective_date": "2027-06-30"})).await.ok(201);
        let approval = request["approval_id"].as_i64().unwrap();
        app.act_as(&leader, &format!("/api/v1/approvals/{approval}/reject"), "\"1\"", &json!({"reason": "wait for Q3 results"}))
            .await
            .ok(200);
        let rejected = app.get_as(&network, &format!("/api/v1/org/office-requests/{}", request["id"])).await.ok(200);
        assert_eq!((rejected["status"].clone(), rejected["rejection_reason"].clone()), (json!("rejected"), json!("wait for Q3 results")));
        assert_eq!(app.get_as(&admin, &format!("/api/v1/org/offices/{id}")).await.ok(200)["status"], "active");
        app.post_as(&network, &format!("/api/v1/org/office-requests/{}/submit", request["id"]), &json!({})).await.ok(200);
        let approval_now = app.get_as(&leader, &format!("/api/v1/approvals/{approval}")).await;
        let etag = approval_now.header("etag").unwrap().to_owned();
        assert_eq!(approval_now.json()["round"], 2);
        let closed = app.act_as(&leader, &format!("/api/v1/approvals/{approval}/approve"), &etag, &json!({})).await.ok(200);
        assert_eq!(closed["status"], "approved");
        let office_now = app.get_as(&admin, &format!("/api/v1/org/offices/{id}")).await.ok(200);
        assert_eq!((office_now["status"].clone(), office_now["closed_on"].clone()), (json!("closed"), json!("2027-06-30")));
        let res = app.post_as(&admin, "/api/v1/org/departments", &json!({"office_id": id, "name": "Sales", "kind": "sales"})).await;
        assert_eq!(res.problem(409, "invalid_transition")["current_state"], "closed");
        app.post_as(&network, "/api/v1/org/office-requests",
            &json!({"kind": "close", "office_id": id, "reason": "again", "effective_date": "2027-07-01"})).await.problem(409, "invalid_transition");

        let changes = app.get_as(&admin, &format!("/api/v1/org/offices/{id}/changes")).await.ok(200);
        let kinds: Vec<&str> = changes["items"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["open", "change", "close"]);
        assert_eq!(changes["items"][1]["reason"], "reorganisation");
        assert_eq!(changes["items"][1]["changes_json"]["before"]["name"], "Office FS01");
        assert_eq!(changes["items"][1]["changes_json"]["after"]["name"], "Foshan");
        assert_eq!(app.get_as(&admin, &format!("/api/v1/org/offices/{id}")).await.ok(200)["status"], "closed");
    }
}

db_test! {
    async fn each_write_leaves_one_audit_event_with_before_and_after(app) {
        app.load_demo();
        let network = app.login("hq.network_manager").await;
        let gz = app.office_id("GZ01");
        let before_count = app.audit_events("office", gz).len();
        let res = app.call(actix_web::test::TestRequest::patch()
            .uri(&format!("/api/v1/org/offices/{gz}"))
            .insert_header(("authorization", format!("Bearer {network}")))
            .insert_header(("if-match", "\"1\""))
            .insert_header(("x-request-id", "audit-check-1"))
            .set_json(json!({"address": "天河路 1 號", "reason": "moved", "effective_date": "2026-12-01"}))).await;
        res.ok(200);
        let events = app.audit_events("office", gz);
        assert_eq!(events.len(), before_count + 1);
        let e = events.last().unwrap();
        assert_eq!(e.action, "change");
        assert_eq!(e.actor_user_id, Some(app.user_id("hq.network_manager")));
        assert_eq!(e.office_id, Some(gz));
        assert_eq!(e.request_id.as_deref(), Some("audit-check-1"));
        let before: Value = serde_json::from_str(e.before_json.as_deref().unwrap()).unwrap();
        let after: Value = serde_json::from_str(e.after_json.as_deref().unwrap()).unwrap();
        assert_eq!(before, json!({"address": "廣州市天河區天河路 385 號"}));
        assert_eq!(after, json!({"address": "天河路 1 號"}));

        // The same event through the API, filtered.
        let admin = app.login("hq.admin").await;
        let page = app.get_as(&admin, &format!("/api/v1/audit-events?entity_type=office&entity_id={gz}&limit=1")).await.ok(200);
        assert_eq!(page["items"][0]["after"], json!({"address": "天河路 1 號"}));
        assert!(page["next_cursor"].is_string());

        // A refused write leaves nothing.
        let count = app.audit_events("office", gz).len();
        app.patch_as(&network, &format!("/api/v1/org/offices/{gz}"), "\"1\"",
            &json!({"address": "x", "reason": "stale", "effective_date": "2026-12-01"})).await.problem(412, "version_conflict");
        assert_eq!(app.audit_events("office", gz).len(), count);
    }
}

db_test! {
    async fn a_deputy_acting_for_the_director_is_recorded_as_such(app) {
        app.load_demo();
        let director = app.login("sz01.office_director").await;
        let sz = app.office_id("SZ01");
        let deputy_id = app.user_id("sz01.deputy_director");
        let director_id = app.user_id("sz01.office_director");
        let deputy = app.login("sz01.deputy_director").await;
        let new_user = json!({"username": "sz01.temp", "display_name": "Temp", "password": "long enough password", "office_id": sz});
        app.post_as(&deputy, "/api/v1/org/users", &new_user).await.problem(403, "forbidden");

        // An acting assignment needs an end date and a real holder.
        let acting = |to: Value, for_user: i64| json!({"user_id": deputy_id, "role": "office_director", "scope_kind": "office",
            "scope_id": sz, "valid_from": "2026-01-01", "valid_to": to, "acting_for_user_id": for_user});
        let res = app.post_as(&director, "/api/v1/org/role-assignments", &acting(Value::Null, director_id)).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "valid_to");
        let res = app.post_as(&director, "/api/v1/org/role-assignments", &acting(json!("2099-12-31"), app.user_id("sz01.staff"))).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "not_holder");
        let assignment = app.post_as(&director, "/api/v1/org/role-assignments", &acting(json!("2099-12-31"), director_id)).await.ok(201);
        assert_eq!(assignment["acting_for_user_id"], director_id);

        let created = app.post_as(&deputy, "/api/v1/org/users", &new_user).await.ok(201);
        let events = app.audit_events("user", created["id"].as_i64().unwrap());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].actor_user_id, Some(deputy_id));
        assert_eq!(events[0].acting_for_user_id, Some(director_id));

        // Ending the assignment ends the power.
        let id = assignment["id"].as_i64().unwrap();
        app.post_as(&director, &format!("/api/v1/org/role-assignments/{id}/end"), &json!({})).await.ok(200);
        let again = json!({"username": "sz01.temp2", "display_name": "Temp", "password": "long enough password", "office_id": sz});
        app.post_as(&deputy, "/api/v1/org/users", &again).await.problem(403, "forbidden");
    }
}

db_test! {
    async fn role_assignments_check_level_and_grantor(app) {
        app.load_demo();
        let gz = app.office_id("GZ01");
        let director = app.login("gz01.office_director").await;
        let staff_id = app.user_id("gz01.staff");
        // An office director cannot hand out HQ roles.
        let res = app.post_as(&director, "/api/v1/org/role-assignments", &json!({
            "user_id": staff_id, "role": "hq_admin", "scope_kind": "company", "valid_from": "2026-01-01"})).await;
        res.problem(403, "forbidden");
        // A role at the wrong level, and an unknown role.
        let res = app.post_as(&director, "/api/v1/org/role-assignments", &json!({
            "user_id": staff_id, "role": "auditor", "scope_kind": "office", "scope_id": gz, "valid_from": "2026-01-01"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "scope_kind");
        let res = app.post_as(&director, "/api/v1/org/role-assignments", &json!({
            "user_id": staff_id, "role": "emperor", "scope_kind": "office", "scope_id": gz, "valid_from": "2026-01-01"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "unknown_role");
        // A valid office role, which then shows in /me.
        app.post_as(&director, "/api/v1/org/role-assignments", &json!({
            "user_id": staff_id, "role": "sales_rep", "scope_kind": "office", "scope_id": gz, "valid_from": "2026-01-01"})).await.ok(201);
        let me = app.get_as(&app.login("gz01.staff").await, "/api/v1/me").await.ok(200);
        assert_eq!(me["roles"].as_array().unwrap().len(), 2);
        assert!(me["permissions"].as_array().unwrap().contains(&json!("user:read")));
    }
}

db_test! {
    async fn lists_page_without_skipping_or_repeating(app) {
        app.load_demo();
        let admin = app.login("hq.admin").await;
        let mut seen = Vec::new();
        let mut url = "/api/v1/org/users?limit=7".to_owned();
        loop {
            let page = app.get_as(&admin, &url).await.ok(200);
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(c) => url = format!("/api/v1/org/users?limit=7&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 49);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen);
        app.get_as(&admin, "/api/v1/org/users?limit=201").await.problem(400, "invalid_parameter");
        app.get_as(&admin, "/api/v1/org/users?cursor=garbage").await.problem(400, "invalid_parameter");
        app.get_as(&admin, "/api/v1/org/users?colour=red").await.problem(400, "invalid_parameter");
        let found = app.get_as(&admin, "/api/v1/org/users?q=SH01.SALES").await.ok(200);
        assert_eq!(found["items"][0]["username"], "sh01.sales_rep");
    }
}

db_test! {
    async fn nobody_ends_their_own_role_or_the_last_administrator(app) {
        app.load_demo();
        let admin = app.login("hq.admin").await;
        let admin_id = app.user_id("hq.admin");
        let own = app.get_as(&admin, &format!("/api/v1/org/role-assignments?user_id={admin_id}")).await.ok(200)["items"][0]["id"]
            .as_i64()
            .unwrap();
        app.post_as(&admin, &format!("/api/v1/org/role-assignments/{own}/end"), &json!({})).await.problem(409, "conflict");
        // HR may end roles company-wide, but not the only hq_admin.
        let hr = app.login("hq.hr").await;
        let res = app.post_as(&hr, &format!("/api/v1/org/role-assignments/{own}/end"), &json!({})).await;
        assert!(res.problem(409, "conflict")["detail"].as_str().unwrap().contains("last HQ administrator"));
        app.get_as(&admin, "/api/v1/me").await.ok(200);
    }
}

db_test! {
    async fn text_with_a_nul_character_is_refused_not_a_server_error(app) {
        app.load_demo();
        let admin = app.login("hq.admin").await;
        let res = app.post_as(&admin, "/api/v1/org/regions", &json!({"code": "NUL1", "name": "a\u{0}b"})).await;
        let body = res.problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "name");
        app.get_as(&admin, "/api/v1/org/offices?q=a%00b").await.problem(400, "invalid_parameter");
    }
}

db_test! {
    async fn an_office_has_exactly_one_director(app) {
        app.load_demo();
        let admin = app.login("hq.admin").await;
        let gz = app.office_id("GZ01");
        let staff = app.user_id("gz01.staff");
        let second = json!({"user_id": staff, "role": "office_director", "scope_kind": "office", "scope_id": gz, "valid_from": "2026-01-01"});
        app.post_as(&admin, "/api/v1/org/role-assignments", &second).await.problem(409, "duplicate");
        // End the director's assignment; the next one becomes the office's director.
        let director = app.user_id("gz01.office_director");
        let current = app.get_as(&admin, &format!("/api/v1/org/role-assignments?user_id={director}")).await.ok(200)["items"][0]["id"]
            .as_i64()
            .unwrap();
        app.post_as(&admin, &format!("/api/v1/org/role-assignments/{current}/end"), &json!({})).await.ok(200);
        app.post_as(&admin, "/api/v1/org/role-assignments", &second).await.ok(201);
        assert_eq!(app.get_as(&admin, &format!("/api/v1/org/offices/{gz}")).await.ok(200)["director_user_id"], staff);
    }
}

db_test! {
    async fn a_second_request_for_the_same_office_is_refused(app) {
        app.load_demo();
        let network = app.login("hq.network_manager").await;
        let hz = app.office_id("HZ01");
        let close = json!({"kind": "close", "office_id": hz, "reason": "exit", "effective_date": "2027-01-31"});
        app.post_as(&network, "/api/v1/org/office-requests", &close).await.ok(201);
        app.post_as(&network, "/api/v1/org/office-requests", &close).await.problem(409, "duplicate");
        let early = json!({"kind": "close", "office_id": app.office_id("SH01"), "reason": "x", "effective_date": "2020-01-01"});
        let res = app.post_as(&network, "/api/v1/org/office-requests", &early).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "effective_date");
        // Network management files requests but does not configure their approval.
        let policy = json!({"doc_type": "office_request", "name": "x", "steps": [{"name": "a", "approver": {"kind": "role", "role": "staff"}}]});
        app.post_as(&network, "/api/v1/approvals/policies", &policy).await.problem(403, "forbidden");
    }
}

db_test! {
    async fn every_role_gets_exactly_its_permissions_on_org_endpoints(app) {
        use org::roles::*;
        app.load_demo();
        let gz = app.office_id("GZ01");
        for (i, def) in ROLES.iter().enumerate() {
            let user = match def.level {
                RoleLevel::Company => format!("hq.{}", def.code.strip_prefix("hq_").unwrap_or(def.code)),
                RoleLevel::Region => "south.regional_manager".to_owned(),
                RoleLevel::Office => format!("gz01.{}", def.code),
            };
            let token = app.login(&user).await;
            let has = |perm: &str| def.permissions.contains(&perm);
            for (perm, path) in [
                (REGION_READ, "/api/v1/org/regions"),
                (OFFICE_READ, "/api/v1/org/offices"),
                (DEPARTMENT_READ, "/api/v1/org/departments"),
                (USER_READ, "/api/v1/org/users"),
                (ROLE_ASSIGNMENT_READ, "/api/v1/org/role-assignments"),
                (AUDIT_READ, "/api/v1/audit-events"),
                (APPROVAL_READ, "/api/v1/approvals/overdue"),
                (CUSTOMER_READ, "/api/v1/sales/customers"),
            ] {
                let res = app.get_as(&token, path).await;
                assert_eq!(res.status.as_u16(), if has(perm) { 200 } else { 403 }, "{user}: GET {path}: {}", res.text());
            }
            let writes = [
                (DEPARTMENT_MANAGE, "/api/v1/org/departments", json!({"office_id": gz, "name": format!("Dept {i}"), "kind": "other"})),
                (USER_MANAGE, "/api/v1/org/users", json!({"username": format!("gz01.new{i}"), "display_name": "New",
                    "password": "long enough password", "office_id": gz})),
                (REGION_MANAGE, "/api/v1/org/regions", json!({"code": format!("R{i}"), "name": "Region"})),
                (OFFICE_OPEN, "/api/v1/org/office-requests", json!({"kind": "open", "code": format!("NEW{i}"), "name": "x",
                    "region_id": 1, "address": "a", "reason": "r", "effective_date": "2026-12-01"})),
                (APPROVAL_POLICY_MANAGE, "/api/v1/approvals/policies", json!({"doc_type": "office_request", "office_id": gz,
                    "name": format!("P{i}"), "steps": [{"name": "a", "approver": {"kind": "role", "role": "hq_executive"}}]})),
                (CUSTOMER_MANAGE, "/api/v1/sales/customers", json!({"name": format!("Customer {i}"), "classification": "potential", "office_id": gz})),
            ];
            for (perm, path, body) in writes {
                let res = app.post_as(&token, path, &body).await;
                assert_eq!(res.status.as_u16(), if has(perm) { 201 } else { 403 }, "{user}: POST {path}: {}", res.text());
            }
        }
    }
}

#[test]
fn permissions_doc_is_current() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/permissions.md"
    ))
    .unwrap_or_default();
    assert!(
        committed == org::roles::permissions_markdown(),
        "docs/permissions.md is stale: run `cargo run --bin branchline -- permissions > docs/permissions.md`"
    );
}
