//! What a ticket recorded, read back: its history, the parts its repairs
//! replaced and its quotations — and, across tickets, where a part serial was
//! put in or taken out.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::ReadErrors;
use kernel::{ApiError, Page, PageRequest, Principal, ValidQuery};
use org::roles::SERVICE_READ;
use serde::{Deserialize, Serialize};
use store::schema::{
    service_ticket_events as ev, service_ticket_parts as pt, service_ticket_quotes as q,
};
use store::{Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::api::load;
use super::quotes::Quote;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(trace_parts)
        .service(list_ticket_events)
        .service(list_ticket_parts)
        .service(list_ticket_quotes);
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TraceParts {
    /// A part's serial: where it was put in, and where it was taken out.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub serial: String,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A step in a ticket's history.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ev)]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub office_id: i64,
    /// `opened`, an action (`judge`, `assign`, `receive_unit`, `quote`,
    /// `accept_quote`, `decline_quote`, `repair`, `inspect`, `ship`,
    /// `install`, `train`, `survey`, `cancel`), or the engine's
    /// `quote_approved`, `quote_rejected`, `quote_withdrawn`.
    #[schema(example = "repair")]
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    /// What the step recorded, as it was sent: the judgement, the repair,
    /// the inspection, the shipment, the handover, the training, the survey.
    #[schema(value_type = Option<Object>)]
    #[diesel(deserialize_as = store::JsonText)]
    pub details: Option<serde_json::Value>,
    /// For a decision on a quotation: the working minutes the clock stood.
    pub minutes: Option<i64>,
    pub actor_user_id: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
}

/// A part replaced in a repair.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = pt)]
pub struct TicketPart {
    pub id: i64,
    pub ticket_id: i64,
    pub office_id: i64,
    /// The repair step it was recorded in.
    pub event_id: i64,
    #[schema(example = "PSU-24V-60W")]
    pub part_code: String,
    pub part_name: String,
    pub quantity: i32,
    pub new_serial: Option<String>,
    pub old_serial: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// A ticket's history, oldest first: who did what and when, with what each
/// step recorded.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service ticket id")),
    responses((status = 200, description = "The history", body = Vec<TicketEvent>), ReadErrors)
)]
#[get("/after-sales/service-tickets/{id}/events")]
async fn list_ticket_events(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let events = db
        .run(move |conn| {
            let row = load(conn, p.reach(SERVICE_READ), p.user_id, id)?;
            ev::table
                .filter(ev::ticket_id.eq(row.id))
                .order(ev::id.asc())
                .select(TicketEvent::as_select())
                .load::<TicketEvent>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Ok().json(events))
}

/// The parts replaced on a ticket, in the order they were recorded.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service ticket id")),
    responses((status = 200, description = "The parts", body = Vec<TicketPart>), ReadErrors)
)]
#[get("/after-sales/service-tickets/{id}/parts")]
async fn list_ticket_parts(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let parts = db
        .run(move |conn| {
            let row = load(conn, p.reach(SERVICE_READ), p.user_id, id)?;
            pt::table
                .filter(pt::ticket_id.eq(row.id))
                .order(pt::id.asc())
                .select(TicketPart::as_select())
                .load::<TicketPart>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Ok().json(parts))
}

/// A ticket's quotations, oldest first.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service ticket id")),
    responses((status = 200, description = "The quotations", body = Vec<Quote>), ReadErrors)
)]
#[get("/after-sales/service-tickets/{id}/quotes")]
async fn list_ticket_quotes(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rows = db
        .run(move |conn| {
            let row = load(conn, p.reach(SERVICE_READ), p.user_id, id)?;
            q::table
                .filter(q::ticket_id.eq(row.id))
                .order(q::id.asc())
                .select(Quote::as_select())
                .load::<Quote>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Where a part serial went: the repairs that put it in (`new_serial`) and
/// those that took it out (`old_serial`), in the offices `service:read`
/// reaches; oldest first. Each names its ticket.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(TraceParts),
    responses((status = 200, description = "A page of parts", body = Page<TicketPart>), ReadErrors)
)]
#[get("/after-sales/service-parts")]
async fn trace_parts(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<TraceParts>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    pt::table.select(TicketPart::as_select()),
                    pt::office_id,
                    pt::id
                ),
                TicketPart,
                req,
                asc,
                |query| {
                    query.filter(
                        pt::new_serial
                            .eq(f.serial.clone())
                            .or(pt::old_serial.eq(f.serial.clone())),
                    )
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
