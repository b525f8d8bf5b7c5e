//! The one error type every handler returns, rendered as RFC 9457 problem details.
//!
//! Each error carries a stable snake_case `code` that clients switch on; the HTTP
//! status follows from the code. The cause (a database error, an I/O error) is kept
//! for the log line and never sent: a client sees the code, a title and a detail
//! sentence written for them. Titles exist in English and Chinese; the gateway picks
//! the language from `Accept-Language` when it renders the response.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The language a problem is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// Picks the first supported language of an `Accept-Language` header value.
    /// Quality values are honoured only in their order of appearance, which is how
    /// browsers and HTTP clients send them.
    pub fn from_accept_language(value: Option<&str>) -> Lang {
        let Some(value) = value else { return Lang::En };
        for part in value.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("zh") {
                return Lang::Zh;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }
}

/// Stable machine codes. Adding one is an API change: document it in the spec's
/// `ErrorCode` schema by adding the variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON, or a field has the wrong type.
    MalformedJson,
    /// The body or a parameter has a field the operation does not know.
    UnknownField,
    /// A query or path parameter could not be parsed.
    InvalidParameter,
    /// The body parsed but one or more fields break a rule; see `errors`.
    ValidationFailed,
    /// The request is missing credentials, or they are invalid or expired.
    Unauthenticated,
    /// The caller may not do this kind of thing.
    Forbidden,
    /// No such record within the caller's scope.
    NotFound,
    /// No route matches the path.
    RouteNotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The record's current state does not allow the action.
    InvalidTransition,
    /// A record with the same unique key exists.
    Duplicate,
    /// The expense would exceed the remaining budget, and the budget blocks overruns.
    BudgetExceeded,
    /// Not enough in stock for the issue.
    InsufficientStock,
    /// The order would take the customer over their credit limit, and no
    /// approved credit override covers it.
    CreditLimitExceeded,
    /// The request conflicts with the current state of the record.
    Conflict,
    /// The same idempotency key is still being processed.
    IdempotencyInProgress,
    /// The same idempotency key was used with a different body.
    IdempotencyKeyReused,
    /// `If-Match` names a version that is no longer current.
    VersionConflict,
    /// `If-Match` is required for this operation.
    PreconditionRequired,
    /// The body is larger than the configured limit.
    PayloadTooLarge,
    /// The body's media type is not accepted.
    UnsupportedMediaType,
    /// Too many requests; retry after the given delay.
    RateLimited,
    /// The database cannot be reached; retry after the given delay.
    DatabaseUnavailable,
    /// The server is not ready to serve requests.
    NotReady,
    /// Something failed on the server; the request id identifies it in the log.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RouteNotFound => "route_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::BudgetExceeded => "budget_exceeded",
            ErrorCode::InsufficientStock => "insufficient_stock",
            ErrorCode::CreditLimitExceeded => "credit_limit_exceeded",
            ErrorCode::Conflict => "conflict",
            ErrorCode::IdempotencyInProgress => "idempotency_in_progress",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::VersionConflict => "version_conflict",
            ErrorCode::PreconditionRequired => "precondition_required",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::DatabaseUnavailable => "database_unavailable",
            ErrorCode::NotReady => "not_ready",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::MalformedJson | ErrorCode::UnknownField | ErrorCode::InvalidParameter => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::ValidationFailed | ErrorCode::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound | ErrorCode::RouteNotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::InvalidTransition
            | ErrorCode::Duplicate
            | ErrorCode::BudgetExceeded
            | ErrorCode::InsufficientStock
            | ErrorCode::CreditLimitExceeded
            | ErrorCode::Conflict
            | ErrorCode::IdempotencyInProgress => StatusCode::CONFLICT,
            ErrorCode::VersionConflict => StatusCode::PRECONDITION_FAILED,
            ErrorCode::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::DatabaseUnavailable | ErrorCode::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, fixed summary of the problem type (RFC 9457 `title`).
    pub fn title(self, lang: Lang) -> &'static str {
        use ErrorCode::*;
        match (self, lang) {
            (MalformedJson, Lang::En) => "Malformed request body",
            (MalformedJson, Lang::Zh) => "请求体格式错误",
            (UnknownField, Lang::En) => "Unknown field",
            (UnknownField, Lang::Zh) => "未知字段",
            (InvalidParameter, Lang::En) => "Invalid parameter",
            (InvalidParameter, Lang::Zh) => "参数无效",
            (ValidationFailed, Lang::En) => "Validation failed",
            (ValidationFailed, Lang::Zh) => "数据校验失败",
            (Unauthenticated, Lang::En) => "Authentication required",
            (Unauthenticated, Lang::Zh) => "需要登录认证",
            (Forbidden, Lang::En) => "Not permitted",
            (Forbidden, Lang::Zh) => "无权执行此操作",
            (NotFound, Lang::En) => "Not found",
            (NotFound, Lang::Zh) => "记录不存在",
            (RouteNotFound, Lang::En) => "No such route",
            (RouteNotFound, Lang::Zh) => "接口不存在",
            (MethodNotAllowed, Lang::En) => "Method not allowed",
            (MethodNotAllowed, Lang::Zh) => "不支持该请求方法",
            (InvalidTransition, Lang::En) => "Action not allowed in the current state",
            (InvalidTransition, Lang::Zh) => "当前状态不允许此操作",
            (Duplicate, Lang::En) => "Duplicate record",
            (Duplicate, Lang::Zh) => "记录重复",
            (BudgetExceeded, Lang::En) => "Budget exceeded",
            (BudgetExceeded, Lang::Zh) => "超出预算",
            (InsufficientStock, Lang::En) => "Insufficient stock",
            (InsufficientStock, Lang::Zh) => "库存不足",
            (CreditLimitExceeded, Lang::En) => "Credit limit exceeded",
            (CreditLimitExceeded, Lang::Zh) => "超出信用额度",
            (Conflict, Lang::En) => "Conflict",
            (Conflict, Lang::Zh) => "操作冲突",
            (IdempotencyInProgress, Lang::En) => "Request with this idempotency key is in progress",
            (IdempotencyInProgress, Lang::Zh) => "相同幂等键的请求正在处理",
            (IdempotencyKeyReused, Lang::En) => "Idempotency key reused with a different body",
            (IdempotencyKeyReused, Lang::Zh) => "幂等键已用于不同的请求体",
            (VersionConflict, Lang::En) => "Record changed since it was read",
            (VersionConflict, Lang::Zh) => "记录已被修改，请重新读取",
            (PreconditionRequired, Lang::En) => "If-Match header required",
            (PreconditionRequired, Lang::Zh) => "缺少 If-Match 请求头",
            (PayloadTooLarge, Lang::En) => "Request body too large",
            (PayloadTooLarge, Lang::Zh) => "请求体过大",
            (UnsupportedMediaType, Lang::En) => "Unsupported media type",
            (UnsupportedMediaType, Lang::Zh) => "不支持的媒体类型",
            (RateLimited, Lang::En) => "Too many requests",
            (RateLimited, Lang::Zh) => "请求过于频繁",
            (DatabaseUnavailable, Lang::En) => "Database unavailable",
            (DatabaseUnavailable, Lang::Zh) => "数据库暂不可用",
            (NotReady, Lang::En) => "Service not ready",
            (NotReady, Lang::Zh) => "服务尚未就绪",
            (Internal, Lang::En) => "Internal server error",
            (Internal, Lang::Zh) => "服务器内部错误",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request: `name`, `lines[2].amount`, `query.limit`.
    #[schema(example = "lines[2].amount")]
    pub field: String,
    /// Rule that failed, snake_case: `required`, `length`, `range`, `unknown_field`...
    #[schema(example = "range")]
    pub code: String,
    /// A sentence for people.
    #[schema(example = "must be between 1 and 200")]
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details, as every 4xx and 5xx body is shaped.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Problem)]
pub struct Problem {
    /// URI that identifies the problem type: `urn:branchline:problem:<code>`.
    #[serde(rename = "type")]
    #[schema(example = "urn:branchline:problem:validation_failed")]
    pub type_uri: String,
    /// Short summary of the problem type.
    #[schema(example = "Validation failed")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request, for people.
    #[schema(example = "2 fields are invalid")]
    pub detail: String,
    /// The request path this problem occurred on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "/api/v1/org/offices")]
    pub instance: Option<String>,
    /// Stable machine code.
    pub code: ErrorCode,
    /// Field problems, for `validation_failed`, `unknown_field` and friends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id, to quote when reporting a server error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error every handler and service returns. Boxed, so a `Result` carrying it
/// stays one pointer wide on the happy path.
pub struct ApiError(Box<ApiErrorParts>);

/// What an `ApiError` holds; reached through `Deref` (`err.code`, `err.errors`).
pub struct ApiErrorParts {
    pub code: ErrorCode,
    pub detail: Cow<'static, str>,
    pub errors: Vec<FieldError>,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
    /// Methods for `Allow` (405).
    pub allow: Option<String>,
    /// Extra members merged into the problem body (e.g. `current_state`).
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
    cause: Option<Cause>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        ApiError(Box::new(ApiErrorParts {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
            extra: None,
            cause: None,
        }))
    }

    pub fn bad_request(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidParameter, detail)
    }

    /// A query parameter that breaks a rule across parameters (400, as for any
    /// malformed query), naming it as `query.<name>`.
    pub fn invalid_query(param: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut err = Self::new(
            ErrorCode::InvalidParameter,
            format!("query parameter `{param}` is invalid: {message}"),
        );
        err.errors = vec![FieldError::new(format!("query.{param}"), code, message)];
        err
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    pub fn unauthenticated(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
    }

    pub fn conflict(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Conflict, detail)
    }

    /// A 422 listing every bad field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => format!(
                "field `{}` is invalid: {}",
                errors[0].field, errors[0].message
            ),
            n => format!("{n} fields are invalid"),
        };
        let mut e = Self::new(ErrorCode::ValidationFailed, detail);
        e.errors = errors;
        e
    }

    /// A 422 for one field.
    pub fn invalid_field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    /// A 409 naming the current state and the actions it allows.
    pub fn invalid_transition(action: &str, current: &str, allowed: &[&str]) -> Self {
        let mut e = Self::new(
            ErrorCode::InvalidTransition,
            format!("`{action}` is not allowed while the record is `{current}`"),
        );
        let mut extra = serde_json::Map::new();
        extra.insert("current_state".into(), current.into());
        extra.insert(
            "allowed_actions".into(),
            serde_json::Value::from(allowed.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>()),
        );
        e.extra = Some(extra);
        e
    }

    /// A 500 whose cause is logged and never sent.
    pub fn internal<E>(cause: E) -> Self
    where
        E: Into<Cause>,
    {
        Self::new(
            ErrorCode::Internal,
            "an unexpected error occurred; quote the request id",
        )
        .with_cause(cause)
    }

    /// A 503 telling the client when to retry.
    pub fn unavailable<E>(cause: E) -> Self
    where
        E: Into<Cause>,
    {
        let mut e = Self::new(
            ErrorCode::DatabaseUnavailable,
            "the database cannot be reached",
        )
        .with_cause(cause);
        e.retry_after = Some(5);
        e
    }

    pub fn with_cause<E>(mut self, cause: E) -> Self
    where
        E: Into<Cause>,
    {
        self.cause = Some(cause.into());
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_extra(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The cause chain, for the log line.
    pub fn cause_chain(&self) -> Option<String> {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = self
            .cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static));
        let mut out = String::new();
        while let Some(err) = cur {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&err.to_string());
            cur = err.source();
        }
        (!out.is_empty()).then_some(out)
    }

    /// The problem body in the given language.
    pub fn to_problem(&self, lang: Lang) -> Problem {
        Problem {
            type_uri: format!("urn:branchline:problem:{}", self.code),
            title: self.code.title(lang).to_owned(),
            status: self.status().as_u16(),
            detail: self.detail.to_string(),
            instance: None,
            code: self.code,
            errors: self.errors.clone(),
            request_id: None,
        }
    }

    /// Renders the problem body as JSON, merging `extra` members, with the request's
    /// path and id filled in.
    pub fn render_body(
        &self,
        lang: Lang,
        instance: Option<&str>,
        request_id: Option<&str>,
    ) -> Vec<u8> {
        let mut problem = self.to_problem(lang);
        problem.instance = instance.map(str::to_owned);
        problem.request_id = request_id.map(str::to_owned);
        let mut value = serde_json::to_value(&problem).unwrap_or_default();
        if let (Some(extra), Some(obj)) = (&self.extra, value.as_object_mut()) {
            for (k, v) in extra {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorParts;
    fn deref(&self) -> &ApiErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorParts {
        &mut self.0
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)?;
        if let Some(chain) = self.cause_chain() {
            write!(f, " (caused by: {chain})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// Renders in English without `instance`; the gateway's middleware re-renders
    /// with the request's language, path and id.
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.allow {
            res.insert_header((header::ALLOW, allow.clone()));
        }
        res.body(self.render_body(Lang::En, None, None))
    }
}

/// Handlers' result type.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_code() {
        assert_eq!(
            ErrorCode::ValidationFailed.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            ErrorCode::VersionConflict.status(),
            StatusCode::PRECONDITION_FAILED
        );
        assert_eq!(
            ErrorCode::DatabaseUnavailable.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn serde_name_matches_as_str() {
        for code in [
            ErrorCode::MalformedJson,
            ErrorCode::IdempotencyKeyReused,
            ErrorCode::NotFound,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
        }
    }

    #[test]
    fn cause_is_logged_not_rendered() {
        let err = ApiError::internal(std::io::Error::other("disk on fire at /var/db"));
        assert_eq!(
            err.cause_chain().as_deref(),
            Some("disk on fire at /var/db")
        );
        let body = String::from_utf8(err.render_body(Lang::En, Some("/x"), Some("rid"))).unwrap();
        assert!(!body.contains("disk on fire"), "{body}");
        assert!(body.contains("\"instance\":\"/x\""), "{body}");
    }

    #[test]
    fn invalid_transition_names_state_and_actions() {
        let err = ApiError::invalid_transition("approve", "draft", &["submit", "cancel"]);
        let body: serde_json::Value =
            serde_json::from_slice(&err.render_body(Lang::En, None, None)).unwrap();
        assert_eq!(body["current_state"], "draft");
        assert_eq!(
            body["allowed_actions"],
            serde_json::json!(["submit", "cancel"])
        );
        assert_eq!(body["status"], 409);
    }

    #[test]
    fn chinese_titles() {
        assert_eq!(
            Lang::from_accept_language(Some("zh-CN,zh;q=0.9,en;q=0.8")),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language(Some("en-US,zh;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(ErrorCode::NotFound.title(Lang::Zh), "记录不存在");
    }
}
