//! The credit-limit arithmetic (信用額度): a customer's exposure — what they
//! owe or have on order — and the 409 `credit_limit_exceeded` refusal naming
//! the limit, the exposure, the order total and the excess.

use diesel::prelude::*;
use kernel::{ApiError, ErrorCode};
use store::schema::{payments_received as pr, sales_orders as so};
use store::{AnyConnection, DbResultExt};

/// What the customer owes or has on order: the totals of their orders not
/// cancelled, less every payment received from them; never below zero.
pub fn credit_exposure(conn: &mut AnyConnection, customer_id: i64) -> Result<i64, ApiError> {
    let orders: Vec<i64> = so::table
        .filter(
            so::customer_id
                .eq(customer_id)
                .and(so::status.ne("cancelled")),
        )
        .select(so::total)
        .load(conn)
        .api()?;
    let paid: Vec<i64> = pr::table
        .filter(pr::customer_id.eq(customer_id))
        .select(pr::amount)
        .load(conn)
        .api()?;
    Ok((orders.iter().sum::<i64>() - paid.iter().sum::<i64>()).max(0))
}

pub(super) fn credit_refusal(limit: i64, exposure: i64, total: i64) -> ApiError {
    let excess = exposure + total - limit;
    ApiError::new(
        ErrorCode::CreditLimitExceeded,
        format!(
            "the order ({total}) on top of the customer's exposure ({exposure}) exceeds the credit limit ({limit}) by {excess}; request a credit override"
        ),
    )
    .with_extra("credit_limit", limit.into())
    .with_extra("exposure", exposure.into())
    .with_extra("order_total", total.into())
    .with_extra("excess", excess.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_names_the_excess() {
        let e = credit_refusal(1_000, 700, 500);
        assert_eq!(e.code, ErrorCode::CreditLimitExceeded);
        assert!(e.detail.contains("by 200"));
    }
}
