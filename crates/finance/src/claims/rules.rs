//! The rules a claim keeps: the records it names (department, pre-approval)
//! are of its office, an invoice is claimed once in the whole company, travel
//! lines link to the claimant's approved business trips, claims are filed by
//! office staff, and a large claim needs an approved HQ pre-approval covering
//! it.

use diesel::prelude::*;
use kernel::{ApiError, ErrorCode, FieldError, Principal};
use store::schema::{expense_claim_lines as el, expense_pre_approvals as pa};
use store::{AnyConnection, DbResultExt, MultiBackend};
use workflow::Registry;

use super::{Category, ClaimInput, ClaimLineInput, ClaimRow, pre_approval_above};
use crate::facts::TripFacts;

/// Rejects invoice numbers used twice in one claim or already claimed anywhere.
pub(super) fn check_invoices(
    conn: &mut AnyConnection,
    lines: &[ClaimLineInput],
    except_claim: Option<i64>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if lines[..i]
            .iter()
            .any(|l| l.invoice_number == line.invoice_number)
        {
            errors.push(FieldError::new(
                format!("lines[{i}].invoice_number"),
                "duplicate",
                "appears twice in this claim",
            ));
        }
    }
    let numbers: Vec<&str> = lines.iter().map(|l| l.invoice_number.as_str()).collect();
    let mut q = el::table
        .filter(el::invoice_number.eq_any(numbers))
        .select((el::invoice_number, el::claim_id))
        .into_boxed::<MultiBackend>();
    if let Some(id) = except_claim {
        q = q.filter(el::claim_id.ne(id));
    }
    let taken: Vec<(String, i64)> = q.load(conn).api()?;
    for (i, line) in lines.iter().enumerate() {
        if taken.iter().any(|(n, _)| *n == line.invoice_number) {
            errors.push(FieldError::new(
                format!("lines[{i}].invoice_number"),
                "duplicate",
                "this invoice is already claimed",
            ));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let mut e = ApiError::new(
        ErrorCode::Duplicate,
        "an invoice can be claimed only once in the company",
    );
    e.errors = errors;
    Err(e)
}

/// How far ahead of a trip its expenses may fall (tickets and hotels are booked
/// before leaving).
const BOOKED_AHEAD_DAYS: i64 = 30;

/// The trip each line links to: the one named, checked — a travel claim, the
/// claimant's own approved trip in the claim's office, the day no later than the
/// trip's end and at most 30 days before its start — or, for a travel line that
/// names none, the claimant's one approved trip covering its day.
pub fn link_trips(
    conn: &mut AnyConnection,
    trips: &dyn TripFacts,
    claimant: i64,
    office_id: i64,
    category: Category,
    lines: &[ClaimLineInput],
) -> Result<Vec<Option<i64>>, ApiError> {
    let travel = category == Category::Travel;
    let mut out = Vec::with_capacity(lines.len());
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(trip_id) = line.trip_id else {
            let covering = if travel {
                trips.trips_covering(conn, claimant, line.spent_on)?
            } else {
                Vec::new()
            };
            let mine: Vec<i64> = covering
                .iter()
                .filter(|t| t.approved && t.office_id == office_id)
                .map(|t| t.id)
                .collect();
            out.push(if mine.len() == 1 { Some(mine[0]) } else { None });
            continue;
        };
        out.push(Some(trip_id));
        let field = format!("lines[{i}].trip_id");
        if !travel {
            errors.push(FieldError::new(
                &field,
                "category",
                "only a travel claim links to a business trip",
            ));
            continue;
        }
        match trips.trip(conn, trip_id)? {
            Some(t) if t.traveller_user_id == claimant && t.office_id == office_id => {
                if !t.approved {
                    errors.push(FieldError::new(
                        &field,
                        "not_approved",
                        "the business trip is not approved",
                    ));
                } else if line.spent_on > t.ends_on
                    || line.spent_on < t.starts_on - chrono::Duration::days(BOOKED_AHEAD_DAYS)
                {
                    errors.push(FieldError::new(
                        format!("lines[{i}].spent_on"),
                        "outside_trip",
                        format!(
                            "the trip ran from {} to {}; an expense on it falls no later than its end and at most {BOOKED_AHEAD_DAYS} days before its start",
                            t.starts_on, t.ends_on
                        ),
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                &field,
                "not_found",
                "no business trip of yours in this office",
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The claimant's department must be one of their office's.
/// The records a claim names: its department, an active one of the claim's
/// office, and its pre-approval, one of the claimant's own in that office. Either
/// outside that office answers as if it did not exist. Whether the pre-approval
/// is approved and covers the total is checked when the claim is submitted.
pub(super) fn check_references(
    conn: &mut AnyConnection,
    office_id: i64,
    claimant: i64,
    body: &ClaimInput,
) -> Result<(), ApiError> {
    if let Some(dept) = body.department_id {
        org::scope::department_of_office(conn, "department_id", dept, office_id)?;
    }
    if let Some(pre) = body.pre_approval_id {
        let found: Option<i64> = pa::table
            .filter(pa::id.eq(pre))
            .filter(pa::office_id.eq(office_id))
            .filter(pa::requester_user_id.eq(claimant))
            .select(pa::id)
            .first(conn)
            .optional()
            .api()?;
        found.ok_or_else(|| store::scoped::no_such("pre_approval_id", "pre-approval of yours"))?;
    }
    Ok(())
}

pub(super) fn caller_office(p: &Principal) -> Result<i64, ApiError> {
    p.office_id.ok_or_else(|| {
        ApiError::forbidden(
            "expense claims are filed by office staff; HQ users belong to no office",
        )
    })
}

/// A large claim needs the claimant's own approved pre-approval of the same
/// office covering the total.
pub(super) fn check_pre_approval(
    conn: &mut AnyConnection,
    registry: &Registry,
    claim: &ClaimRow,
) -> Result<(), ApiError> {
    let limit = pre_approval_above(conn, registry, claim.office_id)?;
    if claim.total <= limit {
        return Ok(());
    }
    let missing = || {
        ApiError::invalid_field(
            "pre_approval_id",
            "pre_approval_required",
            format!(
                "a claim above {} needs an approved HQ pre-approval of yours that covers it",
                kernel::Money::cny(limit)
            ),
        )
    };
    let id = claim.pre_approval_id.ok_or_else(missing)?;
    let row: Option<(i64, i64, String, i64)> = pa::table
        .find(id)
        .select((
            pa::office_id,
            pa::requester_user_id,
            pa::status,
            pa::estimated_amount,
        ))
        .first(conn)
        .optional()
        .api()?;
    match row {
        Some((office, requester, status, amount))
            if office == claim.office_id
                && requester == claim.claimant_user_id
                && status == "approved"
                && amount >= claim.total =>
        {
            Ok(())
        }
        _ => Err(missing()),
    }
}
