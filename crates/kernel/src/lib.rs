//! Branchline's shared vocabulary, free of any database: the API error and its
//! problem+json rendering, request extractors that validate, cursor pagination,
//! money, reporting periods and UTC time. Every other crate speaks these types.

pub mod actions;
pub mod client;
pub mod concurrency;
pub mod error;
pub mod extract;
pub mod money;
pub mod page;
pub mod period;
pub mod principal;
pub mod responses;
pub mod time;

pub use client::ClientAddr;
pub use concurrency::{IfMatch, etag};
pub use error::{ApiError, ApiResult, ErrorCode, FieldError, Lang, PROBLEM_JSON, Problem};
pub use extract::{ValidJson, ValidQuery};
pub use money::{Currency, Money};
pub use page::{Page, PageRequest};
pub use period::Period;
pub use principal::{Actor, Authority, Grant, Permission, Principal, Reach, RequestId};
