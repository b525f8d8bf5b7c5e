//! Leaving (離職): [002] 一 has the operations specialist 「协助办理员工入职、离职」
//! and the domain spec has leaving close the file and return the equipment.
//! A resignation or dismissal — or the end of a probation, decided through
//! the engine — is recorded with the reason and the last day, and the
//! employee is `leaving`. The handover names the colleagues who take the
//! archives and the customers; it completes only once every fixed asset the
//! person holds is returned in finance (read through
//! [`crate::facts::FinancePersonnelFacts`]). On the last day — at once when
//! the handover completes on or after it, else by the job that runs every
//! minute ([`finalize_due`]) — the login is deactivated, every role
//! assignment ends and the file becomes `left`, read-only for good.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors};
use kernel::{
    Actor, ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{employees as e, leavings as l};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{created, now_db, today};
use crate::employees::api::for_change;
use crate::employees::{Employee, EmployeeStatus};
use crate::facts::{HeldAsset, PersonnelSources};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(start_leaving)
        .service(list_leavings)
        .service(get_leaving)
        .service(record_handover)
        .service(complete_handover);
}

/// Why someone leaves.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LeavingKind {
    /// 辭職.
    Resignation,
    /// 辭退.
    Dismissal,
    /// The probation ended without conversion (through the engine only).
    ProbationEnd,
}

impl LeavingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LeavingKind::Resignation => "resignation",
            LeavingKind::Dismissal => "dismissal",
            LeavingKind::ProbationEnd => "probation_end",
        }
    }
}

/// Where a leaving stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LeavingStatus {
    /// The handover is under way.
    Handover,
    /// Handed over; waiting for the last day.
    Completed,
    /// Gone: login deactivated, roles ended, the file read-only.
    Left,
}

impl LeavingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LeavingStatus::Handover => "handover",
            LeavingStatus::Completed => "completed",
            LeavingStatus::Left => "left",
        }
    }
}

/// A leaving.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = l)]
pub struct Leaving {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    #[schema(value_type = LeavingKind)]
    pub kind: String,
    #[schema(example = "個人發展原因")]
    pub reason: String,
    pub last_day: NaiveDate,
    /// The colleague who takes the archives.
    pub archives_to_employee_id: Option<i64>,
    /// The colleague who takes the customers.
    pub customers_to_employee_id: Option<i64>,
    pub handover_note: Option<String>,
    #[schema(value_type = LeavingStatus)]
    pub status: String,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<NaiveDateTime>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub left_at: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A leaving with what the person still holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeavingFile {
    #[serde(flatten)]
    pub leaving: Leaving,
    /// Fixed assets still in the person's custody (finance): the handover
    /// completes only when none is left.
    pub assets_held: Vec<HeldAsset>,
}

/// A resignation or dismissal to record.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartLeaving {
    /// `resignation` or `dismissal` (the end of a probation is decided
    /// through the probation conversion).
    pub kind: LeavingKind,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "個人發展原因")]
    pub reason: String,
    /// Today or later.
    pub last_day: NaiveDate,
}

/// Who takes over what; what is left out stays as it was.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordHandover {
    /// A colleague of the office (not leaving) who takes the archives.
    pub archives_to_employee_id: Option<i64>,
    /// A colleague of the office (not leaving) who takes the customers.
    pub customers_to_employee_id: Option<i64>,
    #[validate(length(min = 1, max = 4000))]
    #[schema(
        min_length = 1,
        max_length = 4000,
        example = "客戶檔案 12 份、未結合同 3 份已交接"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListLeavings {
    pub office_id: Option<i64>,
    pub status: Option<LeavingStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Records that `employee` leaves on `last_day` (the leaving endpoint and an
/// approved end of probation call it): they become `leaving`.
pub fn open_leaving(
    conn: &mut AnyConnection,
    actor: &Actor,
    employee: &Employee,
    kind: LeavingKind,
    reason: &str,
    last_day: NaiveDate,
) -> Result<Leaving, ApiError> {
    if !matches!(employee.status.as_str(), "hired" | "probation" | "regular") {
        return Err(ApiError::invalid_transition("leave", &employee.status, &[]));
    }
    let now = now_db();
    let row: Leaving = diesel::insert_into(l::table)
        .values((
            l::employee_id.eq(employee.id),
            l::office_id.eq(employee.office_id),
            l::kind.eq(kind.as_str()),
            l::reason.eq(reason),
            l::last_day.eq(last_day),
            l::status.eq("handover"),
            l::created_by.eq(actor.user_id),
            l::created_at.eq(now),
            l::updated_at.eq(now),
            l::version.eq(1_i64),
        ))
        .returning(l::all_columns)
        .get_result(conn)
        .api()?;
    let after: Employee = store::update_versioned!(
        conn,
        e,
        Employee,
        employee,
        now,
        (e::status.eq(EmployeeStatus::Leaving.as_str()),)
    )?;
    audit::record(
        conn,
        actor,
        Change::new("start_leaving", "employee", after.id, after.office_id)
            .before(employee)
            .after(&serde_json::json!({"employee": &after, "leaving": &row})),
    )?;
    Ok(row)
}

/// The leaving `id` as `p` reaches it under `perm` (404 outside), with the
/// actor acting on it.
fn leaving_for(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: kernel::Permission,
    id: i64,
) -> Result<(Leaving, Actor), ApiError> {
    let reach = p.require(perm)?;
    let row = store::load_scoped!(
        conn,
        reach = reach,
        from = (l::table.select(Leaving::as_select()), l::office_id, l::id),
        Leaving,
        id,
        "leaving"
    )?;
    let authority = p.authorize(perm, row.office_id)?;
    Ok((row, p.actor(authority)))
}

/// A colleague named in a handover: an employee of the office, not the
/// leaver, not leaving or gone; else the answer for one that does not exist.
fn colleague(
    conn: &mut AnyConnection,
    field: &str,
    id: i64,
    leaving: &Leaving,
) -> Result<(), ApiError> {
    if id == leaving.employee_id {
        return Err(ApiError::invalid_field(
            field,
            "self",
            "the leaver hands over to someone else",
        ));
    }
    let mut q = e::table
        .filter(e::id.eq(id))
        .filter(e::status.eq_any(["probation", "regular"]))
        .select(e::id)
        .into_boxed::<store::MultiBackend>();
    q = match leaving.office_id {
        Some(o) => q.filter(e::office_id.eq(o)),
        None => q.filter(e::office_id.is_null()),
    };
    let found: Option<i64> = q.first(conn).optional().api()?;
    found
        .map(drop)
        .ok_or_else(|| store::scoped::no_such(field, "employee"))
}

/// Records who takes the archives and the customers of `before` (also used
/// by the demo loader): colleagues of the office, not leaving.
pub fn hand_over(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &Leaving,
    b: &RecordHandover,
) -> Result<Leaving, ApiError> {
    if b.archives_to_employee_id.is_none() && b.customers_to_employee_id.is_none() {
        return Err(ApiError::invalid_field(
            "archives_to_employee_id",
            "required",
            "a handover names who takes the archives, the customers or both",
        ));
    }
    if let Some(to) = b.archives_to_employee_id {
        colleague(conn, "archives_to_employee_id", to, before)?;
    }
    if let Some(to) = b.customers_to_employee_id {
        colleague(conn, "customers_to_employee_id", to, before)?;
    }
    let after: Leaving = store::update_versioned!(
        conn,
        l,
        Leaving,
        before,
        now_db(),
        (
            l::archives_to_employee_id
                .eq(b.archives_to_employee_id.or(before.archives_to_employee_id)),
            l::customers_to_employee_id.eq(b
                .customers_to_employee_id
                .or(before.customers_to_employee_id)),
            l::handover_note.eq(b.note.as_deref().or(before.handover_note.as_deref())),
        )
    )?;
    audit::record(
        conn,
        actor,
        Change::new("record_handover", "leaving", after.id, after.office_id)
            .before(before)
            .after(&after),
    )?;
    Ok(after)
}

/// The person's last day came: login deactivated, every role assignment
/// ended, the file `left`, the leaving `left`. Claimed with a compare-and-set
/// on the leaving, so two replicas never do it twice.
fn finalize(conn: &mut AnyConnection, actor: &Actor, leaving: &Leaving) -> Result<bool, ApiError> {
    let now = now_db();
    let claimed: Option<Leaving> =
        diesel::update(l::table.find(leaving.id).filter(l::status.eq("completed")))
            .set((
                l::status.eq("left"),
                l::left_at.eq(Some(now)),
                l::updated_at.eq(now),
                l::version.eq(l::version + 1),
            ))
            .returning(l::all_columns)
            .get_result(conn)
            .optional()
            .api()?;
    let Some(after) = claimed else {
        return Ok(false);
    };
    let employee: Employee = e::table
        .find(leaving.employee_id)
        .select(Employee::as_select())
        .first(conn)
        .api()?;
    if let Some(user) = employee.user_id {
        org::users::deactivate(conn, actor, user)?;
        org::users::end_all_of(conn, actor, user, leaving.last_day)?;
    }
    let gone: Employee = store::update_versioned!(
        conn,
        e,
        Employee,
        employee,
        now,
        (e::status.eq(EmployeeStatus::Left.as_str()),)
    )?;
    audit::record(
        conn,
        actor,
        Change::new("leave", "employee", gone.id, gone.office_id)
            .before(&employee)
            .after(&serde_json::json!({"employee": &gone, "leaving": &after})),
    )?;
    Ok(true)
}

/// Finalizes every handed-over leaving whose last day is `now`'s day or
/// earlier, each in its own transaction (the job the server runs every
/// minute); returns how many.
pub fn finalize_due(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<usize, ApiError> {
    let due: Vec<Leaving> = l::table
        .filter(l::status.eq("completed"))
        .filter(l::last_day.le(now.date()))
        .order(l::id.asc())
        .select(Leaving::as_select())
        .load(conn)
        .api()?;
    let actor = Actor::job("leaving-finalization");
    let mut done = 0;
    for leaving in &due {
        // Each leaver in a transaction of their own.
        if store::transaction(conn, |conn| finalize(conn, &actor, leaving))? {
            done += 1;
        }
    }
    Ok(done)
}

fn with_assets(
    conn: &mut AnyConnection,
    sources: &PersonnelSources,
    leaving: Leaving,
) -> Result<LeavingFile, ApiError> {
    let user: Option<i64> = e::table
        .find(leaving.employee_id)
        .select(e::user_id)
        .first(conn)
        .api()?;
    let assets_held = match user {
        Some(u) => sources.finance.assets_held(conn, u)?,
        None => Vec::new(),
    };
    Ok(LeavingFile {
        leaving,
        assets_held,
    })
}

/// Record a resignation or dismissal (`employee:manage` over the file, under
/// its `If-Match`): the employee is `leaving` and the handover starts.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = StartLeaving,
    responses((status = 201, description = "Recorded", body = Leaving, headers(("Location" = String), ("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/employees/{id}/leaving")]
async fn start_leaving(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<StartLeaving>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (employee, actor) = for_change(conn, &p, EMPLOYEE_MANAGE, id, if_match.0)?;
            if b.kind == LeavingKind::ProbationEnd {
                return Err(ApiError::invalid_field(
                    "kind",
                    "not_allowed",
                    "the end of a probation is decided through the probation conversion",
                ));
            }
            if b.last_day < today() {
                return Err(ApiError::invalid_field(
                    "last_day",
                    "past",
                    "the last day is today or later",
                ));
            }
            open_leaving(conn, &actor, &employee, b.kind, &b.reason, b.last_day)
        })
        .await?;
    Ok(created(
        format!("/api/v1/personnel/leavings/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Leavings of the offices `employee:read` reaches, newest first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListLeavings),
    responses((status = 200, description = "A page of leavings", body = Page<Leaving>), ReadErrors)
)]
#[get("/personnel/leavings")]
async fn list_leavings(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListLeavings>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, l, Leaving, req, desc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(l::office_id.eq(v));
                }
                if let Some(v) = f.status {
                    q = q.filter(l::status.eq(v.as_str()));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One leaving, with the assets the person still holds.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Leaving id")),
    responses((status = 200, description = "The leaving", body = LeavingFile, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/leavings/{id}")]
async fn get_leaving(
    db: web::Data<Db>,
    sources: web::Data<PersonnelSources>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let sources = sources.get_ref().clone();
    let file = db
        .run(move |conn| {
            let (leaving, _) = leaving_for(conn, &p, EMPLOYEE_READ, id)?;
            with_assets(conn, &sources, leaving)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(file.leaving.version))
        .json(file))
}

/// Name who takes the archives and the customers (`employee:manage`):
/// colleagues of the office who are not leaving.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Leaving id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RecordHandover,
    responses((status = 200, description = "Recorded", body = Leaving, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/leavings/{id}/handover")]
async fn record_handover(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RecordHandover>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, actor) = leaving_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            if before.status != "handover" {
                return Err(ApiError::invalid_transition(
                    "handover",
                    &before.status,
                    &[],
                ));
            }
            if before.version != if_match.0 {
                return Err(kernel::concurrency::version_conflict(before.version));
            }
            hand_over(conn, &actor, &before, &b)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Complete the handover (`employee:manage`): the archives and customers
/// handed over and every fixed asset returned (422 listing those still
/// held). On or after the last day the person leaves at once — login
/// deactivated, roles ended, file `left`; before it, on that day.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Leaving id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Completed", body = LeavingFile, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/leavings/{id}/complete")]
async fn complete_handover(
    db: web::Data<Db>,
    sources: web::Data<PersonnelSources>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let sources = sources.get_ref().clone();
    let file = db
        .tx(move |conn| {
            let (before, actor) = leaving_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            if before.status != "handover" {
                return Err(ApiError::invalid_transition(
                    "complete",
                    &before.status,
                    &[],
                ));
            }
            if before.version != if_match.0 {
                return Err(kernel::concurrency::version_conflict(before.version));
            }
            let mut errors = Vec::new();
            if before.archives_to_employee_id.is_none() {
                errors.push(FieldError::new(
                    "archives_to_employee_id",
                    "required",
                    "the archives are handed over first",
                ));
            }
            if before.customers_to_employee_id.is_none() {
                errors.push(FieldError::new(
                    "customers_to_employee_id",
                    "required",
                    "the customers are handed over first",
                ));
            }
            let held = with_assets(conn, &sources, before.clone())?.assets_held;
            if !held.is_empty() {
                errors.push(FieldError::new(
                    "assets_held",
                    "assets_outstanding",
                    format!(
                        "return first: {}",
                        held.iter()
                            .map(|a| format!("{} {}", a.number, a.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            if !errors.is_empty() {
                return Err(
                    ApiError::validation(errors).with_extra("assets_held", serde_json::json!(held))
                );
            }
            let now = now_db();
            let mut after: Leaving = store::update_versioned!(
                conn,
                l,
                Leaving,
                before,
                now,
                (l::status.eq("completed"), l::completed_at.eq(Some(now)),)
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("complete_handover", "leaving", after.id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            if after.last_day <= now.date() && finalize(conn, &actor, &after)? {
                after = l::table
                    .find(after.id)
                    .select(Leaving::as_select())
                    .first(conn)
                    .api()?;
            }
            // Nothing is held any more: the check above refused otherwise.
            Ok(LeavingFile {
                leaving: after,
                assets_held: held,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(file.leaving.version))
        .json(file))
}
