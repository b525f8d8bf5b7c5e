//! The HTTP side of service tickets: open, list and read them. What a ticket
//! recorded is read back in [`super::records`]; the actions, one endpoint
//! each, are in [`super::actions`]; the rules in the parent module.
//!
//! `service:read` shows the tickets of the offices it reaches, and anyone
//! sees the tickets assigned to them; `service:manage` opens and works them
//! in its offices.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, Page, PageRequest, Principal, Reach, ValidJson, ValidQuery, etag,
};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::{
    service_ticket_events as ev, service_ticket_parts as pt, service_ticket_quotes as q,
    service_tickets as st,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::quotes::{self, Quote};
use super::{Action, ServiceTicket, Step, TicketRow, TicketStatus, transition, view};
use crate::calendars::calendar_for;
use crate::common::{created, now_db};
use crate::facts::{Sales, SalesFacts};
use crate::requests::no_working_time;
use crate::service_levels::{self, Channel, Priority, RequestType};
use crate::warranty;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_tickets)
        .service(create_ticket)
        .service(get_ticket);
    super::records::configure(cfg);
    super::actions::configure(cfg);
}

/// A ticket as opened from the customer's feedback.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceTicket {
    /// The office that takes it; the caller's own when left out.
    pub office_id: Option<i64>,
    /// An active customer of the office.
    pub customer_id: i64,
    /// The customer's order the unit came from, not cancelled.
    pub order_id: i64,
    /// The product, as named on one of the order's lines.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "LED 筒燈 DL-200")]
    pub product: String,
    /// The unit's serial number.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "DL200-2025-004417")]
    pub serial_number: String,
    pub channel: Channel,
    /// `normal` when left out.
    pub priority: Option<Priority>,
    /// What the customer reported.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "筒燈通電後不亮,指示燈閃爍"
    )]
    pub feedback: String,
    /// When the customer reported it, if earlier than now: not in the
    /// future, at most 7 days ago. The clocks start here.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who handles it: an active user of the office.
    pub assignee_user_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListServiceTickets {
    /// Matches the number, product or feedback.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// The tickets of a unit, or of a part put in or taken out: the serial,
    /// exactly.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub serial: Option<String>,
    pub status: Option<TicketStatus>,
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub assignee_user_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A ticket the caller may read: one of the offices `reach` covers, or one
/// assigned to them — in the query.
pub(super) fn load(
    conn: &mut AnyConnection,
    reach: Reach,
    user_id: i64,
    id: i64,
) -> Result<TicketRow, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            st::table.select(TicketRow::as_select()),
            st::office_id,
            st::id
        ),
        also = st::assignee_user_id.eq(user_id),
        TicketRow,
        id,
        "service ticket"
    )
}

/// Appends `step` to a ticket's history; its id.
pub(crate) fn record_step(
    conn: &mut AnyConnection,
    row: &TicketRow,
    step: &Step,
    from: Option<&str>,
    to: &str,
    actor: Option<i64>,
    at: NaiveDateTime,
) -> Result<i64, ApiError> {
    let details = step
        .details
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(ApiError::internal)?;
    diesel::insert_into(ev::table)
        .values((
            ev::ticket_id.eq(row.id),
            ev::office_id.eq(row.office_id),
            ev::action.eq(step.action),
            ev::from_status.eq(from),
            ev::to_status.eq(to),
            ev::note.eq(step.note.as_deref()),
            ev::details.eq(details),
            ev::minutes.eq(step.minutes),
            ev::actor_user_id.eq(actor),
            ev::occurred_at.eq(at),
        ))
        .returning(ev::id)
        .get_result(conn)
        .api()
}

/// The current quotations of `rows`, in one query.
fn quotes_of(
    conn: &mut AnyConnection,
    rows: &[TicketRow],
) -> Result<HashMap<i64, Quote>, ApiError> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.quote_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<Quote> = q::table
        .filter(q::id.eq_any(ids))
        .select(Quote::as_select())
        .load(conn)
        .api()?;
    Ok(found.into_iter().map(|x| (x.id, x)).collect())
}

/// A ticket as the API shows it now: its current quotation loaded.
pub(super) fn show(conn: &mut AnyConnection, row: TicketRow) -> Result<ServiceTicket, ApiError> {
    let cal = calendar_for(conn, row.office_id)?;
    let quote = quotes::current(conn, &row)?;
    Ok(view(&cal, row, quote, now_db()))
}

/// Checks what a create names before any work: `received_at` lies in the
/// last 7 days.
fn check_create(body: &CreateServiceTicket, now: NaiveDateTime) -> Result<(), ApiError> {
    match crate::common::received_at_problem(body.received_at, now) {
        Some(problem) => Err(ApiError::validation(vec![problem])),
        None => Ok(()),
    }
}

/// Opens a ticket at `office` (also used by the demo loader): the customer
/// and the order checked through the sales facts (the product must be on the
/// order), the warranty computed from the installation day and the product's
/// term, the service level resolved and the deadlines counted on the
/// office's calendar from `received_at`, numbered `ST-<office>-<year>-NNNNNN`,
/// the history started, audited.
pub fn record(
    conn: &mut AnyConnection,
    sales: &dyn SalesFacts,
    office: i64,
    actor: &Actor,
    body: &CreateServiceTicket,
    now: NaiveDateTime,
) -> Result<TicketRow, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a ticket is opened by a user"))?;
    if !sales.active_customer(conn, office, body.customer_id)? {
        return Err(store::scoped::no_such("customer_id", "active customer"));
    }
    let order = sales
        .order_for_service(conn, office, body.order_id)?
        .ok_or_else(|| store::scoped::no_such("order_id", "order"))?;
    let mut errors = Vec::new();
    if order.customer_id != body.customer_id {
        errors.push(FieldError::new(
            "order_id",
            "not_of_customer",
            "the order is not the customer's",
        ));
    }
    if !order.products.iter().any(|p| p == &body.product) {
        errors.push(FieldError::new(
            "product",
            "not_on_order",
            "the product is not on the order's lines",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(assignee) = body.assignee_user_id {
        org::scope::user_of_office(conn, "assignee_user_id", assignee, office)?;
    }
    let priority = body.priority.unwrap_or(Priority::Normal);
    let level = service_levels::resolve(
        conn,
        office,
        RequestType::ServiceTicket,
        priority,
        body.channel,
    )?;
    let cal = calendar_for(conn, office)?;
    let received = body.received_at.map_or(now, kernel::time::to_db);
    let received_day = received.and_utc().with_timezone(&cal.tz).date_naive();
    // Not installed yet: the warranty has not begun, and the unit is covered.
    let (in_warranty, until) = match order.installed_on {
        None => (true, None),
        Some(day) => {
            let until = warranty::warranty_for(conn, &body.product, day)?
                .and_then(|term| warranty::last_day(day, term.months));
            (until.is_some_and(|u| received_day <= u), until)
        }
    };
    let due = |minutes: i32| {
        cal.add(received.and_utc(), i64::from(minutes))
            .map(|t| t.naive_utc())
            .map_err(|_| no_working_time())
    };
    let code = org::office_code(conn, office)?;
    let number = store::docnum::next(conn, office, &code, "ST", now.year())?;
    let row: TicketRow = diesel::insert_into(st::table)
        .values((
            st::office_id.eq(office),
            st::number.eq(&number),
            st::customer_id.eq(body.customer_id),
            st::order_id.eq(body.order_id),
            st::product.eq(&body.product),
            st::serial_number.eq(&body.serial_number),
            st::channel.eq(body.channel.as_str()),
            st::priority.eq(priority.as_str()),
            st::feedback.eq(&body.feedback),
            st::status.eq(TicketStatus::Received.as_str()),
            st::assignee_user_id.eq(body.assignee_user_id),
            st::in_warranty.eq(in_warranty),
            st::installed_on.eq(order.installed_on),
            st::warranty_until.eq(until),
            st::service_level_id.eq(level.id),
            st::received_at.eq(received),
            st::response_due_at.eq(due(level.response_minutes)?),
            st::resolution_due_at.eq(due(level.resolution_minutes)?),
            st::created_by.eq(user),
            st::created_at.eq(now),
            st::updated_at.eq(now),
            st::version.eq(1_i64),
        ))
        .returning(st::all_columns)
        .get_result(conn)
        .api()?;
    diesel::insert_into(store::schema::service_ticket_escalations::table)
        .values((
            store::schema::service_ticket_escalations::ticket_id.eq(row.id),
            store::schema::service_ticket_escalations::level.eq(0),
            store::schema::service_ticket_escalations::updated_at.eq(now),
        ))
        .execute(conn)
        .api()?;
    record_step(
        conn,
        &row,
        &Step {
            action: "opened",
            note: Some(body.feedback.clone()),
            details: None,
            minutes: None,
        },
        None,
        &row.status,
        Some(user),
        now,
    )?;
    audit::record(
        conn,
        actor,
        Change::new("create", "service_ticket", row.id, Some(office)).after(&row),
    )?;
    Ok(row)
}

/// What `action` does to a ticket at `now` (also used by the demo loader):
/// people named checked against the ticket's office, the state machine, the
/// change under the version it was read at, the parts a repair replaced, the
/// customer's decision on the quotation, the history and the audit event.
pub fn apply(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: TicketRow,
    action: Action,
    now: NaiveDateTime,
) -> Result<ServiceTicket, ApiError> {
    match &action {
        Action::Assign {
            assignee_user_id, ..
        } => {
            org::scope::user_of_office(
                conn,
                "assignee_user_id",
                *assignee_user_id,
                before.office_id,
            )?;
        }
        Action::Install { handover, .. } => {
            org::scope::user_of_office(
                conn,
                "handover.given_by_user_id",
                handover.given_by_user_id,
                before.office_id,
            )?;
        }
        _ => {}
    }
    let cal = calendar_for(conn, before.office_id)?;
    let quote = quotes::current(conn, &before)?;
    let (patch, step) = transition(
        &cal,
        &before,
        quote.as_ref().map(|q| q.status.as_str()),
        &action,
        now,
    )?;
    let after: TicketRow = store::update_versioned!(conn, st, TicketRow, before, now, patch)?;
    let event = record_step(
        conn,
        &after,
        &step,
        Some(&before.status),
        &after.status,
        actor.user_id,
        now,
    )?;
    if let Action::Repair { parts, .. } = &action {
        for part in parts {
            diesel::insert_into(pt::table)
                .values((
                    pt::ticket_id.eq(after.id),
                    pt::office_id.eq(after.office_id),
                    pt::event_id.eq(event),
                    pt::part_code.eq(&part.part_code),
                    pt::part_name.eq(&part.part_name),
                    pt::quantity.eq(part.quantity),
                    pt::new_serial.eq(part.new_serial.as_deref()),
                    pt::old_serial.eq(part.old_serial.as_deref()),
                    pt::created_at.eq(now),
                ))
                .execute(conn)
                .api()?;
        }
    }
    let quote = match (&action, quote) {
        (
            Action::AcceptQuote {
                customer_signatory, ..
            },
            Some(q),
        ) => Some(quotes::decide(
            conn,
            actor,
            q.id,
            true,
            Some(customer_signatory),
            now,
        )?),
        (Action::DeclineQuote { .. }, Some(q)) => {
            Some(quotes::decide(conn, actor, q.id, false, None, now)?)
        }
        (_, q) => q,
    };
    audit::record(
        conn,
        actor,
        Change::new(
            action.name(),
            "service_ticket",
            after.id,
            Some(after.office_id),
        )
        .before(&before)
        .after(&after),
    )?;
    if let Action::Survey { .. } = &action {
        // Closed: the customer's after-ticket return-visit plans open a visit.
        let closed_on = now.and_utc().with_timezone(&cal.tz).date_naive();
        crate::visits::after_ticket_closed(
            conn,
            actor,
            after.office_id,
            after.customer_id,
            after.id,
            closed_on,
            now,
        )?;
    }
    Ok(view(&cal, after, quote, now))
}

/// Service tickets of the offices `service:read` reaches, and those assigned
/// to the caller; newest first.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListServiceTickets),
    responses((status = 200, description = "A page of tickets, their deadlines as they stand", body = Page<ServiceTicket>), ReadErrors)
)]
#[get("/after-sales/service-tickets")]
async fn list_tickets(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListServiceTickets>,
) -> Result<HttpResponse, ApiError> {
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let reach = p.reach(SERVICE_READ);
    let me = p.user_id;
    let page = db
        .run(move |conn| {
            let now = now_db();
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    st::table.select(TicketRow::as_select()),
                    st::office_id,
                    st::id
                ),
                also = st::assignee_user_id.eq(me),
                TicketRow,
                req,
                desc,
                |query| {
                    if let Some(text) = &f.q {
                        use store::search::lower;
                        let pattern = store::search::pattern(text);
                        query = query.filter(
                            lower(st::number)
                                .like(pattern.clone())
                                .or(lower(st::product).like(pattern.clone()))
                                .or(lower(st::feedback).like(pattern)),
                        );
                    }
                    if let Some(serial) = &f.serial {
                        let by_part = pt::table
                            .filter(
                                pt::new_serial
                                    .eq(serial.clone())
                                    .or(pt::old_serial.eq(serial.clone())),
                            )
                            .select(pt::ticket_id);
                        query = query.filter(
                            st::serial_number
                                .eq(serial.clone())
                                .or(st::id.eq_any(by_part)),
                        );
                    }
                    if let Some(v) = f.status {
                        query = query.filter(st::status.eq(v.as_str()));
                    }
                    if let Some(v) = f.office_id {
                        query = query.filter(st::office_id.eq(v));
                    }
                    if let Some(v) = f.customer_id {
                        query = query.filter(st::customer_id.eq(v));
                    }
                    if let Some(v) = f.order_id {
                        query = query.filter(st::order_id.eq(v));
                    }
                    if let Some(v) = f.assignee_user_id {
                        query = query.filter(st::assignee_user_id.eq(v));
                    }
                    query
                }
            )?;
            let mut quotes = quotes_of(conn, &rows)?;
            let mut cals = crate::calendars::Calendars::new();
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                let quote = row.quote_id.and_then(|id| quotes.remove(&id));
                items.push(view(cals.of(conn, row.office_id)?, row, quote, now));
            }
            Ok(req.page(items, |r| r.ticket.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Open a ticket from a customer's feedback on a unit of one of their orders
/// (`service:manage` at the office). Its warranty is computed from the day
/// the order was installed and the product's warranty term; it takes the
/// service level for tickets and gets its deadlines on the office's calendar.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateServiceTicket,
    responses((status = 201, description = "Opened", body = ServiceTicket, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/service-tickets")]
async fn create_ticket(
    db: web::Data<Db>,
    sales: web::Data<Sales>,
    p: Principal,
    body: ValidJson<CreateServiceTicket>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, SERVICE_MANAGE, body.office_id)?;
    let now = now_db();
    check_create(&body, now)?;
    let actor = p.actor(authority);
    let sales = sales.get_ref().clone();
    let item = db
        .tx(move |conn| {
            let row = record(conn, sales.as_ref(), office, &actor, &body, now)?;
            show(conn, row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/service-tickets/{}", item.ticket.id),
        item.ticket.version,
    )
    .json(item))
}

/// One ticket, with its deadlines as they stand, its current quotation and
/// the actions it allows.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service ticket id")),
    responses((status = 200, description = "The ticket", body = ServiceTicket, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/service-tickets/{id}")]
async fn get_ticket(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let item = db
        .run(move |conn| {
            let row = load(conn, p.reach(SERVICE_READ), p.user_id, id)?;
            show(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.ticket.version))
        .json(item))
}

/// Carries out `action` on ticket `id` for the caller: `service:manage` over
/// its office and the version read, then [`apply`], in the caller's
/// transaction.
pub(super) fn act(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
    action: Action,
) -> Result<ServiceTicket, ApiError> {
    let (actor, before) = for_change(conn, p, id, read_version)?;
    apply(conn, &actor, before, action, now_db())
}

/// The ticket `id` the caller may change (`service:manage` over its office),
/// at the version they read.
pub(super) fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
) -> Result<(Actor, TicketRow), ApiError> {
    let (before, authority) =
        store::load_scoped!(conn, p, SERVICE_MANAGE, st, TicketRow, id, "service ticket");
    let actor = p.actor(authority);
    if before.version != read_version {
        return Err(version_conflict(before.version));
    }
    Ok((actor, before))
}
