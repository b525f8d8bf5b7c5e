//! Company figures are policy data, on both backends: HQ reads and changes them
//! through the policy API, the change is audited, and the next document follows
//! it — the pre-approval threshold of expense claims, and the amount above which
//! an asset purchase also goes to HQ finance.

use branchline_tests::{TestApp, db_test, json};
use serde_json::Value;

async fn policy_of(app: &TestApp, token: &str, doc_type: &str) -> Value {
    let page = app
        .get_as(
            token,
            &format!("/api/v1/approvals/policies?doc_type={doc_type}"),
        )
        .await
        .ok(200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["office_id"].is_null())
        .cloned()
        .unwrap_or_else(|| panic!("no HQ policy for {doc_type}: {page}"))
}

/// Replaces the HQ policy's figures or steps, as HQ would through the API.
async fn change(
    app: &TestApp,
    token: &str,
    policy: &Value,
    edit: impl FnOnce(&mut Value),
) -> Value {
    let mut body = json!({"name": policy["name"], "steps": policy["steps"],
        "allow_same_approver": policy["allow_same_approver"], "thresholds": policy["thresholds"]});
    edit(&mut body);
    app.patch_as(
        token,
        &format!("/api/v1/approvals/policies/{}", policy["id"]),
        &format!("\"{}\"", policy["version"]),
        &body,
    )
    .await
    .ok(200)
}

db_test! {
    async fn the_pre_approval_threshold_is_the_policy_s_and_hq_changes_it(app) {
        app.load_demo_org();
        // As `serve` does at start: every document type's HQ default policy.
        let registry = app.state.documents.clone();
        app.conn(|c| workflow::engine::ensure_default_policies(c, &registry).unwrap());
        let admin = app.login("hq.admin").await;
        let rep = app.login("gz01.sales_rep").await;
        let claim = app.post_as(&rep, "/api/v1/finance/expense-claims", &json!({"category": "travel", "title": "Expo",
            "lines": [{"spent_on": "2026-11-05", "description": "stand", "amount": 6_000_000, "invoice_number": "TH-1"}]})).await.ok(201);
        let submit = format!("/api/v1/finance/expense-claims/{}/submit", claim["id"]);
        let refused = app.act_as(&rep, &submit, "\"1\"", &json!({})).await.problem(422, "validation_failed");
        assert!(refused["errors"][0]["message"].as_str().unwrap().contains("50,000.00 CNY"), "{refused}");
        let policy = policy_of(&app, &admin, "expense_claim").await;
        assert_eq!(policy["thresholds"]["pre_approval_above"], 5_000_000);

        let changed = change(&app, &admin, &policy, |b| b["thresholds"]["pre_approval_above"] = json!(10_000_000)).await;
        assert_eq!(changed["thresholds"]["pre_approval_above"], 10_000_000);
        let events = app.audit_events("approval_policy", policy["id"].as_i64().unwrap());
        let update = events.iter().find(|e| e.action == "update").expect("the change is audited");
        assert!(update.before_json.as_deref().unwrap().contains("5000000"), "{:?}", update.before_json);
        assert!(update.after_json.as_deref().unwrap().contains("10000000"), "{:?}", update.after_json);

        // 60,000.00 is now below the figure: no pre-approval needed, and none may be asked for.
        app.act_as(&rep, &submit, "\"1\"", &json!({})).await.ok(200);
        let res = app.post_as(&rep, "/api/v1/finance/expense-pre-approvals",
            &json!({"category": "travel", "purpose": "Expo", "estimated_amount": 6_000_000})).await;
        let problem = res.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "estimated_amount");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("100,000.00 CNY"), "{problem}");
        // A negative figure is refused.
        let current = policy_of(&app, &admin, "expense_claim").await;
        let mut body = json!({"name": current["name"], "steps": current["steps"], "thresholds": {"pre_approval_above": -1}});
        body["allow_same_approver"] = current["allow_same_approver"].clone();
        app.patch_as(&admin, &format!("/api/v1/approvals/policies/{}", current["id"]), &format!("\"{}\"", current["version"]), &body)
            .await.problem(422, "validation_failed");
    }
}

async fn steps(app: &TestApp, token: &str, approval: i64) -> Vec<String> {
    let a = app
        .get_as(token, &format!("/api/v1/approvals/{approval}"))
        .await
        .ok(200);
    a["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

db_test! {
    async fn changing_a_step_s_amount_changes_the_next_chain(app) {
        app.load_demo_org();
        let admin = app.login("hq.admin").await;
        let ops = app.login("sz01.operations_specialist").await;
        let buy = |name: &str| json!({"name": name, "category": "it", "quantity": 1,
            "estimated_unit_value": 900_000, "reason": "replacement"});
        let first = app.post_as(&ops, "/api/v1/finance/asset-purchases", &buy("Laptop")).await.ok(201);
        assert_eq!(steps(&app, &admin, first["approval_id"].as_i64().unwrap()).await, vec!["office_director"]);
        let policy = policy_of(&app, &admin, "asset_purchase").await;
        change(&app, &admin, &policy, |b| b["steps"][1]["condition"]["amount_above"] = json!(500_000)).await;
        let second = app.post_as(&ops, "/api/v1/finance/asset-purchases", &buy("Monitor")).await.ok(201);
        assert_eq!(steps(&app, &admin, second["approval_id"].as_i64().unwrap()).await, vec!["office_director", "hq_finance"]);
        // The first keeps the chain it started with.
        assert_eq!(steps(&app, &admin, first["approval_id"].as_i64().unwrap()).await, vec!["office_director"]);
        assert!(app.audit_events("approval_policy", policy["id"].as_i64().unwrap()).iter().any(|e| e.action == "update"));
    }
}
