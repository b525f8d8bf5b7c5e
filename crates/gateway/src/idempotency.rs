//! `Idempotency-Key` on POST, for every route, in one place. The first request
//! with a key (per caller) reserves it and its response is stored; a retry with
//! the same key and body gets that response back (`Idempotent-Replayed: true`)
//! without the work being done again; the same key with another body is a 422; a
//! retry while the first is still running is a 409. Server errors are not kept,
//! so a retry after a 5xx runs again. Keys are kept 24 hours.
//!
//! The reservation and the stored response are separate writes from the work's
//! own transaction: a process that dies mid-request leaves an `in_progress`
//! reservation, which a retry may take over after five minutes.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use futures_util::StreamExt;
use kernel::{ApiError, ErrorCode};
use store::idempotency::{self, Reservation};

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

    let reservation = {
        let (key, path) = (key.clone(), req.path().to_owned());
        state
            .db
            .run(move |conn| idempotency::reserve(conn, user_id, &key, "POST", &path, &hash))
            .await
    };
    let id = match reservation {
        Err(err) => return Ok(req.error_response(err)),
        Ok(Reservation::Mismatch) => {
            return Ok(req.error_response(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request",
            )));
        }
        Ok(Reservation::InProgress) => {
            return Ok(req.error_response(
                ApiError::new(
                    ErrorCode::IdempotencyInProgress,
                    "a request with this Idempotency-Key is in progress",
                )
                .with_retry_after(1),
            ));
        }
        Ok(Reservation::Done(record)) => return Ok(req.into_response(replay(&record))),
        Ok(Reservation::Reserved(id)) => id,
    };

    req.set_payload(actix_http::Payload::from(bytes));
    let res = next.call(req).await?;
    let status = res.status();
    if status.is_server_error() {
        let _ = state
            .db
            .run(move |conn| idempotency::release(conn, id))
            .await;
        return Ok(res.map_into_boxed_body());
    }
    // An error keeps its attachment, so the outer middleware can still render it
    // in the caller's language; what is stored is its English rendering.
    if let Some(err) = res.response().error() {
        let stored = err
            .as_error::<ApiError>()
            .map(|api| api.render_body(kernel::Lang::En, Some(res.request().path()), None));
        let _ = match stored {
            Some(body) => {
                let headers =
                    serde_json::json!({ "content-type": kernel::PROBLEM_JSON }).to_string();
                let body = String::from_utf8_lossy(&body).into_owned();
                state
                    .db
                    .run(move |conn| {
                        idempotency::complete(conn, id, status.as_u16(), &headers, &body)
                    })
                    .await
            }
            None => {
                state
                    .db
                    .run(move |conn| idempotency::release(conn, id))
                    .await
            }
        };
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
    let stored_body = String::from_utf8_lossy(&body).into_owned();
    let headers = serde_json::Value::Object(kept).to_string();
    if let Err(e) = state
        .db
        .run(move |conn| idempotency::complete(conn, id, status.as_u16(), &headers, &stored_body))
        .await
    {
        tracing::error!(error = ?e, "could not store the idempotent response");
    }
    Ok(ServiceResponse::new(
        http_req,
        head.set_body(BoxBody::new(body)),
    ))
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
