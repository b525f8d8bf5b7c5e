//! Authentication: login with brute-force lockout, rotating refresh tokens with
//! reuse detection, logout, the caller's own profile, and password change.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Duration as ChronoDuration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, InternalError, ServiceUnavailable, TooManyRequests, Unauthorized,
    UnprocessableEntity,
};
use kernel::{Actor, ApiError, ErrorCode, Principal, ValidJson};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{login_failures as lf, refresh_tokens as rt, role_assignments as ra, users};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{now_db, today};
use crate::{OrgSettings, password, tokens};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(get_me)
        .service(change_password);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "gz01.office_director")]
    pub username: String,
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256, example = "branchline-demo")]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 512))]
    #[schema(min_length = 1, max_length = 512)]
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// Bearer token for `Authorization`; short-lived.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Opaque; exchange it once at `/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub current_password: String,
    #[validate(length(min = 12, max = 256))]
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

fn unauthorized_login() -> ApiError {
    ApiError::unauthenticated("invalid username or password")
}

/// Sign in with a username and password.
///
/// Five failures for one username from one client address within 15 minutes
/// answer 429 with `Retry-After` to that address until the window has passed;
/// the same user signs in from anywhere else as usual. An address with twenty
/// failures (any usernames), or a username with twenty failures (any addresses),
/// is slowed — each attempt answers only after a pause — but a correct password
/// still signs in, so nobody can lock other people out by failing on purpose.
/// Behind a proxy the client address comes from `Forwarded` / `X-Forwarded-For`
/// when the proxy is configured as trusted (`BRANCHLINE_TRUSTED_PROXIES`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = UnprocessableEntity),
        (status = 429, response = TooManyRequests),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/login")]
async fn login(
    req: HttpRequest,
    db: web::Data<Db>,
    settings: web::Data<OrgSettings>,
    body: ValidJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    use actix_web::HttpMessage;
    let body = body.into_inner();
    let ip = req
        .extensions()
        .get::<kernel::ClientAddr>()
        .map(|a| a.0)
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let settings = settings.get_ref().clone();
    let pause = settings.throttle_pause;
    let request_id = req.extensions_ref_request_id();
    let attempt = db
        .run(move |conn| login_tx(conn, &settings, &body, &ip, request_id))
        .await?;
    if attempt.slowed {
        actix_web::rt::time::sleep(pause).await;
    }
    Ok(HttpResponse::Ok().json(attempt.result?))
}

trait RequestIdExt {
    fn extensions_ref_request_id(&self) -> Option<String>;
}

impl RequestIdExt for HttpRequest {
    fn extensions_ref_request_id(&self) -> Option<String> {
        use actix_web::HttpMessage;
        self.extensions()
            .get::<kernel::RequestId>()
            .map(|r| r.0.clone())
    }
}

fn retry_after(oldest: NaiveDateTime, window: ChronoDuration, now: NaiveDateTime) -> u64 {
    ((oldest + window) - now).num_seconds().max(1) as u64
}

/// A sign-in's verdict, and whether it is to be answered only after a pause.
struct Attempt {
    result: Result<TokenPair, ApiError>,
    slowed: bool,
}

/// Which failures a limit counts.
enum Counted<'a> {
    UserAtAddress(&'a str, &'a str),
    Address(&'a str),
    User(&'a str),
}

/// The recent failures a limit counts, newest first, at most `limit` of them.
fn recent_failures(
    conn: &mut AnyConnection,
    counted: Counted<'_>,
    since: NaiveDateTime,
    limit: i64,
) -> Result<Vec<NaiveDateTime>, ApiError> {
    let mut q = lf::table
        .filter(lf::failed_at.gt(since))
        .into_boxed::<store::MultiBackend>();
    q = match counted {
        Counted::UserAtAddress(user, ip) => q.filter(lf::username.eq(user)).filter(lf::ip.eq(ip)),
        Counted::Address(ip) => q.filter(lf::ip.eq(ip)),
        Counted::User(user) => q.filter(lf::username.eq(user)),
    };
    q.select(lf::failed_at)
        .order(lf::failed_at.desc())
        .limit(limit)
        .load(conn)
        .api()
}

fn login_tx(
    conn: &mut AnyConnection,
    settings: &OrgSettings,
    body: &LoginRequest,
    ip: &str,
    request_id: Option<String>,
) -> Result<Attempt, ApiError> {
    let now = now_db();
    let window =
        ChronoDuration::from_std(settings.lockout_window).unwrap_or(ChronoDuration::minutes(15));
    let since = now - window;
    let limit = settings.max_failures_per_user;
    let times = recent_failures(
        conn,
        Counted::UserAtAddress(&body.username, ip),
        since,
        limit,
    )?;
    if times.len() as i64 >= limit {
        let oldest = *times.last().unwrap_or(&now);
        tracing::warn!(username = %body.username, %ip, "login locked out at this address");
        return Ok(Attempt {
            result: Err(ApiError::new(
                ErrorCode::RateLimited,
                "too many failed sign-ins; wait before trying again",
            )
            .with_retry_after(retry_after(oldest, window, now))),
            slowed: false,
        });
    }
    let slow_limit = settings.max_failures_before_pause;
    let slowed = recent_failures(conn, Counted::Address(ip), since, slow_limit)?.len() as i64
        >= slow_limit
        || recent_failures(conn, Counted::User(&body.username), since, slow_limit)?.len() as i64
            >= slow_limit;
    if slowed {
        tracing::warn!(username = %body.username, %ip, "login slowed");
    }
    let result = verify_and_issue(conn, settings, body, ip, request_id, now)?;
    Ok(Attempt { result, slowed })
}

/// Checks the password and, when it is right, issues the token pair; a wrong one
/// is recorded as a failure. The outer `Result` is the database's.
fn verify_and_issue(
    conn: &mut AnyConnection,
    settings: &OrgSettings,
    body: &LoginRequest,
    ip: &str,
    request_id: Option<String>,
    now: NaiveDateTime,
) -> Result<Result<TokenPair, ApiError>, ApiError> {
    let user: Option<(i64, String, bool, Option<i64>)> = users::table
        .filter(users::username.eq(&body.username))
        .select((
            users::id,
            users::password_hash,
            users::active,
            users::office_id,
        ))
        .first(conn)
        .optional()
        .api()?;
    let verified = match &user {
        Some((_, hash, _, _)) => password::verify(&body.password, hash),
        None => {
            password::verify_dummy(&body.password);
            false
        }
    };
    let (user_id, office_id) = match user {
        Some((id, _, true, office)) if verified => (id, office),
        Some((_, _, false, _)) if verified => {
            return Ok(Err(ApiError::unauthenticated(
                "this user account is deactivated",
            )));
        }
        _ => {
            diesel::insert_into(lf::table)
                .values((
                    lf::username.eq(&body.username),
                    lf::ip.eq(ip),
                    lf::failed_at.eq(now),
                ))
                .execute(conn)
                .api()?;
            tracing::warn!(username = %body.username, %ip, "failed sign-in");
            return Ok(Err(unauthorized_login()));
        }
    };

    store::transaction(conn, |conn| {
        // A success clears this user's failures from this address only: failures
        // elsewhere may be someone else's guessing.
        diesel::delete(
            lf::table
                .filter(lf::username.eq(&body.username))
                .filter(lf::ip.eq(ip)),
        )
        .execute(conn)
        .api()?;
        let pair = issue_pair(conn, settings, user_id, &tokens::new_family_id())?;
        let actor = Actor {
            user_id: Some(user_id),
            acting_for: None,
            request_id,
        };
        // Filed under the user's office, so the office's auditors see its sign-ins.
        audit::record(
            conn,
            &actor,
            Change::new("login", "user", user_id, office_id),
        )?;
        Ok(Ok(pair))
    })
}

/// Issues an access token and a refresh token in `family`.
fn issue_pair(
    conn: &mut AnyConnection,
    settings: &OrgSettings,
    user_id: i64,
    family: &str,
) -> Result<TokenPair, ApiError> {
    let access_token = tokens::issue_access(&settings.tokens, user_id)?;
    let refresh_token = tokens::new_refresh_token();
    let now = now_db();
    let refresh_ttl = settings.tokens.refresh_ttl;
    diesel::insert_into(rt::table)
        .values(
            (
                rt::user_id.eq(user_id),
                rt::family_id.eq(family),
                rt::token_hash.eq(tokens::hash_refresh_token(&refresh_token)),
                rt::issued_at.eq(now),
                rt::expires_at.eq(
                    now + ChronoDuration::from_std(refresh_ttl).unwrap_or(ChronoDuration::days(30))
                ),
            ),
        )
        .execute(conn)
        .api()?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: settings.tokens.access_ttl.as_secs(),
        refresh_token,
        refresh_expires_in: refresh_ttl.as_secs(),
    })
}

/// id, user, family, expiry, used, revoked.
type RefreshRow = (
    i64,
    i64,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

enum RefreshOutcome {
    Issued(TokenPair),
    Reused,
}

/// Exchange a refresh token for a new pair. Each refresh token works once: a
/// second use of the same token revokes every token of its family, and the caller
/// must sign in again.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    db: web::Data<Db>,
    settings: web::Data<OrgSettings>,
    body: ValidJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let settings = settings.get_ref().clone();
    let hash = tokens::hash_refresh_token(&body.refresh_token);
    let outcome = db
        .tx(move |conn| {
            let now = now_db();
            let row: Option<RefreshRow> = rt::table
                .filter(rt::token_hash.eq(&hash))
                .select((
                    rt::id,
                    rt::user_id,
                    rt::family_id,
                    rt::expires_at,
                    rt::used_at,
                    rt::revoked_at,
                ))
                .first(conn)
                .optional()
                .api()?;
            let Some((id, user_id, family, expires_at, used_at, revoked_at)) = row else {
                return Err(ApiError::unauthenticated("unknown refresh token"));
            };
            if revoked_at.is_some() {
                return Err(ApiError::unauthenticated(
                    "this refresh token was revoked; sign in again",
                ));
            }
            // Claim the token; zero rows means another request already used it.
            let claimed = diesel::update(rt::table.find(id).filter(rt::used_at.is_null()))
                .set(rt::used_at.eq(now))
                .execute(conn)
                .api()?;
            if used_at.is_some() || claimed == 0 {
                diesel::update(
                    rt::table
                        .filter(rt::family_id.eq(&family))
                        .filter(rt::revoked_at.is_null()),
                )
                .set(rt::revoked_at.eq(now))
                .execute(conn)
                .api()?;
                tracing::warn!(user_id, "refresh token reuse: family revoked");
                return Ok(RefreshOutcome::Reused);
            }
            if expires_at <= now {
                return Err(ApiError::unauthenticated(
                    "the refresh token has expired; sign in again",
                ));
            }
            let active: bool = users::table
                .find(user_id)
                .select(users::active)
                .first(conn)
                .api()?;
            if !active {
                return Err(ApiError::unauthenticated(
                    "this user account is deactivated",
                ));
            }
            issue_pair(conn, &settings, user_id, &family).map(RefreshOutcome::Issued)
        })
        .await?;
    match outcome {
        RefreshOutcome::Issued(pair) => Ok(HttpResponse::Ok().json(pair)),
        RefreshOutcome::Reused => Err(ApiError::unauthenticated(
            "this refresh token was already used; every session from that sign-in is revoked",
        )),
    }
}

/// Sign out: revokes the refresh token's whole family. Access tokens already
/// issued stay valid until they expire (minutes).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out (also when the token was unknown)"),
        (status = 400, response = BadRequest),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/logout")]
async fn logout(
    db: web::Data<Db>,
    body: ValidJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let hash = tokens::hash_refresh_token(&body.refresh_token);
    db.tx(move |conn| {
        let family: Option<String> = rt::table
            .filter(rt::token_hash.eq(&hash))
            .select(rt::family_id)
            .first(conn)
            .optional()
            .api()?;
        if let Some(family) = family {
            diesel::update(
                rt::table
                    .filter(rt::family_id.eq(&family))
                    .filter(rt::revoked_at.is_null()),
            )
            .set(rt::revoked_at.eq(now_db()))
            .execute(conn)
            .api()?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub office_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeRole {
    pub assignment_id: i64,
    pub role: String,
    /// `company`, `region`, `office` or `department`.
    pub scope_kind: String,
    pub region_id: Option<i64>,
    pub office_id: Option<i64>,
    pub department_id: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// Set on an acting assignment (代行): whom this role is held for.
    pub acting_for_user_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: MeUser,
    /// Role assignments valid today.
    pub roles: Vec<MeRole>,
    /// Every permission held anywhere.
    pub permissions: Vec<String>,
    /// Offices the caller can see (`office:read`); `null` means every office.
    pub office_ids: Option<Vec<i64>>,
}

/// The caller: user, roles with scopes, effective permissions.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = Me),
        (status = 401, response = Unauthorized),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/me")]
async fn get_me(db: web::Data<Db>, principal: Principal) -> Result<HttpResponse, ApiError> {
    let user_id = principal.user_id;
    let rows = db
        .run(move |conn| {
            let today = today();
            #[allow(clippy::type_complexity)]
            let rows: Vec<(
                i64,
                String,
                String,
                Option<i64>,
                Option<i64>,
                Option<i64>,
                NaiveDate,
                Option<NaiveDate>,
                Option<i64>,
            )> = ra::table
                .filter(ra::user_id.eq(user_id))
                .filter(ra::ended_at.is_null())
                .filter(ra::valid_from.le(today))
                .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today)))
                .select((
                    ra::id,
                    ra::role,
                    ra::scope_kind,
                    ra::region_id,
                    ra::office_id,
                    ra::department_id,
                    ra::valid_from,
                    ra::valid_to,
                    ra::acting_for_user_id,
                ))
                .order(ra::id.asc())
                .load(conn)
                .api()?;
            Ok(rows)
        })
        .await?;
    let me = Me {
        user: MeUser {
            id: principal.user_id,
            username: principal.username.clone(),
            display_name: principal.display_name.clone(),
            office_id: principal.office_id,
        },
        roles: rows
            .into_iter()
            .map(|r| MeRole {
                assignment_id: r.0,
                role: r.1,
                scope_kind: r.2,
                region_id: r.3,
                office_id: r.4,
                department_id: r.5,
                valid_from: r.6,
                valid_to: r.7,
                acting_for_user_id: r.8,
            })
            .collect(),
        permissions: principal
            .permissions()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        office_ids: match principal.reach(crate::roles::OFFICE_READ) {
            kernel::Reach::Company => None,
            kernel::Reach::Offices(ids) => Some(ids.into_iter().collect()),
        },
    };
    Ok(HttpResponse::Ok().json(me))
}

/// Change one's own password. Every refresh token of the user is revoked, so
/// other sessions must sign in again.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/me/password")]
async fn change_password(
    db: web::Data<Db>,
    principal: Principal,
    body: ValidJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let actor = principal.actor(Default::default());
    let user_id = principal.user_id;
    let office_id = principal.office_id;
    db.tx(move |conn| {
        let hash: String = users::table
            .find(user_id)
            .select(users::password_hash)
            .first(conn)
            .api()?;
        if !password::verify(&body.current_password, &hash) {
            return Err(ApiError::invalid_field(
                "current_password",
                "mismatch",
                "is not your current password",
            ));
        }
        let now = now_db();
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password::hash(&body.new_password)?),
                users::password_changed_at.eq(now),
                users::updated_at.eq(now),
                users::version.eq(users::version + 1),
            ))
            .execute(conn)
            .api()?;
        diesel::update(
            rt::table
                .filter(rt::user_id.eq(user_id))
                .filter(rt::revoked_at.is_null()),
        )
        .set(rt::revoked_at.eq(now))
        .execute(conn)
        .api()?;
        audit::record(
            conn,
            &actor,
            Change::new("change_password", "user", user_id, office_id),
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
