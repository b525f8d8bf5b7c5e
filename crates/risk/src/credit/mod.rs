//! Customer credit (客戶信用管理): [001] 風險管理 asks to 「建立客戶信用評估體系,加強
//! 客戶信用管理,嚴格控制信用額度和賬期」 and [000] 七(二) 「加強客戶信用管理,防范壞賬
//! 風險」. A credit evaluation scores a customer on a scorecard — payment
//! history, days overdue, exposure against the limit, years as a customer,
//! size, and the reviewer's judgement — into a rating A–D by bands HQ sets,
//! which earns a proposed limit and payment terms; the new terms take effect
//! through the approval engine ([`approval`]) and the customer's limit
//! history is kept. Sales reads the limit in force as it always has.

pub mod api;
pub mod approval;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::ApiError;
use serde::{Deserialize, Serialize};
use store::schema::credit_rating_bands as cb;
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;
use validator::Validate;

use crate::facts::CustomerCredit;

/// A set of scorecard weights and rating bands.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = cb)]
pub struct RatingBands {
    pub id: i64,
    /// Score (0–100) from which a customer is rated A.
    #[schema(example = 80)]
    pub a_from: i32,
    #[schema(example = 65)]
    pub b_from: i32,
    /// Below this, D.
    #[schema(example = 50)]
    pub c_from: i32,
    /// The most points each factor gives; they add up to 100.
    #[schema(example = 30)]
    pub w_payment_history: i32,
    #[schema(example = 20)]
    pub w_overdue: i32,
    #[schema(example = 15)]
    pub w_exposure: i32,
    #[schema(example = 10)]
    pub w_tenure: i32,
    #[schema(example = 10)]
    pub w_size: i32,
    #[schema(example = 15)]
    pub w_qualitative: i32,
    /// The yearly order volume (minor units) that earns the size points in
    /// full.
    #[schema(example = 100_000_000)]
    pub size_full_at: i64,
    /// The limit a rating earns, in basis points of the last 12 months'
    /// orders.
    #[schema(example = 3000)]
    pub a_limit_bp: i32,
    pub b_limit_bp: i32,
    pub c_limit_bp: i32,
    pub d_limit_bp: i32,
    /// The payment terms a rating earns, days.
    #[schema(example = 60)]
    pub a_terms_days: i32,
    pub b_terms_days: i32,
    pub c_terms_days: i32,
    pub d_terms_days: i32,
    pub note: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub effective_at: NaiveDateTime,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// The bands in force.
pub fn current(conn: &mut AnyConnection) -> Result<RatingBands, ApiError> {
    cb::table
        .order((cb::effective_at.desc(), cb::id.desc()))
        .select(RatingBands::as_select())
        .first(conn)
        .api()
}

/// The reviewer's judgement, each 0 (poor) to 5 (excellent).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Validate, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Judgement {
    /// How the customer is run.
    #[validate(range(min = 0, max = 5))]
    #[schema(minimum = 0, maximum = 5, example = 3)]
    pub management: i32,
    /// How their industry is doing.
    #[validate(range(min = 0, max = 5))]
    #[schema(minimum = 0, maximum = 5, example = 3)]
    pub industry: i32,
    /// How they work with us.
    #[validate(range(min = 0, max = 5))]
    #[schema(minimum = 0, maximum = 5, example = 4)]
    pub cooperation: i32,
}

/// The points of each factor.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Scorecard {
    /// Instalments of the last two years paid in full by their due day, of
    /// those due (half the points with none due).
    pub payment_history: i32,
    /// The most days an instalment is past due: none all the points, up to
    /// 30 three quarters, 60 half, 90 a quarter, more none.
    pub overdue: i32,
    /// Exposure against the limit: up to 50% all, 80% two thirds, 100% a
    /// third, more none (with no limit: all if nothing is owed).
    pub exposure: i32,
    /// Years as a customer: 5 all, 3 seven tenths, 1 four tenths.
    pub tenure: i32,
    /// The last 12 months' orders against `size_full_at`.
    pub size: i32,
    /// The reviewer's three marks out of 15.
    pub qualitative: i32,
}

impl Scorecard {
    pub fn total(&self) -> i32 {
        self.payment_history
            + self.overdue
            + self.exposure
            + self.tenure
            + self.size
            + self.qualitative
    }
}

/// `weight × num / den`, rounded down (0 with no denominator).
fn part(weight: i32, num: i64, den: i64) -> i32 {
    if den <= 0 {
        return 0;
    }
    let w = i64::from(weight);
    i32::try_from(w * num.clamp(0, den) / den).unwrap_or(0)
}

/// The scorecard of `facts` with `judgement` on `as_of`, by `bands`.
pub fn score(
    bands: &RatingBands,
    facts: &CustomerCredit,
    judgement: &Judgement,
    as_of: NaiveDate,
) -> Scorecard {
    let payment_history = if facts.instalments_due == 0 {
        part(bands.w_payment_history, 1, 2)
    } else {
        part(
            bands.w_payment_history,
            facts.paid_on_time,
            facts.instalments_due,
        )
    };
    let overdue = match facts.max_days_overdue {
        d if d <= 0 => part(bands.w_overdue, 4, 4),
        1..=30 => part(bands.w_overdue, 3, 4),
        31..=60 => part(bands.w_overdue, 2, 4),
        61..=90 => part(bands.w_overdue, 1, 4),
        _ => 0,
    };
    let exposure = if facts.credit_limit <= 0 {
        if facts.exposure == 0 {
            bands.w_exposure
        } else {
            0
        }
    } else {
        let pct = facts.exposure.saturating_mul(100) / facts.credit_limit;
        match pct {
            0..=50 => part(bands.w_exposure, 3, 3),
            51..=80 => part(bands.w_exposure, 2, 3),
            81..=100 => part(bands.w_exposure, 1, 3),
            _ => 0,
        }
    };
    let years = (as_of - facts.customer_since).num_days() / 365;
    let tenure = match years {
        y if y >= 5 => part(bands.w_tenure, 10, 10),
        3 | 4 => part(bands.w_tenure, 7, 10),
        1 | 2 => part(bands.w_tenure, 4, 10),
        _ => 0,
    };
    let size = part(bands.w_size, facts.orders_last_year, bands.size_full_at);
    let marks = judgement.management + judgement.industry + judgement.cooperation;
    let qualitative = part(bands.w_qualitative, i64::from(marks), 15);
    Scorecard {
        payment_history,
        overdue,
        exposure,
        tenure,
        size,
        qualitative,
    }
}

/// A rating, the limit basis points and the terms it earns.
pub fn rate(bands: &RatingBands, score: i32) -> (&'static str, i32, i32) {
    if score >= bands.a_from {
        ("A", bands.a_limit_bp, bands.a_terms_days)
    } else if score >= bands.b_from {
        ("B", bands.b_limit_bp, bands.b_terms_days)
    } else if score >= bands.c_from {
        ("C", bands.c_limit_bp, bands.c_terms_days)
    } else {
        ("D", bands.d_limit_bp, bands.d_terms_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bands() -> RatingBands {
        RatingBands {
            id: 1,
            a_from: 80,
            b_from: 65,
            c_from: 50,
            w_payment_history: 30,
            w_overdue: 20,
            w_exposure: 15,
            w_tenure: 10,
            w_size: 10,
            w_qualitative: 15,
            size_full_at: 100_000_000,
            a_limit_bp: 3000,
            b_limit_bp: 2000,
            c_limit_bp: 1000,
            d_limit_bp: 0,
            a_terms_days: 60,
            b_terms_days: 45,
            c_terms_days: 30,
            d_terms_days: 0,
            note: None,
            effective_at: NaiveDateTime::default(),
            created_by: None,
            created_at: NaiveDateTime::default(),
        }
    }

    #[test]
    fn a_scorecard_by_hand() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        // Four years a customer; 7 of 8 instalments on time; one 45 days
        // late; owes 6,000,000 of a 10,000,000 limit; ordered 50,000,000 this
        // year; marks 4 + 3 + 4.
        let facts = CustomerCredit {
            classification: "key_account".into(),
            credit_limit: 10_000_000,
            payment_terms_days: 30,
            credit_rating: None,
            customer_since: NaiveDate::from_ymd_opt(2022, 11, 1).unwrap(),
            instalments_due: 8,
            paid_on_time: 7,
            max_days_overdue: 45,
            exposure: 6_000_000,
            orders_last_year: 50_000_000,
        };
        let judgement = Judgement {
            management: 4,
            industry: 3,
            cooperation: 4,
        };
        let card = score(&bands(), &facts, &judgement, day);
        // 30 × 7/8 = 26; 45 days: 20 × 2/4 = 10; 60%: 15 × 2/3 = 10; 4 years:
        // 10 × 7/10 = 7; 10 × 50/100 = 5; 15 × 11/15 = 11. Total 69: B.
        assert_eq!(
            card,
            Scorecard {
                payment_history: 26,
                overdue: 10,
                exposure: 10,
                tenure: 7,
                size: 5,
                qualitative: 11
            }
        );
        assert_eq!(card.total(), 69);
        assert_eq!(rate(&bands(), 69), ("B", 2000, 45));
        assert_eq!(rate(&bands(), 80).0, "A");
        assert_eq!(rate(&bands(), 49).0, "D");
    }
}
