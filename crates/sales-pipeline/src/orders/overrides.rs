//! Credit overrides (超信用額度) under `/sales/credit-overrides`: the record,
//! requesting one (submitted straight to the approval engine), listing and
//! reading them, and the approval engine's side — the office director, then
//! HQ finance. An approved override serves one order, above the limit by at
//! most its amount.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{credit_overrides as co, customers as c};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use super::OVERRIDE_DOC;
use crate::common::{customer_of_office, load_scoped, now_db};

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = co)]
pub struct CreditOverride {
    pub id: i64,
    pub office_id: i64,
    pub customer_id: i64,
    /// How far above the limit it lets one order go, minor units.
    pub amount: i64,
    pub reason: String,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    /// The order that used it; an override serves one order.
    pub order_id: Option<i64>,
    pub created_by: i64,
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
pub struct RequestOverride {
    pub customer_id: i64,
    /// The excess to allow, minor units (the `excess` of the refusal).
    #[validate(range(min = 1, max = 1_000_000_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64, example = 1_200_000)]
    pub amount: i64,
    #[validate(length(min = 1, max = 1000))]
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "老客戶,回款記錄良好,旺季備貨"
    )]
    pub reason: String,
}

/// Request a credit override for one order above a customer's limit; it goes
/// to the office director, then HQ finance.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = RequestOverride,
    responses(
        (status = 201, description = "Requested and submitted", body = CreditOverride, headers(("Location" = String))),
        WriteErrors
    )
)]
#[post("/sales/credit-overrides")]
pub(super) async fn request_override(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<RequestOverride>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            p.require(SALES_MANAGE)?;
            // The customer decides the office; one outside the caller's reach
            // is refused like a missing one.
            let office: Option<i64> = c::table
                .find(b.customer_id)
                .select(c::office_id)
                .first(conn)
                .optional()
                .api()?;
            let office = office
                .filter(|o| p.reach(SALES_MANAGE).contains(*o))
                .ok_or_else(|| {
                    ApiError::invalid_field("customer_id", "not_found", "no such customer")
                })?;
            let actor = p.actor(p.authorize(SALES_MANAGE, Some(office))?);
            customer_of_office(conn, "customer_id", b.customer_id, office)?;
            let now = now_db();
            let row: CreditOverride = diesel::insert_into(co::table)
                .values((
                    co::office_id.eq(office),
                    co::customer_id.eq(b.customer_id),
                    co::amount.eq(b.amount),
                    co::reason.eq(&b.reason),
                    co::status.eq("in_approval"),
                    co::created_by.eq(p.user_id),
                    co::created_at.eq(now),
                    co::updated_at.eq(now),
                    co::version.eq(1_i64),
                ))
                .returning(co::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "credit_override", row.id, Some(office)).after(&row),
            )?;
            workflow::submit_and_keep!(
                conn,
                &registry,
                OVERRIDE_DOC,
                co,
                CreditOverride,
                row.id,
                &actor
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/credit-overrides/{}", row.id),
        ))
        .json(row))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOverrides {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Credit overrides in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListOverrides),
    responses((status = 200, description = "A page of credit overrides", body = Page<CreditOverride>), ReadErrors)
)]
#[get("/sales/credit-overrides")]
pub(super) async fn list_overrides(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListOverrides>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, co, CreditOverride, req, asc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(co::office_id.eq(v));
                }
                if let Some(v) = f.customer_id {
                    q = q.filter(co::customer_id.eq(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A credit override.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Credit override id")),
    responses((status = 200, description = "The credit override", body = CreditOverride), ReadErrors)
)]
#[get("/sales/credit-overrides/{id}")]
pub(super) async fn get_override(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            Ok(load_scoped!(
                conn,
                p,
                SALES_READ,
                co,
                CreditOverride,
                id,
                "credit override"
            )
            .0)
        })
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Credit overrides in the approval engine.
pub struct CreditOverrideDocument;

impl ApprovalDocument for CreditOverrideDocument {
    fn doc_type(&self) -> &'static str {
        OVERRIDE_DOC
    }

    /// 超出信用額度的訂單: the office director, then HQ finance.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Credit overrides (超信用額度)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                role("hq_finance", "hq_finance"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let o: CreditOverride = co::table
            .find(doc_id)
            .select(CreditOverride::as_select())
            .first(conn)
            .found("credit override")?;
        let (name, limit, currency): (String, i64, String) = c::table
            .find(o.customer_id)
            .select((c::name, c::credit_limit, c::currency))
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(o.office_id),
            owner_user_id: o.created_by,
            owner_department_id: None,
            amount: Some(o.amount),
            currency,
            category: None,
            summary: format!(
                "credit override for {name} (limit {limit}): +{} — {}",
                o.amount, o.reason
            ),
        })
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        store::update_audited!(
            conn,
            actor,
            status,
            "credit_override",
            co,
            CreditOverride,
            doc_id,
            (
                co::status.eq(status),
                co::rejection_reason.eq(reason),
                co::updated_at.eq(now_db()),
                co::version.eq(co::version + 1),
            )
        )?;
        Ok(())
    }
}
