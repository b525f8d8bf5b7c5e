//! Reusable problem+json responses for the spec. Every operation lists the ones it
//! can answer (`(status = 404, response = NotFound)`), so integrators see each error
//! body's shape and code in the contract. The gateway registers them as components.

use utoipa::ToResponse;

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
