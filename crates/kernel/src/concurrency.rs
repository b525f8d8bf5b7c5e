//! Optimistic concurrency: mutable records carry an integer `version`, sent as a
//! strong `ETag` (`"3"`). Changes must send it back in `If-Match`; a stale one
//! answers 412, a missing one 428.

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest};

use crate::error::{ApiError, ErrorCode};

/// The version a client says it last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub i64);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_if_match(req.headers().get(header::IF_MATCH)))
    }
}

fn parse_if_match(value: Option<&HeaderValue>) -> Result<IfMatch, ApiError> {
    let Some(value) = value else {
        return Err(ApiError::new(
            ErrorCode::PreconditionRequired,
            "send `If-Match` with the ETag you last read, so a concurrent change is not overwritten",
        ));
    };
    let raw = value.to_str().unwrap_or("").trim();
    let raw = raw.strip_prefix("W/").unwrap_or(raw);
    raw.trim_matches('"')
        .parse::<i64>()
        .map(IfMatch)
        .map_err(|_| {
            ApiError::bad_request(format!("`If-Match: {raw}` is not an ETag this API issued"))
        })
}

/// The ETag for a version.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// A stale `If-Match`.
pub fn version_conflict(current: i64) -> ApiError {
    ApiError::new(
        ErrorCode::VersionConflict,
        format!("the record is at version {current}; read it again"),
    )
    .with_extra("current_version", current.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strong_and_weak_etags() {
        assert_eq!(
            parse_if_match(Some(&HeaderValue::from_static("\"3\""))).unwrap(),
            IfMatch(3)
        );
        assert_eq!(
            parse_if_match(Some(&HeaderValue::from_static("W/\"12\""))).unwrap(),
            IfMatch(12)
        );
        assert_eq!(parse_if_match(None).unwrap_err().status().as_u16(), 428);
        assert_eq!(
            parse_if_match(Some(&HeaderValue::from_static("\"abc\"")))
                .unwrap_err()
                .status()
                .as_u16(),
            400
        );
    }
}
