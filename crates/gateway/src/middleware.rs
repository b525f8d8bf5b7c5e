//! The request pipeline around every route: request id, one log line, metrics,
//! and the guarantee that every error a client sees is problem+json in its
//! language with the path and request id filled in — including errors raised by
//! actix itself or by other middleware.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, web};
use kernel::{ApiError, ClientAddr, ErrorCode, Lang, PROBLEM_JSON, RequestId};
use tracing::Instrument;

use crate::app::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Accepts a client's id when it is short and printable, so it can be logged and
/// echoed safely; otherwise makes a new one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The client's address: the peer, or what a configured proxy forwarded.
fn client_addr(req: &ServiceRequest, state: Option<&AppState>) -> Option<std::net::IpAddr> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    kernel::client::client_addr(
        req.peer_addr().map(|a| a.ip()),
        header("forwarded"),
        header("x-forwarded-for"),
        state.map_or(&[][..], |s| &s.config.trusted_proxies),
    )
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let Some(addr) = client_addr(&req, state.as_ref().map(|s| s.get_ref())) {
        req.extensions_mut().insert(ClientAddr(addr));
    }
    let origin = req.headers().get(header::ORIGIN).cloned();
    let allowed_origin = origin.filter(|o| {
        state.as_ref().is_some_and(|s| {
            s.config
                .cors_allowed_origins
                .iter()
                .any(|a| a.as_bytes() == o.as_bytes())
        })
    });

    let span = tracing::info_span!("request", request_id = %id, method = %method);
    let mut res = if is_preflight(&req) {
        preflight(req, allowed_origin.is_some())
    } else {
        // Handlers' and extractors' errors arrive as responses; an `Err` here could
        // only come from a middleware inside this one, and none of ours fails.
        next.call(req)
            .instrument(span.clone())
            .await?
            .map_into_boxed_body()
    };
    if let Some(origin) = allowed_origin {
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }

    let status = res.status();
    let cause = if status.is_server_error() {
        res.response()
            .error()
            .map(|e| format!("{e:?}"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    if status.is_client_error() || status.is_server_error() {
        res = render_problem(res, lang, &path, &id);
    }
    res.headers_mut().insert(
        REQUEST_ID,
        HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid")),
    );

    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    if let Some(state) = &state {
        state
            .metrics
            .record(&route, &method, status.as_u16(), elapsed);
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let _enter = span.enter();
    if status.is_server_error() {
        tracing::error!(%route, status = status.as_u16(), latency_ms, %cause, "request failed");
    } else {
        tracing::info!(%route, status = status.as_u16(), latency_ms, "request");
    }
    Ok(res)
}

const EXPOSED_HEADERS: &str = "ETag, Location, Retry-After, X-Request-Id";
const ALLOWED_METHODS: &str = "GET, POST, PATCH, PUT, DELETE";
const ALLOWED_HEADERS: &str =
    "Authorization, Content-Type, Accept, Accept-Language, If-Match, Idempotency-Key, X-Request-Id";

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == actix_web::http::Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// CORS preflight: allowed origins (configuration's allowlist) get the methods and
/// headers the API accepts; any other origin is refused, so the browser never sends
/// the real request.
fn preflight(req: ServiceRequest, allowed: bool) -> ServiceResponse<BoxBody> {
    if !allowed {
        return req.error_response(ApiError::forbidden(
            "this origin may not call the API from a browser",
        ));
    }
    let res = HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "3600"))
        .finish();
    req.into_response(res)
}

/// Re-renders an error response as problem+json: an `ApiError` in the request's
/// language with its path and id; any other error (actix's own, a middleware's)
/// as the generic problem for its status.
fn render_problem(
    res: ServiceResponse<BoxBody>,
    lang: Lang,
    path: &str,
    id: &str,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let rebuilt = match res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
    {
        Some(api) => {
            api.error_response()
                .set_body(BoxBody::new(api.render_body(lang, Some(path), Some(id))))
        }
        None => {
            let is_problem = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            if is_problem {
                return res;
            }
            let api = generic_problem(status, res.response().error().map(|e| e.to_string()));
            let mut out = HttpResponse::build(status);
            out.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
            for name in [header::ALLOW, header::RETRY_AFTER] {
                if let Some(v) = res.headers().get(&name) {
                    out.insert_header((name, v.clone()));
                }
            }
            out.body(api.render_body(lang, Some(path), Some(id)))
        }
    };
    let (req, old) = res.into_parts();
    let mut new = rebuilt;
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !new.headers().contains_key(name)
        {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, new)
}

fn generic_problem(status: StatusCode, message: Option<String>) -> ApiError {
    let code = match status.as_u16() {
        400 => ErrorCode::InvalidParameter,
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::RouteNotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::Conflict,
        412 => ErrorCode::VersionConflict,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::ValidationFailed,
        428 => ErrorCode::PreconditionRequired,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::NotReady,
        _ if status.is_client_error() => ErrorCode::InvalidParameter,
        _ => ErrorCode::Internal,
    };
    let detail = match (status.is_client_error(), message) {
        (true, Some(m)) if !m.is_empty() => m,
        _ => code.title(Lang::En).to_owned(),
    };
    ApiError::new(code, detail)
}
