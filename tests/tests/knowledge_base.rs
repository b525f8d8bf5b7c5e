//! The knowledge base on both backends: an article written, refused review by
//! its own author, returned and approved by another, then found by full-text
//! search — a Chinese two-character word, English words case aside, every word
//! required, the better match first — only while published and only by those
//! who read it; reads and one vote per reader counted; a request linked to the
//! article that answers it; isolation between offices.

use branchline_tests::{Isolated, assert_isolated, db_test, json};
use serde_json::Value;

const ARTICLES: &str = "/api/v1/after-sales/knowledge/articles";
const SEARCH: &str = "/api/v1/after-sales/knowledge/search";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn etag(v: &Value) -> String {
    format!("\"{}\"", v["version"].as_i64().expect("version"))
}

/// The search path for `q`, percent-encoded.
fn search(q: &str) -> String {
    let encoded: String = q
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{SEARCH}?q={encoded}")
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(id).collect()
}

db_test! {
    async fn articles_are_reviewed_by_another_and_found_in_chinese_and_english(app) {
        app.load_demo_org();
        let agent = app.login("gz01.service_agent").await;
        let director = app.login("gz01.office_director").await;
        let staff = app.login("gz01.operations_specialist").await;
        let sh = app.login("sh01.service_agent").await;
        let hq = app.login("hq.service").await;

        let flicker = app.post_as(&agent, ARTICLES, &json!({"category": "產品使用",
            "title": "LED 筒燈閃爍的常見原因與處理",
            "body": "筒燈閃爍多由驅動電源老化或調光器不匹配引起。先確認調光器型號,再更換驅動電源。",
            "tags": ["閃爍", "驅動電源"], "product": "LED 筒燈 DL-200"})).await.ok(201);
        assert_eq!((flicker["status"].clone(), flicker["tags"].clone()),
            (json!("draft"), json!(["閃爍", "驅動電源"])));
        let install = app.post_as(&agent, ARTICLES, &json!({"category": "安裝",
            "title": "Installing the DL-200 downlight",
            "body": "Cut a 200 mm hole; the driver sits above the ceiling. 燈具閃爍時請檢查接線。"})).await.ok(201);
        // The company's article, written at HQ.
        let company = app.post_as(&hq, ARTICLES, &json!({"company_wide": true, "category": "政策",
            "title": "保修政策", "body": "整機保修一年,驅動電源保修兩年。"})).await.ok(201);
        assert!(company["office_id"].is_null());
        app.post_as(&agent, ARTICLES, &json!({"company_wide": true, "category": "x", "title": "x", "body": "x"}))
            .await.problem(403, "forbidden");

        // A draft is found by no one, and seen by its author and the office's
        // managers only.
        let found = app.get_as(&agent, &search("閃爍")).await.ok(200);
        assert!(ids(&found).is_empty());
        app.get_as(&staff, &format!("{ARTICLES}/{}", id(&flicker))).await.problem(404, "not_found");

        // Submitted; its author may not review it; returned, changed, approved.
        let flicker = app.act_as(&agent, &format!("{ARTICLES}/{}/submit", id(&flicker)), &etag(&flicker), &json!({})).await.ok(200);
        assert_eq!(flicker["status"], "in_review");
        app.act_as(&agent, &format!("{ARTICLES}/{}/approve", id(&flicker)), &etag(&flicker), &json!({})).await
            .problem(403, "forbidden");
        let flicker = app.act_as(&director, &format!("{ARTICLES}/{}/return", id(&flicker)), &etag(&flicker),
            &json!({"note": "請補充調光器兼容型號"})).await.ok(200);
        assert_eq!((flicker["status"].clone(), flicker["review_note"].clone()), (json!("draft"), json!("請補充調光器兼容型號")));
        let flicker = app.patch_as(&agent, &format!("{ARTICLES}/{}", id(&flicker)), &etag(&flicker), &json!({
            "body": "筒燈閃爍多由驅動電源老化或調光器不匹配引起。兼容調光器:前沿切相 TRIAC。再更換驅動電源。"})).await.ok(200);
        let flicker = app.act_as(&agent, &format!("{ARTICLES}/{}/submit", id(&flicker)), &etag(&flicker), &json!({})).await.ok(200);
        let flicker = app.act_as(&director, &format!("{ARTICLES}/{}/approve", id(&flicker)), &etag(&flicker), &json!({})).await.ok(200);
        assert_eq!((flicker["status"].clone(), flicker["reviewer_user_id"].clone()),
            (json!("published"), json!(app.user_id("gz01.office_director"))));
        assert!(flicker["published_at"].is_string());
        for (token, a) in [(&agent, &install), (&hq, &company)] {
            let a = app.act_as(token, &format!("{ARTICLES}/{}/submit", id(a)), &etag(a), &json!({})).await.ok(200);
            let reviewer = if token == &hq { app.login("hq.admin").await } else { director.clone() };
            app.act_as(&reviewer, &format!("{ARTICLES}/{}/approve", id(&a)), &etag(&a), &json!({})).await.ok(200);
        }

        // 閃爍 is in both office articles; the one about it ranks first. 電源 is
        // in the flicker article and the company's.
        let found = app.get_as(&staff, &search("閃爍")).await.ok(200);
        assert_eq!(ids(&found), [id(&flicker), id(&install)]);
        let mut power = ids(&app.get_as(&staff, &search("電源")).await.ok(200));
        power.sort_unstable();
        let mut expected = vec![id(&flicker), id(&company)];
        expected.sort_unstable();
        assert_eq!(power, expected);
        // Every word must be there; English case aside.
        assert_eq!(ids(&app.get_as(&staff, &search("電源 調光器")).await.ok(200)), [id(&flicker)]);
        assert_eq!(ids(&app.get_as(&staff, &search("DOWNLIGHT driver")).await.ok(200)), [id(&install)]);
        assert!(ids(&app.get_as(&staff, &search("閃爍 保修")).await.ok(200)).is_empty());
        // Another office finds the company's article, not GZ01's.
        assert!(ids(&app.get_as(&sh, &search("閃爍")).await.ok(200)).is_empty());
        assert_eq!(ids(&app.get_as(&sh, &search("保修")).await.ok(200)), [id(&company)]);

        // Reads and votes: one vote per reader, changed by voting again.
        app.post_as(&staff, &format!("{ARTICLES}/{}/views", id(&flicker)), &json!({})).await.ok(200);
        app.post_as(&agent, &format!("{ARTICLES}/{}/views", id(&flicker)), &json!({})).await.ok(200);
        app.post_as(&staff, &format!("{ARTICLES}/{}/votes", id(&flicker)), &json!({"helpful": false})).await.ok(200);
        app.post_as(&staff, &format!("{ARTICLES}/{}/votes", id(&flicker)), &json!({"helpful": true})).await.ok(200);
        let counted = app.post_as(&agent, &format!("{ARTICLES}/{}/votes", id(&flicker)), &json!({"helpful": true})).await.ok(200);
        assert_eq!((counted["view_count"].clone(), counted["helpful_count"].clone(), counted["unhelpful_count"].clone()),
            (json!(2), json!(2), json!(0)));

        // A complaint answered by the article: linked once, however often.
        let customer = id(&app.post_as(&app.login("gz01.sales_rep").await, "/api/v1/sales/customers",
            &json!({"name": "珠江新城寫字樓", "classification": "intent"})).await.ok(201));
        let request = app.post_as(&agent, "/api/v1/after-sales/service-requests", &json!({"kind": "inquiry",
            "customer_id": customer, "channel": "phone", "category": "產品使用", "subject": "筒燈閃爍",
            "content": "客戶詢問筒燈閃爍如何處理"})).await.ok(201);
        let path = format!("/api/v1/after-sales/service-requests/{}/articles", id(&request));
        app.post_as(&agent, &path, &json!({"article_id": id(&flicker)})).await.ok(200);
        let links = app.post_as(&agent, &path, &json!({"article_id": id(&flicker)})).await.ok(200);
        assert_eq!(links.as_array().unwrap().len(), 1);
        // A draft, or an article of another office, is answered as one that
        // does not exist.
        let sh_article = app.post_as(&sh, ARTICLES, &json!({"category": "x", "title": "上海", "body": "x"})).await.ok(201);
        let draft = app.post_as(&agent, ARTICLES, &json!({"category": "x", "title": "草稿", "body": "x"})).await.ok(201);
        let foreign = app.post_as(&agent, &path, &json!({"article_id": id(&sh_article)})).await.problem(422, "validation_failed");
        let unpublished = app.post_as(&agent, &path, &json!({"article_id": id(&draft)})).await.problem(422, "validation_failed");
        let missing = app.post_as(&agent, &path, &json!({"article_id": 99_999_999})).await.problem(422, "validation_failed");
        assert_eq!(foreign["errors"], missing["errors"]);
        assert_eq!(unpublished["errors"], missing["errors"]);
        assert_eq!(app.get_as(&agent, &path).await.ok(200).as_array().unwrap().len(), 1);

        // Archived: kept, no longer found.
        let flicker = app.get_as(&agent, &format!("{ARTICLES}/{}", id(&flicker))).await.ok(200);
        app.act_as(&director, &format!("{ARTICLES}/{}/archive", id(&flicker)), &etag(&flicker), &json!({})).await.ok(200);
        assert_eq!(ids(&app.get_as(&staff, &search("閃爍")).await.ok(200)), [id(&install)]);
        let audit: Vec<String> = app.audit_events("kb_article", id(&flicker)).iter().map(|e| e.action.clone()).collect();
        assert_eq!(audit, ["create", "submit", "return", "update", "submit", "approve", "view", "view", "vote", "vote", "vote", "archive"]);

        // Another office sees none of GZ01's articles.
        assert_isolated(&app, &sh, Isolated {
            list: ARTICLES,
            item: format!("{ARTICLES}/{}", id(&install)),
            id: id(&install),
            patch: Some(json!({"title": "x"})),
            actions: vec![(format!("{ARTICLES}/{}/archive", id(&install)), json!({}))],
        }).await;
    }
}
