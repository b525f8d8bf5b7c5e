//! Rewards and sanctions (獎懲) on the employee file: [003] 五(三) has
//! excellent results rewarded and commended, unsatisfactory ones met with a
//! warning talk, a transfer or dismissal; the domain spec has certificates
//! earned at training rewarded. Each is proposed by `employee:manage` with
//! its kind, category, reason, day and — for a bonus or a fine — amount,
//! and decided through the approval engine (`reward_sanction`: the office
//! director; HQ HR too above 5,000.00, a step condition HQ changes as data).
//! A reward may name a certificate on the file that is due one; once
//! approved, it is due no more.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{employee_certificates as ec, employees as e, rewards_sanctions as rs};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{Condition, PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use super::Employee;
use super::api::{employee_for, own_or_readable};
use crate::common::{created, now_db, today};

/// The approval engine's name for rewards and sanctions.
pub const REWARD_DOC: &str = "reward_sanction";
/// Above this amount (minor units) HQ HR decides after the director.
const DEFAULT_HQ_ABOVE: i64 = 500_000;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(propose)
        .service(employee_rewards)
        .service(list_rewards)
        .service(get_reward);
}

/// A reward or a sanction.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    Reward,
    Sanction,
}

/// What it is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RewardCategory {
    /// 表彰 (a reward).
    Commendation,
    /// 獎金 (a reward, with an amount).
    Bonus,
    /// 誡勉談話 (a sanction).
    WarningTalk,
    /// 警告 (a sanction).
    Warning,
    /// 記過 (a sanction).
    Demerit,
    /// 罰款 (a sanction, with an amount).
    Fine,
}

impl RewardCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            RewardCategory::Commendation => "commendation",
            RewardCategory::Bonus => "bonus",
            RewardCategory::WarningTalk => "warning_talk",
            RewardCategory::Warning => "warning",
            RewardCategory::Demerit => "demerit",
            RewardCategory::Fine => "fine",
        }
    }

    fn kind(self) -> RewardKind {
        match self {
            RewardCategory::Commendation | RewardCategory::Bonus => RewardKind::Reward,
            _ => RewardKind::Sanction,
        }
    }

    fn has_amount(self) -> bool {
        matches!(self, RewardCategory::Bonus | RewardCategory::Fine)
    }
}

/// Where a reward or sanction stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RewardStatus {
    InApproval,
    Approved,
    Rejected,
    Withdrawn,
}

/// A reward or sanction on the file.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = rs)]
pub struct RewardSanction {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    #[schema(value_type = RewardKind)]
    pub kind: String,
    #[schema(value_type = RewardCategory)]
    pub category: String,
    /// A bonus's or a fine's amount, minor units.
    pub amount: Option<i64>,
    #[schema(example = "取得 LED 工礦燈產品認證")]
    pub reason: String,
    pub occurred_on: NaiveDate,
    /// The certificate a reward is for.
    pub certificate_id: Option<i64>,
    #[schema(value_type = RewardStatus)]
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

/// A reward or sanction to propose.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeRewardSanction {
    /// Commendation or bonus rewards; warning talk, warning, demerit or fine
    /// sanctions.
    pub category: RewardCategory,
    /// Required for a bonus or a fine, none otherwise; minor units.
    #[validate(range(min = 1, max = 100_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 100_000_000_000_i64, example = 50_000)]
    pub amount: Option<i64>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "取得 LED 工礦燈產品認證")]
    pub reason: String,
    /// What it is for happened on this day: today or earlier.
    pub occurred_on: NaiveDate,
    /// A reward only: a certificate on the file due one.
    pub certificate_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRewards {
    pub office_id: Option<i64>,
    pub employee_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Proposes a reward or sanction for `employee` and submits it to the
/// approval engine in the caller's transaction (also used by the demo
/// loader).
pub fn submit(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    employee: &Employee,
    b: &ProposeRewardSanction,
) -> Result<RewardSanction, ApiError> {
    let mut errors = Vec::new();
    match (b.category.has_amount(), b.amount) {
        (true, None) => errors.push(FieldError::new(
            "amount",
            "required",
            "a bonus or a fine has an amount",
        )),
        (false, Some(_)) => errors.push(FieldError::new(
            "amount",
            "not_allowed",
            "only a bonus or a fine has an amount",
        )),
        _ => {}
    }
    if b.occurred_on > today() {
        errors.push(FieldError::new(
            "occurred_on",
            "future",
            "what it is for has happened: today or earlier",
        ));
    }
    if b.certificate_id.is_some() && b.category.kind() != RewardKind::Reward {
        errors.push(FieldError::new(
            "certificate_id",
            "not_allowed",
            "a certificate is rewarded, not sanctioned",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(c) = b.certificate_id {
        let due: Option<bool> = ec::table
            .filter(ec::id.eq(c))
            .filter(ec::employee_id.eq(employee.id))
            .select(ec::reward_due)
            .first(conn)
            .optional()
            .api()?;
        match due {
            None => {
                return Err(store::scoped::no_such(
                    "certificate_id",
                    "certificate of the employee",
                ));
            }
            Some(false) => {
                return Err(ApiError::invalid_field(
                    "certificate_id",
                    "not_due",
                    "the certificate is not due a reward",
                ));
            }
            Some(true) => {}
        }
        let pending: i64 = rs::table
            .filter(rs::certificate_id.eq(c))
            .filter(rs::status.eq_any(["in_approval", "approved"]))
            .count()
            .get_result(conn)
            .api()?;
        if pending > 0 {
            return Err(ApiError::new(
                kernel::ErrorCode::Duplicate,
                "a reward for this certificate is in approval",
            ));
        }
    }
    let by = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a proposal is made by a person"))?;
    let now = now_db();
    let kind = match b.category.kind() {
        RewardKind::Reward => "reward",
        RewardKind::Sanction => "sanction",
    };
    let row: RewardSanction = diesel::insert_into(rs::table)
        .values((
            rs::employee_id.eq(employee.id),
            rs::office_id.eq(employee.office_id),
            rs::kind.eq(kind),
            rs::category.eq(b.category.as_str()),
            rs::amount.eq(b.amount),
            rs::reason.eq(&b.reason),
            rs::occurred_on.eq(b.occurred_on),
            rs::certificate_id.eq(b.certificate_id),
            rs::status.eq("in_approval"),
            rs::created_by.eq(by),
            rs::created_at.eq(now),
            rs::updated_at.eq(now),
            rs::version.eq(1_i64),
        ))
        .returning(rs::all_columns)
        .get_result(conn)
        .api()?;
    let row: RewardSanction = workflow::submit_and_keep!(
        conn,
        registry,
        REWARD_DOC,
        rs,
        RewardSanction,
        row.id,
        actor
    )?;
    audit::record(
        conn,
        actor,
        Change::new("create", "reward_sanction", row.id, row.office_id).after(&row),
    )?;
    Ok(row)
}

/// Propose a reward or sanction for an employee (`employee:manage` over the
/// file): it goes to approval at once — the office director, and HQ HR
/// above 5,000.00.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id")),
    request_body = ProposeRewardSanction,
    responses((status = 201, description = "Proposed: in approval", body = RewardSanction, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/employees/{id}/rewards-sanctions")]
async fn propose(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<ProposeRewardSanction>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let (employee, actor) = employee_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            if employee.status == "left" {
                return Err(ApiError::invalid_transition(
                    "propose",
                    &employee.status,
                    &[],
                ));
            }
            submit(conn, &registry, &actor, &employee, &b)
        })
        .await?;
    Ok(created(
        format!("/api/v1/personnel/rewards-sanctions/{}", row.id),
        row.version,
    )
    .json(row))
}

/// An employee's rewards and sanctions, oldest first: their own, or any
/// file `employee:read` reaches.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ListRewards),
    responses((status = 200, description = "A page of rewards and sanctions", body = Page<RewardSanction>), ReadErrors)
)]
#[get("/personnel/employees/{id}/rewards-sanctions")]
async fn employee_rewards(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListRewards>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let employee = own_or_readable(conn, &p, id)?;
            let query = rs::table
                .filter(rs::employee_id.eq(employee.id))
                .select(RewardSanction::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows = store::list_scoped!(@page conn, query, rs::id, RewardSanction, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Rewards and sanctions of the offices `employee:read` reaches, newest
/// first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListRewards),
    responses((status = 200, description = "A page of rewards and sanctions", body = Page<RewardSanction>), ReadErrors)
)]
#[get("/personnel/rewards-sanctions")]
async fn list_rewards(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListRewards>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, rs, RewardSanction, req, desc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(rs::office_id.eq(v));
                }
                if let Some(v) = f.employee_id {
                    q = q.filter(rs::employee_id.eq(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One reward or sanction.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reward or sanction id")),
    responses((status = 200, description = "The reward or sanction", body = RewardSanction, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/rewards-sanctions/{id}")]
async fn get_reward(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reach = p.require(EMPLOYEE_READ)?;
    let row = db
        .run(move |conn| {
            store::load_scoped!(
                conn,
                reach = reach,
                from = (
                    rs::table.select(RewardSanction::as_select()),
                    rs::office_id,
                    rs::id
                ),
                RewardSanction,
                id,
                "reward or sanction"
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Rewards and sanctions in the approval engine.
pub struct RewardDocument;

impl ApprovalDocument for RewardDocument {
    fn doc_type(&self) -> &'static str {
        REWARD_DOC
    }

    /// The office director; HQ HR too above 5,000.00.
    fn default_policy(&self) -> PolicyDef {
        let mut hr = role("hq_hr", "hq_hr");
        hr.condition = Some(Condition {
            amount_above: Some(DEFAULT_HQ_ABOVE),
            ..Condition::default()
        });
        PolicyDef {
            name: "Reward or sanction (獎懲)".to_owned(),
            steps: vec![role("office_director", "office_director"), hr],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let r: RewardSanction = rs::table
            .find(doc_id)
            .select(RewardSanction::as_select())
            .first(conn)
            .found("reward or sanction")?;
        let name: String = e::table
            .find(r.employee_id)
            .select(e::name)
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: r.office_id,
            owner_user_id: r.created_by,
            owner_department_id: None,
            amount: r.amount,
            currency: "CNY".to_owned(),
            category: Some(r.category.clone()),
            summary: format!("{} ({}) for {name}: {}", r.kind, r.category, r.reason),
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
        let r = store::update_audited!(
            conn,
            actor,
            status,
            "reward_sanction",
            rs,
            RewardSanction,
            doc_id,
            (
                rs::status.eq(status),
                rs::rejection_reason.eq(reason),
                rs::updated_at.eq(now_db()),
                rs::version.eq(rs::version + 1),
            )
        )?;
        if let (Some(c), "approved") = (r.certificate_id, status) {
            diesel::update(ec::table.find(c))
                .set(ec::reward_due.eq(false))
                .execute(conn)
                .api()?;
            audit::record(
                conn,
                actor,
                Change::new("reward_certificate", "employee", r.employee_id, r.office_id)
                    .after(&serde_json::json!({"certificate_id": c, "reward_sanction_id": r.id})),
            )?;
        }
        Ok(())
    }
}
