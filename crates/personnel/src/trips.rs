//! Business trips (出差). An employee applies for their own trip — destination,
//! purpose, dates and estimated cost — before it starts (出差審批手續); the
//! application goes straight to the approval engine: the traveller's department
//! supervisor, then the office director. After the last day the traveller files
//! the trip report (出差報告) with the actual cost, which completes the trip;
//! reimbursement itself is an expense claim in finance, which reads the trip
//! through [`crate::facts`].
//!
//! Everyone sees their own trips; `trip:read` shows the trips of the offices it
//! reaches, and an approver sees the trip they are asked to decide.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::TRIP_READ;
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{business_trips as bt, users};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role, supervisor};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::common::{allow, created, department_of, now_db, today};

/// The approval engine's name for business trips.
pub const TRIP_DOC: &str = "business_trip";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_trips)
        .service(create_trip)
        .service(get_trip)
        .service(report_trip);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BusinessTripStatus {
    /// Applied for; waiting in the approval chain.
    InApproval,
    /// Approved: the traveller may go, and reports after the last day.
    Approved,
    /// Rejected by an approver, with the reason.
    Rejected,
    /// Withdrawn by the traveller before the first decision.
    Withdrawn,
    /// Reported on after the trip, with the actual cost.
    Completed,
}

impl BusinessTripStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BusinessTripStatus::InApproval => "in_approval",
            BusinessTripStatus::Approved => "approved",
            BusinessTripStatus::Rejected => "rejected",
            BusinessTripStatus::Withdrawn => "withdrawn",
            BusinessTripStatus::Completed => "completed",
        }
    }
}

/// What a trip in `status` allows here. A trip in approval is decided —
/// approved, rejected or withdrawn — through the approval engine; a rejected or
/// withdrawn trip is final (the traveller applies again).
fn trip_actions(status: &str) -> &'static [&'static str] {
    match status {
        "approved" => &["report"],
        _ => &[],
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = bt)]
pub struct BusinessTrip {
    pub id: i64,
    /// The traveller's office.
    pub office_id: i64,
    #[schema(example = "BT-GZ01-2026-000001")]
    pub number: String,
    /// Who travels: the employee who applied.
    pub traveller_user_id: i64,
    #[schema(example = "上海")]
    pub destination: String,
    #[schema(example = "參加華東照明經銷商大會，拜訪上海亞明等三家重點客戶")]
    pub purpose: String,
    /// The first day away.
    #[schema(example = "2026-12-07")]
    pub starts_on: NaiveDate,
    /// The last day away; on or after `starts_on`.
    #[schema(example = "2026-12-09")]
    pub ends_on: NaiveDate,
    /// Minor units (分).
    #[schema(example = 680_000)]
    pub estimated_cost: i64,
    #[schema(example = "CNY")]
    pub currency: String,
    #[schema(value_type = BusinessTripStatus)]
    pub status: String,
    /// The approval (`/api/v1/approvals/{id}`) the application went through.
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    /// The trip report (出差報告), once filed.
    pub report: Option<String>,
    /// What the trip really cost, minor units (分), once reported.
    pub actual_cost: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reported_at: Option<NaiveDateTime>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// An application for one's own trip, in one's own office.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBusinessTrip {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "上海")]
    pub destination: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "參加華東照明經銷商大會，拜訪上海亞明等三家重點客戶"
    )]
    pub purpose: String,
    /// Today or later: a trip is approved before it starts.
    #[schema(example = "2026-12-07")]
    pub starts_on: NaiveDate,
    /// On or after `starts_on`.
    #[schema(example = "2026-12-09")]
    pub ends_on: NaiveDate,
    /// Travel, lodging and allowances together, minor units (分), not negative.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 680_000)]
    pub estimated_cost: i64,
}

/// The traveller's report after the trip.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBusinessTrip {
    /// What was done and what came of it.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "與三家經銷商達成年度合作意向；上海亞明要求月底前提供節能改造方案報價。"
    )]
    pub report: String,
    /// What the trip really cost, minor units (分), not negative.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 642_500)]
    pub actual_cost: i64,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTrips {
    pub status: Option<BusinessTripStatus>,
    pub traveller_user_id: Option<i64>,
    pub office_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The dates of an application: the trip starts today or later (approval
/// comes before the trip) and does not end before it starts. Every broken rule
/// is listed.
pub fn check_dates(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if starts_on < today() {
        errors.push(FieldError::new(
            "starts_on",
            "past",
            "a trip is approved before it starts: apply for a start today or later",
        ));
    }
    if ends_on < starts_on {
        errors.push(FieldError::new(
            "ends_on",
            "range",
            "a trip cannot end before it starts",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Applies for a trip of the actor, in `office`, and submits it to the approval
/// engine in the same transaction (also used by the demo loader).
pub fn apply(
    conn: &mut AnyConnection,
    registry: &Registry,
    office: i64,
    actor: &Actor,
    body: &CreateBusinessTrip,
) -> Result<BusinessTrip, ApiError> {
    let traveller = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a trip needs a traveller"))?;
    check_dates(body.starts_on, body.ends_on)?;
    let code = org::office_code(conn, office)?;
    let now = kernel::time::now();
    let number = store::docnum::next(conn, office, &code, "BT", now.year())?;
    let now = kernel::time::to_db(now);
    let row: BusinessTrip = diesel::insert_into(bt::table)
        .values((
            bt::office_id.eq(office),
            bt::number.eq(&number),
            bt::traveller_user_id.eq(traveller),
            bt::destination.eq(&body.destination),
            bt::purpose.eq(&body.purpose),
            bt::starts_on.eq(body.starts_on),
            bt::ends_on.eq(body.ends_on),
            bt::estimated_cost.eq(body.estimated_cost),
            bt::currency.eq("CNY"),
            bt::status.eq(BusinessTripStatus::InApproval.as_str()),
            bt::created_by.eq(traveller),
            bt::created_at.eq(now),
            bt::updated_at.eq(now),
            bt::version.eq(1_i64),
        ))
        .returning(bt::all_columns)
        .get_result(conn)
        .api()?;
    // The engine reads the stored trip, so it is written first; the approval's
    // id completes the same, still unseen, first version.
    let row: BusinessTrip =
        workflow::submit_and_keep!(conn, registry, TRIP_DOC, bt, BusinessTrip, row.id, actor)?;
    audit::record(
        conn,
        actor,
        Change::new("create", "business_trip", row.id, Some(office)).after(&row),
    )?;
    Ok(row)
}

/// Files the trip report: only the traveller, only on an approved trip, only on
/// or after its last day. The trip is then completed.
pub fn file_report(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
    body: &ReportBusinessTrip,
) -> Result<BusinessTrip, ApiError> {
    let before = load_trip(conn, p, id)?;
    if before.traveller_user_id != p.user_id {
        return Err(ApiError::forbidden(
            "only the traveller reports on their trip",
        ));
    }
    allow("report", &before.status, trip_actions(&before.status))?;
    if today() < before.ends_on {
        return Err(ApiError::validation(vec![FieldError::new(
            "ends_on",
            "not_ended",
            format!(
                "a trip is reported on or after its last day, {}",
                before.ends_on
            ),
        )]));
    }
    if before.version != read_version {
        return Err(version_conflict(before.version));
    }
    let now = now_db();
    // Only the version read, still approved, changes: a concurrent report loses.
    let after: BusinessTrip = diesel::update(
        bt::table
            .find(id)
            .filter(bt::version.eq(read_version))
            .filter(bt::status.eq(BusinessTripStatus::Approved.as_str())),
    )
    .set((
        bt::status.eq(BusinessTripStatus::Completed.as_str()),
        bt::report.eq(Some(&body.report)),
        bt::actual_cost.eq(Some(body.actual_cost)),
        bt::reported_at.eq(Some(now)),
        bt::updated_at.eq(now),
        bt::version.eq(bt::version + 1),
    ))
    .returning(bt::all_columns)
    .get_result(conn)
    .optional()
    .api()?
    .ok_or_else(|| version_conflict(before.version + 1))?;
    audit::record(
        conn,
        &p.actor(Default::default()),
        Change::new("report", "business_trip", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// A trip the caller may see: their own, one in the offices their `trip:read`
/// reaches, or one whose approval chain waits for or was decided by them.
/// 404 otherwise, exactly as for a trip that does not exist.
/// A trip the caller may read: their own, one of an office `trip:read` reaches,
/// or one whose approval they decided or may decide — all in the query.
fn load_trip(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<BusinessTrip, ApiError> {
    store::load_scoped!(
        conn,
        reach = p.reach(TRIP_READ),
        from = (
            bt::table.select(BusinessTrip::as_select()),
            bt::office_id,
            bt::id
        ),
        also = bt::traveller_user_id.eq(p.user_id).or(bt::id.eq_any(
            workflow::visibility::approver_doc_ids(conn, p, TRIP_DOC, id)?
        )),
        BusinessTrip,
        id,
        "business trip"
    )
}

/// Business trips: one's own, and those of the offices `trip:read` reaches.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListTrips),
    responses((status = 200, description = "A page of business trips", body = Page<BusinessTrip>), ReadErrors)
)]
#[get("/personnel/trips")]
async fn list_trips(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListTrips>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                p.reach(TRIP_READ),
                bt,
                BusinessTrip,
                req,
                asc,
                owner = (bt::traveller_user_id, p.user_id),
                |query| {
                    if let Some(v) = q.status {
                        query = query.filter(bt::status.eq(v.as_str()));
                    }
                    if let Some(v) = q.traveller_user_id {
                        query = query.filter(bt::traveller_user_id.eq(v));
                    }
                    if let Some(v) = q.office_id {
                        query = query.filter(bt::office_id.eq(v));
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Apply for a business trip (出差申請) for oneself, in one's own office: it is
/// numbered `BT-<office>-<year>-NNNNNN` and goes to approval at once — the
/// traveller's department supervisor, then the office director.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    request_body = CreateBusinessTrip,
    responses((status = 201, description = "Applied for: in approval", body = BusinessTrip, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/trips")]
async fn create_trip(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<CreateBusinessTrip>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let office = p.office_id.ok_or_else(|| {
        ApiError::invalid_field(
            "office_id",
            "required",
            "trips are applied for by office staff; you belong to no office",
        )
    })?;
    check_dates(body.starts_on, body.ends_on)?;
    let registry = registry.get_ref().clone();
    let actor = p.actor(Default::default());
    let row = db
        .tx(move |conn| apply(conn, &registry, office, &actor, &body))
        .await?;
    Ok(created(format!("/api/v1/personnel/trips/{}", row.id), row.version).json(row))
}

/// Get a business trip.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Business trip id")),
    responses((status = 200, description = "The trip", body = BusinessTrip, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/trips/{id}")]
async fn get_trip(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| load_trip(conn, &p, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// File the trip report (出差報告) with the actual cost, on or after the trip's
/// last day: only the traveller (403 for anyone else who can see the trip), only
/// on an approved trip. The trip is then `completed`; reimbursement is an expense
/// claim in finance.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Business trip id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReportBusinessTrip,
    responses((status = 200, description = "Reported: completed", body = BusinessTrip, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/trips/{id}/report")]
async fn report_trip(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReportBusinessTrip>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let row = db
        .tx(move |conn| file_report(conn, &p, id, if_match.0, &body))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

fn set_trip_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "business_trip",
        bt,
        BusinessTrip,
        id,
        (
            bt::status.eq(status),
            bt::rejection_reason.eq(reason),
            bt::updated_at.eq(now_db()),
            bt::version.eq(bt::version + 1),
        )
    )?;
    Ok(())
}

/// Business trips in the approval engine.
pub struct BusinessTripDocument;

impl ApprovalDocument for BusinessTripDocument {
    fn doc_type(&self) -> &'static str {
        TRIP_DOC
    }

    /// 辦理出差審批手續: the traveller's department supervisor, then the office
    /// director. A supervisor's own trip skips their own step.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Business trip (出差審批)".to_owned(),
            steps: vec![
                supervisor("department_supervisor"),
                role("office_director", "office_director"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let trip: BusinessTrip = bt::table
            .find(doc_id)
            .select(BusinessTrip::as_select())
            .first(conn)
            .found("business trip")?;
        let name: String = users::table
            .find(trip.traveller_user_id)
            .select(users::display_name)
            .first(conn)
            .api()?;
        let department = department_of(conn, trip.traveller_user_id, trip.office_id)?;
        Ok(DocumentInfo {
            office_id: Some(trip.office_id),
            owner_user_id: trip.traveller_user_id,
            owner_department_id: department,
            amount: Some(trip.estimated_cost),
            currency: trip.currency,
            category: None,
            summary: format!(
                "{} {} → {}, {} to {}",
                trip.number, name, trip.destination, trip.starts_on, trip.ends_on
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
        set_trip_status(conn, actor, doc_id, status, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Days;

    fn fields(err: &ApiError) -> Vec<&str> {
        err.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_trip_starts_today_or_later_and_ends_on_or_after_its_start() {
        let today = today();
        let later = today.checked_add_days(Days::new(3)).unwrap();
        let earlier = today.checked_sub_days(Days::new(1)).unwrap();
        assert!(check_dates(today, today).is_ok());
        assert!(check_dates(today, later).is_ok());
        assert_eq!(
            fields(&check_dates(earlier, later).unwrap_err()),
            vec!["starts_on"]
        );
        assert_eq!(
            fields(&check_dates(later, today).unwrap_err()),
            vec!["ends_on"]
        );
        let both = check_dates(earlier, earlier.checked_sub_days(Days::new(1)).unwrap());
        assert_eq!(fields(&both.unwrap_err()), vec!["starts_on", "ends_on"]);
    }

    #[test]
    fn only_an_approved_trip_is_reported() {
        assert!(allow("report", "approved", trip_actions("approved")).is_ok());
        for s in ["in_approval", "rejected", "withdrawn", "completed"] {
            assert!(allow("report", s, trip_actions(s)).is_err());
        }
    }
}
