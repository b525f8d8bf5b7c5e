//! What readers do with the knowledge base: count a read, vote whether an
//! article helped, and link a request to the article that answers it.

use actix_web::{HttpResponse, get, post, web};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, Principal, ValidJson};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    kb_articles as ka, kb_votes as kv, service_request_articles as sra, service_requests,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::api::load;
use super::{Article, ArticleRow, ArticleStatus, actions, view};
use crate::common::{allow, now_db};
use crate::requests::RequestRow;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(view_article)
        .service(vote_article)
        .service(link_article)
        .service(linked_articles);
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteArticle {
    /// Whether it helped.
    pub helpful: bool,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkArticle {
    /// A published article the caller reads: the company's or of the
    /// request's office.
    pub article_id: i64,
}

/// An article a request is linked to.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sra)]
pub struct ArticleLink {
    pub id: i64,
    pub request_id: i64,
    pub article_id: i64,
    pub office_id: i64,
    pub linked_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub linked_at: chrono::NaiveDateTime,
}

/// A published article the caller reads, for a read or a vote (409 when it
/// is not published).
fn readable(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    action: &str,
) -> Result<(Actor, ArticleRow), ApiError> {
    let row = load(conn, p, id)?;
    allow(action, &row.status, actions(&row.status))?;
    // Reading the company's articles needs no office: no one is acted for.
    let authority = row
        .office_id
        .and_then(|o| p.authorize(SERVICE_READ, Some(o)).ok())
        .unwrap_or(kernel::Authority { acting_for: None });
    Ok((p.actor(authority), row))
}

/// Count a read of a published article (a frontend calls it when the
/// article is opened).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, description = "Counted", body = Article), WriteErrors)
)]
#[post("/after-sales/knowledge/articles/{id}/views")]
async fn view_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let item = db
        .tx(move |conn| {
            let (actor, before) = readable(conn, &p, id, "view")?;
            let after: ArticleRow = diesel::update(ka::table.find(id))
                .set(ka::view_count.eq(ka::view_count + 1))
                .returning(ka::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("view", "kb_article", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(view(after))
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Say whether a published article helped: one vote per reader, changed by
/// voting again.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Article id")),
    request_body = VoteArticle,
    responses((status = 200, description = "Counted", body = Article), WriteErrors)
)]
#[post("/after-sales/knowledge/articles/{id}/votes")]
async fn vote_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<VoteArticle>,
) -> Result<HttpResponse, ApiError> {
    let helpful = body.into_inner().helpful;
    let id = id.into_inner();
    let item = db
        .tx(move |conn| {
            let (actor, before) = readable(conn, &p, id, "vote")?;
            let now = now_db();
            let updated = diesel::update(
                kv::table
                    .filter(kv::article_id.eq(id))
                    .filter(kv::user_id.eq(p.user_id)),
            )
            .set((kv::helpful.eq(helpful), kv::updated_at.eq(now)))
            .execute(conn)
            .api()?;
            if updated == 0 {
                diesel::insert_into(kv::table)
                    .values((
                        kv::article_id.eq(id),
                        kv::office_id.eq(before.office_id),
                        kv::user_id.eq(p.user_id),
                        kv::helpful.eq(helpful),
                        kv::created_at.eq(now),
                        kv::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .api()?;
            }
            let count = |conn: &mut AnyConnection, h: bool| -> Result<i64, ApiError> {
                kv::table
                    .filter(kv::article_id.eq(id))
                    .filter(kv::helpful.eq(h))
                    .count()
                    .get_result(conn)
                    .api()
            };
            let (yes, no) = (count(conn, true)?, count(conn, false)?);
            let after: ArticleRow = diesel::update(ka::table.find(id))
                .set((ka::helpful_count.eq(yes), ka::unhelpful_count.eq(no)))
                .returning(ka::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("vote", "kb_article", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(view(after))
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Link a request to the published article that answers it (a frequent
/// question): the company's or one of the request's office. Linking it again
/// changes nothing.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id")),
    request_body = LinkArticle,
    responses((status = 200, description = "Linked", body = Vec<ArticleLink>), WriteErrors)
)]
#[post("/after-sales/service-requests/{id}/articles")]
async fn link_article(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<LinkArticle>,
) -> Result<HttpResponse, ApiError> {
    let article_id = body.into_inner().article_id;
    let id = id.into_inner();
    let links = db
        .tx(move |conn| {
            let (request, authority) = store::load_scoped!(
                conn,
                p,
                SERVICE_MANAGE,
                service_requests,
                RequestRow,
                id,
                "service request"
            );
            let actor = p.actor(authority);
            let article = load(conn, &p, article_id)
                .ok()
                .filter(|a| a.status == ArticleStatus::Published.as_str())
                .filter(|a| a.office_id.is_none() || a.office_id == Some(request.office_id))
                .ok_or_else(|| store::scoped::no_such("article_id", "published article"))?;
            let known: i64 = sra::table
                .filter(sra::request_id.eq(id))
                .filter(sra::article_id.eq(article.id))
                .count()
                .get_result(conn)
                .api()?;
            if known == 0 {
                let link: ArticleLink = diesel::insert_into(sra::table)
                    .values((
                        sra::request_id.eq(id),
                        sra::article_id.eq(article.id),
                        sra::office_id.eq(request.office_id),
                        sra::linked_by.eq(p.user_id),
                        sra::linked_at.eq(now_db()),
                    ))
                    .returning(sra::all_columns)
                    .get_result(conn)
                    .api()?;
                audit::record(
                    conn,
                    &actor,
                    Change::new(
                        "link",
                        "service_request_article",
                        link.id,
                        Some(link.office_id),
                    )
                    .after(&link),
                )?;
            }
            sra::table
                .filter(sra::request_id.eq(id))
                .order(sra::id.asc())
                .select(ArticleLink::as_select())
                .load::<ArticleLink>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Ok().json(links))
}

/// The articles a request is linked to.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id")),
    responses((status = 200, description = "The links", body = Vec<ArticleLink>), ReadErrors)
)]
#[get("/after-sales/service-requests/{id}/articles")]
async fn linked_articles(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let links = db
        .run(move |conn| {
            let request = crate::requests::api::load_for_read(conn, &p, id)?;
            sra::table
                .filter(sra::request_id.eq(request.id))
                .order(sra::id.asc())
                .select(ArticleLink::as_select())
                .load::<ArticleLink>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Ok().json(links))
}
