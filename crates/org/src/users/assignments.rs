//! Roles and role assignments: the built-in role list endpoint, the
//! `RoleAssignment` row and its request types, the scope rules (`resolve_scope`:
//! which region, office or department an assignment names, and that it fits the
//! role's level), and the list, create (one director per office, acting
//! assignments only for a current holder) and end (never your own, never the last
//! HQ administrator) endpoints.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, ServiceUnavailable, Unauthorized,
    UnprocessableEntity,
};
use kernel::{ApiError, Page, Principal, ValidJson, ValidQuery};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{departments, offices, regions, role_assignments as ra};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::accounts::{authorize_user, load_user};
use crate::common::{location, now_db, office_code, page, today};
use crate::roles::{self, ROLE_ASSIGNMENT_MANAGE, ROLE_ASSIGNMENT_READ, RoleLevel, USER_READ};

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleInfo {
    #[schema(example = "office_director")]
    pub code: String,
    pub name: String,
    pub name_zh: String,
    /// The scope an assignment of this role takes.
    pub level: RoleLevel,
    pub permissions: Vec<String>,
}

/// The built-in roles and their permissions.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every role", body = Vec<RoleInfo>),
        (status = 401, response = Unauthorized),
        (status = 500, response = InternalError),
    )
)]
#[get("/org/roles")]
pub(super) async fn list_roles(_p: Principal) -> HttpResponse {
    let roles: Vec<RoleInfo> = roles::ROLES
        .iter()
        .map(|r| RoleInfo {
            code: r.code.to_owned(),
            name: r.name.to_owned(),
            name_zh: r.name_zh.to_owned(),
            level: r.level,
            permissions: r.permissions.iter().map(|p| (*p).to_owned()).collect(),
        })
        .collect();
    HttpResponse::Ok().json(roles)
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ra)]
pub struct RoleAssignment {
    pub id: i64,
    pub user_id: i64,
    #[schema(example = "office_director")]
    pub role: String,
    #[schema(value_type = ScopeKind)]
    pub scope_kind: String,
    pub region_id: Option<i64>,
    pub office_id: Option<i64>,
    pub department_id: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// On an acting assignment (代行): the user this role is held for.
    pub acting_for_user_id: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Company,
    Region,
    Office,
    Department,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleAssignment {
    pub user_id: i64,
    #[schema(example = "deputy_director")]
    pub role: String,
    pub scope_kind: ScopeKind,
    /// The region, office or department the scope names (none for `company`).
    pub scope_id: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// Makes this an acting assignment (代行) for that user; `valid_to` is then
    /// required.
    pub acting_for_user_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRoleAssignments {
    pub user_id: Option<i64>,
    pub office_id: Option<i64>,
    pub role: Option<String>,
    /// Include ended assignments (default false).
    pub include_ended: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Role assignments in the caller's reach. Company- and region-scoped ones are
/// visible to company-wide readers only.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(ListRoleAssignments),
    responses(
        (status = 200, description = "A page of assignments", body = Page<RoleAssignment>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/role-assignments")]
pub(super) async fn list_role_assignments(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListRoleAssignments>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(ROLE_ASSIGNMENT_READ)?;
    let q = q.into_inner();
    let req = page(q.limit, q.cursor.as_deref())?;
    let result = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    ra::table.select(RoleAssignment::as_select()),
                    ra::office_id,
                    ra::id
                ),
                RoleAssignment,
                req,
                asc,
                |query| {
                    if let Some(v) = q.user_id {
                        query = query.filter(ra::user_id.eq(v));
                    }
                    if let Some(v) = q.office_id {
                        query = query.filter(ra::office_id.eq(v));
                    }
                    if let Some(v) = &q.role {
                        query = query.filter(ra::role.eq(v.clone()));
                    }
                    if !q.include_ended.unwrap_or(false) {
                        query = query.filter(ra::ended_at.is_null());
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Where an assignment's scope lands: its stored ids and the office it is
/// checked against (`None` for company- and region-wide scopes).
struct ResolvedScope {
    region_id: Option<i64>,
    office_id: Option<i64>,
    department_id: Option<i64>,
}

fn resolve_scope(
    conn: &mut AnyConnection,
    kind: ScopeKind,
    id: Option<i64>,
    level: RoleLevel,
) -> Result<ResolvedScope, ApiError> {
    let need_id = || ApiError::invalid_field("scope_id", "required", "is required for this scope");
    let missing =
        |what: &str| ApiError::invalid_field("scope_id", "not_found", format!("no such {what}"));
    let fits = matches!(
        (level, kind),
        (RoleLevel::Company, ScopeKind::Company)
            | (RoleLevel::Region, ScopeKind::Region)
            | (RoleLevel::Office, ScopeKind::Office | ScopeKind::Department)
    );
    if !fits {
        let expected = match level {
            RoleLevel::Company => "company",
            RoleLevel::Region => "region",
            RoleLevel::Office => "office or department",
        };
        return Err(ApiError::invalid_field(
            "scope_kind",
            "role_level",
            format!("this role is assigned at {expected} level"),
        ));
    }
    match kind {
        ScopeKind::Company => Ok(ResolvedScope {
            region_id: None,
            office_id: None,
            department_id: None,
        }),
        ScopeKind::Region => {
            let id = id.ok_or_else(need_id)?;
            regions::table
                .find(id)
                .select(regions::id)
                .first::<i64>(conn)
                .optional()
                .api()?
                .ok_or_else(|| missing("region"))?;
            Ok(ResolvedScope {
                region_id: Some(id),
                office_id: None,
                department_id: None,
            })
        }
        ScopeKind::Office => {
            let id = id.ok_or_else(need_id)?;
            offices::table
                .find(id)
                .select(offices::id)
                .first::<i64>(conn)
                .optional()
                .api()?
                .ok_or_else(|| missing("office"))?;
            Ok(ResolvedScope {
                region_id: None,
                office_id: Some(id),
                department_id: None,
            })
        }
        ScopeKind::Department => {
            let id = id.ok_or_else(need_id)?;
            let office: i64 = departments::table
                .find(id)
                .select(departments::office_id)
                .first(conn)
                .optional()
                .api()?
                .ok_or_else(|| missing("department"))?;
            Ok(ResolvedScope {
                region_id: None,
                office_id: Some(office),
                department_id: Some(id),
            })
        }
    }
}

fn scope_str(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Company => "company",
        ScopeKind::Region => "region",
        ScopeKind::Office => "office",
        ScopeKind::Department => "department",
    }
}

/// Assign a role. Company- and region-level roles need company-wide
/// `role_assignment:manage`; office roles need it over that office, and the user
/// must be in the caller's reach.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    request_body = CreateRoleAssignment,
    responses(
        (status = 201, description = "Assigned", body = RoleAssignment, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/org/role-assignments")]
pub(super) async fn create_role_assignment(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateRoleAssignment>,
) -> Result<HttpResponse, ApiError> {
    p.require(ROLE_ASSIGNMENT_MANAGE)?;
    let body = body.into_inner();
    let def = roles::role(&body.role).ok_or_else(|| {
        ApiError::invalid_field(
            "role",
            "unknown_role",
            "is not a built-in role; see GET /org/roles",
        )
    })?;
    if let Some(to) = body.valid_to
        && to < body.valid_from
    {
        return Err(ApiError::invalid_field(
            "valid_to",
            "range",
            "must not be before valid_from",
        ));
    }
    if body.acting_for_user_id.is_some() && body.valid_to.is_none() {
        return Err(ApiError::invalid_field(
            "valid_to",
            "required",
            "an acting assignment needs an end date",
        ));
    }
    if body.acting_for_user_id == Some(body.user_id) {
        return Err(ApiError::invalid_field(
            "acting_for_user_id",
            "self",
            "a user cannot act for themselves",
        ));
    }
    let created = db
        .tx(move |conn| {
            // The user must be someone the caller can see.
            let target = load_user(conn, &p, &[USER_READ, ROLE_ASSIGNMENT_MANAGE], body.user_id)?;
            authorize_user(&p, USER_READ, target.office_id)
                .or_else(|_| authorize_user(&p, ROLE_ASSIGNMENT_MANAGE, target.office_id))?;
            let scope = resolve_scope(conn, body.scope_kind, body.scope_id, def.level)?;
            let authority = match scope.office_id {
                Some(office) => {
                    office_code(conn, office)?;
                    // An office or department outside the caller's reach is
                    // answered as one that does not exist.
                    p.authorize(ROLE_ASSIGNMENT_MANAGE, Some(office))
                        .map_err(|e| match e.code {
                            kernel::ErrorCode::Forbidden => e,
                            _ => ApiError::invalid_field(
                                "scope_id",
                                "not_found",
                                if scope.department_id.is_some() {
                                    "no such department"
                                } else {
                                    "no such office"
                                },
                            ),
                        })?
                }
                None => p.require_company(ROLE_ASSIGNMENT_MANAGE)?,
            };
            let actor = p.actor(authority);
            if let Some(principal_id) = body.acting_for_user_id {
                // The acted-for user must hold this role in this scope.
                let mut holders = ra::table
                    .filter(ra::user_id.eq(principal_id))
                    .filter(ra::role.eq(&body.role))
                    .filter(ra::ended_at.is_null())
                    .into_boxed::<store::MultiBackend>();
                holders = match scope.office_id {
                    Some(o) => holders.filter(ra::office_id.eq(o)),
                    None => holders.filter(ra::office_id.is_null()),
                };
                holders = match scope.region_id {
                    Some(r) => holders.filter(ra::region_id.eq(r)),
                    None => holders.filter(ra::region_id.is_null()),
                };
                let holds: i64 = holders.count().get_result(conn).api()?;
                if holds == 0 {
                    return Err(ApiError::invalid_field(
                        "acting_for_user_id",
                        "not_holder",
                        "that user does not hold this role in this scope",
                    ));
                }
            }
            // Exactly one director per office (辦事處設主任一名): a second one is refused
            // until the first assignment ends. Acting assignments are not a second
            // director.
            if def.code == "office_director" && body.acting_for_user_id.is_none() {
                let office = scope.office_id.unwrap_or_default();
                let holders: i64 = ra::table
                    .filter(ra::role.eq("office_director"))
                    .filter(ra::office_id.eq(office))
                    .filter(ra::acting_for_user_id.is_null())
                    .filter(ra::ended_at.is_null())
                    .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today())))
                    .count()
                    .get_result(conn)
                    .api()?;
                if holders > 0 {
                    return Err(ApiError::new(
                        kernel::ErrorCode::Duplicate,
                        "the office has a director; end that assignment first",
                    ));
                }
                diesel::update(offices::table.find(office))
                    .set((
                        offices::director_user_id.eq(body.user_id),
                        offices::version.eq(offices::version + 1),
                    ))
                    .execute(conn)
                    .api()?;
            }
            let row: RoleAssignment = diesel::insert_into(ra::table)
                .values((
                    ra::user_id.eq(body.user_id),
                    ra::role.eq(def.code),
                    ra::scope_kind.eq(scope_str(body.scope_kind)),
                    ra::region_id.eq(scope.region_id),
                    ra::office_id.eq(scope.office_id),
                    ra::department_id.eq(scope.department_id),
                    ra::valid_from.eq(body.valid_from),
                    ra::valid_to.eq(body.valid_to),
                    ra::acting_for_user_id.eq(body.acting_for_user_id),
                    ra::created_at.eq(now_db()),
                    ra::created_by.eq(p.user_id),
                ))
                .returning(ra::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("assign_role", "role_assignment", row.id, row.office_id).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(location(&format!("/org/role-assignments/{}", created.id)))
        .json(created))
}

/// End an assignment today. Assignments are never deleted: the history of who
/// held which role stays.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Assignment id")),
    responses(
        (status = 200, description = "Ended", body = RoleAssignment),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/org/role-assignments/{id}/end")]
pub(super) async fn end_role_assignment(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(ROLE_ASSIGNMENT_MANAGE)?;
    let id = id.into_inner();
    let row = db
        .tx(move |conn| {
            let before: RoleAssignment = ra::table
                .find(id)
                .select(RoleAssignment::as_select())
                .first(conn)
                .optional()
                .api()?
                .ok_or_else(|| ApiError::not_found("role assignment"))?;
            let authority = match before.office_id {
                Some(office) => p
                    .authorize(ROLE_ASSIGNMENT_MANAGE, Some(office))
                    .map_err(|_| ApiError::not_found("role assignment"))?,
                None => p
                    .require_company(ROLE_ASSIGNMENT_MANAGE)
                    .map_err(|_| ApiError::not_found("role assignment"))?,
            };
            if before.ended_at.is_some() {
                return Err(ApiError::invalid_transition("end", "ended", &[]));
            }
            if before.user_id == p.user_id {
                return Err(ApiError::conflict(
                    "you cannot end your own role assignment; ask another administrator",
                ));
            }
            if before.role == "hq_admin" {
                let others: i64 = ra::table
                    .filter(ra::role.eq("hq_admin"))
                    .filter(ra::ended_at.is_null())
                    .filter(ra::id.ne(id))
                    .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today())))
                    .count()
                    .get_result(conn)
                    .api()?;
                if others == 0 {
                    return Err(ApiError::conflict(
                        "this is the last HQ administrator; assign another one first",
                    ));
                }
            }
            let today = today();
            let after: RoleAssignment = diesel::update(ra::table.find(id))
                .set((
                    ra::ended_at.eq(Some(now_db())),
                    ra::valid_to.eq(Some(before.valid_to.map_or(today, |d| d.min(today)))),
                ))
                .returning(ra::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &p.actor(authority),
                Change::new("end_role", "role_assignment", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Assigns the office-level role `role` to `user_id` at `office_id` from
/// `valid_from` (hiring gives a new account its first role this way), audited
/// in the caller's transaction. The director is appointed only through
/// `/org/role-assignments` (one per office); `field` names the body field
/// the role came from.
pub fn assign_at_office(
    conn: &mut AnyConnection,
    actor: &kernel::Actor,
    field: &str,
    user_id: i64,
    role: &str,
    office_id: i64,
    valid_from: NaiveDate,
) -> Result<RoleAssignment, ApiError> {
    let def = roles::role(role)
        .filter(|d| d.level == RoleLevel::Office)
        .ok_or_else(|| {
            ApiError::invalid_field(
                field,
                "not_an_office_role",
                "is not a built-in office role; see GET /org/roles",
            )
        })?;
    if def.code == "office_director" {
        return Err(ApiError::invalid_field(
            field,
            "not_allowed",
            "the director is appointed through /org/role-assignments",
        ));
    }
    let row: RoleAssignment = diesel::insert_into(ra::table)
        .values((
            ra::user_id.eq(user_id),
            ra::role.eq(def.code),
            ra::scope_kind.eq(scope_str(ScopeKind::Office)),
            ra::office_id.eq(Some(office_id)),
            ra::valid_from.eq(valid_from),
            ra::created_at.eq(now_db()),
            ra::created_by.eq(actor.user_id),
        ))
        .returning(ra::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("assign_role", "role_assignment", row.id, row.office_id).after(&row),
    )?;
    Ok(row)
}

/// Ends every assignment of `user_id` not yet ended, none running past `on`
/// (a leaver's last day), each audited; returns them as ended.
pub fn end_all_of(
    conn: &mut AnyConnection,
    actor: &kernel::Actor,
    user_id: i64,
    on: NaiveDate,
) -> Result<Vec<RoleAssignment>, ApiError> {
    let running: Vec<RoleAssignment> = ra::table
        .filter(ra::user_id.eq(user_id))
        .filter(ra::ended_at.is_null())
        .order(ra::id.asc())
        .select(RoleAssignment::as_select())
        .load(conn)
        .api()?;
    let mut ended = Vec::with_capacity(running.len());
    for before in running {
        let after: RoleAssignment = diesel::update(ra::table.find(before.id))
            .set((
                ra::ended_at.eq(Some(now_db())),
                ra::valid_to.eq(Some(before.valid_to.map_or(on, |d| d.min(on)))),
            ))
            .returning(ra::all_columns)
            .get_result(conn)
            .api()?;
        audit::record(
            conn,
            actor,
            Change::new("end_role", "role_assignment", after.id, after.office_id)
                .before(&before)
                .after(&after),
        )?;
        ended.push(after);
    }
    Ok(ended)
}
