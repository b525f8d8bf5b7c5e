//! The HTTP side of the knowledge base: articles (write, list, search, read,
//! review, archive, revise); reads, votes and links are in
//! [`super::readers`]. `service:read` reads the published articles of the company and of
//! its offices; `service:manage` writes, reviews and sees the unpublished ones
//! of its offices (company-wide: the company's).

use actix_web::{HttpResponse, get, patch, post, web};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, IfMatch, Page, PageRequest, Principal, Reach, ValidJson, ValidQuery, etag,
};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::kb_articles as ka;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{Article, ArticleRow, ArticleStatus, actions, search_text, view};
use crate::common::{allow, authority_over, company_or_office_for_create, created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_articles)
        .service(create_article)
        .service(search_articles)
        .service(get_article)
        .service(update_article)
        .service(submit_article)
        .service(approve_article)
        .service(return_article)
        .service(archive_article)
        .service(revise_article);
    super::readers::configure(cfg);
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArticle {
    /// The company's article (HQ: `service:manage` company-wide), read in
    /// every office. Otherwise the office's: `office_id`, or the caller's own.
    #[serde(default)]
    pub company_wide: bool,
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "產品使用")]
    pub category: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "LED 筒燈閃爍的常見原因與處理"
    )]
    pub title: String,
    #[validate(length(min = 1, max = 100000))]
    #[schema(
        min_length = 1,
        max_length = 100000,
        example = "筒燈閃爍多由驅動電源老化或調光器不匹配引起。先確認調光器型號……"
    )]
    pub body: String,
    #[validate(length(max = 20))]
    #[schema(max_items = 20, example = json!(["閃爍", "驅動電源"]))]
    #[serde(default)]
    pub tags: Vec<String>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "LED 筒燈 DL-200")]
    pub product: Option<String>,
}

/// New wording for a draft; what is left out is kept.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub category: Option<String>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[validate(length(min = 1, max = 100000))]
    #[schema(min_length = 1, max_length = 100000)]
    pub body: Option<String>,
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub product: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewNote {
    /// What the reviewer says to the author.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "請補充調光器兼容型號列表"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnArticle {
    /// What the author must change.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "請補充調光器兼容型號列表"
    )]
    pub note: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListArticles {
    pub status: Option<ArticleStatus>,
    /// An office's articles; the company's are those without an office.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub category: Option<String>,
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub product: Option<String>,
    pub author_user_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchArticles {
    /// Words in Chinese or English; an article matches when it holds them all.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200, example = "閃爍")]
    pub q: String,
    /// At most this many, best first (20 when left out).
    #[validate(range(min = 1, max = 100))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

fn check_tags(tags: &[String]) -> Result<(), ApiError> {
    for (i, t) in tags.iter().enumerate() {
        if t.trim().is_empty() || t.chars().count() > 50 {
            return Err(ApiError::invalid_field(
                &format!("tags[{i}]"),
                "length",
                "a tag is 1 to 50 characters",
            ));
        }
    }
    Ok(())
}

/// Whether the caller with `manage` (their `service:manage` reach) may see
/// and change the unpublished articles of `office` (`None`: the company's).
fn manages(manage: &Reach, office: Option<i64>) -> bool {
    match office {
        None => matches!(manage, Reach::Company),
        Some(o) => manage.contains(o),
    }
}

/// An article the caller reads: the company's or of an office in their
/// `service:read` reach — in the query — and, unless published, theirs or one
/// they manage. Anything else is 404.
pub(super) fn load(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
) -> Result<ArticleRow, ApiError> {
    p.require(SERVICE_READ)?;
    let row = store::load_scoped!(
        conn,
        reach = p.reach(SERVICE_READ),
        from = (
            ka::table.select(ArticleRow::as_select()),
            ka::office_id,
            ka::id
        ),
        also = ka::office_id.is_null(),
        ArticleRow,
        id,
        "article"
    )?;
    let visible = row.status == ArticleStatus::Published.as_str()
        || row.author_user_id == p.user_id
        || manages(&p.reach(SERVICE_MANAGE), row.office_id);
    if visible {
        Ok(row)
    } else {
        Err(ApiError::not_found("article"))
    }
}

/// The article `id` the caller may change (`service:manage` over its office,
/// company-wide for the company's), at the version read, in a state that
/// allows `action`.
fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
    action: &str,
) -> Result<(Actor, ArticleRow), ApiError> {
    p.require(SERVICE_MANAGE)?;
    let before = load(conn, p, id)?;
    let authority = authority_over(p, SERVICE_MANAGE, before.office_id, "article")?;
    if before.version != read_version {
        return Err(version_conflict(before.version));
    }
    allow(action, &before.status, actions(&before.status))?;
    Ok((p.actor(authority), before))
}

/// Writes `set` to an article read at its version, audited as `action`.
macro_rules! change {
    ($conn:expr, $actor:expr, $action:expr, $before:expr, $set:expr) => {{
        let now = now_db();
        let after: ArticleRow =
            store::update_versioned!($conn, ka, ArticleRow, $before, now, $set)?;
        audit::record(
            $conn,
            $actor,
            Change::new($action, "kb_article", after.id, after.office_id)
                .before(&$before)
                .after(&after),
        )?;
        Ok::<_, ApiError>(view(after))
    }};
}

/// Writes an article as a draft (also used by the demo loader).
pub fn write(
    conn: &mut AnyConnection,
    actor: &Actor,
    office: Option<i64>,
    b: &CreateArticle,
    now: chrono::NaiveDateTime,
) -> Result<ArticleRow, ApiError> {
    let author = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("an article is written by a user"))?;
    let tags = serde_json::to_string(&b.tags).map_err(ApiError::internal)?;
    let row: ArticleRow = diesel::insert_into(ka::table)
        .values((
            ka::office_id.eq(office),
            ka::category.eq(&b.category),
            ka::title.eq(&b.title),
            ka::body.eq(&b.body),
            ka::tags.eq(tags),
            ka::product.eq(b.product.as_deref()),
            ka::status.eq(ArticleStatus::Draft.as_str()),
            ka::author_user_id.eq(author),
            ka::search_text.eq(search_text(
                &b.title,
                &b.category,
                b.product.as_deref(),
                &b.tags,
                &b.body,
            )),
            ka::created_at.eq(now),
            ka::updated_at.eq(now),
            ka::version.eq(1_i64),
        ))
        .returning(ka::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "kb_article", row.id, office).after(&row),
    )?;
    Ok(row)
}

/// Write an article, as a draft: the company's (`company_wide`, HQ) or an
/// office's.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateArticle,
    responses((status = 201, description = "Written", body = Article, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/knowledge/articles")]
async fn create_article(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateArticle>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) =
        company_or_office_for_create(&p, SERVICE_MANAGE, b.company_wide, b.office_id)?;
    check_tags(&b.tags)?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| {
            if let Some(office) = office {
                org::open_office_in_body(conn, office)?;
            }
            write(conn, &actor, office, &b, now_db())
        })
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/knowledge/articles/{}", row.id),
        row.version,
    )
    .json(view(row)))
}

/// Articles the caller reads, oldest first: the published ones of the
/// company and of the offices `service:read` reaches, and the unpublished
/// ones they wrote or manage.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListArticles),
    responses((status = 200, description = "A page of articles", body = Page<Article>), ReadErrors)
)]
#[get("/after-sales/knowledge/articles")]
async fn list_articles(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListArticles>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let manage = p.reach(SERVICE_MANAGE);
    let me = p.user_id;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    ka::table.select(ArticleRow::as_select()),
                    ka::office_id,
                    ka::id
                ),
                also = ka::office_id.is_null(),
                ArticleRow,
                req,
                asc,
                |query| {
                    // Unpublished: one's own, or of what one manages.
                    let mine = ka::status
                        .eq(ArticleStatus::Published.as_str())
                        .or(ka::author_user_id.eq(me));
                    query = match store::scoped::office_ids(&manage) {
                        None => query,
                        Some(ids) => query.filter(mine.or(ka::office_id.eq_any(ids))),
                    };
                    if let Some(v) = f.status {
                        query = query.filter(ka::status.eq(v.as_str()));
                    }
                    if let Some(v) = f.office_id {
                        query = query.filter(ka::office_id.eq(v));
                    }
                    if let Some(v) = &f.category {
                        query = query.filter(ka::category.eq(v.clone()));
                    }
                    if let Some(v) = &f.product {
                        query = query.filter(ka::product.eq(v.clone()));
                    }
                    if let Some(v) = f.author_user_id {
                        query = query.filter(ka::author_user_id.eq(v));
                    }
                    query
                }
            )?;
            let items: Vec<Article> = rows.into_iter().map(view).collect();
            Ok(req.page(items, |a| a.article.id, |a| a))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Search the published articles the caller reads, best first: Chinese
/// found by any two-character word, English by whole words, case aside.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(SearchArticles),
    responses((status = 200, description = "The best matches (`next_cursor` is always null)", body = Page<Article>), ReadErrors)
)]
#[get("/after-sales/knowledge/search")]
async fn search_articles(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<SearchArticles>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let f = q.into_inner();
    let items = db
        .run(move |conn| super::search::find(conn, &reach, &f.q, f.limit.unwrap_or(20)))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: items.into_iter().map(view).collect::<Vec<Article>>(),
        next_cursor: None,
    }))
}

/// One article.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, description = "The article", body = Article, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/knowledge/articles/{id}")]
async fn get_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| load(conn, &p, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(view(row)))
}

/// Change a draft's wording.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateArticle,
    responses((status = 200, description = "Changed", body = Article, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/after-sales/knowledge/articles/{id}")]
async fn update_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateArticle>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    if let Some(tags) = &b.tags {
        check_tags(tags)?;
    }
    let id = id.into_inner();
    let item = db
        .tx(move |conn| {
            let (actor, before) = for_change(conn, &p, id, if_match.0, "update")?;
            let title = b.title.clone().unwrap_or_else(|| before.title.clone());
            let category = b
                .category
                .clone()
                .unwrap_or_else(|| before.category.clone());
            let body = b.body.clone().unwrap_or_else(|| before.body.clone());
            let product = b.product.clone().or_else(|| before.product.clone());
            let tags: Vec<String> = match &b.tags {
                Some(t) => t.clone(),
                None => serde_json::from_str(&before.tags).unwrap_or_default(),
            };
            let text = search_text(&title, &category, product.as_deref(), &tags, &body);
            let tags = serde_json::to_string(&tags).map_err(ApiError::internal)?;
            change!(
                conn,
                &actor,
                "update",
                before,
                (
                    ka::title.eq(title),
                    ka::category.eq(category),
                    ka::body.eq(body),
                    ka::product.eq(product),
                    ka::tags.eq(tags),
                    ka::search_text.eq(text),
                )
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.article.version))
        .json(item))
}

/// Carries out a step of an article's review on `before` (also used by the
/// demo loader): `submit`, `approve` and `return` (by someone other than the
/// author: 403 otherwise), `archive`, `revise`; the state machine is checked
/// by the caller.
pub fn advance(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: ArticleRow,
    action: &str,
    note: Option<String>,
) -> Result<Article, ApiError> {
    let now = now_db();
    match action {
        "submit" => change!(conn, actor, "submit", before, ka::status.eq("in_review")),
        "approve" | "return" => {
            if Some(before.author_user_id) == actor.user_id {
                return Err(ApiError::forbidden(
                    "an article is reviewed by someone other than its author",
                ));
            }
            let (status, published) = if action == "approve" {
                ("published", Some(now))
            } else {
                ("draft", None)
            };
            change!(
                conn,
                actor,
                if action == "approve" {
                    "approve"
                } else {
                    "return"
                },
                before,
                (
                    ka::status.eq(status),
                    ka::reviewer_user_id.eq(actor.user_id),
                    ka::review_note.eq(note),
                    ka::published_at.eq(published),
                )
            )
        }
        "archive" => change!(
            conn,
            actor,
            "archive",
            before,
            (ka::status.eq("archived"), ka::archived_at.eq(Some(now)))
        ),
        _ => change!(
            conn,
            actor,
            "revise",
            before,
            (
                ka::status.eq("draft"),
                ka::published_at.eq(None::<chrono::NaiveDateTime>)
            )
        ),
    }
}

/// One step of an article's review, under `If-Match`.
async fn step(
    db: &Db,
    p: Principal,
    id: i64,
    if_match: IfMatch,
    action: &'static str,
    note: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let item = db
        .tx(move |conn| {
            let (actor, before) = for_change(conn, &p, id, if_match.0, action)?;
            advance(conn, &actor, before, action, note)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.article.version))
        .json(item))
}

/// Submit a draft for review.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "In review", body = Article, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/knowledge/articles/{id}/submit")]
async fn submit_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    step(&db, p, id.into_inner(), if_match, "submit", None).await
}

/// Approve an article in review (not its author): it is published.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReviewNote,
    responses((status = 200, description = "Published", body = Article, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/knowledge/articles/{id}/approve")]
async fn approve_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReviewNote>,
) -> Result<HttpResponse, ApiError> {
    let note = body.into_inner().note;
    step(&db, p, id.into_inner(), if_match, "approve", note).await
}

/// Return an article in review to its author with what to change (not its
/// author): a draft again.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReturnArticle,
    responses((status = 200, description = "Returned", body = Article, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/knowledge/articles/{id}/return")]
async fn return_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReturnArticle>,
) -> Result<HttpResponse, ApiError> {
    let note = Some(body.into_inner().note);
    step(&db, p, id.into_inner(), if_match, "return", note).await
}

/// Archive a published article that no longer holds: kept, no longer found.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Archived", body = Article, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/knowledge/articles/{id}/archive")]
async fn archive_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    step(&db, p, id.into_inner(), if_match, "archive", None).await
}

/// Take a published article back to a draft to revise it; it is reviewed
/// again before it is found again.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "A draft again", body = Article, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/knowledge/articles/{id}/revise")]
async fn revise_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    step(&db, p, id.into_inner(), if_match, "revise", None).await
}
