//! `Idempotency-Key` on POST, for every route, in one place. The first request
//! with a key (per caller) reserves it and its response is stored; a retry with
//! the same key and body gets that response back (`Idempotent-Replayed: true`)
//! without the work being done again; the same key with another body is a 422; a
//! retry while the first is still running is a 409. Server errors are not kept,
//! so a retry after a 5xx runs again. Keys are kept 24 hours.
//!
//! The key is reserved by the request's first database hop: inside the work's
//! own transaction when that hop is one (`store::Db::tx`), so the reservation,
//! the work and the audit row commit or roll back together. The response is
//! then kept in one more statement. A request refused before its work reached
//! the database, or whose transaction rolled back, reserved nothing; its answer
//! is kept in a record of its own, unless the key turns out to be taken, when
//! the earlier request's answer is given instead (this one did no work). A reservation taken outside a transaction
//! (`in_progress`) that a dead process left behind may be taken over by a retry
//! after five minutes; one taken with the work (`committed`) never is: its
//! work is done, and a retry after five minutes without a kept response is told
//! so (409).

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use futures_util::StreamExt;
use kernel::{ApiError, ErrorCode};
use store::idempotency::{self, Reservation, Slot, SlotState};

use crate::app::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Response headers worth replaying.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = match req.headers().get(&IDEMPOTENCY_KEY) {
        Some(v) if req.method() == Method::POST => {
            v.to_str().ok().map(str::to_owned).unwrap_or_default()
        }
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(req.error_response(ApiError::bad_request(
            "`Idempotency-Key` must be 1 to 255 printable characters",
        )));
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Keys are per caller; without a valid token the route answers 401 itself.
    let user_id = match kernel::principal::bearer_token(req.request())
        .map(|t| org::tokens::verify_access(&state.org.tokens, &t))
    {
        Some(Ok(id)) => id,
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };

    let limit = state.config.body_limit;
    let mut payload = req.take_payload();
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > limit {
            return Ok(req.error_response(ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the request body exceeds the size limit",
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    let bytes = bytes.freeze();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let hash = idempotency::request_hash(req.method().as_str(), &path, &bytes);

    let slot = Slot::new(idempotency::Request {
        user_id,
        key,
        method: "POST".into(),
        path: req.path().to_owned(),
        hash,
    });
    req.set_payload(actix_http::Payload::from(bytes));
    let res = slot.clone().scope(next.call(req)).await?;
    let id = match slot.take() {
        SlotState::Found(found) => return Ok(answer_found(res, found)),
        SlotState::Reserved { id, .. } => Some(id),
        SlotState::Pending | SlotState::Claiming => None,
    };
    let status = res.status();
    if status.is_server_error() {
        if let Some(id) = id {
            let _ = state
                .db
                .run(move |conn| idempotency::release(conn, id))
                .await;
        }
        return Ok(res.map_into_boxed_body());
    }
    let keep = Keep {
        db: state.db.clone(),
        slot,
        id,
        status: status.as_u16(),
    };
    // An error keeps its attachment, so the outer middleware can still render it
    // in the caller's language; what is stored is its English rendering.
    if let Some(err) = res.response().error() {
        let stored = err
            .as_error::<ApiError>()
            .map(|api| api.render_body(kernel::Lang::En, Some(res.request().path()), None));
        match stored {
            Some(body) => {
                let headers =
                    serde_json::json!({ "content-type": kernel::PROBLEM_JSON }).to_string();
                let body = String::from_utf8_lossy(&body).into_owned();
                if let Some(found) = keep.store(headers, body).await {
                    return Ok(answer_found(res, found));
                }
            }
            None => keep.forget().await,
        }
        return Ok(res.map_into_boxed_body());
    }
    let (http_req, http_res) = res.into_parts();
    let (head, body) = http_res.into_parts();
    let body = body::to_bytes(body).await.unwrap_or_default();
    let kept: serde_json::Map<String, serde_json::Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            head.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| (name.to_string(), v.into()))
        })
        .collect();
    let found = keep
        .store(
            serde_json::Value::Object(kept).to_string(),
            String::from_utf8_lossy(&body).into_owned(),
        )
        .await;
    let res = ServiceResponse::new(http_req, head.set_body(BoxBody::new(body)));
    Ok(match found {
        Some(found) => answer_found(res, found),
        None => res,
    })
}

/// Keeping a request's answer for its retries.
struct Keep {
    db: store::Db,
    slot: Slot,
    /// The reservation the request's work made, when it made one.
    id: Option<i64>,
    status: u16,
}

impl Keep {
    /// Stores the answer: on the reservation, or in a record of its own when
    /// the request reserved nothing (refused before its work reached the
    /// database, or its transaction rolled back). A request that reserved
    /// nothing and finds the key taken did no work: what the earlier request
    /// did is returned, to be answered instead.
    async fn store(self, headers: String, body: String) -> Option<Reservation> {
        let Keep {
            db,
            slot,
            id,
            status,
        } = self;
        let stored = db
            .run(move |conn| match id {
                Some(id) => idempotency::complete(conn, id, status, &headers, &body).map(|()| None),
                None => idempotency::record_done(conn, slot.request(), status, &headers, &body),
            })
            .await;
        stored.unwrap_or_else(|e| {
            tracing::error!(error = ?e, "could not store the idempotent response");
            None
        })
    }

    /// Forgets the reservation of a request whose answer cannot be kept.
    async fn forget(self) {
        if let Some(id) = self.id {
            let _ = self
                .db
                .run(move |conn| idempotency::release(conn, id))
                .await;
        }
    }
}

/// The answer to a request whose key an earlier request holds: its work was
/// not done, whatever the handler then said.
fn answer_found<B>(res: ServiceResponse<B>, found: Reservation) -> ServiceResponse<BoxBody> {
    let (req, _) = res.into_parts();
    let err = match found {
        Reservation::Done(record) => {
            return ServiceResponse::new(req, replay(&record)).map_into_boxed_body();
        }
        Reservation::Mismatch => ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request",
        ),
        Reservation::Lost => ApiError::conflict(
            "the request with this Idempotency-Key was carried out, but its response \
             was not kept; look the result up instead of retrying",
        ),
        Reservation::InProgress | Reservation::Reserved(_) => ApiError::new(
            ErrorCode::IdempotencyInProgress,
            "a request with this Idempotency-Key is in progress",
        )
        .with_retry_after(1),
    };
    ServiceResponse::from_err(err, req)
}

fn replay(record: &idempotency::Record) -> HttpResponse {
    let status = record
        .response_status
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    let headers: serde_json::Map<String, serde_json::Value> = record
        .response_headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            res.insert_header((name, value));
        }
    }
    res.insert_header((REPLAYED, "true"));
    res.body(record.response_body.clone().unwrap_or_default())
}
