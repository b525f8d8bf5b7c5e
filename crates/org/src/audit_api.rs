//! Reading the audit trail: `GET /api/v1/audit-events`, newest first, filtered by
//! entity, actor, office and time, and scoped — an office's events to those who
//! hold `audit:read` over it, company-level events to company-wide readers.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use kernel::responses::{
    BadRequest, Forbidden, InternalError, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{ApiError, Page, Principal, ValidQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::Db;
use store::audit::{self, AuditFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::page;
use crate::roles::AUDIT_READ;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_events);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    /// Set when the actor acted for someone else (代行).
    pub acting_for_user_id: Option<i64>,
    #[schema(example = "change")]
    pub action: String,
    #[schema(example = "office")]
    pub entity_type: String,
    pub entity_id: i64,
    pub office_id: Option<i64>,
    /// Changed fields before the write (`null` for a create).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// Changed fields after the write.
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    pub request_id: Option<String>,
}

impl From<audit::AuditEvent> for AuditEvent {
    fn from(e: audit::AuditEvent) -> Self {
        let parse = |s: Option<String>| s.and_then(|t| serde_json::from_str(&t).ok());
        AuditEvent {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_user_id: e.actor_user_id,
            acting_for_user_id: e.acting_for_user_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            office_id: e.office_id,
            before: parse(e.before_json),
            after: parse(e.after_json),
            request_id: e.request_id,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAuditEvents {
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub office_id: Option<i64>,
    /// Events at or after this time.
    pub occurred_from: Option<DateTime<Utc>>,
    /// Events before this time.
    pub occurred_to: Option<DateTime<Utc>>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Read the audit trail.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(ListAuditEvents),
    responses(
        (status = 200, description = "A page of events, newest first", body = Page<AuditEvent>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/audit-events")]
async fn list_audit_events(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListAuditEvents>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(AUDIT_READ)?;
    let q = q.into_inner();
    let req = page(q.limit, q.cursor.as_deref())?;
    let filter = AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        actor_user_id: q.actor_user_id,
        office_id: q.office_id,
        from: q.occurred_from.map(|t| t.naive_utc()),
        to: q.occurred_to.map(|t| t.naive_utc()),
        reach,
    };
    let page_req = req.clone();
    let rows = db
        .run(move |conn| audit::list(conn, &filter, &page_req))
        .await?;
    let result: Page<AuditEvent> = req.page(rows, |r| r.id, AuditEvent::from);
    Ok(HttpResponse::Ok().json(result))
}
