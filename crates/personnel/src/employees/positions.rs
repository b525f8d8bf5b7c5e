//! Position history (職位變動) on the employee file: a transfer to another
//! department, a promotion or demotion, a grade or title change — each with
//! its reason and the day it took effect, kept in order. The file's
//! department, position and grade change only this way, so the history is
//! complete.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors};
use kernel::{ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{employee_position_changes as pc, employees as e};
use store::{Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::Employee;
use super::api::{employee_for, for_change};
use crate::common::{created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(change_position).service(position_history);
}

/// What kind of change.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PositionChangeKind {
    /// 調動: to another department.
    Transfer,
    /// 晉升.
    Promotion,
    /// 降職.
    Demotion,
    /// A grade change in the same post.
    Regrade,
    /// A new title for the same work.
    Retitle,
}

impl PositionChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PositionChangeKind::Transfer => "transfer",
            PositionChangeKind::Promotion => "promotion",
            PositionChangeKind::Demotion => "demotion",
            PositionChangeKind::Regrade => "regrade",
            PositionChangeKind::Retitle => "retitle",
        }
    }
}

/// One entry of the position history.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = pc)]
pub struct PositionChange {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    #[schema(value_type = PositionChangeKind)]
    pub kind: String,
    pub from_department_id: Option<i64>,
    pub to_department_id: Option<i64>,
    pub from_position: String,
    pub to_position: String,
    pub from_grade: Option<String>,
    pub to_grade: Option<String>,
    #[schema(example = "年度考核優秀,晉升為銷售主管")]
    pub reason: String,
    pub effective_on: NaiveDate,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// A change of post; what is left out stays.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePosition {
    pub kind: PositionChangeKind,
    /// An active department of the office.
    pub department_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "銷售主管")]
    pub position: Option<String>,
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, example = "M1")]
    pub grade: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "年度考核優秀,晉升為銷售主管"
    )]
    pub reason: String,
    /// The day it took effect: today or earlier.
    pub effective_on: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPositionChanges {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Record a change of post that took effect (`employee:manage` over the
/// file): the file takes the new department, position or grade, and the
/// history keeps both sides with the reason.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ChangePosition,
    responses((status = 201, description = "Recorded", body = PositionChange, headers(("Location" = String), ("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/employees/{id}/position-changes")]
async fn change_position(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ChangePosition>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, actor) = for_change(conn, &p, EMPLOYEE_MANAGE, id, if_match.0)?;
            let now = now_db();
            if b.effective_on > now.date() {
                return Err(ApiError::invalid_field(
                    "effective_on",
                    "future",
                    "a change is recorded once it takes effect",
                ));
            }
            let department = b.department_id.or(before.department_id);
            let position = b
                .position
                .clone()
                .unwrap_or_else(|| before.position.clone());
            let grade = b.grade.clone().or_else(|| before.grade.clone());
            if department == before.department_id
                && position == before.position
                && grade == before.grade
            {
                return Err(ApiError::invalid_field(
                    "position",
                    "unchanged",
                    "a change names a new department, position or grade",
                ));
            }
            if let Some(dept) = b.department_id.filter(|d| Some(*d) != before.department_id) {
                match before.office_id {
                    Some(o) => org::scope::department_of_office(conn, "department_id", dept, o)?,
                    None => {
                        return Err(store::scoped::no_such("department_id", "active department"));
                    }
                }
            }
            let after: Employee = store::update_versioned!(
                conn,
                e,
                Employee,
                before,
                now,
                (
                    e::department_id.eq(department),
                    e::position.eq(&position),
                    e::grade.eq(&grade),
                )
            )?;
            let row: PositionChange = diesel::insert_into(pc::table)
                .values((
                    pc::employee_id.eq(before.id),
                    pc::office_id.eq(before.office_id),
                    pc::kind.eq(b.kind.as_str()),
                    pc::from_department_id.eq(before.department_id),
                    pc::to_department_id.eq(department),
                    pc::from_position.eq(&before.position),
                    pc::to_position.eq(&position),
                    pc::from_grade.eq(&before.grade),
                    pc::to_grade.eq(&grade),
                    pc::reason.eq(&b.reason),
                    pc::effective_on.eq(b.effective_on),
                    pc::created_by.eq(actor.user_id),
                    pc::created_at.eq(now),
                ))
                .returning(pc::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new(b.kind.as_str(), "employee", after.id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(
        format!(
            "/api/v1/personnel/employees/{}/position-changes",
            row.employee_id
        ),
        1,
    )
    .json(row))
}

/// An employee's position history, oldest first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ListPositionChanges),
    responses((status = 200, description = "A page of changes", body = Page<PositionChange>), ReadErrors)
)]
#[get("/personnel/employees/{id}/position-changes")]
async fn position_history(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListPositionChanges>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (employee, _) = employee_for(conn, &p, EMPLOYEE_READ, id)?;
            let query = pc::table
                .filter(pc::employee_id.eq(employee.id))
                .select(PositionChange::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows = store::list_scoped!(@page conn, query, pc::id, PositionChange, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
