//! Request extractors that fail as problem+json and name the field and the rule.
//!
//! `ValidJson<T>` reads the body (honouring the app's `PayloadConfig` limit, so an
//! oversized body is a 413), insists on a JSON media type (415), deserializes with
//! the path of the failing field (400), and then runs `validator` rules, collecting
//! every bad field into one 422. Request types declare
//! `#[serde(deny_unknown_fields)]`, so a misspelt field is a 400 `unknown_field`
//! rather than silently ignored. `ValidQuery<T>` does the same for query strings.
//! The `*_config` functions route actix's own extractor failures through the same
//! rendering, so no client ever gets a plain-text 400.

use std::borrow::Cow;
use std::collections::BTreeMap;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, ErrorCode, FieldError};

/// A JSON body that parsed and passed its validation rules.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T> ValidJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ValidJson<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON),
        _ => false,
    }
}

impl<T> FromRequest for ValidJson<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json_content_type(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "the body must be sent as `Content-Type: application/json`",
                ));
            }
            let bytes = bytes.await.map_err(payload_error)?;
            let value: T = parse_json(&bytes)?;
            validate(&value)?;
            Ok(ValidJson(value))
        })
    }
}

/// Deserializes JSON, naming the failing field in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // NUL can be written in JSON (`\u0000`) but no database text column takes it
    // (PostgreSQL refuses it outright): refuse it here, naming the field.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            ApiError::new(
                ErrorCode::MalformedJson,
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        if let Some(path) = find_nul(&value, String::new()) {
            return Err(ApiError::invalid_field(
                &path,
                "control_character",
                "must not contain the NUL character",
            ));
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        deserialize_error(&path, &inner.to_string(), inner.is_data(), "")
    })?;
    Ok(value)
}

/// The path of the first string (or key) holding a NUL character.
fn find_nul(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(p)
            } else {
                find_nul(v, p)
            }
        }),
        _ => None,
    }
}

/// Maps a serde message to the problem a client should see. `prefix` places the
/// field (`query.`) so body and query problems read alike.
fn deserialize_error(path: &str, message: &str, is_data: bool, prefix: &str) -> ApiError {
    let field = |name: &str| -> String {
        let base = if path == "." || path.is_empty() {
            String::new()
        } else {
            path.to_owned()
        };
        match (base.is_empty(), name.is_empty()) {
            (true, _) => format!("{prefix}{name}"),
            (false, true) => format!("{prefix}{base}"),
            (false, false) if base.ends_with(name) => format!("{prefix}{base}"),
            (false, false) => format!("{prefix}{base}.{name}"),
        }
    };
    if let Some(name) = backticked_after(message, "unknown field `") {
        let f = field(name);
        let mut e = ApiError::new(ErrorCode::UnknownField, format!("unknown field `{f}`"));
        e.errors = vec![FieldError::new(f, "unknown_field", message.to_owned())];
        return e;
    }
    if let Some(name) = backticked_after(message, "missing field `") {
        return ApiError::invalid_field(&field(name), "required", "is required");
    }
    if is_data {
        let f = field("");
        let f = if f.is_empty() { "body".to_owned() } else { f };
        let mut e = ApiError::new(
            ErrorCode::MalformedJson,
            format!("field `{f}` has the wrong type or value"),
        );
        e.errors = vec![FieldError::new(f, "type", message.to_owned())];
        return e;
    }
    ApiError::new(
        ErrorCode::MalformedJson,
        format!("the body is not valid JSON: {message}"),
    )
}

fn backticked_after<'a>(message: &'a str, marker: &str) -> Option<&'a str> {
    let start = message.find(marker)? + marker.len();
    let rest = &message[start..];
    Some(&rest[..rest.find('`')?])
}

fn payload_error(err: actix_web::Error) -> ApiError {
    if let Some(PayloadError::Overflow) = err.as_error::<PayloadError>() {
        return too_large();
    }
    ApiError::new(
        ErrorCode::MalformedJson,
        "the request body could not be read",
    )
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        "the request body exceeds the size limit",
    )
}

/// Runs `validator` rules and lists every failing field.
pub fn validate<T: Validate>(value: &T) -> Result<(), ApiError> {
    value
        .validate()
        .map_err(|errs| ApiError::validation(field_errors(&errs)))
}

/// Flattens nested validation errors into `a.b[2].c` paths, sorted by path.
pub fn field_errors(errs: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errs, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    out
}

fn collect(errs: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errs.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.push(FieldError::new(
                        path.clone(),
                        e.code.to_string(),
                        describe(e),
                    ));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                let items: &BTreeMap<usize, Box<ValidationErrors>> = items;
                for (i, inner) in items {
                    collect(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    if let Some(msg) = &e.message {
        return msg.to_string();
    }
    let p = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (p("min"), p("max"), p("equal")) {
            (_, _, Some(eq)) => format!("must be exactly {eq} characters long"),
            (Some(min), Some(max), _) => format!("must be {min} to {max} characters long"),
            (Some(min), None, _) => format!("must be at least {min} characters long"),
            (None, Some(max), _) => format!("must be at most {max} characters long"),
            _ => "has the wrong length".to_owned(),
        },
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        "email" => "must be an e-mail address".to_owned(),
        "required" => "is required".to_owned(),
        "regex" => "has the wrong format".to_owned(),
        other => format!("breaks rule `{other}`"),
    }
}

/// For PATCH fields that can be cleared: absent → `None` (leave as is), `null` →
/// `Some(None)` (clear), a value → `Some(Some(v))`. Use with
/// `#[serde(default, deserialize_with = "kernel::extract::nullable")]`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(Some(Option::<T>::deserialize(d)?))
}

/// Query parameters that parsed (unknown ones refused) and passed validation.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T> ValidQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> FromRequest for ValidQuery<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).and_then(|v: T| {
            // A query parameter out of range is a malformed request (400), not an
            // invalid entity.
            validate(&v).map_err(|e| {
                let mut errors = e.errors.clone();
                for fe in &mut errors {
                    fe.field = format!("query.{}", fe.field);
                }
                let mut err = ApiError::new(
                    ErrorCode::InvalidParameter,
                    e.detail.replace("field `", "query parameter `"),
                );
                err.errors = errors;
                err
            })?;
            Ok(ValidQuery(v))
        }))
    }
}

/// Parses a query string, naming the offending parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    if let Some((name, _)) =
        form_urlencoded_parse(query).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        let mut e = ApiError::new(
            ErrorCode::InvalidParameter,
            "query parameters must not contain the NUL character",
        );
        e.errors = vec![FieldError::new(
            format!("query.{name}"),
            "control_character",
            "must not contain NUL",
        )];
        return Err(e);
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        let mut err = deserialize_error(&path, &msg, true, "query.");
        if err.code == ErrorCode::MalformedJson {
            err.code = ErrorCode::InvalidParameter;
            err.detail = Cow::Owned(format!("query parameter is invalid: {msg}"));
        }
        if err.code == ErrorCode::UnknownField {
            err.code = ErrorCode::InvalidParameter;
            err.detail = Cow::Owned(format!("unknown query parameter: {msg}"));
        }
        // A missing or unusable query parameter is a malformed request (400).
        if err.code == ErrorCode::ValidationFailed {
            err.code = ErrorCode::InvalidParameter;
        }
        err
    })
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// `JsonConfig` for any `web::Json` extractor: same problems as `ValidJson`.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            let api = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => too_large(),
                JsonPayloadError::ContentType => ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "the body must be sent as `Content-Type: application/json`",
                ),
                JsonPayloadError::Deserialize(e) => {
                    deserialize_error("", &e.to_string(), e.is_data(), "")
                }
                _ => ApiError::new(
                    ErrorCode::MalformedJson,
                    "the request body could not be read",
                ),
            };
            api.into()
        })
}

/// `QueryConfig` for any `web::Query` extractor.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let QueryPayloadError::Deserialize(e) = &err else {
            return ApiError::bad_request("the query string could not be parsed").into();
        };
        ApiError::bad_request(format!("query parameter is invalid: {e}")).into()
    })
}

/// `PathConfig` for `web::Path` extractors: a malformed id is a 400 naming it.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let PathError::Deserialize(e) = &err else {
            return ApiError::bad_request("the path could not be parsed").into();
        };
        ApiError::bad_request(format!("path parameter is invalid: {e}")).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Line {
        #[validate(range(min = 1))]
        amount: i64,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Claim {
        #[validate(length(min = 1, max = 10))]
        title: String,
        #[validate(nested)]
        lines: Vec<Line>,
    }

    #[test]
    fn every_bad_field_is_listed_with_its_path() {
        let claim: Claim =
            parse_json(br#"{"title":"","lines":[{"amount":5},{"amount":0},{"amount":-1}]}"#)
                .unwrap();
        let err = validate(&claim).unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
        let fields: Vec<_> = err
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("lines[1].amount", "range"),
                ("lines[2].amount", "range"),
                ("title", "length")
            ]
        );
        assert_eq!(err.errors[2].message, "must be 1 to 10 characters long");
    }

    #[test]
    fn unknown_field_is_named_with_its_path() {
        let err =
            parse_json::<Claim>(br#"{"title":"a","lines":[{"amount":1,"amout":2}]}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownField);
        assert_eq!(err.errors[0].field, "lines[0].amout");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let err = parse_json::<Claim>(br#"{"title":"a","lines":[{"amount":"x"}]}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::MalformedJson);
        assert_eq!(err.errors[0].field, "lines[0].amount");
    }

    #[test]
    fn missing_field_is_required() {
        let err = parse_json::<Claim>(br#"{"lines":[]}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
        assert_eq!(err.errors[0].field, "title");
        assert_eq!(err.errors[0].code, "required");
    }

    #[test]
    fn nul_characters_are_refused_with_their_path() {
        let err = parse_json::<Claim>(br#"{"title":"a\u0000b","lines":[]}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
        assert_eq!(
            (err.errors[0].field.as_str(), err.errors[0].code.as_str()),
            ("title", "control_character")
        );
        // An escaped backslash before `u0000` is ordinary text.
        assert_eq!(
            parse_json::<Claim>(br#"{"title":"a\\u0000","lines":[]}"#)
                .unwrap()
                .title,
            "a\\u0000"
        );
        let err = parse_query::<Q>("limit=1&x=%00").unwrap_err();
        assert_eq!(err.errors[0].field, "query.x");
    }

    #[test]
    fn syntax_error_is_malformed() {
        let err = parse_json::<Claim>(b"{\"title\": ").unwrap_err();
        assert_eq!(err.code, ErrorCode::MalformedJson);
        assert!(err.errors.is_empty());
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Q {
        #[validate(range(min = 1, max = 200))]
        limit: Option<i64>,
    }

    #[test]
    fn query_unknown_and_bad_values() {
        let err = parse_query::<Q>("limt=3").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidParameter);
        assert_eq!(err.errors[0].field, "query.limt");
        let err = parse_query::<Q>("limit=abc").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidParameter);
        assert_eq!(err.errors[0].field, "query.limit");
        let q = parse_query::<Q>("limit=300").unwrap();
        assert_eq!(validate(&q).unwrap_err().errors[0].code, "range");
        let req = actix_web::test::TestRequest::with_uri("/x?limit=300").to_http_request();
        let err = futures_util::FutureExt::now_or_never(ValidQuery::<Q>::from_request(
            &req,
            &mut Payload::None,
        ))
        .unwrap()
        .unwrap_err();
        assert_eq!(err.status().as_u16(), 400);
        assert_eq!(err.errors[0].field, "query.limit");
    }
}
