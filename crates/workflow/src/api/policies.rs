//! The approval policy endpoints HQ configures: listing and reading the HQ
//! defaults and office overrides, creating one, and replacing a policy's chain
//! (documents already in approval keep the chain they started with).

use actix_web::{HttpResponse, get, patch, post, web};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{ApiError, IfMatch, Page, Principal, ValidJson, ValidQuery, etag};
use org::roles::{APPROVAL_POLICY_MANAGE, APPROVAL_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::approval_policies as ap;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::Ts;
use crate::engine::{self, Registry};
use crate::policy::{PolicyDef, StepDef};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Policy {
    pub id: i64,
    #[schema(example = "expense_claim")]
    pub doc_type: String,
    /// `null`: the HQ default; otherwise this office's override.
    pub office_id: Option<i64>,
    pub name: String,
    pub steps: Vec<StepDef>,
    pub allow_same_approver: bool,
    /// The figures this type's rules read (minor units), by name.
    pub thresholds: std::collections::BTreeMap<String, i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
    pub version: i64,
}

type PolicyRow = (
    i64,
    String,
    Option<i64>,
    String,
    String,
    bool,
    Ts,
    i64,
    String,
);

fn policy_from(row: PolicyRow) -> Result<Policy, ApiError> {
    Ok(Policy {
        id: row.0,
        doc_type: row.1,
        office_id: row.2,
        name: row.3,
        steps: serde_json::from_str(&row.4).map_err(ApiError::internal)?,
        allow_same_approver: row.5,
        updated_at: row.6,
        version: row.7,
        thresholds: serde_json::from_str(&row.8).map_err(ApiError::internal)?,
    })
}

const POLICY_COLUMNS: (
    ap::id,
    ap::doc_type,
    ap::office_id,
    ap::name,
    ap::steps_json,
    ap::allow_same_approver,
    ap::updated_at,
    ap::version,
    ap::thresholds_json,
) = (
    ap::id,
    ap::doc_type,
    ap::office_id,
    ap::name,
    ap::steps_json,
    ap::allow_same_approver,
    ap::updated_at,
    ap::version,
    ap::thresholds_json,
);

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPolicies {
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub doc_type: Option<String>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Approval policies: HQ defaults and office overrides the caller can see.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(ListPolicies),
    responses(
        (status = 200, description = "A page of policies", body = Page<Policy>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/approvals/policies")]
pub(super) async fn list_policies(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListPolicies>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(APPROVAL_READ)?;
    let q = q.into_inner();
    let req = kernel::PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (ap::table.select(POLICY_COLUMNS), ap::office_id, ap::id),
                also = ap::office_id.is_null(),
                PolicyRow,
                req,
                asc,
                |query| {
                    if let Some(v) = q.doc_type {
                        query = query.filter(ap::doc_type.eq(v));
                    }
                    query
                }
            )?;
            let rows = rows
                .into_iter()
                .map(policy_from)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    /// A registered document type.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub doc_type: String,
    /// Omit for the HQ default; set for one office's override.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 20), nested)]
    #[schema(min_items = 1, max_items = 20)]
    pub steps: Vec<StepDef>,
    /// May one person approve two steps of the same chain? Default no.
    #[serde(default)]
    pub allow_same_approver: bool,
    /// The figures this type's rules read (minor units), by name; a name left out
    /// keeps the type's default.
    #[serde(default)]
    pub thresholds: std::collections::BTreeMap<String, i64>,
}

impl CreatePolicy {
    fn policy(&self) -> PolicyDef {
        PolicyDef {
            name: self.name.clone(),
            steps: self.steps.clone(),
            allow_same_approver: self.allow_same_approver,
            thresholds: self.thresholds.clone(),
        }
    }
}

/// Create a policy: an HQ default or an office override (HQ only).
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    request_body = CreatePolicy,
    responses(
        (status = 201, description = "Created", body = Policy, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/approvals/policies")]
pub(super) async fn create_policy(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<CreatePolicy>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(APPROVAL_POLICY_MANAGE)?);
    let body = body.into_inner();
    let def = body.policy();
    // The same rules as a policy edit (known roles).
    kernel::extract::validate(&def)?;
    if registry.get(&body.doc_type).is_err() {
        return Err(ApiError::invalid_field(
            "doc_type",
            "unknown_doc_type",
            "no such document type",
        ));
    }
    let policy = db
        .tx(move |conn| {
            if let Some(office) = body.office_id {
                // An office named in the body that does not exist is a bad field.
                org::open_office_in_body(conn, office)?;
            }
            let id = engine::insert_policy(conn, &body.doc_type, body.office_id, &def)?;
            let row: PolicyRow = ap::table
                .find(id)
                .select(POLICY_COLUMNS)
                .first(conn)
                .api()?;
            let policy = policy_from(row)?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "approval_policy", id, body.office_id).after(&policy),
            )?;
            Ok(policy)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/approvals/policies/{}", policy.id),
        ))
        .insert_header(etag(policy.version))
        .json(policy))
}

/// A policy the caller may read: the HQ defaults, and the overrides of offices
/// `approval:read` reaches — in the query.
fn load_policy(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<Policy, ApiError> {
    let row: PolicyRow = store::load_scoped!(
        conn,
        reach = p.reach(APPROVAL_READ),
        from = (ap::table.select(POLICY_COLUMNS), ap::office_id, ap::id),
        also = ap::office_id.is_null(),
        PolicyRow,
        id,
        "policy"
    )?;
    policy_from(row)
}

/// One policy.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses(
        (status = 200, description = "The policy", body = Policy, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/approvals/policies/{id}")]
pub(super) async fn get_policy(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(APPROVAL_READ)?;
    let id = id.into_inner();
    let policy = db.run(move |conn| load_policy(conn, &p, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(policy.version))
        .json(policy))
}

/// Replace a policy's chain. Documents already in approval keep the chain they
/// started with; only new submissions use the new one.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = PolicyDef,
    responses(
        (status = 200, description = "Updated", body = Policy, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/approvals/policies/{id}")]
pub(super) async fn update_policy(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<PolicyDef>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(APPROVAL_POLICY_MANAGE)?);
    let id = id.into_inner();
    let def = body.into_inner();
    let policy = db
        .tx(move |conn| {
            let before = load_policy(conn, &p, id)?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let updated = diesel::update(ap::table.find(id).filter(ap::version.eq(if_match.0)))
                .set((
                    ap::name.eq(&def.name),
                    ap::steps_json
                        .eq(serde_json::to_string(&def.steps).map_err(ApiError::internal)?),
                    ap::allow_same_approver.eq(def.allow_same_approver),
                    ap::thresholds_json
                        .eq(serde_json::to_string(&def.thresholds).map_err(ApiError::internal)?),
                    ap::updated_at.eq(kernel::time::to_db(kernel::time::now())),
                    ap::version.eq(ap::version + 1),
                ))
                .execute(conn)
                .api()?;
            if updated == 0 {
                return Err(version_conflict(before.version + 1));
            }
            let after = load_policy(conn, &p, id)?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "approval_policy", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(policy.version))
        .json(policy))
}
