//! No approval chain waits for someone who may not decide it, on both backends.
//! An expense claim is filed by every role of an office in turn and decided by
//! whoever's inbox holds it, until it is approved: every pending step must be in
//! somebody's inbox, and the approval must end approved. (The office's only
//! operations specialist once saw their preliminary review move to the director,
//! who approved it and then could not decide the director step.)

use branchline_tests::{TestApp, db_test, json};
use serde_json::Value;

const OFFICE_ROLES: [&str; 10] = [
    "office_director",
    "deputy_director",
    "department_supervisor",
    "operations_specialist",
    "sales_rep",
    "market_specialist",
    "service_agent",
    "support_engineer",
    "service_engineer",
    "staff",
];

async fn inbox_ids(app: &TestApp, token: &str) -> Vec<i64> {
    app.get_as(token, "/api/v1/approvals/inbox?limit=200")
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["approval_id"].as_i64())
        .collect()
}

db_test! {
    async fn every_office_role_s_claim_goes_through_to_approval(app) {
        app.load_demo_org();
        let mut users: Vec<(String, String)> = Vec::new();
        for name in ["hq.finance", "hq.executive", "south.regional_manager"]
            .into_iter().map(str::to_owned).chain(OFFICE_ROLES.iter().map(|r| format!("gz01.{r}")))
        {
            let token = app.login(&name).await;
            users.push((name, token));
        }
        for (n, role) in OFFICE_ROLES.iter().enumerate() {
            let submitter = format!("gz01.{role}");
            let token = app.login(&submitter).await;
            let res = app.post_as(&token, "/api/v1/finance/expense-claims", &json!({"category": "office", "title": "Toner",
                "lines": [{"spent_on": "2026-11-05", "description": "toner", "amount": 12_000, "invoice_number": format!("CHAIN-{n}")}]})).await;
            if res.status == 403 {
                continue;
            }
            let claim = res.ok(201);
            let submitted: Value = app.act_as(&token, &format!("/api/v1/finance/expense-claims/{}/submit", claim["id"]), "\"1\"", &json!({})).await.ok(200);
            let approval = submitted["approval_id"].as_i64().unwrap();
            let mut decided_by = Vec::new();
            for _ in 0..8 {
                let state = app.get_as(&users[0].1, &format!("/api/v1/approvals/{approval}")).await.ok(200);
                if state["status"] != "pending" {
                    assert_eq!(state["status"], "approved", "{submitter}: {state}");
                    break;
                }
                let mut decider = None;
                for (name, tok) in &users {
                    if name != &submitter && inbox_ids(&app, tok).await.contains(&approval) {
                        decider = Some(name.clone());
                        break;
                    }
                }
                let decider = decider.unwrap_or_else(|| panic!("{submitter}'s claim waits at a step nobody may decide: {state}"));
                app.approve_as(&decider, approval).await;
                decided_by.push(decider);
            }
            let state = app.get_as(&users[0].1, &format!("/api/v1/approvals/{approval}")).await.ok(200);
            assert_eq!(state["status"], "approved", "{submitter}: decided by {decided_by:?}: {state}");
            let mut unique = decided_by.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), decided_by.len(), "one person decided two steps: {decided_by:?}");
        }
    }
}
