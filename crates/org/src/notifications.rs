//! The caller's own notifications (`store::notify` writes them): what the
//! system did for them to act on, newest first, and marking one read. Only the
//! addressee sees a notification; anyone else's is 404, as one that does not
//! exist.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{ApiError, Page, PageRequest, Principal, ValidQuery};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::notifications as n;
use store::{Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_notifications).service(read_notification);
}

/// Something the system did for the caller to act on.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = n)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub office_id: Option<i64>,
    /// A stable machine word, e.g. `service_request_escalated`.
    #[schema(example = "service_request_escalated")]
    pub kind: String,
    /// The record it is about: `service_request`, …
    #[schema(example = "service_request")]
    pub entity_type: String,
    pub entity_id: i64,
    #[schema(example = "SR-GZ01-2026-000005 escalated to you: past its resolution deadline")]
    pub title: String,
    pub body: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<NaiveDateTime>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListNotifications {
    /// `true`: only those not read yet.
    pub unread: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(ListNotifications),
    responses((status = 200, description = "A page of the caller's notifications", body = Page<Notification>), ReadErrors)
)]
#[get("/me/notifications")]
async fn list_notifications(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListNotifications>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let me = p.user_id;
    let page = db
        .run(move |conn| {
            let mut query = n::table
                .filter(n::user_id.eq(me))
                .select(Notification::as_select())
                .into_boxed::<store::MultiBackend>();
            if let Some(unread) = q.unread {
                query = if unread {
                    query.filter(n::read_at.is_null())
                } else {
                    query.filter(n::read_at.is_not_null())
                };
            }
            if let Some(before) = req.after {
                query = query.filter(n::id.lt(before));
            }
            let rows: Vec<Notification> = query
                .order(n::id.desc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Mark one of the caller's notifications read (again: no change).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses((status = 200, description = "Read", body = Notification), WriteErrors)
)]
#[post("/me/notifications/{id}/read")]
async fn read_notification(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .tx(move |conn| {
            let before: Notification = n::table
                .filter(n::id.eq(id))
                .filter(n::user_id.eq(p.user_id))
                .select(Notification::as_select())
                .first(conn)
                .found("notification")?;
            if before.read_at.is_some() {
                return Ok(before);
            }
            let after: Notification = diesel::update(n::table.find(id))
                .set(n::read_at.eq(Some(kernel::time::now_db())))
                .returning(n::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &p.actor(Default::default()),
                Change::new("read", "notification", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(row))
}
