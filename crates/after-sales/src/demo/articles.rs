//! Demo knowledge-base articles, in Chinese.

use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::{AnyConnection, DbResultExt};

use super::{Demo, user};
use crate::knowledge::api::{CreateArticle, advance as advance_article, write as write_article};

/// Knowledge-base articles in Chinese: the office's two published ones
/// (written by the service agent, approved by the director), one in review
/// and one draft; and, once, the company's two (HQ customer service, approved
/// by the HQ administrator). Returns how many were written.
pub(super) fn articles(
    conn: &mut AnyConnection,
    d: &Demo<'_>,
    director: i64,
) -> Result<usize, ApiError> {
    use store::schema::kb_articles as ka;
    let article =
        |category: &str, title: &str, body: &str, tags: &[&str], product: Option<&str>| {
            CreateArticle {
                company_wide: false,
                office_id: None,
                category: category.to_owned(),
                title: title.to_owned(),
                body: body.to_owned(),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                product: product.map(str::to_owned),
            }
        };
    // Written, then taken as far as `steps` go, each by its actor.
    let make = |conn: &mut AnyConnection,
                office: Option<i64>,
                author: &Actor,
                reviewer: &Actor,
                a: CreateArticle,
                steps: usize|
     -> Result<(), ApiError> {
        let mut row = write_article(conn, author, office, &a, d.now)?;
        if steps >= 1 {
            row = advance_article(conn, author, row, "submit", None)?.article;
        }
        if steps >= 2 {
            advance_article(conn, reviewer, row, "approve", None)?;
        }
        Ok(())
    };
    let director = Actor::demo_loader(Some(director));
    let office = Some(d.office);
    make(
        conn,
        office,
        &d.actor,
        &director,
        article(
            "產品使用",
            "LED 筒燈閃爍的常見原因與處理",
            "筒燈閃爍多由驅動電源老化或調光器不匹配引起。先確認調光器為前沿切相型號，再檢查接線是否鬆動，仍閃爍則更換驅動電源。",
            &["閃爍", "驅動電源"],
            Some("LED 工礦燈 150W"),
        ),
        2,
    )?;
    make(
        conn,
        office,
        &d.actor,
        &director,
        article(
            "安裝",
            "工礦燈安裝高度與間距",
            "8 米層高倉庫建議 150W 工礦燈，間距 6 至 7 米；安裝前先接地線，吊鏈須承受燈具重量四倍以上。",
            &["安裝", "照度"],
            Some("LED 工礦燈 150W"),
        ),
        2,
    )?;
    make(
        conn,
        office,
        &d.actor,
        &director,
        article(
            "售後",
            "返廠維修的包裝要求",
            "返廠燈具須用原包裝或加厚紙箱，驅動電源與燈體分開包裝，箱外註明工單號。",
            &["返廠", "包裝"],
            None,
        ),
        1,
    )?;
    make(
        conn,
        office,
        &d.actor,
        &director,
        article(
            "售後",
            "應急燈電池更換步驟",
            "斷電後拆下面蓋，取出舊電池，核對型號後裝入新電池，通電充電 24 小時後測試續航。",
            &["應急燈", "電池"],
            None,
        ),
        0,
    )?;
    let mut written = 4;
    let company: i64 = ka::table
        .filter(ka::office_id.is_null())
        .count()
        .get_result(conn)
        .api()?;
    if company == 0 {
        let hq_service = Actor::demo_loader(Some(user(conn, "hq.service")?));
        let hq_admin = Actor::demo_loader(Some(user(conn, "hq.admin")?));
        make(
            conn,
            None,
            &hq_service,
            &hq_admin,
            article(
                "政策",
                "保修政策",
                "整機自安裝之日起保修一年（HQ 可按產品另定），保修期內維修免費；保修期外先報價，客戶確認後維修。",
                &["保修", "報價"],
                None,
            ),
            2,
        )?;
        make(
            conn,
            None,
            &hq_service,
            &hq_admin,
            article(
                "服務規範",
                "投訴處理時限",
                "投訴須在服務時限內首次答覆並處理完畢；等待客戶期間時限暫停，逾期自動升級至主管、主任與總部。",
                &["投訴", "時限"],
                None,
            ),
            2,
        )?;
        written += 2;
    }
    Ok(written)
}
