//! Expense claims on both backends: the seeds' chain end to end for a small and a
//! large claim (with its HQ pre-approval), invoices claimed once company-wide,
//! rejection back to the claimant and resubmission, payment, server-computed
//! totals, and cross-office isolation.

use branchline_tests::{Isolated, TestApp, assert_isolated, db_test, json};
use serde_json::Value;

fn sha(n: u8) -> String {
    format!("{:064x}", u128::from(n) * 0x1234_5678_9abc)
}

fn claim_body(dept: i64, invoices: &[(&str, i64)], pre: Option<i64>) -> Value {
    let lines: Vec<Value> = invoices
        .iter()
        .enumerate()
        .map(|(i, (inv, amount))| json!({"spent_on": "2026-11-10", "description": format!("item {i}"), "amount": amount,
            "invoice_number": inv, "attachment": {"file_name": format!("{inv}.pdf"), "sha256": sha(i as u8 + 1), "size": 2048}}))
        .collect();
    json!({"category": "travel", "title": "Customer visits in Foshan", "department_id": dept, "pre_approval_id": pre, "lines": lines})
}

async fn submit(app: &TestApp, token: &str, claim: &Value) -> Value {
    let etag = format!("\"{}\"", claim["version"]);
    app.act_as(
        token,
        &format!("/api/v1/finance/expense-claims/{}/submit", claim["id"]),
        &etag,
        &json!({}),
    )
    .await
    .ok(200)
}

db_test! {
    async fn a_small_claim_follows_the_seeds_chain_and_is_paid(app) {
        app.load_demo();
        let rep = app.login("gz01.sales_rep").await;
        let claim = app.post_as(&rep, "/api/v1/finance/expense-claims",
            &claim_body(app.sales_department("GZ01"), &[("INV-0001", 120_000), ("INV-0002", 35_050)], None)).await.ok(201);
        assert_eq!(claim["status"], "draft");
        assert_eq!(claim["total"], 155_050);
        // Numbered after the demo's five GZ01 claims, from the office's gapless sequence.
        let year = chrono::Utc::now().format("%Y").to_string();
        assert_eq!(claim["number"], format!("EC-GZ01-{year}-000006"));
        assert_eq!(claim["lines"][1]["attachment_sha256"], sha(2));

        let submitted = submit(&app, &rep, &claim).await;
        assert_eq!(submitted["status"], "in_approval");
        let approval = submitted["approval_id"].as_i64().unwrap();
        let chain = app.get_as(&rep, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        let names: Vec<&str> = chain["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["preliminary_review", "department_head", "office_director", "hq_finance_final_review"]);

        for user in ["gz01.operations_specialist", "gz01.department_supervisor", "gz01.office_director"] {
            app.approve_as(user, approval).await;
            let now = app.get_as(&rep, &format!("/api/v1/finance/expense-claims/{}", claim["id"])).await.ok(200);
            assert_eq!(now["status"], "in_approval", "after {user}");
        }
        app.approve_as("hq.finance", approval).await;
        let approved = app.get_as(&rep, &format!("/api/v1/finance/expense-claims/{}", claim["id"])).await;
        let etag = approved.header("etag").unwrap().to_owned();
        assert_eq!(approved.json()["status"], "approved");

        // Only finance pays, only an approved claim, once.
        let pay = json!({"paid_on": "2026-11-20", "payment_reference": "BANK-20261120-001"});
        let path = format!("/api/v1/finance/expense-claims/{}/pay", claim["id"]);
        app.act_as(&rep, &path, &etag, &pay).await.problem(403, "forbidden");
        let finance = app.login("hq.finance").await;
        let paid = app.act_as(&finance, &path, &etag, &pay).await.ok(200);
        assert_eq!((paid["status"].clone(), paid["payment_reference"].clone()), (json!("paid"), json!("BANK-20261120-001")));
        let etag = format!("\"{}\"", paid["version"]);
        app.act_as(&finance, &path, &etag, &pay).await.problem(409, "invalid_transition");
        let actions: Vec<String> = app.audit_events("expense_claim", claim["id"].as_i64().unwrap()).iter().map(|e| e.action.clone()).collect();
        assert_eq!(actions, vec!["create", "submit", "approved", "pay"]);
    }
}

db_test! {
    async fn a_large_claim_needs_an_approved_hq_pre_approval(app) {
        app.load_demo();
        let rep = app.login("sz01.sales_rep").await;
        let dept = app.sales_department("SZ01");
        let claim = app.post_as(&rep, "/api/v1/finance/expense-claims",
            &claim_body(dept, &[("INV-L-1", 4_000_000), ("INV-L-2", 2_000_000)], None)).await.ok(201);
        assert_eq!(claim["total"], 6_000_000);
        let etag = format!("\"{}\"", claim["version"]);
        let path = format!("/api/v1/finance/expense-claims/{}/submit", claim["id"]);
        let res = app.act_as(&rep, &path, &etag, &json!({})).await;
        assert_eq!(res.problem(422, "validation_failed")["errors"][0]["code"], "pre_approval_required");

        let pre = app.post_as(&rep, "/api/v1/finance/expense-pre-approvals",
            &json!({"category": "travel", "purpose": "Trade show in Shanghai", "estimated_amount": 6_500_000})).await.ok(201);
        assert_eq!(pre["status"], "in_approval");
        let pre_approval = pre["approval_id"].as_i64().unwrap();
        app.approve_as("sz01.office_director", pre_approval).await;
        app.approve_as("hq.executive", pre_approval).await;
        let pre = app.get_as(&rep, &format!("/api/v1/finance/expense-pre-approvals/{}", pre["id"])).await.ok(200);
        assert_eq!(pre["status"], "approved");

        let updated = app.patch_as(&rep, &format!("/api/v1/finance/expense-claims/{}", claim["id"]), &etag,
            &claim_body(dept, &[("INV-L-1", 4_000_000), ("INV-L-2", 2_000_000)], pre["id"].as_i64())).await.ok(200);
        let submitted = submit(&app, &rep, &updated).await;
        let approval = submitted["approval_id"].as_i64().unwrap();
        for user in ["sz01.operations_specialist", "sz01.department_supervisor", "sz01.office_director", "hq.finance"] {
            app.approve_as(user, approval).await;
        }
        let done = app.get_as(&rep, &format!("/api/v1/finance/expense-claims/{}", claim["id"])).await.ok(200);
        assert_eq!(done["status"], "approved");
    }
}

db_test! {
    async fn an_invoice_is_claimed_once_in_the_whole_company(app) {
        app.load_demo();
        let gz = app.login("gz01.sales_rep").await;
        let sh = app.login("sh01.sales_rep").await;
        app.post_as(&gz, "/api/v1/finance/expense-claims", &claim_body(app.sales_department("GZ01"), &[("INV-DUP-1", 100)], None)).await.ok(201);
        let res = app.post_as(&sh, "/api/v1/finance/expense-claims",
            &claim_body(app.sales_department("SH01"), &[("INV-NEW-9", 100), ("INV-DUP-1", 200)], None)).await;
        let body = res.problem(409, "duplicate");
        assert_eq!(body["errors"][0]["field"], "lines[1].invoice_number");
        let res = app.post_as(&sh, "/api/v1/finance/expense-claims",
            &claim_body(app.sales_department("SH01"), &[("INV-TWICE", 100), ("INV-TWICE", 200)], None)).await;
        assert_eq!(res.problem(409, "duplicate")["errors"][0]["field"], "lines[1].invoice_number");
        // Nothing half-written: no claim and no line from the refused requests.
        use diesel::prelude::*;
        use store::schema::expense_claim_lines as el;
        let written: i64 = app.conn(|c| {
            el::table.filter(el::invoice_number.eq_any(["INV-NEW-9", "INV-TWICE"])).count().get_result(c).unwrap()
        });
        assert_eq!(written, 0);
        // The client cannot set the total.
        let mut body = claim_body(app.sales_department("SH01"), &[("INV-T-1", 100)], None);
        body["total"] = json!(1);
        app.post_as(&sh, "/api/v1/finance/expense-claims", &body).await.problem(400, "unknown_field");
    }
}

db_test! {
    async fn a_rejected_claim_goes_back_with_the_reason_and_is_resubmitted(app) {
        app.load_demo();
        let rep = app.login("hz01.sales_rep").await;
        let dept = app.sales_department("HZ01");
        let claim = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim_body(dept, &[("INV-R-1", 50_000)], None)).await.ok(201);
        let approval = submit(&app, &rep, &claim).await["approval_id"].as_i64().unwrap();
        let ops = app.login("hz01.operations_specialist").await;
        let res = app.get_as(&ops, &format!("/api/v1/approvals/{approval}")).await;
        let etag = res.header("etag").unwrap().to_owned();
        app.act_as(&ops, &format!("/api/v1/approvals/{approval}/reject"), &etag, &json!({"reason": "the invoice is not a VAT invoice"})).await.ok(200);
        let back = app.get_as(&rep, &format!("/api/v1/finance/expense-claims/{}", claim["id"])).await;
        let etag = back.header("etag").unwrap().to_owned();
        let back = back.json();
        assert_eq!((back["status"].clone(), back["rejection_reason"].clone()), (json!("rejected"), json!("the invoice is not a VAT invoice")));
        let fixed = app.patch_as(&rep, &format!("/api/v1/finance/expense-claims/{}", claim["id"]), &etag,
            &claim_body(dept, &[("INV-R-2", 50_000)], None)).await.ok(200);
        let again = submit(&app, &rep, &fixed).await;
        assert_eq!((again["status"].clone(), again["rejection_reason"].clone()), (json!("in_approval"), serde_json::Value::Null));
        let chain = app.get_as(&rep, &format!("/api/v1/approvals/{approval}")).await.ok(200);
        assert_eq!(chain["round"], 2);
        // The first invoice number is free again after the change.
        app.post_as(&rep, "/api/v1/finance/expense-claims", &claim_body(dept, &[("INV-R-1", 50_000)], None)).await.ok(201);
    }
}

db_test! {
    async fn claims_never_leak_across_offices(app) {
        app.load_demo();
        let rep = app.login("gz01.sales_rep").await;
        let claim = app.post_as(&rep, "/api/v1/finance/expense-claims", &claim_body(app.sales_department("GZ01"), &[("INV-X-1", 900)], None)).await.ok(201);
        let id = claim["id"].as_i64().unwrap();
        let sh_director = app.login("sh01.office_director").await;
        assert_isolated(&app, &sh_director, Isolated {
            list: "/api/v1/finance/expense-claims?limit=200",
            item: format!("/api/v1/finance/expense-claims/{id}"),
            id,
            patch: Some(claim_body(app.sales_department("GZ01"), &[("INV-X-2", 1)], None)),
            actions: vec![
                (format!("/api/v1/finance/expense-claims/{id}/submit"), json!({})),
            ],
        }).await;
        // A colleague without expense:read sees only their own.
        let other = app.login("gz01.market_specialist").await;
        app.get_as(&other, &format!("/api/v1/finance/expense-claims/{id}")).await.problem(404, "not_found");
        // The office's director and HQ finance see it.
        app.get_as(&app.login("gz01.office_director").await, &format!("/api/v1/finance/expense-claims/{id}")).await.ok(200);
        app.get_as(&app.login("hq.finance").await, &format!("/api/v1/finance/expense-claims/{id}")).await.ok(200);
        // Pay on another office's claim: 404 for an office role.
        app.act_as(&sh_director, &format!("/api/v1/finance/expense-claims/{id}/pay"), "\"1\"",
            &json!({"paid_on": "2026-11-20", "payment_reference": "x"})).await.problem(403, "forbidden");
    }
}
