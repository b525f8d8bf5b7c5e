//! Customer files (客戶檔案): basic data, classification (potential / intent / key
//! account), source channel, owning sales person, credit limit, payment terms and
//! credit rating (信用額度和賬期), contacts, and the interaction log (calls,
//! visits, e-mails, meetings). A key account (重要客戶) must have a named owner and
//! a maintenance plan with a review date. Duplicates are merged, keeping the
//! history of both. Every record belongs to an office and is scoped to it.
//!
//! This file holds the customer file's types and rules — what a create or change
//! must satisfy, and how a customer is loaded within the caller's reach; `api`
//! holds the customer routes (list and search, create, get, change, merge), and
//! `contacts` the contacts and the interaction log.

mod api;
mod contacts;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::{ApiError, Currency, ErrorCode, Principal};
use serde::{Deserialize, Serialize};
use store::AnyConnection;
use store::schema::customers as c;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::{Validate, ValidationError};

use crate::uscc;

pub use contacts::{
    Contact, CreateContact, CreateInteraction, Interaction, InteractionKind, PageQuery,
};

pub fn configure(cfg: &mut ServiceConfig) {
    api::configure(cfg);
    contacts::configure(cfg);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// 潛在客戶
    Potential,
    /// 意向客戶
    Intent,
    /// 重要客戶
    KeyAccount,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Potential => "potential",
            Classification::Intent => "intent",
            Classification::KeyAccount => "key_account",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = c)]
#[schema(as = Customer)]
pub struct Customer {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "廣州明光照明工程有限公司")]
    pub name: String,
    /// Unified social credit code (統一社會信用代碼), unique within the company.
    #[schema(example = "91350100M000100Y43")]
    pub uscc: Option<String>,
    pub industry: Option<String>,
    pub address: Option<String>,
    #[schema(value_type = Classification)]
    pub classification: String,
    /// Where the customer came from: trade show, referral, website...
    pub source_channel: Option<String>,
    /// The owning sales person.
    pub owner_user_id: Option<i64>,
    /// Credit limit in minor units (分).
    pub credit_limit: i64,
    #[schema(example = "CNY")]
    pub currency: String,
    /// Payment terms (賬期) in days.
    pub payment_terms_days: i32,
    /// `A` (best) to `D`.
    pub credit_rating: Option<String>,
    /// A key account's maintenance plan.
    pub maintenance_plan: Option<String>,
    /// When the key account's plan is next reviewed.
    pub next_review_on: Option<NaiveDate>,
    /// `active`, or `merged` into `merged_into_id`.
    pub status: String,
    pub merged_into_id: Option<i64>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

fn validate_uscc(code: &str) -> Result<(), ValidationError> {
    uscc::check(code).map_err(|why| {
        let mut e = ValidationError::new("uscc");
        e.message = Some(why.into());
        e
    })
}

fn validate_rating(r: &str) -> Result<(), ValidationError> {
    if matches!(r, "A" | "B" | "C" | "D") {
        Ok(())
    } else {
        let mut e = ValidationError::new("rating");
        e.message = Some("must be A, B, C or D".into());
        Err(e)
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// The office the customer belongs to; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(custom(function = "validate_uscc"))]
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$"
    )]
    pub uscc: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub industry: Option<String>,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub address: Option<String>,
    pub classification: Classification,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub source_channel: Option<String>,
    pub owner_user_id: Option<i64>,
    /// The opening credit limit, minor units; default 0 (no credit). Later
    /// changes follow an approved credit evaluation.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub credit_limit: Option<i64>,
    pub currency: Option<Currency>,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    #[validate(custom(function = "validate_rating"))]
    #[schema(pattern = "^[ABCD]$", example = "B")]
    pub credit_rating: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub maintenance_plan: Option<String>,
    pub next_review_on: Option<NaiveDate>,
}

/// A change of a customer file. The credit limit, payment terms and rating
/// are not changed here: after the file is opened they follow an approved
/// credit evaluation (`/risk/credit-evaluations`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(custom(function = "validate_uscc"))]
    #[schema(
        value_type = Option<String>,
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$",
        example = "91350100M000100Y43"
    )]
    pub uscc: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    pub classification: Option<Classification>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub source_channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<i64>)]
    pub owner_user_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub maintenance_plan: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>, format = Date)]
    pub next_review_on: Option<Option<NaiveDate>>,
}

/// The rules that hold for every stored customer, checked after a create or
/// change is applied.
fn check_rules(cust: &Customer) -> Result<(), ApiError> {
    if cust.classification == "key_account" {
        let mut errors = Vec::new();
        if cust.owner_user_id.is_none() {
            errors.push(kernel::FieldError::new(
                "owner_user_id",
                "required",
                "a key account must have an owner",
            ));
        }
        if cust.maintenance_plan.is_none() {
            errors.push(kernel::FieldError::new(
                "maintenance_plan",
                "required",
                "a key account must have a maintenance plan",
            ));
        }
        if cust.next_review_on.is_none() {
            errors.push(kernel::FieldError::new(
                "next_review_on",
                "required",
                "a key account's plan must have a review date",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
    }
    Ok(())
}

/// The owner named in a body, checked before anything is written: an active
/// user of the customer's office, or the same answer as for one that does not
/// exist (a write first would let the foreign key tell the two apart).
fn check_owner(conn: &mut AnyConnection, owner: Option<i64>, office: i64) -> Result<(), ApiError> {
    match owner {
        Some(owner) => org::scope::user_of_office(conn, "owner_user_id", owner, office),
        None => Ok(()),
    }
}

fn uscc_taken(err: ApiError) -> ApiError {
    if err.code == ErrorCode::Duplicate {
        ApiError::new(
            ErrorCode::Duplicate,
            "another customer has this unified social credit code",
        )
        .with_extra("field", "uscc".into())
    } else {
        err
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCustomers {
    /// Matches name, credit code, a contact's name or phone.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    pub office_id: Option<i64>,
    pub classification: Option<Classification>,
    pub owner_user_id: Option<i64>,
    /// Include customers merged into others (default false).
    pub include_merged: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Loads a customer inside the caller's reach for `perm`; 404 otherwise.
fn load(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<(Customer, kernel::Authority), ApiError> {
    Ok(store::load_scoped!(
        conn, p, perm, c, Customer, id, "customer"
    ))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomer {
    /// The customer that remains; this one's contacts and interactions move to it.
    pub into_customer_id: i64,
}
