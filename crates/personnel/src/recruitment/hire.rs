//! Hiring (錄用): a candidate at the offer becomes an employee. In one
//! transaction the plan counts the hire — refused once its headcount is
//! hired, the count and the check one statement — the employee file is
//! opened (`hired`), the login is created with its first office role when
//! asked (which needs `user:manage` and `role_assignment:manage` there too),
//! the candidate is marked hired and the onboarding checklist is opened.

use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::responses::ChangeErrors;
use kernel::{Actor, ApiError, IfMatch, Principal, ValidJson};
use org::roles::{EMPLOYEE_MANAGE, ROLE_ASSIGNMENT_MANAGE, USER_MANAGE};
use org::users::{RoleAssignment, User};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{candidates as c, recruitment_plans as rp};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::candidates::{Candidate, candidate_for};
use super::plans::{RecruitmentPlan, RecruitmentPlanStatus};
use crate::common::{created, now_db};
use crate::employees::api::{CreateEmployee, open};
use crate::employees::{Employee, EmployeeStatus};
use crate::onboarding::{self, Onboarding};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(hire_candidate);
}

/// The login a hire gets, with their first role.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[validate(
        length(min = 3, max = 64),
        custom(function = "org::users::validate_username")
    )]
    #[schema(
        min_length = 3,
        max_length = 64,
        pattern = "^[a-z0-9._-]+$",
        example = "gz01.huang.zq"
    )]
    pub username: String,
    /// The initial password, at least 12 characters.
    #[validate(length(min = 12, max = 256))]
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    /// An office role other than the director's (see `GET /org/roles`), held
    /// at the office from the hire day.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50, example = "sales_rep")]
    pub role: String,
}

/// The hire's file.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HireCandidate {
    #[validate(length(min = 1, max = 30))]
    #[schema(
        min_length = 1,
        max_length = 30,
        pattern = "^[A-Za-z0-9-]+$",
        example = "GZ01-031"
    )]
    pub employee_number: String,
    /// The plan's post when left out.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "銷售人員")]
    pub position: Option<String>,
    /// The plan's department when left out.
    pub department_id: Option<i64>,
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, example = "P2")]
    pub grade: Option<String>,
    pub hire_date: NaiveDate,
    /// An employee of the office.
    pub manager_employee_id: Option<i64>,
    /// A login for them, with their first role.
    #[validate(nested)]
    pub account: Option<NewAccount>,
}

/// What hiring made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hire {
    pub candidate: Candidate,
    pub employee: Employee,
    /// The login, when one was asked for.
    pub account: Option<User>,
    pub role_assignment: Option<RoleAssignment>,
    pub plan: RecruitmentPlan,
    pub onboarding: Onboarding,
}

/// Counts a hire on the plan: one statement that refuses past the headcount
/// or a plan not approved; the plan is filled when the count reaches it.
fn take_place(
    conn: &mut AnyConnection,
    actor: &Actor,
    plan_id: i64,
) -> Result<RecruitmentPlan, ApiError> {
    let now = now_db();
    let taken: Option<RecruitmentPlan> = diesel::update(
        rp::table
            .find(plan_id)
            .filter(rp::status.eq(RecruitmentPlanStatus::Approved.as_str()))
            .filter(rp::hired.lt(rp::headcount)),
    )
    .set((
        rp::hired.eq(rp::hired + 1),
        rp::updated_at.eq(now),
        rp::version.eq(rp::version + 1),
    ))
    .returning(rp::all_columns)
    .get_result(conn)
    .optional()
    .api()?;
    let Some(mut plan) = taken else {
        let plan: RecruitmentPlan = rp::table
            .find(plan_id)
            .select(RecruitmentPlan::as_select())
            .first(conn)
            .api()?;
        let mut e = ApiError::invalid_transition("hire", &plan.status, &[]);
        if plan.hired >= plan.headcount {
            e.detail = format!(
                "the plan's headcount of {} is hired; no more are taken on it",
                plan.headcount
            )
            .into();
        }
        return Err(e
            .with_extra("headcount", plan.headcount.into())
            .with_extra("hired", plan.hired.into()));
    };
    if plan.hired == plan.headcount {
        plan = diesel::update(rp::table.find(plan_id))
            .set((
                rp::status.eq(RecruitmentPlanStatus::Filled.as_str()),
                rp::version.eq(rp::version + 1),
            ))
            .returning(rp::all_columns)
            .get_result(conn)
            .api()?;
    }
    audit::record(
        conn,
        actor,
        Change::new(
            "count_hire",
            "recruitment_plan",
            plan.id,
            Some(plan.office_id),
        )
        .after(&plan),
    )?;
    Ok(plan)
}

/// Hires `before` (at the offer) as `b` says, `hash` the initial password's
/// hash when a login is asked for (also used by the demo loader).
pub fn hire(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &Candidate,
    b: &HireCandidate,
    hash: Option<&str>,
) -> Result<Hire, ApiError> {
    if before.stage != "offer" {
        return Err(ApiError::invalid_transition(
            "hire",
            &before.stage,
            if before.stage == "hired" || before.stage == "rejected" {
                &[]
            } else {
                &["stage-results", "reject"]
            },
        ));
    }
    let plan = take_place(conn, actor, before.plan_id)?;
    let office = plan.office_id;
    let (account, role_assignment) = match (&b.account, hash) {
        (Some(a), Some(hash)) => {
            let user = org::users::insert_user_hashed(
                conn,
                &a.username,
                &before.name,
                hash,
                Some(office),
            )?;
            audit::record(
                conn,
                actor,
                Change::new("create", "user", user.id, user.office_id).after(&user),
            )?;
            let assignment = org::users::assign_at_office(
                conn,
                actor,
                "account.role",
                user.id,
                &a.role,
                office,
                b.hire_date,
            )?;
            (Some(user), Some(assignment))
        }
        _ => (None, None),
    };
    let now = now_db();
    let employee = open(
        conn,
        actor,
        Some(office),
        &CreateEmployee {
            office_id: Some(office),
            hq: false,
            user_id: account.as_ref().map(|u| u.id),
            employee_number: b.employee_number.clone(),
            name: before.name.clone(),
            department_id: b.department_id.or(plan.department_id),
            position: b.position.clone().unwrap_or_else(|| plan.post.clone()),
            grade: b.grade.clone(),
            hire_date: b.hire_date,
            status: Some(EmployeeStatus::Hired),
            manager_employee_id: b.manager_employee_id,
            personal: None,
        },
        now,
    )?;
    let candidate: Candidate = store::update_versioned!(
        conn,
        c,
        Candidate,
        before,
        now,
        (c::stage.eq("hired"), c::employee_id.eq(Some(employee.id)),)
    )?;
    audit::record(
        conn,
        actor,
        Change::new("hire", "candidate", candidate.id, Some(candidate.office_id))
            .before(before)
            .after(&candidate),
    )?;
    let onboarding = onboarding::start(conn, actor, &employee)?;
    Ok(Hire {
        candidate,
        employee,
        account,
        role_assignment,
        plan,
        onboarding,
    })
}

/// Hire a candidate at the offer (`employee:manage` over the office; a login
/// also needs `user:manage` and `role_assignment:manage` there): the file,
/// the login with its role, and the onboarding checklist, in one
/// transaction. Refused once the plan's headcount is hired.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Candidate id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = HireCandidate,
    responses((status = 201, description = "Hired", body = Hire, headers(("Location" = String), ("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/candidates/{id}/hire")]
async fn hire_candidate(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<HireCandidate>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    p.require(EMPLOYEE_MANAGE)?;
    if b.account.is_some() {
        p.require(USER_MANAGE)?;
        p.require(ROLE_ASSIGNMENT_MANAGE)?;
    }
    let made = db
        .tx(move |conn| {
            let (before, actor) = candidate_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            if b.account.is_some() {
                p.authorize(USER_MANAGE, Some(before.office_id))?;
                p.authorize(ROLE_ASSIGNMENT_MANAGE, Some(before.office_id))?;
            }
            if before.version != if_match.0 {
                return Err(kernel::concurrency::version_conflict(before.version));
            }
            let hash = match &b.account {
                Some(a) => Some(org::password::hash(&a.password)?),
                None => None,
            };
            hire(conn, &actor, &before, &b, hash.as_deref())
        })
        .await?;
    Ok(created(
        format!("/api/v1/personnel/employees/{}", made.employee.id),
        made.employee.version,
    )
    .json(made))
}
