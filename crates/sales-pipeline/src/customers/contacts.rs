//! A customer's contacts (聯繫人) — the first, or any named so, is the primary
//! one — and its interaction log (溝通記錄): calls, visits, e-mails and meetings
//! with their next step, listed newest first. Both are added only to an active
//! customer.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, ServiceUnavailable, Unauthorized,
    UnprocessableEntity,
};
use kernel::{Actor, ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{CUSTOMER_MANAGE, CUSTOMER_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{customer_contacts as cc, customer_interactions as ci};
use store::{Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{Customer, load};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_contacts)
        .service(create_contact)
        .service(list_interactions)
        .service(create_interaction);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    Call,
    Visit,
    Email,
    Meeting,
}

impl InteractionKind {
    fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Call => "call",
            InteractionKind::Visit => "visit",
            InteractionKind::Email => "email",
            InteractionKind::Meeting => "meeting",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = cc)]
pub struct Contact {
    pub id: i64,
    pub customer_id: i64,
    pub office_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// One contact per customer is primary.
    pub is_primary: bool,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub title: Option<String>,
    #[validate(length(min = 3, max = 40))]
    #[schema(min_length = 3, max_length = 40)]
    pub phone: Option<String>,
    #[validate(email)]
    #[schema(format = Email)]
    pub email: Option<String>,
    /// Make this the primary contact (the previous primary is no longer).
    #[serde(default)]
    pub is_primary: bool,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A customer's contacts.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), PageQuery),
    responses(
        (status = 200, description = "A page of contacts", body = Page<Contact>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/sales/customers/{id}/contacts")]
async fn list_contacts(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (customer, _) = load(conn, &p, CUSTOMER_READ, id)?;
            let mut query = cc::table
                .filter(
                    cc::customer_id
                        .eq(customer.id)
                        .and(cc::office_id.eq(customer.office_id)),
                )
                .select(Contact::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(cc::id.gt(after));
            }
            let rows: Vec<Contact> = query
                .order(cc::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add a contact.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = CreateContact,
    responses(
        (status = 201, description = "Added", body = Contact),
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
#[post("/sales/customers/{id}/contacts")]
async fn create_contact(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<CreateContact>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let contact = db
        .tx(move |conn| {
            let (customer, authority) = load(conn, &p, CUSTOMER_MANAGE, id)?;
            active(&customer)?;
            let actor = p.actor(authority);
            let existing: i64 = cc::table
                .filter(cc::customer_id.eq(id))
                .count()
                .get_result(conn)
                .api()?;
            // The first contact is the primary one; a new primary replaces the old.
            let primary = body.is_primary || existing == 0;
            if primary {
                diesel::update(cc::table.filter(cc::customer_id.eq(id)))
                    .set(cc::is_primary.eq(false))
                    .execute(conn)
                    .api()?;
            }
            let contact: Contact = diesel::insert_into(cc::table)
                .values((
                    cc::customer_id.eq(id),
                    cc::office_id.eq(customer.office_id),
                    cc::name.eq(&body.name),
                    cc::title.eq(&body.title),
                    cc::phone.eq(&body.phone),
                    cc::email.eq(&body.email),
                    cc::is_primary.eq(primary),
                    cc::created_at.eq(kernel::time::to_db(kernel::time::now())),
                ))
                .returning(cc::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new(
                    "create",
                    "customer_contact",
                    contact.id,
                    Some(customer.office_id),
                )
                .after(&contact),
            )?;
            Ok(contact)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/customers/{id}/contacts"),
        ))
        .json(contact))
}

fn active(customer: &Customer) -> Result<(), ApiError> {
    if customer.status == "active" {
        Ok(())
    } else {
        Err(ApiError::invalid_transition(
            "add to",
            &customer.status,
            &[],
        ))
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ci)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub office_id: i64,
    #[schema(value_type = InteractionKind)]
    pub kind: String,
    pub occurred_on: NaiveDate,
    pub summary: String,
    pub next_step: Option<String>,
    /// Who had the interaction.
    pub user_id: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInteraction {
    pub kind: InteractionKind,
    pub occurred_on: NaiveDate,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub summary: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub next_step: Option<String>,
}

/// A customer's interaction log, newest first.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), PageQuery),
    responses(
        (status = 200, description = "A page of interactions", body = Page<Interaction>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/sales/customers/{id}/interactions")]
async fn list_interactions(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (customer, _) = load(conn, &p, CUSTOMER_READ, id)?;
            let mut query = ci::table
                .filter(
                    ci::customer_id
                        .eq(customer.id)
                        .and(ci::office_id.eq(customer.office_id)),
                )
                .select(Interaction::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(before) = req.after {
                query = query.filter(ci::id.lt(before));
            }
            let rows: Vec<Interaction> = query
                .order(ci::id.desc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Log a call, visit, e-mail or meeting with its next step.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = CreateInteraction,
    responses(
        (status = 201, description = "Logged", body = Interaction),
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
#[post("/sales/customers/{id}/interactions")]
async fn create_interaction(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<CreateInteraction>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let today = kernel::time::now().date_naive();
    if body.occurred_on > today {
        return Err(ApiError::invalid_field(
            "occurred_on",
            "range",
            "an interaction cannot be logged before it happens",
        ));
    }
    let interaction = db
        .tx(move |conn| {
            let (customer, authority) = load(conn, &p, CUSTOMER_MANAGE, id)?;
            active(&customer)?;
            let actor: Actor = p.actor(authority);
            let row: Interaction = diesel::insert_into(ci::table)
                .values((
                    ci::customer_id.eq(id),
                    ci::office_id.eq(customer.office_id),
                    ci::kind.eq(body.kind.as_str()),
                    ci::occurred_on.eq(body.occurred_on),
                    ci::summary.eq(&body.summary),
                    ci::next_step.eq(&body.next_step),
                    ci::user_id.eq(p.user_id),
                    ci::created_at.eq(kernel::time::to_db(kernel::time::now())),
                ))
                .returning(ci::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new(
                    "create",
                    "customer_interaction",
                    row.id,
                    Some(customer.office_id),
                )
                .after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/customers/{id}/interactions"),
        ))
        .json(interaction))
}
