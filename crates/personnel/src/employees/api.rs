//! The employee file's endpoints: open a file (`employee:manage` where it
//! belongs; its personal data only with `personal_data:manage`), list and
//! read files (`employee:read`; the personal data only for
//! `personal_data:read` there or the person, each such read audited), one's
//! own file, change the name or manager, and record personal data.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ, PERSONAL_DATA_MANAGE, PERSONAL_DATA_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{employee_personal_data as pd, employees as e};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{Employee, EmployeeStatus, PersonalData};
use crate::common::{created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_employees)
        .service(create_employee)
        .service(my_file)
        .service(get_employee)
        .service(change_employee)
        .service(record_personal_data);
}

/// An employee's file: the post details, and the personal data for those who
/// may see it (absent for everyone else).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmployeeFile {
    #[serde(flatten)]
    pub employee: Employee,
    /// Confidential: present only for HQ HR, the office's HR holder and the
    /// person; each read is audited.
    pub personal: Option<PersonalData>,
}

/// A file to open.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEmployee {
    /// The office; the caller's own when left out.
    pub office_id: Option<i64>,
    /// `true`: one of HQ's people (no office; `employee:manage`
    /// company-wide).
    #[serde(default)]
    pub hq: bool,
    /// Their login: an active user of the office (of HQ for HQ's people),
    /// not on another file.
    pub user_id: Option<i64>,
    #[validate(length(min = 1, max = 30))]
    #[schema(
        min_length = 1,
        max_length = 30,
        pattern = "^[A-Za-z0-9-]+$",
        example = "GZ01-007"
    )]
    pub employee_number: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "陳曉明")]
    pub name: String,
    /// An active department of the office.
    pub department_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "銷售人員")]
    pub position: String,
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, example = "P3")]
    pub grade: Option<String>,
    pub hire_date: NaiveDate,
    /// `probation` when left out.
    pub status: Option<EmployeeStatus>,
    /// An employee of the same office (or of HQ).
    pub manager_employee_id: Option<i64>,
    /// Recorded only with `personal_data:manage`.
    #[validate(nested)]
    pub personal: Option<PersonalData>,
}

/// A change of the name or manager. The department, position and grade
/// change through the position history (`/position-changes`), the personal
/// data through its own action, the status through its own flows.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmployee {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<i64>)]
    pub manager_employee_id: Option<Option<i64>>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEmployees {
    pub office_id: Option<i64>,
    pub department_id: Option<i64>,
    pub status: Option<EmployeeStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// 422 listing the personal data's cross-field problems, if any.
fn check_personal(personal: &PersonalData, prefix: &str) -> Result<(), ApiError> {
    let errors = personal.check(prefix);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Writes `personal` as `employee`'s personal data, audited masked.
fn write_personal(
    conn: &mut AnyConnection,
    actor: &Actor,
    employee: &Employee,
    personal: &PersonalData,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let before: Option<PersonalData> = pd::table
        .find(employee.id)
        .select(PersonalData::as_select())
        .first(conn)
        .optional()
        .api()?;
    let values = (
        pd::id_number.eq(personal.id_number.as_deref()),
        pd::birth_date.eq(personal.birth_date),
        pd::home_address.eq(personal.home_address.as_deref()),
        pd::phone.eq(personal.phone.as_deref()),
        pd::emergency_contact_name.eq(personal.emergency_contact_name.as_deref()),
        pd::emergency_contact_phone.eq(personal.emergency_contact_phone.as_deref()),
        pd::bank_name.eq(personal.bank_name.as_deref()),
        pd::bank_account.eq(personal.bank_account.as_deref()),
        pd::updated_at.eq(now),
    );
    if before.is_some() {
        diesel::update(pd::table.find(employee.id))
            .set((values, pd::version.eq(pd::version + 1)))
            .execute(conn)
            .api()?;
    } else {
        diesel::insert_into(pd::table)
            .values((
                pd::employee_id.eq(employee.id),
                values,
                pd::version.eq(1_i64),
            ))
            .execute(conn)
            .api()?;
    }
    let mut change = Change::new(
        "record_personal_data",
        "employee",
        employee.id,
        employee.office_id,
    )
    .after(&personal.masked());
    if let Some(b) = before {
        change = change.before(&b.masked());
    }
    audit::record(conn, actor, change)?;
    Ok(())
}

/// The file of `employee` as `p` may see it: the personal data for
/// `personal_data:read` over its office (company-wide for HQ's people) or
/// for the person, that read audited.
fn file_for(
    conn: &mut AnyConnection,
    p: &Principal,
    employee: Employee,
) -> Result<EmployeeFile, ApiError> {
    let own = employee.user_id == Some(p.user_id);
    let authority = if own {
        Some(kernel::Authority::default())
    } else {
        p.authorize(PERSONAL_DATA_READ, employee.office_id).ok()
    };
    let personal = match authority {
        None => None,
        Some(authority) => {
            let found: Option<PersonalData> = pd::table
                .find(employee.id)
                .select(PersonalData::as_select())
                .first(conn)
                .optional()
                .api()?;
            if found.is_some() {
                audit::record(
                    conn,
                    &p.actor(authority),
                    Change::new(
                        "read_personal_data",
                        "employee",
                        employee.id,
                        employee.office_id,
                    ),
                )?;
            }
            found
        }
    };
    Ok(EmployeeFile { employee, personal })
}

/// Opens a file at `office` (`None`: HQ) (also used by the demo loader):
/// the login, department and manager checked there; personal data checked
/// and written masked in the trail.
pub fn open(
    conn: &mut AnyConnection,
    actor: &Actor,
    office: Option<i64>,
    b: &CreateEmployee,
    now: NaiveDateTime,
) -> Result<Employee, ApiError> {
    if let Some(personal) = &b.personal {
        check_personal(personal, "personal.")?;
    }
    if !b
        .employee_number
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ApiError::invalid_field(
            "employee_number",
            "pattern",
            "letters, digits and hyphens",
        ));
    }
    if let Some(user) = b.user_id {
        match office {
            Some(o) => org::scope::user_of_office(conn, "user_id", user, o)?,
            None => org::scope::user_of_offices_or_hq(conn, "user_id", user, Some(&[]))?,
        }
    }
    if let Some(dept) = b.department_id {
        match office {
            Some(o) => org::scope::department_of_office(conn, "department_id", dept, o)?,
            None => return Err(store::scoped::no_such("department_id", "active department")),
        }
    }
    if let Some(manager) = b.manager_employee_id {
        manager_of(conn, manager, office)?;
    }
    let row: Employee = diesel::insert_into(e::table)
        .values((
            e::office_id.eq(office),
            e::user_id.eq(b.user_id),
            e::employee_number.eq(&b.employee_number),
            e::name.eq(&b.name),
            e::department_id.eq(b.department_id),
            e::position.eq(&b.position),
            e::grade.eq(b.grade.as_deref()),
            e::hire_date.eq(b.hire_date),
            e::status.eq(b.status.unwrap_or(EmployeeStatus::Probation).as_str()),
            e::manager_employee_id.eq(b.manager_employee_id),
            e::created_by.eq(actor.user_id),
            e::created_at.eq(now),
            e::updated_at.eq(now),
            e::version.eq(1_i64),
        ))
        .returning(e::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "employee", row.id, row.office_id).after(&row),
    )?;
    if let Some(personal) = &b.personal {
        write_personal(conn, actor, &row, personal, now)?;
    }
    Ok(row)
}

/// A manager named in a body: an employee of the same office (or of HQ for
/// HQ's people), else the answer for one that does not exist.
fn manager_of(conn: &mut AnyConnection, manager: i64, office: Option<i64>) -> Result<(), ApiError> {
    let mut q = e::table
        .filter(e::id.eq(manager))
        .filter(e::status.ne("left"))
        .select(e::id)
        .into_boxed::<store::MultiBackend>();
    q = match office {
        Some(o) => q.filter(e::office_id.eq(o)),
        None => q.filter(e::office_id.is_null()),
    };
    let found: Option<i64> = q.first(conn).optional().api()?;
    found
        .map(drop)
        .ok_or_else(|| store::scoped::no_such("manager_employee_id", "employee"))
}

/// Open an employee file (`employee:manage` at the office, or company-wide
/// for HQ's people); personal data given here needs `personal_data:manage`.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    request_body = CreateEmployee,
    responses((status = 201, description = "Opened", body = Employee, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/employees")]
async fn create_employee(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateEmployee>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = if b.hq {
        if b.office_id.is_some() {
            return Err(ApiError::invalid_field(
                "office_id",
                "not_allowed",
                "HQ's people belong to no office",
            ));
        }
        (None, p.require_company(EMPLOYEE_MANAGE)?)
    } else {
        let (o, a) = org::scope::office_for_create(&p, EMPLOYEE_MANAGE, b.office_id)?;
        (Some(o), a)
    };
    if b.personal.is_some() && p.authorize(PERSONAL_DATA_MANAGE, office).is_err() {
        return Err(ApiError::forbidden(
            "personal data is recorded by HR (`personal_data:manage`)",
        ));
    }
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| open(conn, &actor, office, &b, now_db()))
        .await?;
    Ok(created(
        format!("/api/v1/personnel/employees/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Employee files of the offices `employee:read` reaches (HQ's people
/// company-wide), without personal data.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListEmployees),
    responses((status = 200, description = "A page of files", body = Page<Employee>), ReadErrors)
)]
#[get("/personnel/employees")]
async fn list_employees(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListEmployees>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, e, Employee, req, asc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(e::office_id.eq(v));
                }
                if let Some(v) = f.department_id {
                    q = q.filter(e::department_id.eq(v));
                }
                if let Some(v) = f.status {
                    q = q.filter(e::status.eq(v.as_str()));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The caller's own file, with their personal data (the read is audited).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's file", body = EmployeeFile, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/employees/me")]
async fn my_file(db: web::Data<Db>, p: Principal) -> Result<HttpResponse, ApiError> {
    let file = db
        .tx(move |conn| {
            let employee: Employee = e::table
                .filter(e::user_id.eq(p.user_id))
                .select(Employee::as_select())
                .first(conn)
                .found("employee file")?;
            file_for(conn, &p, employee)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(file.employee.version))
        .json(file))
}

/// One employee's file (`employee:read` over its office, or one's own): the
/// personal data only for HQ HR, the office's HR holder and the person, and
/// each such read is audited.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id")),
    responses((status = 200, description = "The file", body = EmployeeFile, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/employees/{id}")]
async fn get_employee(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let id = id.into_inner();
    let me = p.user_id;
    let file = db
        .tx(move |conn| {
            let employee = store::load_scoped!(
                conn,
                reach = reach,
                from = (e::table.select(Employee::as_select()), e::office_id, e::id),
                also = e::user_id.eq(me),
                Employee,
                id,
                "employee"
            )?;
            file_for(conn, &p, employee)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(file.employee.version))
        .json(file))
}

/// The file `id` if it is the caller's own or `employee:read` reaches it
/// (403 without the permission, 404 outside its reach) — the rule for what
/// hangs on a file: its training history, its rewards and sanctions.
pub(crate) fn own_or_readable(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
) -> Result<Employee, ApiError> {
    let own: Option<Employee> = e::table
        .filter(e::id.eq(id))
        .filter(e::user_id.eq(p.user_id))
        .select(Employee::as_select())
        .first(conn)
        .optional()
        .api()?;
    match own {
        Some(employee) => Ok(employee),
        None => employee_for(conn, p, EMPLOYEE_READ, id).map(|(employee, _)| employee),
    }
}

/// The login of employee `id`, if there is one (a mentor's or a manager's,
/// to know whether the caller is that person).
pub(crate) fn login_of(conn: &mut AnyConnection, id: Option<i64>) -> Result<Option<i64>, ApiError> {
    let Some(id) = id else {
        return Ok(None);
    };
    e::table
        .find(id)
        .select(e::user_id)
        .first::<Option<i64>>(conn)
        .optional()
        .api()
        .map(Option::flatten)
}

/// The file `id` as the caller reaches it under `perm` (403 without it, 404
/// outside its reach), with the actor acting on it.
pub(crate) fn employee_for(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: kernel::Permission,
    id: i64,
) -> Result<(Employee, Actor), ApiError> {
    let reach = p.require(perm)?;
    let employee = store::load_scoped!(
        conn,
        reach = reach,
        from = (e::table.select(Employee::as_select()), e::office_id, e::id),
        Employee,
        id,
        "employee"
    )?;
    let authority = p.authorize(perm, employee.office_id)?;
    Ok((employee, p.actor(authority)))
}

/// The file `id` the caller may change under `perm`, at the version read.
pub(crate) fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: kernel::Permission,
    id: i64,
    read_version: i64,
) -> Result<(Employee, Actor), ApiError> {
    let (before, actor) = employee_for(conn, p, perm, id)?;
    if before.version != read_version {
        return Err(kernel::concurrency::version_conflict(before.version));
    }
    if before.status == EmployeeStatus::Left.as_str() {
        return Err(ApiError::invalid_transition("change", &before.status, &[]));
    }
    Ok((before, actor))
}

/// Change an employee's name or manager (`employee:manage` over the
/// office). A file of someone who left is read-only.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ChangeEmployee,
    responses((status = 200, description = "Changed", body = Employee, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/personnel/employees/{id}")]
async fn change_employee(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ChangeEmployee>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, actor) = for_change(conn, &p, EMPLOYEE_MANAGE, id, if_match.0)?;
            let manager = b.manager_employee_id.unwrap_or(before.manager_employee_id);
            if let Some(m) = manager.filter(|m| Some(*m) != before.manager_employee_id) {
                if m == before.id {
                    return Err(ApiError::invalid_field(
                        "manager_employee_id",
                        "self",
                        "nobody manages themselves",
                    ));
                }
                manager_of(conn, m, before.office_id)?;
            }
            let name = b.name.clone().unwrap_or_else(|| before.name.clone());
            let after: Employee = store::update_versioned!(
                conn,
                e,
                Employee,
                before,
                now_db(),
                (e::name.eq(name), e::manager_employee_id.eq(manager),)
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "employee", after.id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Record an employee's personal data, replacing what was there
/// (`personal_data:manage` over the office). The trail keeps it masked.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = PersonalData,
    responses((status = 200, description = "Recorded; the file with it", body = EmployeeFile, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/employees/{id}/personal-data")]
async fn record_personal_data(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<PersonalData>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let file = db
        .tx(move |conn| {
            let (before, actor) = for_change(conn, &p, PERSONAL_DATA_MANAGE, id, if_match.0)?;
            check_personal(&b, "")?;
            let now = now_db();
            let after: Employee =
                store::update_versioned!(conn, e, Employee, before, now, (e::id.eq(before.id),))?;
            write_personal(conn, &actor, &after, &b, now)?;
            Ok(EmployeeFile {
                employee: after,
                personal: Some(b),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(file.employee.version))
        .json(file))
}
