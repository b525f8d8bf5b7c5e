//! Departments (部門) of an office — market, sales, customer service,
//! administration, technical support, after-sales — each with one supervisor
//! (主管). An office's director manages their own office's departments; HQ
//! manages all.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{ApiError, IfMatch, Page, Principal, ValidJson, ValidQuery, etag};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::departments;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{location, now_db, office_code, page, require_open_office};
use crate::roles::{DEPARTMENT_MANAGE, DEPARTMENT_READ};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_departments)
        .service(create_department)
        .service(get_department)
        .service(update_department);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    Market,
    Sales,
    CustomerService,
    Administration,
    TechnicalSupport,
    AfterSales,
    Other,
}

impl DepartmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentKind::Market => "market",
            DepartmentKind::Sales => "sales",
            DepartmentKind::CustomerService => "customer_service",
            DepartmentKind::Administration => "administration",
            DepartmentKind::TechnicalSupport => "technical_support",
            DepartmentKind::AfterSales => "after_sales",
            DepartmentKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = departments)]
pub struct Department {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "銷售部 Sales")]
    pub name: String,
    #[schema(value_type = DepartmentKind)]
    pub kind: String,
    /// The department supervisor (主管).
    pub supervisor_user_id: Option<i64>,
    /// `active` or `closed`.
    pub status: String,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartment {
    pub office_id: i64,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub kind: DepartmentKind,
    pub supervisor_user_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDepartment {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub kind: Option<DepartmentKind>,
    /// The new supervisor; `null` leaves the post vacant.
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<i64>)]
    pub supervisor_user_id: Option<Option<i64>>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDepartments {
    pub office_id: Option<i64>,
    pub kind: Option<DepartmentKind>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A supervisor must be an active user of the department's office.
fn check_supervisor(
    conn: &mut AnyConnection,
    office_id: i64,
    user_id: i64,
) -> Result<(), ApiError> {
    crate::scope::user_of_office(conn, "supervisor_user_id", user_id, office_id)
}

/// List departments in the caller's reach.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(ListDepartments),
    responses(
        (status = 200, description = "A page of departments", body = Page<Department>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/departments")]
async fn list_departments(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListDepartments>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(DEPARTMENT_READ)?;
    let q = q.into_inner();
    let req = page(q.limit, q.cursor.as_deref())?;
    let result = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    departments::table.select(Department::as_select()),
                    departments::office_id,
                    departments::id
                ),
                Department,
                req,
                asc,
                |query| {
                    if let Some(office) = q.office_id {
                        query = query.filter(departments::office_id.eq(office));
                    }
                    if let Some(kind) = q.kind {
                        query = query.filter(departments::kind.eq(kind.as_str()));
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Create a department in an open office.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    request_body = CreateDepartment,
    responses(
        (status = 201, description = "Created", body = Department, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/org/departments")]
async fn create_department(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateDepartment>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let actor = p.actor(
        p.authorize(DEPARTMENT_MANAGE, Some(body.office_id))
            .map_err(|e| {
                if e.code == kernel::ErrorCode::NotFound {
                    ApiError::not_found("office")
                } else {
                    e
                }
            })?,
    );
    let dept = db
        .tx(move |conn| {
            office_code(conn, body.office_id)?;
            if let Some(s) = body.supervisor_user_id {
                check_supervisor(conn, body.office_id, s)?;
            }
            let now = now_db();
            let dept: Department = diesel::insert_into(departments::table)
                .values((
                    departments::office_id.eq(body.office_id),
                    departments::name.eq(&body.name),
                    departments::kind.eq(body.kind.as_str()),
                    departments::supervisor_user_id.eq(body.supervisor_user_id),
                    departments::status.eq("active"),
                    departments::created_at.eq(now),
                    departments::updated_at.eq(now),
                    departments::version.eq(1_i64),
                ))
                .returning(departments::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "department", dept.id, Some(dept.office_id)).after(&dept),
            )?;
            Ok(dept)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(location(&format!("/org/departments/{}", dept.id)))
        .insert_header(etag(dept.version))
        .json(dept))
}

/// Get a department.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id")),
    responses(
        (status = 200, description = "The department", body = Department, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/departments/{id}")]
async fn get_department(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(DEPARTMENT_READ)?;
    let id = id.into_inner();
    let dept = db
        .run(move |conn| {
            store::load_scoped!(
                conn,
                reach = reach,
                from = (
                    departments::table.select(Department::as_select()),
                    departments::office_id,
                    departments::id
                ),
                Department,
                id,
                "department"
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(dept.version))
        .json(dept))
}

/// Rename a department, change its kind or supervisor.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateDepartment,
    responses(
        (status = 200, description = "Updated", body = Department, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/org/departments/{id}")]
async fn update_department(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateDepartment>,
) -> Result<HttpResponse, ApiError> {
    p.require(DEPARTMENT_MANAGE)?;
    let id = id.into_inner();
    let body = body.into_inner();
    let dept = db
        .tx(move |conn| {
            let (before, authority) = store::load_scoped!(
                conn,
                p,
                DEPARTMENT_MANAGE,
                departments,
                Department,
                id,
                "department"
            );
            let actor = p.actor(authority);
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            require_open_office(conn, before.office_id)?;
            if let Some(Some(s)) = body.supervisor_user_id {
                check_supervisor(conn, before.office_id, s)?;
            }
            let kind = body
                .kind
                .map_or_else(|| before.kind.clone(), |k| k.as_str().to_owned());
            let after: Department = diesel::update(
                departments::table
                    .find(id)
                    .filter(departments::version.eq(if_match.0)),
            )
            .set((
                departments::name.eq(body.name.as_deref().unwrap_or(&before.name)),
                departments::kind.eq(kind),
                departments::supervisor_user_id
                    .eq(body.supervisor_user_id.unwrap_or(before.supervisor_user_id)),
                departments::updated_at.eq(now_db()),
                departments::version.eq(departments::version + 1),
            ))
            .returning(departments::all_columns)
            .get_result(conn)
            .optional()
            .api()?
            .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "department", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(dept.version))
        .json(dept))
}
