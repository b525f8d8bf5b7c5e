//! The rules a budget keeps: each line's months add up to its year and a line
//! appears once per budget; and the check an expense claim goes through against
//! what is left of its category in the office's active budget.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use kernel::{ApiError, ErrorCode, FieldError};
use store::schema::{
    budget_lines as bl, budgets as bg, expense_claim_lines as el, expense_claims as ec,
};
use store::{AnyConnection, DbResultExt};

use super::BudgetLineInput;
use crate::claims::ClaimRow;

/// Months must add up to the year, and a line appears once per budget.
pub(super) fn check_lines(lines: &[BudgetLineInput]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.months.iter().any(|m| *m < 0) {
            errors.push(FieldError::new(
                format!("lines[{i}].months"),
                "range",
                "months must not be negative",
            ));
        }
        let sum: i64 = l.months.iter().sum();
        if sum != l.annual {
            errors.push(FieldError::new(
                format!("lines[{i}].months"),
                "sum",
                format!(
                    "must add up to the annual amount {}, they add up to {sum}",
                    l.annual
                ),
            ));
        }
        if lines[..i].iter().any(|o| {
            o.kind == l.kind && o.category == l.category && o.department_id == l.department_id
        }) {
            errors.push(FieldError::new(
                format!("lines[{i}]"),
                "duplicate",
                "the same kind, category and department twice",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Whether a claim exceeds what is left of its category in the office's active
/// budget for the year it was spent; refused when that budget blocks overruns.
/// Committed spending counts claims in approval, approved and paid.
pub fn check_claim(conn: &mut AnyConnection, claim: &ClaimRow) -> Result<bool, ApiError> {
    let first_day: Option<NaiveDate> = el::table
        .filter(el::claim_id.eq(claim.id))
        .select(diesel::dsl::min(el::spent_on))
        .first(conn)
        .api()?;
    let year = first_day.map_or_else(|| kernel::time::now().year(), |d| d.year());
    let budget: Option<(i64, bool)> = bg::table
        .filter(
            bg::office_id
                .eq(claim.office_id)
                .and(bg::year.eq(year))
                .and(bg::status.eq("active")),
        )
        .select((bg::id, bg::block_overruns))
        .first(conn)
        .optional()
        .api()?;
    let Some((budget_id, block)) = budget else {
        return Ok(false);
    };
    let budgeted: Option<i64> = bl::table
        .filter(
            bl::budget_id
                .eq(budget_id)
                .and(bl::kind.eq("expense"))
                .and(bl::category.eq(&claim.category)),
        )
        .select(bl::amount)
        .load::<i64>(conn)
        .api()?
        .into_iter()
        .reduce(|a, b| a.saturating_add(b));
    let committed: Option<i64> = ec::table
        .filter(ec::office_id.eq(claim.office_id))
        .filter(ec::category.eq(&claim.category))
        .filter(ec::status.eq_any(["in_approval", "approved", "paid"]))
        .filter(ec::id.ne(claim.id))
        .select(ec::total)
        .load::<i64>(conn)
        .api()?
        .into_iter()
        .reduce(|a, b| a.saturating_add(b));
    let remaining = budgeted.unwrap_or(0) - committed.unwrap_or(0);
    let over = claim.total > remaining;
    if over && block {
        return Err(ApiError::new(
            ErrorCode::BudgetExceeded,
            format!(
                "the claim of {} exceeds the {} left in the {} budget",
                claim.total,
                remaining.max(0),
                claim.category
            ),
        )
        .with_extra("remaining", remaining.max(0).into()));
    }
    Ok(over)
}
