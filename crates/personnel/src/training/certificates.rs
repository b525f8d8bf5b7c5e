//! Certificates (證書) on the employee file: earned at a training session —
//! recorded with its results and, as the domain spec has certificates earned
//! rewarded, marked due a reward — or obtained elsewhere and recorded by HR.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors};
use kernel::{Actor, ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::employee_certificates as ec;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{created, now_db, today};
use crate::employees::Employee;
use crate::employees::api::{employee_for, for_change};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_certificate).service(list_certificates);
}

/// A certificate on the file.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ec)]
pub struct EmployeeCertificate {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    #[schema(example = "照明設計師（四級）")]
    pub name: String,
    #[schema(example = "中國照明學會")]
    pub issuer: String,
    pub number: Option<String>,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    /// The training session it was earned at.
    pub session_id: Option<i64>,
    /// Earned at training: due a reward.
    pub reward_due: bool,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// A certificate to record.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCertificate {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "照明設計師（四級）")]
    pub name: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "中國照明學會")]
    pub issuer: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "CIES-2026-00817")]
    pub number: Option<String>,
    /// Today when left out; not in the future.
    pub issued_on: Option<NaiveDate>,
    /// After `issued_on`, if it expires.
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCertificates {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Puts certificate `c` on `employee`'s file, earned at `session` if any
/// (then due a reward when `reward_due`).
pub fn issue(
    conn: &mut AnyConnection,
    actor: &Actor,
    employee: &Employee,
    c: &NewCertificate,
    session: Option<i64>,
    reward_due: bool,
) -> Result<EmployeeCertificate, ApiError> {
    let issued_on = c.issued_on.unwrap_or_else(today);
    if issued_on > today() {
        return Err(ApiError::invalid_field(
            "issued_on",
            "future",
            "a certificate is recorded once issued",
        ));
    }
    if c.expires_on.is_some_and(|x| x <= issued_on) {
        return Err(ApiError::invalid_field(
            "expires_on",
            "range",
            "it expires after it is issued",
        ));
    }
    let row: EmployeeCertificate = diesel::insert_into(ec::table)
        .values((
            ec::employee_id.eq(employee.id),
            ec::office_id.eq(employee.office_id),
            ec::name.eq(&c.name),
            ec::issuer.eq(&c.issuer),
            ec::number.eq(c.number.as_deref()),
            ec::issued_on.eq(issued_on),
            ec::expires_on.eq(c.expires_on),
            ec::session_id.eq(session),
            ec::reward_due.eq(reward_due),
            ec::created_by.eq(actor.user_id),
            ec::created_at.eq(now_db()),
        ))
        .returning(ec::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(
            "add_certificate",
            "employee",
            employee.id,
            employee.office_id,
        )
        .after(&row),
    )?;
    Ok(row)
}

/// Record a certificate obtained elsewhere (`employee:manage` over the file,
/// under its `If-Match`).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = NewCertificate,
    responses((status = 201, description = "Recorded", body = EmployeeCertificate, headers(("Location" = String), ("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/employees/{id}/certificates")]
async fn add_certificate(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: kernel::IfMatch,
    body: ValidJson<NewCertificate>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (employee, actor) = for_change(conn, &p, EMPLOYEE_MANAGE, id, if_match.0)?;
            issue(conn, &actor, &employee, &b, None, false)
        })
        .await?;
    Ok(created(
        format!(
            "/api/v1/personnel/employees/{}/certificates",
            row.employee_id
        ),
        1,
    )
    .json(row))
}

/// An employee's certificates, oldest first (`employee:read`).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ListCertificates),
    responses((status = 200, description = "A page of certificates", body = Page<EmployeeCertificate>), ReadErrors)
)]
#[get("/personnel/employees/{id}/certificates")]
async fn list_certificates(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListCertificates>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (employee, _) = employee_for(conn, &p, EMPLOYEE_READ, id)?;
            let query = ec::table
                .filter(ec::employee_id.eq(employee.id))
                .select(EmployeeCertificate::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows =
                store::list_scoped!(@page conn, query, ec::id, EmployeeCertificate, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
