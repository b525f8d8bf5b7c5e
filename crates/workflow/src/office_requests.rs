//! Opening and closing an office (設立、撤銷) go through the approval engine. HQ's
//! network management files a request with its reason and effective date; the
//! request is submitted at once, and only its final approval opens or closes the
//! office (recorded in the office's change history by the organization module).
//! A rejected request goes back to its author with the reason and may be changed
//! and resubmitted.

use std::sync::Arc;

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, ServiceUnavailable, Unauthorized,
    UnprocessableEntity,
};
use kernel::{Actor, ApiError, ErrorCode, Page, Principal, ValidJson, ValidQuery};
use org::offices::{self, OpenOffice};
use org::roles::{OFFICE_CLOSE, OFFICE_OPEN, OFFICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::office_requests as orq;
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::engine::{self, ApprovalDocument, DocumentInfo, Registry};
use crate::policy::{PolicyDef, role};

pub const DOC_TYPE: &str = "office_request";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_office_requests)
        .service(create_office_request)
        .service(get_office_request)
        .service(submit_office_request);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Open (設立) a new office.
    Open,
    /// Close (撤銷) an office.
    Close,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = orq)]
pub struct OfficeRequest {
    pub id: i64,
    #[schema(value_type = RequestKind)]
    pub kind: String,
    /// The office to close.
    pub office_id: Option<i64>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub region_id: Option<i64>,
    pub address: Option<String>,
    pub reason: String,
    pub effective_date: NaiveDate,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub requested_by: i64,
    pub approval_id: Option<i64>,
    /// The office opened by an approved opening request.
    pub result_office_id: Option<i64>,
    pub rejection_reason: Option<String>,
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
pub struct CreateOfficeRequest {
    pub kind: RequestKind,
    /// For `close`: the office.
    pub office_id: Option<i64>,
    /// For `open`: the new office's code, e.g. `FS01`.
    #[validate(
        length(min = 2, max = 16),
        custom(function = "org::offices::validate_code")
    )]
    #[schema(min_length = 2, max_length = 16, pattern = "^[A-Z0-9_]+$")]
    pub code: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub region_id: Option<i64>,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub address: Option<String>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    pub effective_date: NaiveDate,
}

fn kind_str(k: RequestKind) -> &'static str {
    match k {
        RequestKind::Open => "open",
        RequestKind::Close => "close",
    }
}

fn load(conn: &mut AnyConnection, id: i64) -> Result<OfficeRequest, ApiError> {
    orq::table
        .find(id)
        .select(OfficeRequest::as_select())
        .first(conn)
        .optional()
        .api()?
        .ok_or_else(|| ApiError::not_found("office request"))
}

/// The document type the engine routes.
pub struct OfficeRequestDocument;

impl ApprovalDocument for OfficeRequestDocument {
    fn doc_type(&self) -> &'static str {
        DOC_TYPE
    }

    /// Company leadership (公司領導) approves opening and closing offices.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Office opening and closing".to_owned(),
            steps: vec![role("hq_executive", "leadership_approval")],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let r = load(conn, doc_id)?;
        let summary = match r.kind.as_str() {
            "open" => format!(
                "Open office {} {}",
                r.code.as_deref().unwrap_or(""),
                r.name.as_deref().unwrap_or("")
            ),
            _ => format!("Close office #{}", r.office_id.unwrap_or_default()),
        };
        Ok(DocumentInfo {
            office_id: r.office_id,
            owner_user_id: r.requested_by,
            owner_department_id: None,
            amount: None,
            currency: "CNY".to_owned(),
            category: Some(r.kind),
            summary,
        })
    }

    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let r = load(conn, doc_id)?;
        let result_office = match r.kind.as_str() {
            "open" => {
                let open = OpenOffice {
                    code: r.code.clone().unwrap_or_default(),
                    name: r.name.clone().unwrap_or_default(),
                    region_id: r.region_id.unwrap_or_default(),
                    address: r.address.clone().unwrap_or_default(),
                    director_user_id: None,
                    reason: r.reason.clone(),
                    effective_date: r.effective_date,
                };
                Some(offices::apply_open(conn, actor, &open)?.id)
            }
            _ => {
                offices::apply_close(
                    conn,
                    actor,
                    r.office_id.unwrap_or_default(),
                    &r.reason,
                    r.effective_date,
                )?;
                None
            }
        };
        set_status(conn, actor, &r, "approved", result_office, None)
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let r = load(conn, doc_id)?;
        set_status(conn, actor, &r, status, None, reason)
    }
}

fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &OfficeRequest,
    status: &str,
    result_office: Option<i64>,
    rejection: Option<&str>,
) -> Result<(), ApiError> {
    let after: OfficeRequest = diesel::update(orq::table.find(before.id))
        .set((
            orq::status.eq(status),
            orq::result_office_id.eq(result_office.or(before.result_office_id)),
            orq::rejection_reason.eq(rejection),
            orq::updated_at.eq(kernel::time::to_db(kernel::time::now())),
            orq::version.eq(orq::version + 1),
        ))
        .returning(orq::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(status, "office_request", before.id, before.office_id)
            .before(before)
            .after(&after),
    )?;
    Ok(())
}

/// Checks a request's content against the current offices.
fn check(conn: &mut AnyConnection, body: &CreateOfficeRequest) -> Result<(), ApiError> {
    match body.kind {
        RequestKind::Open => {
            for (field, missing) in [
                ("code", body.code.is_none()),
                ("name", body.name.is_none()),
                ("region_id", body.region_id.is_none()),
                ("address", body.address.is_none()),
            ] {
                if missing {
                    return Err(ApiError::invalid_field(
                        field,
                        "required",
                        "is required to open an office",
                    ));
                }
            }
            if body.office_id.is_some() {
                return Err(ApiError::invalid_field(
                    "office_id",
                    "not_allowed",
                    "an opening request names no existing office",
                ));
            }
            let code = body.code.as_deref().unwrap_or("");
            offices::check_open(conn, code, body.region_id.unwrap_or_default())?;
            let pending: i64 = orq::table
                .filter(
                    orq::kind
                        .eq("open")
                        .and(orq::code.eq(code))
                        .and(orq::status.eq("in_approval")),
                )
                .count()
                .get_result(conn)
                .api()?;
            if pending > 0 {
                return Err(ApiError::new(
                    ErrorCode::Duplicate,
                    "an opening request for this code is already in approval",
                ));
            }
            Ok(())
        }
        RequestKind::Close => {
            let office = body.office_id.ok_or_else(|| {
                ApiError::invalid_field("office_id", "required", "is required to close an office")
            })?;
            org::require_open_office(conn, office)?;
            let opened_on: NaiveDate = store::schema::offices::table
                .find(office)
                .select(store::schema::offices::opened_on)
                .first(conn)
                .api()?;
            if body.effective_date < opened_on {
                return Err(ApiError::invalid_field(
                    "effective_date",
                    "range",
                    "must not be before the office opened",
                ));
            }
            let pending: i64 = orq::table
                .filter(
                    orq::kind
                        .eq("close")
                        .and(orq::office_id.eq(office))
                        .and(orq::status.eq("in_approval")),
                )
                .count()
                .get_result(conn)
                .api()?;
            if pending > 0 {
                return Err(ApiError::new(
                    ErrorCode::Duplicate,
                    "a closing request for this office is already in approval",
                ));
            }
            Ok(())
        }
    }
}

/// File a request to open or close an office; it goes to approval at once.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    request_body = CreateOfficeRequest,
    responses(
        (status = 201, description = "Filed and submitted", body = OfficeRequest, headers(("Location" = String))),
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
#[post("/org/office-requests")]
async fn create_office_request(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<CreateOfficeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let perm = if body.kind == RequestKind::Open {
        OFFICE_OPEN
    } else {
        OFFICE_CLOSE
    };
    let actor = p.actor(p.require_company(perm)?);
    let registry = registry.get_ref().clone();
    let request = db
        .tx(move |conn| {
            check(conn, &body)?;
            let now = kernel::time::to_db(kernel::time::now());
            let request: OfficeRequest = diesel::insert_into(orq::table)
                .values((
                    orq::kind.eq(kind_str(body.kind)),
                    orq::office_id.eq(body.office_id),
                    orq::code.eq(&body.code),
                    orq::name.eq(&body.name),
                    orq::region_id.eq(body.region_id),
                    orq::address.eq(&body.address),
                    orq::reason.eq(&body.reason),
                    orq::effective_date.eq(body.effective_date),
                    orq::status.eq("in_approval"),
                    orq::requested_by.eq(p.user_id),
                    orq::created_at.eq(now),
                    orq::updated_at.eq(now),
                    orq::version.eq(1_i64),
                ))
                .returning(orq::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "office_request", request.id, request.office_id)
                    .after(&request),
            )?;
            let instance = engine::submit(conn, &registry, DOC_TYPE, request.id, &actor)?;
            diesel::update(orq::table.find(request.id))
                .set(orq::approval_id.eq(instance.id))
                .execute(conn)
                .api()?;
            load(conn, request.id)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/org/office-requests/{}", request.id),
        ))
        .json(request))
}

/// Resubmit a rejected or withdrawn request.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "Resubmitted", body = OfficeRequest),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/org/office-requests/{id}/submit")]
async fn submit_office_request(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(OFFICE_READ)?;
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let request = db
        .tx(move |conn| {
            let r = load(conn, id)?;
            if r.requested_by != p.user_id {
                return Err(if p.reach(OFFICE_READ) == kernel::Reach::Company {
                    ApiError::forbidden("only the author resubmits a request")
                } else {
                    ApiError::not_found("office request")
                });
            }
            if r.status != "rejected" && r.status != "withdrawn" {
                return Err(ApiError::invalid_transition("submit", &r.status, &[]));
            }
            let actor = p.actor(Default::default());
            engine::submit(conn, &registry, DOC_TYPE, id, &actor)?;
            let after: OfficeRequest = diesel::update(orq::table.find(id))
                .set((
                    orq::status.eq("in_approval"),
                    orq::rejection_reason.eq(None::<String>),
                    orq::version.eq(orq::version + 1),
                ))
                .returning(orq::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("submit", "office_request", id, r.office_id)
                    .before(&r)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(request))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOfficeRequests {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Office opening and closing requests (HQ).
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(ListOfficeRequests),
    responses(
        (status = 200, description = "A page of requests", body = Page<OfficeRequest>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/office-requests")]
async fn list_office_requests(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListOfficeRequests>,
) -> Result<HttpResponse, ApiError> {
    p.require_company(OFFICE_READ)?;
    let q = q.into_inner();
    let req = kernel::PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let mut query = orq::table
                .select(OfficeRequest::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(orq::id.gt(after));
            }
            let rows = query
                .order(orq::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r: &OfficeRequest| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One office request.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "The request", body = OfficeRequest),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/office-requests/{id}")]
async fn get_office_request(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require_company(OFFICE_READ)?;
    let id = id.into_inner();
    let r = db.run(move |conn| load(conn, id)).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The engine's registry with every document type this crate owns.
pub fn document() -> Arc<dyn ApprovalDocument> {
    Arc::new(OfficeRequestDocument)
}
