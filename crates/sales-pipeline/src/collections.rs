//! Collections (貨款回收): payments received against a signed contract's
//! instalments, the receivables and overdue lists, and the dunning log — who was
//! contacted, the reason they gave, the date they promised — with escalation to
//! the office director or finance recorded when the customer has difficulties.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    contract_instalments as ci, contracts as ct, customers as c, dunning_actions as dn,
    payments_received as pr,
};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{PageQuery, load_scoped, now_db};
use crate::contracts::{BINDING, Contract, Instalment};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(record_payment)
        .service(list_payments)
        .service(list_receivables)
        .service(log_dunning)
        .service(list_dunning);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    /// 承兌匯票
    AcceptanceBill,
    Cheque,
    Cash,
}

impl PaymentMethod {
    fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::AcceptanceBill => "acceptance_bill",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Cash => "cash",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = pr)]
pub struct Payment {
    pub id: i64,
    pub office_id: i64,
    pub contract_id: i64,
    pub instalment_id: i64,
    pub customer_id: i64,
    pub amount: i64,
    pub received_on: NaiveDate,
    #[schema(value_type = PaymentMethod)]
    pub method: String,
    /// The bank's or bill's reference.
    pub reference: Option<String>,
    pub recorded_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPayment {
    /// An instalment of this contract.
    pub instalment_id: i64,
    /// At most what is outstanding on the instalment.
    #[validate(range(min = 1, max = 1_000_000_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64, example = 867_000)]
    pub amount: i64,
    /// Today or earlier.
    pub received_on: NaiveDate,
    pub method: PaymentMethod,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "ICBC 20261122-0093")]
    pub reference: Option<String>,
}

pub fn receive(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    b: RecordPayment,
) -> Result<Payment, ApiError> {
    let (contract, authority) = load_scoped!(conn, p, SALES_MANAGE, ct, Contract, id, "contract");
    if !BINDING.contains(&contract.status.as_str()) {
        return Err(ApiError::invalid_transition(
            "receive a payment on",
            &contract.status,
            &BINDING,
        ));
    }
    let inst: Instalment = ci::table
        .filter(ci::id.eq(b.instalment_id).and(ci::contract_id.eq(id)))
        .select(Instalment::as_select())
        .first(conn)
        .optional()
        .api()?
        .ok_or_else(|| {
            ApiError::invalid_field(
                "instalment_id",
                "not_found",
                "no such instalment on this contract",
            )
        })?;
    // One checking statement: the instalment is never paid beyond its
    // amount, however many payments arrive at once.
    let updated = diesel::update(
        ci::table
            .find(inst.id)
            .filter((ci::paid + b.amount).le(ci::amount)),
    )
    .set(ci::paid.eq(ci::paid + b.amount))
    .execute(conn)
    .api()?;
    if updated == 0 {
        return Err(ApiError::invalid_field(
            "amount",
            "above_outstanding",
            format!(
                "only {} is outstanding on instalment {}",
                inst.amount - inst.paid,
                inst.seq
            ),
        ));
    }
    let row: Payment = diesel::insert_into(pr::table)
        .values((
            pr::office_id.eq(contract.office_id),
            pr::contract_id.eq(id),
            pr::instalment_id.eq(inst.id),
            pr::customer_id.eq(contract.customer_id),
            pr::amount.eq(b.amount),
            pr::received_on.eq(b.received_on),
            pr::method.eq(b.method.as_str()),
            pr::reference.eq(&b.reference),
            pr::recorded_by.eq(p.user_id),
            pr::created_at.eq(now_db()),
        ))
        .returning(pr::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        &p.actor(authority),
        Change::new("create", "payment_received", row.id, Some(row.office_id)).after(&row),
    )?;
    Ok(row)
}

/// Record a payment received against one instalment of a signed contract.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id")),
    request_body = RecordPayment,
    responses(
        (status = 201, description = "Recorded", body = Payment, headers(("Location" = String))),
        WriteErrors
    )
)]
#[post("/sales/contracts/{id}/payments")]
async fn record_payment(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<RecordPayment>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    if b.received_on > kernel::time::now().date_naive() {
        return Err(ApiError::invalid_field(
            "received_on",
            "range",
            "a payment cannot be recorded before it is received",
        ));
    }
    let row = db.tx(move |conn| receive(conn, &p, id, b)).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/payments?contract_id={}", row.contract_id),
        ))
        .json(row))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPayments {
    pub office_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Received on or after.
    pub from: Option<NaiveDate>,
    /// Received on or before.
    pub to: Option<NaiveDate>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Payments received, in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListPayments),
    responses((status = 200, description = "A page of payments", body = Page<Payment>), ReadErrors)
)]
#[get("/sales/payments")]
async fn list_payments(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListPayments>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, pr, Payment, req, asc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(pr::office_id.eq(v));
                }
                if let Some(v) = f.contract_id {
                    q = q.filter(pr::contract_id.eq(v));
                }
                if let Some(v) = f.customer_id {
                    q = q.filter(pr::customer_id.eq(v));
                }
                if let Some(v) = f.from {
                    q = q.filter(pr::received_on.ge(v));
                }
                if let Some(v) = f.to {
                    q = q.filter(pr::received_on.le(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One open instalment: what is still owed and how late it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receivable {
    pub instalment_id: i64,
    pub office_id: i64,
    pub contract_id: i64,
    pub contract_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub seq: i32,
    pub due_on: NaiveDate,
    pub amount: i64,
    pub paid: i64,
    pub outstanding: i64,
    /// Days past the due date on `as_of`; 0 when not yet due.
    pub days_overdue: i64,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListReceivables {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub contract_id: Option<i64>,
    /// Only instalments past their due date.
    pub overdue: Option<bool>,
    /// The day to measure from; default today.
    pub as_of: Option<NaiveDate>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

type ReceivableRow = (i64, i64, i64, String, i64, String, i32, NaiveDate, i64, i64);

/// Receivables: the open instalments of signed contracts in the caller's reach,
/// with `?overdue=true` for the overdue list.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListReceivables),
    responses((status = 200, description = "A page of open instalments", body = Page<Receivable>), ReadErrors)
)]
#[get("/sales/receivables")]
async fn list_receivables(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListReceivables>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let as_of = f.as_of.unwrap_or_else(|| kernel::time::now().date_naive());
    let page = db
        .run(move |conn| {
            let open = ci::table
                .inner_join(ct::table.on(ct::id.eq(ci::contract_id)))
                .inner_join(c::table.on(c::id.eq(ct::customer_id)))
                .filter(ci::paid.lt(ci::amount))
                .filter(ct::status.eq_any(BINDING))
                .select((
                    ci::id,
                    ci::office_id,
                    ct::id,
                    ct::number,
                    c::id,
                    c::name,
                    ci::seq,
                    ci::due_on,
                    ci::amount,
                    ci::paid,
                ));
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (open, ci::office_id, ci::id),
                ReceivableRow,
                req,
                asc,
                |q| {
                    if let Some(v) = f.office_id {
                        q = q.filter(ci::office_id.eq(v));
                    }
                    if let Some(v) = f.customer_id {
                        q = q.filter(ct::customer_id.eq(v));
                    }
                    if let Some(v) = f.contract_id {
                        q = q.filter(ci::contract_id.eq(v));
                    }
                    if f.overdue.unwrap_or(false) {
                        q = q.filter(ci::due_on.lt(as_of));
                    }
                    q
                }
            )?;
            Ok(req.page(
                rows,
                |r| r.0,
                |r| Receivable {
                    instalment_id: r.0,
                    office_id: r.1,
                    contract_id: r.2,
                    contract_number: r.3,
                    customer_id: r.4,
                    customer_name: r.5,
                    seq: r.6,
                    due_on: r.7,
                    amount: r.8,
                    paid: r.9,
                    outstanding: r.8 - r.9,
                    days_overdue: (as_of - r.7).num_days().max(0),
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DunningChannel {
    Call,
    Visit,
    Letter,
    Email,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EscalateTo {
    /// The office director (辦事處主任).
    Director,
    /// Finance.
    Finance,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = dn)]
pub struct DunningAction {
    pub id: i64,
    pub office_id: i64,
    pub instalment_id: i64,
    pub contract_id: i64,
    pub customer_id: i64,
    #[schema(value_type = DunningChannel)]
    pub channel: String,
    pub contacted_person: String,
    /// The reason the customer gave for not paying.
    pub reason_given: Option<String>,
    /// The date the customer promised to pay.
    pub promised_on: Option<NaiveDate>,
    pub note: Option<String>,
    #[schema(value_type = Option<EscalateTo>)]
    pub escalated_to: Option<String>,
    pub user_id: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogDunning {
    pub channel: DunningChannel,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "財務部 王會計")]
    pub contacted_person: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, example = "項目甲方尚未撥款")]
    pub reason_given: Option<String>,
    /// Today or later.
    pub promised_on: Option<NaiveDate>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
    /// Escalate to the office director or finance: the customer has difficulties.
    pub escalate_to: Option<EscalateTo>,
}

pub fn dun(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    b: LogDunning,
) -> Result<DunningAction, ApiError> {
    let (inst, authority) = load_instalment(conn, p, SALES_MANAGE, id)?;
    if inst.paid >= inst.amount {
        return Err(ApiError::invalid_transition("dun", "paid", &["open"]));
    }
    let customer: i64 = ct::table
        .find(inst.contract_id)
        .select(ct::customer_id)
        .first(conn)
        .api()?;
    let escalated = b.escalate_to.map(|e| match e {
        EscalateTo::Director => "director",
        EscalateTo::Finance => "finance",
    });
    let channel = match b.channel {
        DunningChannel::Call => "call",
        DunningChannel::Visit => "visit",
        DunningChannel::Letter => "letter",
        DunningChannel::Email => "email",
    };
    let row: DunningAction = diesel::insert_into(dn::table)
        .values((
            dn::office_id.eq(inst.office_id),
            dn::instalment_id.eq(inst.id),
            dn::contract_id.eq(inst.contract_id),
            dn::customer_id.eq(customer),
            dn::channel.eq(channel),
            dn::contacted_person.eq(&b.contacted_person),
            dn::reason_given.eq(&b.reason_given),
            dn::promised_on.eq(b.promised_on),
            dn::note.eq(&b.note),
            dn::escalated_to.eq(escalated),
            dn::user_id.eq(p.user_id),
            dn::created_at.eq(now_db()),
        ))
        .returning(dn::all_columns)
        .get_result(conn)
        .api()?;
    let action = if escalated.is_some() {
        "escalate"
    } else {
        "create"
    };
    audit::record(
        conn,
        &p.actor(authority),
        Change::new(action, "dunning_action", row.id, Some(row.office_id)).after(&row),
    )?;
    Ok(row)
}

/// Log a dunning action (催收) on an open instalment, optionally escalating it.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("instalment_id" = i64, Path, description = "Instalment id")),
    request_body = LogDunning,
    responses(
        (status = 201, description = "Logged", body = DunningAction, headers(("Location" = String))),
        WriteErrors
    )
)]
#[post("/sales/receivables/{instalment_id}/dunning")]
async fn log_dunning(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<LogDunning>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    if b.promised_on
        .is_some_and(|d| d < kernel::time::now().date_naive())
    {
        return Err(ApiError::invalid_field(
            "promised_on",
            "range",
            "a promised date is today or later",
        ));
    }
    let row = db.tx(move |conn| dun(conn, &p, id, b)).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/receivables/{id}/dunning"),
        ))
        .json(row))
}

fn load_instalment(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<(Instalment, kernel::Authority), ApiError> {
    Ok(load_scoped!(
        conn,
        p,
        perm,
        ci,
        Instalment,
        id,
        "instalment"
    ))
}

/// The dunning log of an instalment, oldest first.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("instalment_id" = i64, Path, description = "Instalment id"), PageQuery),
    responses((status = 200, description = "A page of dunning actions", body = Page<DunningAction>), ReadErrors)
)]
#[get("/sales/receivables/{instalment_id}/dunning")]
async fn list_dunning(
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
            let (inst, _) = load_instalment(conn, &p, SALES_READ, id)?;
            let mut query = dn::table
                .filter(dn::instalment_id.eq(inst.id))
                .filter(dn::office_id.eq(inst.office_id))
                .select(DunningAction::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(dn::id.gt(after));
            }
            let rows: Vec<DunningAction> = query
                .order(dn::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
