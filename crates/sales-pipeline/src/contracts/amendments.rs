//! Amendments (合同變更) of a binding contract: the amendment record, the
//! request to amend (new total, lines, terms and schedule, one amendment in
//! approval at a time) and the listing. Approval applies an amendment to its
//! contract; that is in `approval`.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{ApiError, ErrorCode, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{contract_amendments as am, contracts as ct};
use store::{Db, DbResultExt, MultiBackend};
use utoipa::ToSchema;
use validator::Validate;
use workflow::Registry;

use super::schedule::{InstalmentInput, check_against_paid, check_schedule, instalments_of};
use super::{AMENDMENT_DOC, BINDING, Contract, require_status};
use crate::common::{PageQuery, PricedLineInput, check_lines, load_scoped, now_db, totals};

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = am)]
pub struct Amendment {
    pub id: i64,
    pub contract_id: i64,
    pub office_id: i64,
    #[schema(example = "CA-GZ-2026-0001")]
    pub number: String,
    pub reason: String,
    pub new_total: i64,
    /// `null`: the terms stay.
    pub new_terms: Option<String>,
    /// The new schedule as JSON: `[{"due_on": "...", "amount": ...}]`.
    pub new_schedule: String,
    /// The new priced lines as JSON (`[{"product": ..., "quantity": ..., "unit_price":
    /// ..., "discount_bp": ...}]`); `null`: the lines stay.
    pub new_lines: Option<String>,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
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
pub struct CreateAmendment {
    #[validate(length(min = 1, max = 1000))]
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "客戶追加 20 套燈具,尾款延期一個月"
    )]
    pub reason: String,
    /// The contract's new total; default: the new lines' total, else unchanged.
    /// When given with lines it must equal their total.
    #[validate(range(min = 0, max = 1_000_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub new_total: Option<i64>,
    /// The new priced lines, replacing every line; required when the total
    /// changes, so the lines always add up to the contract's total.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<PricedLineInput>>,
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub new_terms: Option<String>,
    /// The whole new schedule, adding up to the new total. Instalment n
    /// replaces instalment n; what was already received against one must fit
    /// in its new amount.
    #[validate(length(min = 1, max = 60), nested)]
    #[schema(min_items = 1, max_items = 60)]
    pub instalments: Vec<InstalmentInput>,
}

/// Amend a signed contract: new total, terms and schedule, approved through the
/// same chain as the contract. One amendment at a time.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id")),
    request_body = CreateAmendment,
    responses(
        (status = 201, description = "Requested and submitted", body = Amendment, headers(("Location" = String))),
        WriteErrors
    )
)]
#[post("/sales/contracts/{id}/amendments")]
pub(super) async fn create_amendment(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<CreateAmendment>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let (contract, authority) =
                load_scoped!(conn, p, SALES_MANAGE, ct, Contract, id, "contract");
            require_status(&contract, "amend", &BINDING)?;
            let pending: i64 = am::table
                .filter(am::contract_id.eq(id).and(am::status.eq("in_approval")))
                .count()
                .get_result(conn)
                .api()?;
            if pending > 0 {
                return Err(ApiError::new(
                    ErrorCode::Duplicate,
                    "an amendment of this contract is already in approval",
                ));
            }
            let total = match &b.lines {
                Some(lines) => {
                    check_lines(lines)?;
                    let t = totals(lines)?.total;
                    if b.new_total.is_some_and(|n| n != t) {
                        return Err(ApiError::invalid_field(
                            "new_total",
                            "lines_total",
                            format!("the new lines add up to {t}"),
                        ));
                    }
                    t
                }
                None => {
                    let t = b.new_total.unwrap_or(contract.total);
                    if t != contract.total {
                        return Err(ApiError::invalid_field(
                            "lines",
                            "required",
                            "a new total comes with the new lines it is the sum of",
                        ));
                    }
                    t
                }
            };
            check_schedule(total, &b.instalments)?;
            check_against_paid(&instalments_of(conn, id)?, &b.instalments)?;
            let code = org::office_code(conn, contract.office_id)?;
            let number = store::docnum::next(
                conn,
                contract.office_id,
                &code,
                "CA",
                kernel::time::now().year(),
            )?;
            let schedule = serde_json::to_string(&b.instalments)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let now = now_db();
            let row: Amendment = diesel::insert_into(am::table)
                .values((
                    am::contract_id.eq(id),
                    am::office_id.eq(contract.office_id),
                    am::number.eq(&number),
                    am::reason.eq(&b.reason),
                    am::new_total.eq(total),
                    am::new_terms.eq(&b.new_terms),
                    am::new_schedule.eq(&schedule),
                    am::new_lines.eq(b
                        .lines
                        .as_ref()
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(|e| ApiError::internal(e.to_string()))?),
                    am::status.eq("in_approval"),
                    am::created_by.eq(p.user_id),
                    am::created_at.eq(now),
                    am::updated_at.eq(now),
                    am::version.eq(1_i64),
                ))
                .returning(am::all_columns)
                .get_result(conn)
                .api()?;
            let actor = p.actor(authority);
            audit::record(
                conn,
                &actor,
                Change::new("create", "contract_amendment", row.id, Some(row.office_id))
                    .after(&row),
            )?;
            workflow::submit_and_keep!(
                conn,
                &registry,
                AMENDMENT_DOC,
                am,
                Amendment,
                row.id,
                &actor
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/contracts/{}/amendments", row.contract_id),
        ))
        .json(row))
}

/// A contract's amendments, oldest first.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), PageQuery),
    responses((status = 200, description = "A page of amendments", body = Page<Amendment>), ReadErrors)
)]
#[get("/sales/contracts/{id}/amendments")]
pub(super) async fn list_amendments(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (contract, _) = load_scoped!(conn, p, SALES_READ, ct, Contract, id, "contract");
            let mut query = am::table
                .filter(am::contract_id.eq(contract.id))
                .filter(am::office_id.eq(contract.office_id))
                .select(Amendment::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(am::id.gt(after));
            }
            let rows: Vec<Amendment> = query
                .order(am::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
