//! Employee files on both backends: every demo user has one; the personal data
//! is seen by HQ HR, the office's HR holder (the operations specialist) and
//! the person, absent for everyone else in the office and the file unknown to
//! another office; each read of it is audited and the ID number never reaches
//! the audit trail in clear; a bad ID number is refused naming the field; only
//! HR records personal data.

use branchline_tests::{TestApp, db_test, json};
use diesel::prelude::*;
use serde_json::Value;

const EMPLOYEES: &str = "/api/v1/personnel/employees";
/// The demo sales representative's ID number (check digit 1).
const REP_ID: &str = "440106199003071231";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

fn reads(app: &TestApp, employee: i64) -> usize {
    app.audit_events("employee", employee)
        .iter()
        .filter(|e| e.action == "read_personal_data")
        .count()
}

/// Every audit row's text, for looking for what must not be there.
fn whole_trail(app: &TestApp) -> String {
    use store::schema::audit_events as ae;
    app.conn(|c| {
        ae::table
            .select((ae::before_json, ae::after_json))
            .load::<(Option<String>, Option<String>)>(c)
            .unwrap()
            .into_iter()
            .map(|(b, a)| format!("{} {}", b.unwrap_or_default(), a.unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

db_test! {
    async fn personal_data_is_seen_by_hr_and_the_person_and_each_read_is_audited(app) {
        app.load_demo();
        let hr = app.login("hq.hr").await;
        let ops = app.login("gz01.operations_specialist").await;
        let rep = app.login("gz01.sales_rep").await;
        let agent = app.login("gz01.service_agent").await;
        let director = app.login("gz01.office_director").await;
        let staff = app.login("gz01.staff").await;
        let other = app.login("sz01.office_director").await;

        // Every demo user has a file; the office's are listed to the office.
        let users: i64 = app.conn(|c| store::schema::users::table.count().get_result(c).unwrap());
        let files: i64 = app.conn(|c| store::schema::employees::table
            .filter(store::schema::employees::user_id.is_not_null()).count().get_result(c).unwrap());
        assert_eq!(files, users);
        let mine = app.get_as(&rep, &format!("{EMPLOYEES}/me")).await.ok(200);
        assert_eq!((mine["status"].clone(), mine["user_id"].clone()), (json!("probation"), json!(app.user_id("gz01.sales_rep"))));
        assert_eq!(mine["personal"]["id_number"], json!(REP_ID));
        let file = id(&mine);
        assert_eq!(reads(&app, file), 1);

        // HQ HR and the office's HR holder see it; each read is audited.
        for who in [&hr, &ops] {
            let f = app.get_as(who, &format!("{EMPLOYEES}/{file}")).await.ok(200);
            assert_eq!(f["personal"]["bank_account"], json!("6222020200112233445"));
        }
        assert_eq!(reads(&app, file), 3);
        // The rest of the office gets the file without it, and nothing is audited.
        for who in [&agent, &director] {
            let f = app.get_as(who, &format!("{EMPLOYEES}/{file}")).await.ok(200);
            assert_eq!((f["personal"].clone(), f["employee_number"].clone()), (Value::Null, mine["employee_number"].clone()));
        }
        assert_eq!(reads(&app, file), 3);
        // Another office does not know the file; staff read only their own.
        app.get_as(&other, &format!("{EMPLOYEES}/{file}")).await.problem(404, "not_found");
        let listed = app.get_as(&other, EMPLOYEES).await.ok(200);
        assert!(listed["items"].as_array().unwrap().iter().all(|f| f["office_id"] == json!(app.office_id("SZ01"))));
        app.get_as(&staff, &format!("{EMPLOYEES}/{file}")).await.problem(403, "forbidden");
        let own = app.get_as(&staff, &format!("{EMPLOYEES}/me")).await.ok(200);
        assert_eq!(own["user_id"], json!(app.user_id("gz01.staff")));
        // Lists never carry personal data.
        let page = app.get_as(&ops, &format!("{EMPLOYEES}?limit=200")).await.ok(200);
        assert!(page["items"].as_array().unwrap().iter().all(|f| f.get("personal").is_none()));

        // A bad ID number is refused naming the field, without repeating it.
        let bad = "440106199003071232";
        let res = app.post_as(&ops, EMPLOYEES, &json!({"employee_number": "GZ01-900", "name": "林小華",
            "position": "售後服務工程師", "hire_date": "2026-11-01",
            "personal": {"id_number": bad, "phone": "13700137000"}})).await;
        let problem = res.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "personal.id_number");
        assert!(!problem.to_string().contains(bad));
        // The HR holder opens a file with personal data; the director may open
        // one but not record personal data.
        let hired = app.post_as(&ops, EMPLOYEES, &json!({"employee_number": "GZ01-900", "name": "林小華",
            "position": "售後服務工程師", "hire_date": "2026-11-01",
            "personal": {"id_number": "11010519491231002X", "birth_date": "1949-12-31"}})).await.ok(201);
        assert_eq!((hired["office_id"].clone(), hired["user_id"].clone(), hired["status"].clone()),
            (json!(app.office_id("GZ01")), Value::Null, json!("probation")));
        app.post_as(&ops, EMPLOYEES, &json!({"employee_number": "GZ01-900", "name": "重號",
            "position": "x", "hire_date": "2026-11-01"})).await.problem(409, "duplicate");
        app.post_as(&director, EMPLOYEES, &json!({"employee_number": "GZ01-901", "name": "周敏",
            "position": "x", "hire_date": "2026-11-01", "personal": {"phone": "13700137000"}})).await
            .problem(403, "forbidden");
        let plain = app.post_as(&director, EMPLOYEES, &json!({"employee_number": "GZ01-901", "name": "周敏",
            "position": "市場專員", "hire_date": "2026-11-01"})).await.ok(201);
        app.act_as(&director, &format!("{EMPLOYEES}/{}/personal-data", id(&plain)), &etag(&plain),
            &json!({"phone": "13700137000"})).await.problem(403, "forbidden");
        let res = app.act_as(&ops, &format!("{EMPLOYEES}/{}/personal-data", id(&plain)), &etag(&plain),
            &json!({"id_number": "11010519491231002X", "birth_date": "1950-01-01"})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "birth_date");
        let recorded = app.act_as(&ops, &format!("{EMPLOYEES}/{}/personal-data", id(&plain)), &etag(&plain),
            &json!({"id_number": "11010519491231002X", "phone": "13700137000"})).await.ok(200);
        assert_eq!(recorded["personal"]["phone"], json!("13700137000"));

        // The trail keeps the ID numbers masked, never in clear.
        let trail = whole_trail(&app);
        assert!(!trail.contains(REP_ID) && !trail.contains("11010519491231002X"));
        assert!(trail.contains("**************002X"));
        let written = app.audit_events("employee", id(&plain));
        assert_eq!(written.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["create", "record_personal_data"]);

        // A promotion goes through the position history, with its reason; the
        // file follows. The PATCH no longer takes the post.
        let today = chrono::Utc::now().date_naive();
        let path = format!("{EMPLOYEES}/{}/position-changes", id(&plain));
        let promotion = json!({"kind": "promotion", "position": "市場部主管", "grade": "M1",
            "reason": "試用期表現優秀", "effective_on": today});
        let mut future = promotion.clone();
        future["effective_on"] = json!(today + chrono::Duration::days(1));
        let res = app.act_as(&director, &path, &etag(&recorded), &future).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["field"], "effective_on");
        let change = app.act_as(&director, &path, &etag(&recorded), &promotion).await.ok(201);
        assert_eq!((change["from_position"].clone(), change["to_position"].clone(), change["from_grade"].clone(), change["to_grade"].clone()),
            (json!("市場專員"), json!("市場部主管"), Value::Null, json!("M1")));
        let now = app.get_as(&director, &format!("{EMPLOYEES}/{}", id(&plain))).await.ok(200);
        assert_eq!((now["position"].clone(), now["grade"].clone()), (json!("市場部主管"), json!("M1")));
        let res = app.act_as(&director, &path, &etag(&now), &promotion).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "unchanged");
        let history = app.get_as(&agent, &path).await.ok(200);
        assert_eq!(history["items"].as_array().unwrap().len(), 1);
        let res = app.patch_as(&director, &format!("{EMPLOYEES}/{}", id(&plain)), &etag(&now), &json!({"grade": "M2"})).await;
        assert_eq!(res.problem(400, "unknown_field")["errors"][0]["field"], "grade");
        let renamed = app.patch_as(&director, &format!("{EMPLOYEES}/{}", id(&plain)), &etag(&now),
            &json!({"name": "周敏華"})).await.ok(200);
        assert_eq!(renamed["name"], json!("周敏華"));
        app.patch_as(&agent, &format!("{EMPLOYEES}/{}", id(&plain)), &etag(&renamed), &json!({"name": "x"})).await
            .problem(403, "forbidden");
    }
}
