//! Working calendars (工作日曆): the company's default and an office's own —
//! its time zone, working windows per weekday, days off and make-up working
//! days. Every service deadline counts working time on the calendar of the
//! request's office ([`calendar_for`]), falling back to the company's default.
//!
//! HQ (`service_level:manage` company-wide) keeps the default and every
//! office's calendar; an office director keeps their own office's. Anyone with
//! `service:read` reads the default and the calendars of the offices they reach.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SERVICE_LEVEL_MANAGE, SERVICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{service_calendar_days as scd, service_calendars as sc};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{config_authority, created, now_db};
use crate::working_time::{DayRule, Window, WorkingCalendar, format_hhmm, parse_hhmm};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_calendars)
        .service(create_calendar)
        .service(get_calendar)
        .service(update_calendar)
        .service(list_calendar_days)
        .service(add_calendar_day)
        .service(get_calendar_day)
        .service(delete_calendar_day);
}

/// One working window, local time: `[start, end)`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WorkingWindow {
    /// `HH:MM`, 00:00–24:00.
    #[schema(
        pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
        example = "09:00"
    )]
    pub start: String,
    /// `HH:MM`, after `start`.
    #[schema(
        pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
        example = "12:00"
    )]
    pub end: String,
}

/// The windows worked on one weekday.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WeekdayHours {
    /// 1 = Monday … 7 = Sunday.
    #[schema(minimum = 1, maximum = 7, example = 1)]
    pub weekday: u8,
    /// At most four a day, in order and apart; none: a day off.
    #[schema(max_items = 4)]
    pub windows: Vec<WorkingWindow>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sc)]
struct CalendarRow {
    id: i64,
    office_id: Option<i64>,
    name: String,
    time_zone: String,
    week_json: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

/// A working calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceCalendar {
    pub id: i64,
    /// The office it is for; `null`: the company's default, used by offices
    /// without their own.
    pub office_id: Option<i64>,
    #[schema(example = "廣州辦事處工作日曆")]
    pub name: String,
    /// IANA time zone the windows are in.
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: String,
    /// Seven entries, Monday to Sunday.
    pub week: Vec<WeekdayHours>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A new calendar: the company's default (no `office_id`, HQ only) or an office's.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCalendar {
    /// Omit for the company's default.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "廣州辦事處工作日曆")]
    pub name: String,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "Asia/Shanghai")]
    pub time_zone: String,
    /// Weekdays left out are days off; at least one window in the week.
    #[validate(length(min = 1, max = 7))]
    #[schema(min_items = 1, max_items = 7)]
    pub week: Vec<WeekdayHours>,
}

/// A calendar's name, time zone and week, replaced whole. Deadlines already
/// set keep their instant; the new week counts from the next change of a
/// request (a pause ending).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCalendar {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "廣州辦事處工作日曆")]
    pub name: String,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "Asia/Shanghai")]
    pub time_zone: String,
    #[validate(length(min = 1, max = 7))]
    #[schema(min_items = 1, max_items = 7)]
    pub week: Vec<WeekdayHours>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DayRuleKind {
    /// Not worked: a public holiday or the office's own day off.
    Off,
    /// Worked with the windows of `worked_as` (調休上班).
    Worked,
}

impl DayRuleKind {
    fn as_str(self) -> &'static str {
        match self {
            DayRuleKind::Off => "off",
            DayRuleKind::Worked => "worked",
        }
    }
}

/// A dated exception to a calendar's week.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = scd)]
pub struct CalendarDay {
    pub id: i64,
    pub calendar_id: i64,
    pub office_id: Option<i64>,
    #[schema(example = "2026-10-01")]
    pub day: NaiveDate,
    #[schema(value_type = DayRuleKind)]
    pub rule: String,
    /// For a worked day: whose windows (1 = Monday … 7 = Sunday).
    #[schema(minimum = 1, maximum = 7)]
    pub worked_as: Option<i32>,
    #[schema(example = "國慶節")]
    pub name: String,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// A day off or a make-up working day.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCalendarDay {
    #[schema(example = "2026-10-01")]
    pub day: NaiveDate,
    pub rule: DayRuleKind,
    /// Required for `worked`, refused for `off`: the weekday whose windows the
    /// day is worked with (1 = Monday … 7 = Sunday).
    #[validate(range(min = 1, max = 7))]
    #[schema(minimum = 1, maximum = 7)]
    pub worked_as: Option<i32>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "國慶節")]
    pub name: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCalendars {
    pub office_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCalendarDays {
    /// Days on or after this date.
    pub day_from: Option<NaiveDate>,
    /// Days on or before this date.
    pub day_to: Option<NaiveDate>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The week as stored: `{"1": [["09:00","12:00"], …], …, "7": []}`.
type StoredWeek = BTreeMap<String, Vec<(String, String)>>;

/// Checks a week and returns it in the stored form and as windows: weekdays
/// 1–7 at most once, windows `HH:MM` with start before end, in order and
/// apart, at most four a day, and some working time in the week. Every broken
/// rule is listed.
fn check_week(week: &[WeekdayHours]) -> Result<(StoredWeek, [Vec<Window>; 7]), ApiError> {
    let mut errors = Vec::new();
    let mut windows: [Vec<Window>; 7] = Default::default();
    let mut seen = [false; 7];
    for (i, day) in week.iter().enumerate() {
        if !(1..=7).contains(&day.weekday) {
            errors.push(FieldError::new(
                format!("week[{i}].weekday"),
                "range",
                "a weekday is 1 (Monday) to 7 (Sunday)",
            ));
            continue;
        }
        let idx = usize::from(day.weekday - 1);
        if seen[idx] {
            errors.push(FieldError::new(
                format!("week[{i}].weekday"),
                "duplicate",
                "each weekday is given once",
            ));
            continue;
        }
        seen[idx] = true;
        if day.windows.len() > 4 {
            errors.push(FieldError::new(
                format!("week[{i}].windows"),
                "length",
                "at most four windows a day",
            ));
            continue;
        }
        let mut last_end = 0;
        for (j, w) in day.windows.iter().enumerate() {
            let field = format!("week[{i}].windows[{j}]");
            match (parse_hhmm(&w.start), parse_hhmm(&w.end)) {
                (Some(start), Some(end)) if start < end && (j == 0 || start >= last_end) => {
                    windows[idx].push(Window { start, end });
                    last_end = end;
                }
                (Some(_), Some(_)) => errors.push(FieldError::new(
                    field,
                    "order",
                    "a window starts before it ends, after the day's previous window",
                )),
                _ => errors.push(FieldError::new(
                    field,
                    "format",
                    "times are HH:MM, 00:00 to 24:00",
                )),
            }
        }
    }
    if errors.is_empty() && windows.iter().all(Vec::is_empty) {
        errors.push(FieldError::new(
            "week",
            "no_working_time",
            "a calendar needs some working time in the week",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let stored = (1..=7u8)
        .map(|d| {
            let list = windows[usize::from(d - 1)]
                .iter()
                .map(|w| (format_hhmm(w.start), format_hhmm(w.end)))
                .collect();
            (d.to_string(), list)
        })
        .collect();
    Ok((stored, windows))
}

fn check_time_zone(tz: &str) -> Result<chrono_tz::Tz, ApiError> {
    tz.parse::<chrono_tz::Tz>().map_err(|_| {
        ApiError::invalid_field(
            "time_zone",
            "unknown_time_zone",
            "not an IANA time zone name such as Asia/Shanghai",
        )
    })
}

fn stored_week(json: &str) -> Result<StoredWeek, ApiError> {
    serde_json::from_str(json).map_err(ApiError::internal)
}

fn calendar_from(row: CalendarRow) -> Result<ServiceCalendar, ApiError> {
    let stored = stored_week(&row.week_json)?;
    let week = (1..=7u8)
        .map(|d| WeekdayHours {
            weekday: d,
            windows: stored
                .get(&d.to_string())
                .map(|list| {
                    list.iter()
                        .map(|(s, e)| WorkingWindow {
                            start: s.clone(),
                            end: e.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Ok(ServiceCalendar {
        id: row.id,
        office_id: row.office_id,
        name: row.name,
        time_zone: row.time_zone,
        week,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

/// The calendar deadlines at `office_id` are counted on — the office's own,
/// else the company's default — with its days, ready for the arithmetic.
pub fn calendar_for(conn: &mut AnyConnection, office_id: i64) -> Result<WorkingCalendar, ApiError> {
    let rows: Vec<CalendarRow> = sc::table
        .filter(sc::office_id.eq(office_id).or(sc::office_id.is_null()))
        .select(CalendarRow::as_select())
        .load(conn)
        .api()?;
    let row = rows
        .iter()
        .find(|r| r.office_id == Some(office_id))
        .or_else(|| rows.iter().find(|r| r.office_id.is_none()))
        .ok_or_else(|| ApiError::internal("the company's default working calendar is missing"))?;
    let tz = row
        .time_zone
        .parse::<chrono_tz::Tz>()
        .map_err(|_| ApiError::internal("a stored time zone does not parse"))?;
    let stored = stored_week(&row.week_json)?;
    let mut week: [Vec<Window>; 7] = Default::default();
    for (day, list) in stored {
        let Some(idx) = day.parse::<usize>().ok().filter(|d| (1..=7).contains(d)) else {
            continue;
        };
        week[idx - 1] = list
            .iter()
            .filter_map(|(s, e)| {
                Some(Window {
                    start: parse_hhmm(s)?,
                    end: parse_hhmm(e)?,
                })
            })
            .collect();
    }
    let days: Vec<(NaiveDate, String, Option<i32>)> = scd::table
        .filter(scd::calendar_id.eq(row.id))
        .select((scd::day, scd::rule, scd::worked_as))
        .load(conn)
        .api()?;
    let days = days
        .into_iter()
        .map(|(day, rule, worked_as)| {
            let rule = match (rule.as_str(), worked_as) {
                ("worked", Some(w)) => DayRule::WorkedAs(u8::try_from(w.clamp(1, 7)).unwrap_or(1)),
                _ => DayRule::Off,
            };
            (day, rule)
        })
        .collect();
    Ok(WorkingCalendar { tz, week, days })
}

/// A calendar the caller may read: the company's default, or one of an office
/// `service:read` reaches — in the query.
fn load_calendar(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
) -> Result<CalendarRow, ApiError> {
    store::load_scoped!(
        conn,
        reach = p.reach(SERVICE_READ),
        from = (
            sc::table.select(CalendarRow::as_select()),
            sc::office_id,
            sc::id
        ),
        also = sc::office_id.is_null(),
        CalendarRow,
        id,
        "working calendar"
    )
}

/// Loads a calendar for a change by the caller: 403 without
/// `service_level:manage`, 404 outside their reach, 403 on the company's default
/// for anyone but HQ.
fn load_for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
) -> Result<(CalendarRow, Actor), ApiError> {
    p.require(SERVICE_LEVEL_MANAGE)?;
    let row = load_calendar(conn, p, id)?;
    let authority = config_authority(p, row.office_id, "working calendar")?;
    Ok((row, p.actor(authority)))
}

/// Working calendars: the company's default and those of the offices the
/// caller reaches.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListCalendars),
    responses((status = 200, description = "A page of calendars", body = Page<ServiceCalendar>), ReadErrors)
)]
#[get("/after-sales/calendars")]
async fn list_calendars(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListCalendars>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    sc::table.select(CalendarRow::as_select()),
                    sc::office_id,
                    sc::id
                ),
                also = sc::office_id.is_null(),
                CalendarRow,
                req,
                asc,
                |query| {
                    if let Some(v) = q.office_id {
                        query = query.filter(sc::office_id.eq(v));
                    }
                    query
                }
            )?;
            let rows = rows
                .into_iter()
                .map(calendar_from)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create an office's working calendar (or the company's default, when none
/// exists). One calendar per office.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateCalendar,
    responses((status = 201, description = "Created", body = ServiceCalendar, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/calendars")]
async fn create_calendar(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateCalendar>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_LEVEL_MANAGE)?;
    let body = body.into_inner();
    let authority = match body.office_id {
        None => p.require_company(SERVICE_LEVEL_MANAGE)?,
        Some(office) => p
            .authorize(SERVICE_LEVEL_MANAGE, Some(office))
            .map_err(office_field)?,
    };
    let actor = p.actor(authority);
    check_time_zone(&body.time_zone)?;
    let (stored, _) = check_week(&body.week)?;
    let row = db
        .tx(move |conn| {
            if let Some(office) = body.office_id {
                org::open_office_in_body(conn, office)?;
            }
            let taken: Option<i64> = match body.office_id {
                Some(office) => sc::table
                    .filter(sc::office_id.eq(office))
                    .select(sc::id)
                    .first(conn),
                None => sc::table
                    .filter(sc::office_id.is_null())
                    .select(sc::id)
                    .first(conn),
            }
            .optional()
            .api()?;
            if taken.is_some() {
                return Err(ApiError::new(
                    kernel::ErrorCode::Duplicate,
                    "there is a calendar for this office already: change it instead",
                ));
            }
            let now = now_db();
            let row: CalendarRow = diesel::insert_into(sc::table)
                .values((
                    sc::office_id.eq(body.office_id),
                    sc::name.eq(&body.name),
                    sc::time_zone.eq(&body.time_zone),
                    sc::week_json.eq(serde_json::to_string(&stored).map_err(ApiError::internal)?),
                    sc::created_at.eq(now),
                    sc::updated_at.eq(now),
                    sc::version.eq(1_i64),
                ))
                .returning(sc::all_columns)
                .get_result(conn)
                .api()?;
            let cal = calendar_from(row)?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "service_calendar", cal.id, cal.office_id).after(&cal),
            )?;
            Ok(cal)
        })
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/calendars/{}", row.id),
        row.version,
    )
    .json(row))
}

/// An office named in a body that cannot be written: a field error, the same
/// whether it does not exist or lies outside the caller's reach.
fn office_field(e: ApiError) -> ApiError {
    if e.code == kernel::ErrorCode::NotFound {
        ApiError::invalid_field("office_id", "not_found", "no such office")
    } else {
        e
    }
}

/// One working calendar.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Calendar id")),
    responses((status = 200, description = "The calendar", body = ServiceCalendar, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/calendars/{id}")]
async fn get_calendar(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_READ)?;
    let id = id.into_inner();
    let cal = db
        .run(move |conn| calendar_from(load_calendar(conn, &p, id)?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(cal.version))
        .json(cal))
}

/// Replace a calendar's name, time zone and week. A deadline already set keeps
/// its instant.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Calendar id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateCalendar,
    responses((status = 200, description = "Updated", body = ServiceCalendar, headers(("ETag" = String))), ChangeErrors)
)]
#[put("/after-sales/calendars/{id}")]
async fn update_calendar(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateCalendar>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_LEVEL_MANAGE)?;
    let id = id.into_inner();
    let body = body.into_inner();
    check_time_zone(&body.time_zone)?;
    let (stored, _) = check_week(&body.week)?;
    let cal = db
        .tx(move |conn| {
            let (row, actor) = load_for_change(conn, &p, id)?;
            if row.version != if_match.0 {
                return Err(version_conflict(row.version));
            }
            let before = calendar_from(row)?;
            let row: CalendarRow =
                diesel::update(sc::table.find(id).filter(sc::version.eq(if_match.0)))
                    .set((
                        sc::name.eq(&body.name),
                        sc::time_zone.eq(&body.time_zone),
                        sc::week_json
                            .eq(serde_json::to_string(&stored).map_err(ApiError::internal)?),
                        sc::updated_at.eq(now_db()),
                        sc::version.eq(sc::version + 1),
                    ))
                    .returning(sc::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            let after = calendar_from(row)?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "service_calendar", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(cal.version))
        .json(cal))
}

/// A calendar's days off and make-up working days, by date.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Calendar id"), ListCalendarDays),
    responses((status = 200, description = "A page of days", body = Page<CalendarDay>), ReadErrors)
)]
#[get("/after-sales/calendars/{id}/days")]
async fn list_calendar_days(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListCalendarDays>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_READ)?;
    let id = id.into_inner();
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let cal = load_calendar(conn, &p, id)?;
            let mut query = scd::table
                .filter(scd::calendar_id.eq(cal.id))
                .select(CalendarDay::as_select())
                .into_boxed::<store::MultiBackend>();
            if let Some(v) = q.day_from {
                query = query.filter(scd::day.ge(v));
            }
            if let Some(v) = q.day_to {
                query = query.filter(scd::day.le(v));
            }
            if let Some(after) = req.after {
                query = query.filter(scd::id.gt(after));
            }
            let rows: Vec<CalendarDay> = query
                .order(scd::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add a day off or a make-up working day. A deadline already set keeps its
/// instant.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Calendar id")),
    request_body = AddCalendarDay,
    responses((status = 201, description = "Added", body = CalendarDay, headers(("Location" = String))), WriteErrors)
)]
#[post("/after-sales/calendars/{id}/days")]
async fn add_calendar_day(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<AddCalendarDay>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_LEVEL_MANAGE)?;
    let id = id.into_inner();
    let body = body.into_inner();
    match (body.rule, body.worked_as) {
        (DayRuleKind::Worked, None) => {
            return Err(ApiError::invalid_field(
                "worked_as",
                "required",
                "a worked day names the weekday whose windows it is worked with",
            ));
        }
        (DayRuleKind::Off, Some(_)) => {
            return Err(ApiError::invalid_field(
                "worked_as",
                "not_allowed",
                "a day off has no windows",
            ));
        }
        _ => {}
    }
    let day = db
        .tx(move |conn| {
            let (cal, actor) = load_for_change(conn, &p, id)?;
            let taken: Option<i64> = scd::table
                .filter(scd::calendar_id.eq(cal.id))
                .filter(scd::day.eq(body.day))
                .select(scd::id)
                .first(conn)
                .optional()
                .api()?;
            if taken.is_some() {
                return Err(ApiError::new(
                    kernel::ErrorCode::Duplicate,
                    "this day is in the calendar already: remove it first",
                ));
            }
            let user = actor
                .user_id
                .ok_or_else(|| ApiError::forbidden("a calendar day needs a user"))?;
            let day: CalendarDay = diesel::insert_into(scd::table)
                .values((
                    scd::calendar_id.eq(cal.id),
                    scd::office_id.eq(cal.office_id),
                    scd::day.eq(body.day),
                    scd::rule.eq(body.rule.as_str()),
                    scd::worked_as.eq(body.worked_as),
                    scd::name.eq(&body.name),
                    scd::created_by.eq(user),
                    scd::created_at.eq(now_db()),
                ))
                .returning(scd::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "service_calendar_day", day.id, cal.office_id).after(&day),
            )?;
            Ok(day)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!(
                "/api/v1/after-sales/calendars/{}/days/{}",
                day.calendar_id, day.id
            ),
        ))
        .json(day))
}

/// One day of a calendar.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Calendar id"), ("day_id" = i64, Path, description = "Calendar day id")),
    responses((status = 200, description = "The day", body = CalendarDay), ReadErrors)
)]
#[get("/after-sales/calendars/{id}/days/{day_id}")]
async fn get_calendar_day(
    db: web::Data<Db>,
    p: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_READ)?;
    let (id, day_id) = path.into_inner();
    let day = db
        .run(move |conn| {
            let cal = load_calendar(conn, &p, id)?;
            load_day(conn, cal.id, day_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(day))
}

fn load_day(
    conn: &mut AnyConnection,
    calendar_id: i64,
    day_id: i64,
) -> Result<CalendarDay, ApiError> {
    scd::table
        .filter(scd::id.eq(day_id))
        .filter(scd::calendar_id.eq(calendar_id))
        .select(CalendarDay::as_select())
        .first(conn)
        .found("calendar day")
}

/// Remove a day off or make-up working day (entered by mistake, or a holiday
/// moved). A deadline already set keeps its instant.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Calendar id"), ("day_id" = i64, Path, description = "Calendar day id")),
    responses((status = 204, description = "Removed"), WriteErrors)
)]
#[delete("/after-sales/calendars/{id}/days/{day_id}")]
async fn delete_calendar_day(
    db: web::Data<Db>,
    p: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_LEVEL_MANAGE)?;
    let (id, day_id) = path.into_inner();
    db.tx(move |conn| {
        let (cal, actor) = load_for_change(conn, &p, id)?;
        let day = load_day(conn, cal.id, day_id)?;
        diesel::delete(scd::table.find(day.id))
            .execute(conn)
            .api()?;
        audit::record(
            conn,
            &actor,
            Change::new("delete", "service_calendar_day", day.id, cal.office_id).before(&day),
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The calendars of the offices of a page, each loaded once.
pub(crate) struct Calendars(std::collections::HashMap<i64, WorkingCalendar>);

impl Calendars {
    pub(crate) fn new() -> Calendars {
        Calendars(std::collections::HashMap::new())
    }

    pub(crate) fn of(
        &mut self,
        conn: &mut AnyConnection,
        office: i64,
    ) -> Result<&WorkingCalendar, ApiError> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.0.entry(office) {
            slot.insert(calendar_for(conn, office)?);
        }
        Ok(&self.0[&office])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(weekday: u8, windows: &[(&str, &str)]) -> WeekdayHours {
        WeekdayHours {
            weekday,
            windows: windows
                .iter()
                .map(|(s, e)| WorkingWindow {
                    start: (*s).into(),
                    end: (*e).into(),
                })
                .collect(),
        }
    }

    fn fields(err: &ApiError) -> Vec<(&str, &str)> {
        err.errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn a_week_is_stored_with_every_weekday() {
        let (stored, windows) =
            check_week(&[hours(1, &[("09:00", "12:00"), ("13:30", "18:00")])]).unwrap();
        assert_eq!(stored.len(), 7);
        assert_eq!(
            stored["1"],
            vec![
                ("09:00".into(), "12:00".into()),
                ("13:30".into(), "18:00".into())
            ]
        );
        assert!(stored["7"].is_empty());
        assert_eq!(
            windows[0],
            vec![
                Window {
                    start: 540,
                    end: 720
                },
                Window {
                    start: 810,
                    end: 1080
                }
            ]
        );
    }

    #[test]
    fn a_bad_week_names_every_field() {
        let err = check_week(&[
            hours(0, &[]),
            hours(1, &[("09:00", "08:00")]),
            hours(1, &[]),
            hours(2, &[("13:00", "18:00"), ("09:00", "12:00")]),
            hours(3, &[("9:00", "12:00")]),
        ])
        .unwrap_err();
        assert_eq!(
            fields(&err),
            vec![
                ("week[0].weekday", "range"),
                ("week[1].windows[0]", "order"),
                ("week[2].weekday", "duplicate"),
                ("week[3].windows[1]", "order"),
                ("week[4].windows[0]", "format"),
            ]
        );
        let none = check_week(&[hours(6, &[])]).unwrap_err();
        assert_eq!(fields(&none), vec![("week", "no_working_time")]);
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert!(check_time_zone("Asia/Shanghai").is_ok());
        assert_eq!(
            fields(&check_time_zone("China Standard Time").unwrap_err()),
            vec![("time_zone", "unknown_time_zone")]
        );
    }
}
