//! Survey templates: make one (the company's or an office's), list, read,
//! deactivate; and which templates an office may send.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::survey_templates as tpl;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{Question, check_questions};
use crate::common::{allow, authority_over, company_or_office_for_create, created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_templates)
        .service(create_template)
        .service(get_template)
        .service(deactivate_template);
}

/// What a template is for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// Sent after a service ticket.
    Ticket,
    /// Sent in rounds to a group of customers.
    Periodic,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Ticket => "ticket",
            TemplateKind::Periodic => "periodic",
        }
    }
}

/// A template as stored.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = tpl)]
pub struct TemplateRow {
    pub id: i64,
    /// `null`: the company's, used in every office.
    pub office_id: Option<i64>,
    #[schema(example = "年度客戶滿意度調查")]
    pub name: String,
    #[schema(value_type = TemplateKind)]
    pub kind: String,
    #[serde(skip)]
    pub questions: String,
    pub active: bool,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A template with its questions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyTemplate {
    #[serde(flatten)]
    pub template: TemplateRow,
    pub questions: Vec<Question>,
}

pub fn template_view(row: TemplateRow) -> SurveyTemplate {
    SurveyTemplate {
        questions: serde_json::from_str(&row.questions).unwrap_or_default(),
        template: row,
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    /// The company's template (HQ: `service:manage` company-wide), used in
    /// every office. Otherwise the office's: `office_id`, or the caller's own.
    #[serde(default)]
    pub company_wide: bool,
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "維修服務滿意度")]
    pub name: String,
    pub kind: TemplateKind,
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub questions: Vec<Question>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTemplates {
    pub kind: Option<TemplateKind>,
    pub active: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Makes a template (also used by the demo loader), audited.
pub fn make_template(
    conn: &mut AnyConnection,
    actor: &Actor,
    office: Option<i64>,
    b: &CreateTemplate,
    now: NaiveDateTime,
) -> Result<TemplateRow, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a template is made by a user"))?;
    let row: TemplateRow = diesel::insert_into(tpl::table)
        .values((
            tpl::office_id.eq(office),
            tpl::name.eq(&b.name),
            tpl::kind.eq(b.kind.as_str()),
            tpl::questions.eq(serde_json::to_string(&b.questions).map_err(ApiError::internal)?),
            tpl::active.eq(true),
            tpl::created_by.eq(user),
            tpl::created_at.eq(now),
            tpl::updated_at.eq(now),
            tpl::version.eq(1_i64),
        ))
        .returning(tpl::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "survey_template", row.id, office).after(&row),
    )?;
    Ok(row)
}

/// Make a template: the company's (`company_wide`, HQ) or an office's. It is
/// not edited once made: a new one replaces it.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateTemplate,
    responses((status = 201, description = "Made", body = SurveyTemplate, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/survey-templates")]
async fn create_template(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateTemplate>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) =
        company_or_office_for_create(&p, SERVICE_MANAGE, b.company_wide, b.office_id)?;
    check_questions(&b.questions)?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| {
            if let Some(office) = office {
                org::open_office_in_body(conn, office)?;
            }
            make_template(conn, &actor, office, &b, now_db())
        })
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/survey-templates/{}", row.id),
        row.version,
    )
    .json(template_view(row)))
}

/// Templates of the company and of the offices `service:read` reaches.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListTemplates),
    responses((status = 200, description = "A page of templates", body = Page<SurveyTemplate>), ReadErrors)
)]
#[get("/after-sales/survey-templates")]
async fn list_templates(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListTemplates>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    tpl::table.select(TemplateRow::as_select()),
                    tpl::office_id,
                    tpl::id
                ),
                also = tpl::office_id.is_null(),
                TemplateRow,
                req,
                asc,
                |query| {
                    if let Some(v) = f.kind {
                        query = query.filter(tpl::kind.eq(v.as_str()));
                    }
                    if let Some(v) = f.active {
                        query = query.filter(tpl::active.eq(v));
                    }
                    query
                }
            )?;
            let items: Vec<SurveyTemplate> = rows.into_iter().map(template_view).collect();
            Ok(req.page(items, |t| t.template.id, |t| t))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A template the caller reads: the company's or of an office in reach.
pub(super) fn load_template(
    conn: &mut AnyConnection,
    reach: kernel::Reach,
    id: i64,
) -> Result<TemplateRow, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            tpl::table.select(TemplateRow::as_select()),
            tpl::office_id,
            tpl::id
        ),
        also = tpl::office_id.is_null(),
        TemplateRow,
        id,
        "survey template"
    )
}

/// One template.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, description = "The template", body = SurveyTemplate, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/survey-templates/{id}")]
async fn get_template(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let id = id.into_inner();
    let row = db.run(move |conn| load_template(conn, reach, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(template_view(row)))
}

/// Deactivate a template: no more surveys are sent with it; those sent are
/// answered and counted as before.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Template id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Deactivated", body = SurveyTemplate, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/survey-templates/{id}/deactivate")]
async fn deactivate_template(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .tx(move |conn| {
            p.require(SERVICE_MANAGE)?;
            let before = load_template(conn, p.reach(SERVICE_READ), id)?;
            let authority =
                authority_over(&p, SERVICE_MANAGE, before.office_id, "survey template")?;
            let actor = p.actor(authority);
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let state = if before.active { "active" } else { "inactive" };
            allow(
                "deactivate",
                state,
                if before.active { &["deactivate"] } else { &[] },
            )?;
            let after: TemplateRow = store::update_versioned!(
                conn,
                tpl,
                TemplateRow,
                before,
                now_db(),
                tpl::active.eq(false)
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("deactivate", "survey_template", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(template_view(row)))
}

/// A template usable at `office` for `kind`: active, the company's or the
/// office's — else 422 on `template_id`, as one that does not exist.
pub(super) fn usable_template(
    conn: &mut AnyConnection,
    office: i64,
    id: i64,
    kind: TemplateKind,
) -> Result<TemplateRow, ApiError> {
    tpl::table
        .filter(tpl::id.eq(id))
        .filter(tpl::office_id.is_null().or(tpl::office_id.eq(office)))
        .filter(tpl::active.eq(true))
        .filter(tpl::kind.eq(kind.as_str()))
        .select(TemplateRow::as_select())
        .first(conn)
        .optional()
        .api()?
        .ok_or_else(|| store::scoped::no_such("template_id", "active template of this kind"))
}
