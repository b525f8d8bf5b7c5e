//! Offices (辦事處 / 分支機構). HQ's network management opens (設立), changes
//! (變更) and closes (撤銷) them; each of these is a recorded action with a reason
//! and an effective date, kept as the office's change history. Opening and closing
//! need approval: they are filed as office requests through the approval engine,
//! which calls `apply_open` / `apply_close` here on final approval. A closed office
//! accepts no new records; its history stays readable.

use actix_web::{HttpResponse, get, patch, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{Actor, ApiError, IfMatch, Page, Principal, ValidJson, ValidQuery, etag};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::audit::{self, Change};
use store::schema::{office_changes, offices, regions, users};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::{Validate, ValidationError};

use crate::common::{now_db, page};
use crate::roles::{OFFICE_CHANGE, OFFICE_READ};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_offices)
        .service(get_office)
        .service(change_office)
        .service(list_office_changes);
}

/// Codes appear in document numbers (`SO-GZ01-2026-000001`): upper-case letters,
/// digits and `_`.
pub fn validate_code(code: &str) -> Result<(), ValidationError> {
    if code
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(())
    } else {
        let mut e = ValidationError::new("pattern");
        e.message = Some("must be upper-case letters, digits or _".into());
        Err(e)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OfficeStatus {
    Active,
    Closed,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = offices)]
pub struct Office {
    pub id: i64,
    /// Used in document numbers.
    #[schema(example = "GZ01")]
    pub code: String,
    #[schema(example = "廣州辦事處 Guangzhou")]
    pub name: String,
    pub region_id: i64,
    pub address: String,
    /// The office director (主任), exactly one per office.
    pub director_user_id: Option<i64>,
    #[schema(value_type = OfficeStatus)]
    pub status: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = office_changes)]
pub struct OfficeChange {
    pub id: i64,
    pub office_id: i64,
    /// `open`, `change` or `close`.
    #[schema(example = "change")]
    pub kind: String,
    pub reason: String,
    pub effective_date: NaiveDate,
    /// The fields changed, before and after.
    #[schema(value_type = Object)]
    #[serde(serialize_with = "raw_json")]
    pub changes_json: String,
    pub actor_user_id: Option<i64>,
    pub acting_for_user_id: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

fn raw_json<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    serde::Serialize::serialize(&value, s)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenOffice {
    #[validate(length(min = 2, max = 16), custom(function = "validate_code"))]
    #[schema(
        min_length = 2,
        max_length = 16,
        pattern = "^[A-Z0-9_]+$",
        example = "FS01"
    )]
    pub code: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "佛山辦事處 Foshan")]
    pub name: String,
    pub region_id: i64,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub address: String,
    pub director_user_id: Option<i64>,
    /// Why the office is opened (設立).
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    /// The day the office opens.
    pub effective_date: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeOffice {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub region_id: Option<i64>,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub address: Option<String>,
    /// The new director; `null` leaves the post vacant.
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<i64>)]
    pub director_user_id: Option<Option<i64>>,
    /// Why the office changes (變更).
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    pub effective_date: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOffices {
    pub status: Option<OfficeStatus>,
    pub region_id: Option<i64>,
    /// Matches code or name, case-insensitively.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

use store::search::lower;

/// List the offices the caller can see.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(ListOffices),
    responses(
        (status = 200, description = "A page of offices", body = Page<Office>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/offices")]
async fn list_offices(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListOffices>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(OFFICE_READ)?;
    let q = q.into_inner();
    let req = page(q.limit, q.cursor.as_deref())?;
    let result = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    offices::table.select(Office::as_select()),
                    offices::id,
                    offices::id
                ),
                Office,
                req,
                asc,
                |query| {
                    if let Some(status) = q.status {
                        query = query.filter(offices::status.eq(status_str(status)));
                    }
                    if let Some(region) = q.region_id {
                        query = query.filter(offices::region_id.eq(region));
                    }
                    if let Some(text) = &q.q {
                        let pattern = store::search::pattern(text);
                        query = query.filter(
                            lower(offices::code)
                                .like(pattern.clone())
                                .or(lower(offices::name).like(pattern)),
                        );
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

fn status_str(s: OfficeStatus) -> &'static str {
    match s {
        OfficeStatus::Active => "active",
        OfficeStatus::Closed => "closed",
    }
}

fn check_region(conn: &mut AnyConnection, region_id: i64) -> Result<(), ApiError> {
    let found: Option<i64> = regions::table
        .find(region_id)
        .select(regions::id)
        .first(conn)
        .optional()
        .api()?;
    found
        .map(drop)
        .ok_or_else(|| ApiError::invalid_field("region_id", "not_found", "no such region"))
}

fn check_user(conn: &mut AnyConnection, field: &str, user_id: i64) -> Result<(), ApiError> {
    let active: Option<bool> = users::table
        .find(user_id)
        .select(users::active)
        .first(conn)
        .optional()
        .api()?;
    match active {
        Some(true) => Ok(()),
        Some(false) => Err(ApiError::invalid_field(
            field,
            "inactive",
            "this user is deactivated",
        )),
        None => Err(ApiError::invalid_field(field, "not_found", "no such user")),
    }
}

fn record_change(
    conn: &mut AnyConnection,
    actor: &Actor,
    office_id: i64,
    kind: &str,
    reason: &str,
    effective_date: NaiveDate,
    changes: Value,
) -> Result<(), ApiError> {
    diesel::insert_into(office_changes::table)
        .values((
            office_changes::office_id.eq(office_id),
            office_changes::kind.eq(kind),
            office_changes::reason.eq(reason),
            office_changes::effective_date.eq(effective_date),
            office_changes::changes_json.eq(changes.to_string()),
            office_changes::actor_user_id.eq(actor.user_id),
            office_changes::acting_for_user_id.eq(actor.acting_for),
            office_changes::created_at.eq(now_db()),
        ))
        .execute(conn)
        .api()
        .map(drop)
}

/// Checks that an office can be opened with this code in this region.
pub fn check_open(conn: &mut AnyConnection, code: &str, region_id: i64) -> Result<(), ApiError> {
    check_region(conn, region_id)?;
    let taken: i64 = offices::table
        .filter(offices::code.eq(code))
        .count()
        .get_result(conn)
        .api()?;
    if taken > 0 {
        return Err(ApiError::invalid_field(
            "code",
            "taken",
            "another office has this code",
        ));
    }
    Ok(())
}

/// Opens (設立) an office: the office, its `open` change record and the audit
/// event. Called by the approval engine when an opening request is approved.
pub fn apply_open(
    conn: &mut AnyConnection,
    actor: &Actor,
    body: &OpenOffice,
) -> Result<Office, ApiError> {
    check_open(conn, &body.code, body.region_id)?;
    if let Some(director) = body.director_user_id {
        check_user(conn, "director_user_id", director)?;
    }
    let now = now_db();
    let office: Office = diesel::insert_into(offices::table)
        .values((
            offices::code.eq(&body.code),
            offices::name.eq(&body.name),
            offices::region_id.eq(body.region_id),
            offices::address.eq(&body.address),
            offices::director_user_id.eq(body.director_user_id),
            offices::status.eq("active"),
            offices::opened_on.eq(body.effective_date),
            offices::created_at.eq(now),
            offices::updated_at.eq(now),
            offices::version.eq(1_i64),
        ))
        .returning(offices::all_columns)
        .get_result(conn)
        .api()?;
    record_change(
        conn,
        actor,
        office.id,
        "open",
        &body.reason,
        body.effective_date,
        json!({"after": office}),
    )?;
    audit::record(
        conn,
        actor,
        Change::new("open", "office", office.id, Some(office.id)).after(&office),
    )?;
    Ok(office)
}

/// Closes (撤銷) an office: status, closing date, its `close` change record and
/// the audit event. Called by the approval engine when a closing request is
/// approved.
pub fn apply_close(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    reason: &str,
    effective_date: NaiveDate,
) -> Result<Office, ApiError> {
    let before: Office = offices::table
        .find(id)
        .select(Office::as_select())
        .first(conn)
        .found("office")?;
    if before.status != "active" {
        return Err(ApiError::invalid_transition("close", &before.status, &[]));
    }
    if effective_date < before.opened_on {
        return Err(ApiError::invalid_field(
            "effective_date",
            "range",
            "must not be before the office opened",
        ));
    }
    let after: Office = diesel::update(offices::table.find(id))
        .set((
            offices::status.eq("closed"),
            offices::closed_on.eq(Some(effective_date)),
            offices::updated_at.eq(now_db()),
            offices::version.eq(offices::version + 1),
        ))
        .returning(offices::all_columns)
        .get_result(conn)
        .api()?;
    record_change(
        conn,
        actor,
        id,
        "close",
        reason,
        effective_date,
        json!({"before": {"status": before.status}, "after": {"status": "closed", "closed_on": effective_date}}),
    )?;
    audit::record(
        conn,
        actor,
        Change::new("close", "office", id, Some(id))
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Loads an office the caller may act on with `perm`: 404 outside their reach.
fn load_in_reach(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<(Office, kernel::Authority), ApiError> {
    p.require(perm)?;
    let office = load_office(conn, p.reach(perm), id)?;
    let authority = p.authorize(perm, Some(office.id))?;
    Ok((office, authority))
}

/// An office by id within `reach` (an office's reach is its own id), in the query.
fn load_office(
    conn: &mut AnyConnection,
    reach: kernel::Reach,
    id: i64,
) -> Result<Office, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            offices::table.select(Office::as_select()),
            offices::id,
            offices::id
        ),
        Office,
        id,
        "office"
    )
}

/// Get an office.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Office id")),
    responses(
        (status = 200, description = "The office", body = Office, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/offices/{id}")]
async fn get_office(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reach = p.require(OFFICE_READ)?;
    let office: Office = db.run(move |conn| load_office(conn, reach, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(office.version))
        .json(office))
}

/// Change (變更) an office: rename, move to another region, change its director or
/// address. Recorded with its reason and effective date. HQ network management.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Office id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ChangeOffice,
    responses(
        (status = 200, description = "Changed", body = Office, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/org/offices/{id}")]
async fn change_office(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ChangeOffice>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let office = db
        .tx(move |conn| {
            let (before, authority) = load_in_reach(conn, &p, OFFICE_CHANGE, id)?;
            let actor = p.actor(authority);
            if before.status != "active" {
                return Err(ApiError::invalid_transition("change", &before.status, &[]));
            }
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            if let Some(region) = body.region_id {
                check_region(conn, region)?;
            }
            if let Some(Some(director)) = body.director_user_id {
                // The recorded director works in the office.
                crate::scope::user_of_office(conn, "director_user_id", director, before.id)?;
            }
            let director = body.director_user_id.unwrap_or(before.director_user_id);
            let after: Office = diesel::update(
                offices::table
                    .find(id)
                    .filter(offices::version.eq(if_match.0)),
            )
            .set((
                offices::name.eq(body.name.as_deref().unwrap_or(&before.name)),
                offices::region_id.eq(body.region_id.unwrap_or(before.region_id)),
                offices::address.eq(body.address.as_deref().unwrap_or(&before.address)),
                offices::director_user_id.eq(director),
                offices::updated_at.eq(now_db()),
                offices::version.eq(offices::version + 1),
            ))
            .returning(offices::all_columns)
            .get_result(conn)
            .optional()
            .api()?
            .ok_or_else(|| version_conflict(before.version + 1))?;
            let (b, a) = audit::diff(
                serde_json::to_value(&before).ok().as_ref(),
                serde_json::to_value(&after).ok().as_ref(),
            );
            record_change(
                conn,
                &actor,
                id,
                "change",
                &body.reason,
                body.effective_date,
                json!({"before": b, "after": a}),
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("change", "office", id, Some(id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(office.version))
        .json(office))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListChanges {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// An office's recorded openings, changes and closing, oldest first.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Office id"), ListChanges),
    responses(
        (status = 200, description = "A page of changes", body = Page<OfficeChange>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/offices/{id}/changes")]
async fn list_office_changes(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListChanges>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reach = p.require(OFFICE_READ)?;
    let q = q.into_inner();
    let req = page(q.limit, q.cursor.as_deref())?;
    let result = db
        .run(move |conn| {
            load_office(conn, reach, id)?;
            let mut query = office_changes::table
                .filter(office_changes::office_id.eq(id))
                .select(OfficeChange::as_select())
                .into_boxed::<store::MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(office_changes::id.gt(after));
            }
            let rows = query
                .order(office_changes::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}
