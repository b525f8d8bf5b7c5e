//! User accounts: the `User` row and its request types, username validation,
//! inserting users (also for `create-admin` and the demo loader), the reach rule
//! for users (an office's users are in reach of grants over that office, HQ users
//! only of company-wide ones) and the list, create, get and update endpoints.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{ApiError, Authority, IfMatch, Page, Principal, ValidJson, ValidQuery, etag};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::users;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::common::{location, now_db, office_code, page};
use crate::password;
use crate::roles::{USER_MANAGE, USER_READ};

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    #[schema(example = "gz01.sales_rep")]
    pub username: String,
    pub display_name: String,
    pub active: bool,
    /// The user's office; `null` for HQ staff.
    pub office_id: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

type UserColumns = (
    users::id,
    users::username,
    users::display_name,
    users::active,
    users::office_id,
    users::created_at,
    users::updated_at,
    users::version,
);

const USER_COLUMNS: UserColumns = (
    users::id,
    users::username,
    users::display_name,
    users::active,
    users::office_id,
    users::created_at,
    users::updated_at,
    users::version,
);

pub fn validate_username(name: &str) -> Result<(), ValidationError> {
    if name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        Ok(())
    } else {
        let mut e = ValidationError::new("pattern");
        e.message = Some("must be lower-case letters, digits, `.`, `_` or `-`".into());
        Err(e)
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[validate(length(min = 3, max = 64), custom(function = "validate_username"))]
    #[schema(
        min_length = 3,
        max_length = 64,
        pattern = "^[a-z0-9._-]+$",
        example = "gz01.li.wei"
    )]
    pub username: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "李偉 Li Wei")]
    pub display_name: String,
    /// At least 12 characters.
    #[validate(length(min = 12, max = 256))]
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    /// The user's office; omit for HQ staff (needs company-wide `user:manage`).
    pub office_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    /// `false` deactivates the account: its tokens stop working at once.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsers {
    pub office_id: Option<i64>,
    pub active: Option<bool>,
    /// Matches username or display name, case-insensitively.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

use store::search::lower;

/// Users of an office are in reach of grants over that office; HQ users (no
/// office) only of company-wide grants.
pub(super) fn authorize_user(
    p: &Principal,
    perm: &'static str,
    office_id: Option<i64>,
) -> Result<Authority, ApiError> {
    p.authorize(perm, office_id).map_err(|e| {
        if e.code == kernel::ErrorCode::NotFound {
            ApiError::not_found("user")
        } else {
            e
        }
    })
}

/// List users in the caller's reach.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(ListUsers),
    responses(
        (status = 200, description = "A page of users", body = Page<User>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/users")]
pub(super) async fn list_users(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListUsers>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(USER_READ)?;
    let q = q.into_inner();
    let req = page(q.limit, q.cursor.as_deref())?;
    let result = db
        .run(move |conn| {
            let rows: Vec<User> = store::list_scoped!(
                conn,
                reach,
                from = (
                    users::table.select(USER_COLUMNS),
                    users::office_id,
                    users::id
                ),
                User,
                req,
                asc,
                |query| {
                    if let Some(office) = q.office_id {
                        query = query.filter(users::office_id.eq(office));
                    }
                    if let Some(active) = q.active {
                        query = query.filter(users::active.eq(active));
                    }
                    if let Some(text) = &q.q {
                        let pattern = store::search::pattern(text);
                        query = query.filter(
                            lower(users::username)
                                .like(pattern.clone())
                                .or(lower(users::display_name).like(pattern)),
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

/// Create a user account.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = User, headers(("Location" = String), ("ETag" = String))),
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
#[post("/org/users")]
pub(super) async fn create_user(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let actor = p.actor(authorize_user(&p, USER_MANAGE, body.office_id)?);
    let user = db
        .tx(move |conn| {
            if let Some(office) = body.office_id {
                office_code(conn, office)?;
            }
            let user = insert_user(
                conn,
                &body.username,
                &body.display_name,
                &body.password,
                body.office_id,
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "user", user.id, user.office_id).after(&user),
            )?;
            Ok(user)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(location(&format!("/org/users/{}", user.id)))
        .insert_header(etag(user.version))
        .json(user))
}

/// Inserts a user with a freshly hashed password (also used by `create-admin`
/// and the demo loader).
pub fn insert_user(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    plain_password: &str,
    office_id: Option<i64>,
) -> Result<User, ApiError> {
    insert_user_hashed(
        conn,
        username,
        display_name,
        &password::hash(plain_password)?,
        office_id,
    )
}

/// Inserts a user with an already computed password hash.
pub fn insert_user_hashed(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    hash: &str,
    office_id: Option<i64>,
) -> Result<User, ApiError> {
    let now = now_db();
    diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::display_name.eq(display_name),
            users::password_hash.eq(hash),
            users::active.eq(true),
            users::office_id.eq(office_id),
            users::password_changed_at.eq(now),
            users::created_at.eq(now),
            users::updated_at.eq(now),
            users::version.eq(1_i64),
        ))
        .returning(USER_COLUMNS)
        .get_result(conn)
        .map_err(|e| match store::db_error(e) {
            err if err.code == kernel::ErrorCode::Duplicate => ApiError::new(
                kernel::ErrorCode::Duplicate,
                format!("username `{username}` is taken"),
            ),
            err => err,
        })
}

/// A user within the reach of any of `perms`, the reach in the query; any other
/// is 404 like a missing one.
pub(super) fn load_user(
    conn: &mut AnyConnection,
    p: &Principal,
    perms: &[&'static str],
    id: i64,
) -> Result<User, ApiError> {
    let mut reach = kernel::Reach::none();
    for perm in perms {
        reach.union(&p.reach(perm));
    }
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            users::table.select(USER_COLUMNS),
            users::office_id,
            users::id
        ),
        User,
        id,
        "user"
    )
}

/// Get a user.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = User, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/users/{id}")]
pub(super) async fn get_user(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(USER_READ)?;
    let id = id.into_inner();
    let user = db
        .run(move |conn| {
            store::load_scoped!(
                conn,
                reach = reach,
                from = (
                    users::table.select(USER_COLUMNS),
                    users::office_id,
                    users::id
                ),
                User,
                id,
                "user"
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(user.version))
        .json(user))
}

/// Change a user's name, link an employee record, deactivate or reactivate.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "Updated", body = User, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/org/users/{id}")]
pub(super) async fn update_user(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    p.require(USER_MANAGE)?;
    let id = id.into_inner();
    let body = body.into_inner();
    let user = db
        .tx(move |conn| {
            p.require(USER_MANAGE)?;
            let before = load_user(conn, &p, &[USER_MANAGE], id)?;
            let actor = p.actor(authorize_user(&p, USER_MANAGE, before.office_id)?);
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            if body.active == Some(false) && id == p.user_id {
                return Err(ApiError::invalid_field(
                    "active",
                    "self",
                    "you cannot deactivate your own account",
                ));
            }
            let after: User =
                diesel::update(users::table.find(id).filter(users::version.eq(if_match.0)))
                    .set((
                        users::display_name
                            .eq(body.display_name.as_deref().unwrap_or(&before.display_name)),
                        users::active.eq(body.active.unwrap_or(before.active)),
                        users::updated_at.eq(now_db()),
                        users::version.eq(users::version + 1),
                    ))
                    .returning(USER_COLUMNS)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "user", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(user.version))
        .json(user))
}

/// Deactivates `user_id` if active (a leaver's last day), audited in the
/// caller's transaction; its tokens stop working at once. `None` when it was
/// already inactive.
pub fn deactivate(
    conn: &mut AnyConnection,
    actor: &kernel::Actor,
    user_id: i64,
) -> Result<Option<User>, ApiError> {
    let before: User = users::table
        .find(user_id)
        .select(USER_COLUMNS)
        .first(conn)
        .found("user")?;
    if !before.active {
        return Ok(None);
    }
    let after: User = diesel::update(users::table.find(user_id))
        .set((
            users::active.eq(false),
            users::updated_at.eq(now_db()),
            users::version.eq(users::version + 1),
        ))
        .returning(USER_COLUMNS)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("deactivate", "user", user_id, after.office_id)
            .before(&before)
            .after(&after),
    )?;
    Ok(Some(after))
}
