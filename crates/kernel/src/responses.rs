//! Reusable problem+json responses for the spec. Every operation lists the ones it
//! can answer (`(status = 404, response = NotFound)`), so integrators see each error
//! body's shape and code in the contract. The gateway registers them as components.

use std::collections::BTreeMap;

use utoipa::openapi::{Ref, RefOr, Response};
use utoipa::{IntoResponses, ToResponse};

use crate::error::Problem;

/// Malformed request: invalid JSON, a wrong type, an unknown field or parameter
/// (`malformed_json`, `unknown_field`, `invalid_parameter`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "urn:branchline:problem:unknown_field", "title": "Unknown field", "status": 400,
    "detail": "unknown field `nmae`", "code": "unknown_field",
    "errors": [{"field": "nmae", "code": "unknown_field", "message": "unknown field `nmae`, expected `name`"}]
}))]
pub struct BadRequest(pub Problem);

/// Missing, invalid or expired credentials (`unauthenticated`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unauthorized(pub Problem);

/// Authenticated, but the caller's roles do not allow this (`forbidden`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Forbidden(pub Problem);

/// No such record within the caller's scope (`not_found`). A record in another
/// office answers exactly like one that does not exist.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NotFound(pub Problem);

/// The current state does not allow this, or a duplicate (`invalid_transition`,
/// `duplicate`, `conflict`, `idempotency_in_progress`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Conflict(pub Problem);

/// `If-Match` names a stale version (`version_conflict`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PreconditionFailed(pub Problem);

/// The body exceeds the size limit (`payload_too_large`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PayloadTooLarge(pub Problem);

/// The body is not JSON (`unsupported_media_type`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnsupportedMediaType(pub Problem);

/// Well-formed but invalid: every bad field is listed in `errors`
/// (`validation_failed`, `idempotency_key_reused`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "urn:branchline:problem:validation_failed", "title": "Validation failed", "status": 422,
    "detail": "2 fields are invalid", "code": "validation_failed",
    "errors": [
        {"field": "code", "code": "length", "message": "must be 2 to 16 characters long"},
        {"field": "name", "code": "required", "message": "is required"}
    ]
}))]
pub struct UnprocessableEntity(pub Problem);

/// `If-Match` is required for this operation (`precondition_required`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PreconditionRequired(pub Problem);

/// Too many requests (`rate_limited`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))
)]
pub struct TooManyRequests(pub Problem);

/// Unexpected server error (`internal`); quote `request_id` when reporting it.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct InternalError(pub Problem);

/// The database cannot be reached or the service is not ready
/// (`database_unavailable`, `not_ready`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))
)]
pub struct ServiceUnavailable(pub Problem);

fn refs(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, name)| {
            (
                (*status).to_owned(),
                RefOr::Ref(Ref::from_response_name(*name)),
            )
        })
        .collect()
}

const COMMON: &[(&str, &str)] = &[
    ("400", "BadRequest"),
    ("401", "Unauthorized"),
    ("403", "Forbidden"),
    ("500", "InternalError"),
    ("503", "ServiceUnavailable"),
];

/// The errors of a read: `responses((status = 200, ...), ReadErrors)`. Lists
/// and reads by id alike (404 names a record outside the caller's scope).
pub struct ReadErrors;

impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut all = refs(COMMON);
        all.extend(refs(&[("404", "NotFound")]));
        all
    }
}

/// The errors of a create or an action without `If-Match`.
pub struct WriteErrors;

impl IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut all = ReadErrors::responses();
        all.extend(refs(&[("409", "Conflict"), ("422", "UnprocessableEntity")]));
        all
    }
}

/// The errors of a change that takes `If-Match`.
pub struct ChangeErrors;

impl IntoResponses for ChangeErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut all = WriteErrors::responses();
        all.extend(refs(&[
            ("412", "PreconditionFailed"),
            ("428", "PreconditionRequired"),
        ]));
        all
    }
}
