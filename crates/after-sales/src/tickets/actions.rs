//! One endpoint per step of the repair chain, each under `If-Match`: the body
//! it takes and the action it carries out. A step the ticket's state does not
//! allow is 409 `invalid_transition` with the allowed actions.

use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use kernel::responses::ChangeErrors;
use kernel::{ApiError, IfMatch, Principal, ValidJson, etag};
use serde::Deserialize;
use store::Db;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::Registry;

use super::api::{act, for_change, show};
use super::quotes::{self, QuoteRepair};
use super::{Action, Handling, Handover, PartUsed, ServiceTicket, Severity};
use crate::common::now_db;
use crate::facts::Sales;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(judge_ticket)
        .service(assign_ticket)
        .service(receive_unit)
        .service(quote_ticket)
        .service(accept_quote)
        .service(decline_quote)
        .service(repair_ticket)
        .service(inspect_ticket)
        .service(ship_ticket)
        .service(install_ticket)
        .service(train_ticket)
        .service(survey_ticket)
        .service(cancel_ticket);
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeTicket {
    /// The nature of the fault.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "驅動電源故障")]
    pub nature: String,
    pub severity: Severity,
    /// On site, or back to the company for repair.
    pub handling: Handling,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "已電話告知客戶安排返廠維修"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignTicket {
    /// An active user of the ticket's office.
    pub assignee_user_id: i64,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveUnit {
    /// The unit's condition as it arrived.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "外殼完好,包裝輕微破損")]
    pub condition: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptQuote {
    /// Who accepted it for the customer.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "王經理")]
    pub customer_signatory: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "客戶簽字確認報價單")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineQuote {
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "客戶認為價格過高")]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairTicket {
    /// The fault found.
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000, example = "驅動電源輸出電容擊穿")]
    pub diagnosis: String,
    /// What was done.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "更換驅動電源,老化測試 4 小時"
    )]
    pub work_done: String,
    /// Every part replaced (none when nothing was).
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub parts: Vec<PartUsed>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectTicket {
    /// Passed: it is shipped back; failed: it goes back to repair.
    pub passed: bool,
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "光通量、色溫、功率因數均合格"
    )]
    pub findings: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipTicket {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "順豐速運")]
    pub carrier: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "SF1400228877361")]
    pub tracking_number: String,
    /// When it should reach the customer; the customer is told.
    pub expected_arrival: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallTicket {
    #[validate(nested)]
    pub handover: Handover,
    /// The result of commissioning on site.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "安裝完成,通電測試 30 分鐘正常"
    )]
    pub commissioning: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainTicket {
    /// Who of the customer was trained.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "客戶物業電工 2 人")]
    pub trainees: String,
    /// What they were taught: use, care, maintenance.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "開關順序、日常清潔、故障指示燈含義"
    )]
    pub content: String,
    /// How they were assessed, and the result.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "現場操作考核通過")]
    pub assessment: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyTicket {
    /// The customer's satisfaction, 1 to 5.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub satisfaction: i32,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "響應及時,維修質量好")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelTicket {
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "客戶拒絕報價,設備由客戶自取"
    )]
    pub reason: String,
}

async fn run(
    db: &Db,
    p: Principal,
    id: i64,
    if_match: IfMatch,
    action: Action,
) -> Result<HttpResponse, ApiError> {
    let item = db
        .tx(move |conn| act(conn, &p, id, if_match.0, action))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.ticket.version))
        .json(item))
}

/// One action endpoint: its doc, name, path, body type, the description of
/// its answer, and the action a body makes.
macro_rules! ticket_action {
    ($(#[$doc:meta])* $name:ident, $path:tt, $body:ident, $desc:tt, |$b:ident| $action:expr) => {
        $(#[$doc])*
        #[utoipa::path(
            tag = "after-sales",
            security(("bearer" = [])),
            params(("id" = i64, Path, description = "Service ticket id"), ("If-Match" = String, Header, description = "ETag last read")),
            request_body = $body,
            responses((status = 200, description = $desc, body = ServiceTicket, headers(("ETag" = String))), ChangeErrors)
        )]
        #[post($path)]
        async fn $name(
            db: web::Data<Db>,
            p: Principal,
            id: web::Path<i64>,
            if_match: IfMatch,
            body: ValidJson<$body>,
        ) -> Result<HttpResponse, ApiError> {
            let $b = body.into_inner();
            run(&db, p, id.into_inner(), if_match, $action).await
        }
    };
}

ticket_action!(
    /// The first judgement (初步判斷): the nature and severity of the fault,
    /// and whether it is handled on site or the unit comes back for repair.
    /// It answers the customer (the response deadline).
    judge_ticket, "/after-sales/service-tickets/{id}/judge", JudgeTicket, "Judged",
    |b| Action::Judge { nature: b.nature, severity: b.severity, handling: b.handling, note: b.note }
);

ticket_action!(
    /// Assign the ticket to someone of its office.
    assign_ticket, "/after-sales/service-tickets/{id}/assign", AssignTicket, "Assigned",
    |b| Action::Assign { assignee_user_id: b.assignee_user_id, note: b.note }
);

ticket_action!(
    /// The returned unit arrived at the company: its condition is recorded
    /// and it goes to repair.
    receive_unit, "/after-sales/service-tickets/{id}/receive-unit", ReceiveUnit, "Received for repair",
    |b| Action::ReceiveUnit { condition: b.condition }
);

ticket_action!(
    /// The customer accepted the quotation (who signed for them): the
    /// repair may go ahead, and the clock runs again.
    accept_quote, "/after-sales/service-tickets/{id}/accept-quote", AcceptQuote, "Accepted",
    |b| Action::AcceptQuote { customer_signatory: b.customer_signatory, note: b.note }
);

ticket_action!(
    /// The customer declined the quotation: a new one may be made, or the
    /// ticket cancelled. The clock runs again.
    decline_quote, "/after-sales/service-tickets/{id}/decline-quote", DeclineQuote, "Declined",
    |b| Action::DeclineQuote { reason: b.reason }
);

ticket_action!(
    /// The repair (維修處理): the fault diagnosis, the work done and every
    /// part replaced with the serials of the new and the old part. At the
    /// company it goes to inspection; on site, the unit is commissioned there
    /// and the fault is resolved. Out of warranty, only once the quotation is
    /// accepted.
    repair_ticket, "/after-sales/service-tickets/{id}/repair", RepairTicket, "Repaired",
    |b| Action::Repair { diagnosis: b.diagnosis, work_done: b.work_done, parts: b.parts }
);

ticket_action!(
    /// The full inspection (全面檢測) after a repair at the company: passed,
    /// it is shipped back; failed, it goes back to repair.
    inspect_ticket, "/after-sales/service-tickets/{id}/inspect", InspectTicket, "Inspected",
    |b| Action::Inspect { passed: b.passed, findings: b.findings }
);

ticket_action!(
    /// Packed and shipped back (產品發貨) with the carrier, tracking number
    /// and expected arrival the customer is told.
    ship_ticket, "/after-sales/service-tickets/{id}/ship", ShipTicket, "Shipped",
    |b| Action::Ship { carrier: b.carrier, tracking_number: b.tracking_number, expected_arrival: b.expected_arrival }
);

ticket_action!(
    /// Installed and commissioned on site (現場安裝調試) under the technical
    /// handover (技術交底) given by technical support: the fault is resolved.
    install_ticket, "/after-sales/service-tickets/{id}/install", InstallTicket, "Installed and commissioned",
    |b| Action::Install { handover: b.handover, commissioning: b.commissioning }
);

ticket_action!(
    /// The customer's training (培訓) on use and care, and how it was
    /// assessed.
    train_ticket, "/after-sales/service-tickets/{id}/train", TrainTicket, "Trained",
    |b| Action::Train { trainees: b.trainees, content: b.content, assessment: b.assessment }
);

ticket_action!(
    /// The satisfaction survey (滿意度調查): the ticket is closed.
    survey_ticket, "/after-sales/service-tickets/{id}/survey", SurveyTicket, "Surveyed and closed",
    |b| Action::Survey { satisfaction: b.satisfaction, comment: b.comment }
);

ticket_action!(
    /// Cancel the ticket with a reason, before the repair (not while a
    /// quotation is in approval).
    cancel_ticket, "/after-sales/service-tickets/{id}/cancel", CancelTicket, "Cancelled",
    |b| Action::Cancel { reason: b.reason }
);

/// Quote a repair out of warranty (報價): parts and labour. Within the
/// policy's figure it goes to the customer at once and the resolution clock
/// stops until they decide; above it, it is approved through the engine
/// first.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service ticket id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = QuoteRepair,
    responses((status = 200, description = "Quoted", body = ServiceTicket, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/service-tickets/{id}/quote")]
async fn quote_ticket(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    sales: web::Data<Sales>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<QuoteRepair>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let sales = sales.get_ref().clone();
    let item = db
        .tx(move |conn| {
            let (actor, before) = for_change(conn, &p, id, if_match.0)?;
            let currency = sales
                .order_for_service(conn, before.office_id, before.order_id)?
                .map_or_else(|| "CNY".to_owned(), |o| o.currency);
            let after =
                quotes::propose(conn, &registry, &actor, before, &currency, &body, now_db())?;
            show(conn, after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.ticket.version))
        .json(item))
}
