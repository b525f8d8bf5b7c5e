//! What the sales records share: finding a customer of an office and the priced
//! lines of quotations, contracts and orders (the server computes every amount).
//! The office a new record goes to, the users and departments named on it, and
//! the scoped load of one record are shared by every domain (`org::scope`,
//! `store::load_scoped!`) and re-exported here.

use std::collections::HashMap;

use diesel::prelude::*;
use kernel::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use store::schema::{customers as c, sales_lines as sl};
use store::{AnyConnection, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use kernel::time::now_db;
pub use org::scope::{department_of, office_for_create, user_of_office};
pub(crate) use store::load_scoped;

/// The facts of a customer that sales records check.
#[derive(Debug, Clone, Queryable)]
pub struct CustomerRef {
    pub id: i64,
    pub office_id: i64,
    pub name: String,
    pub status: String,
    pub credit_limit: i64,
    pub currency: String,
    pub owner_user_id: Option<i64>,
}

/// A customer named in a request body for a record of `office_id`: 422 on
/// `field` when there is no active customer of that office (a customer of
/// another office is refused the same way, whoever asks).
pub fn customer_of_office(
    conn: &mut AnyConnection,
    field: &str,
    customer_id: i64,
    office_id: i64,
) -> Result<CustomerRef, ApiError> {
    let row: Option<CustomerRef> = c::table
        .filter(c::id.eq(customer_id).and(c::office_id.eq(office_id)))
        .select((
            c::id,
            c::office_id,
            c::name,
            c::status,
            c::credit_limit,
            c::currency,
            c::owner_user_id,
        ))
        .first(conn)
        .optional()
        .api()?;
    match row {
        Some(cust) if cust.status == "active" => Ok(cust),
        Some(_) => Err(ApiError::invalid_field(
            field,
            "merged",
            "the customer was merged into another; use the remaining one",
        )),
        None => Err(ApiError::invalid_field(
            field,
            "not_found",
            "no such customer in this office",
        )),
    }
}

/// One priced line as a client sends it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PricedLineInput {
    /// Product or service.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "LED 工礦燈 150W")]
    pub product: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub description: Option<String>,
    /// Whole units, at least 1.
    #[validate(range(min = 1, max = 1_000_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000_000, example = 40)]
    pub quantity: i64,
    /// Minor units (分), not negative.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 68_000)]
    pub unit_price: i64,
    /// Discount in basis points: 500 = 5%. Default 0.
    #[validate(range(min = 0, max = 10_000))]
    #[schema(minimum = 0, maximum = 10_000, example = 500)]
    pub discount_bp: Option<i32>,
}

/// A stored line with the amount the server computed.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sl)]
pub struct Line {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub doc_type: String,
    #[serde(skip)]
    pub doc_id: i64,
    #[serde(skip)]
    pub office_id: i64,
    pub line_no: i32,
    pub product: String,
    pub description: Option<String>,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount_bp: i32,
    /// `quantity × unit_price × (1 − discount)`, rounded half up to the 分.
    pub amount: i64,
}

/// The totals of a set of lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Before discounts.
    pub subtotal: i64,
    pub discount_total: i64,
    pub total: i64,
}

/// `quantity × unit_price` before and after the discount, in i128 so no
/// realistic line overflows; rounded half up.
pub fn price(line: &PricedLineInput) -> Result<(i64, i64), ApiError> {
    let gross = i128::from(line.quantity) * i128::from(line.unit_price);
    let bp = i128::from(line.discount_bp.unwrap_or(0));
    let net = (gross * (10_000 - bp) + 5_000) / 10_000;
    let fits = |v: i128| {
        i64::try_from(v)
            .ok()
            .filter(|v| *v <= 1_000_000_000_000_000)
    };
    match (fits(gross), fits(net)) {
        (Some(g), Some(n)) => Ok((g, n)),
        _ => Err(ApiError::invalid_field(
            "lines",
            "range",
            "a line's amount is too large",
        )),
    }
}

pub fn totals(lines: &[PricedLineInput]) -> Result<Totals, ApiError> {
    let mut t = Totals::default();
    for line in lines {
        let (gross, net) = price(line)?;
        t.subtotal += gross;
        t.total += net;
    }
    t.discount_total = t.subtotal - t.total;
    Ok(t)
}

/// Every line must be unique by product within a document.
pub fn check_lines(lines: &[PricedLineInput]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if lines.is_empty() {
        errors.push(FieldError::new("lines", "length", "at least one line"));
    }
    for (i, line) in lines.iter().enumerate() {
        if lines[..i].iter().any(|l| l.product == line.product) {
            errors.push(FieldError::new(
                format!("lines[{i}].product"),
                "duplicate",
                "each product once per document",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

pub fn insert_lines(
    conn: &mut AnyConnection,
    doc_type: &str,
    doc_id: i64,
    office_id: i64,
    lines: &[PricedLineInput],
) -> Result<Vec<Line>, ApiError> {
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let (_, amount) = price(line)?;
        let row: Line = diesel::insert_into(sl::table)
            .values((
                sl::doc_type.eq(doc_type),
                sl::doc_id.eq(doc_id),
                sl::office_id.eq(office_id),
                sl::line_no.eq(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                sl::product.eq(&line.product),
                sl::description.eq(&line.description),
                sl::quantity.eq(line.quantity),
                sl::unit_price.eq(line.unit_price),
                sl::discount_bp.eq(line.discount_bp.unwrap_or(0)),
                sl::amount.eq(amount),
            ))
            .returning(sl::all_columns)
            .get_result(conn)
            .api()?;
        out.push(row);
    }
    Ok(out)
}

/// The lines of one document.
pub fn lines_of(
    conn: &mut AnyConnection,
    doc_type: &str,
    doc_id: i64,
) -> Result<Vec<Line>, ApiError> {
    sl::table
        .filter(sl::doc_type.eq(doc_type).and(sl::doc_id.eq(doc_id)))
        .order(sl::line_no.asc())
        .select(Line::as_select())
        .load(conn)
        .api()
}

/// The lines of many documents of one type, in one query.
pub fn lines_of_many(
    conn: &mut AnyConnection,
    doc_type: &str,
    doc_ids: &[i64],
) -> Result<HashMap<i64, Vec<Line>>, ApiError> {
    let rows: Vec<Line> = sl::table
        .filter(sl::doc_type.eq(doc_type).and(sl::doc_id.eq_any(doc_ids)))
        .order((sl::doc_id.asc(), sl::line_no.asc()))
        .select(Line::as_select())
        .load(conn)
        .api()?;
    let mut map: HashMap<i64, Vec<Line>> = HashMap::new();
    for row in rows {
        map.entry(row.doc_id).or_default().push(row);
    }
    Ok(map)
}

/// Copies stored lines back to inputs (a quotation becoming a contract).
pub fn as_inputs(lines: &[Line]) -> Vec<PricedLineInput> {
    lines
        .iter()
        .map(|l| PricedLineInput {
            product: l.product.clone(),
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount_bp: Some(l.discount_bp),
        })
        .collect()
}

/// `?limit=&cursor=` on lists.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A reason given for a rejection, a loss, a cancellation or a termination.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(q: i64, price: i64, bp: i32) -> PricedLineInput {
        PricedLineInput {
            product: format!("p{q}-{price}-{bp}"),
            description: None,
            quantity: q,
            unit_price: price,
            discount_bp: Some(bp),
        }
    }

    #[test]
    fn amounts_round_half_up_after_the_discount() {
        // 3 × 3.33 = 9.99; 5% off = 9.4905 → 9.49
        assert_eq!(price(&line(3, 333, 500)).unwrap(), (999, 949));
        // 1 × 0.10 at 5% = 0.095 → 0.10 (half up)
        assert_eq!(price(&line(1, 10, 500)).unwrap(), (10, 10));
        // 1 × 0.09 at 50% = 0.045 → 0.05
        assert_eq!(price(&line(1, 9, 5000)).unwrap(), (9, 5));
        assert_eq!(price(&line(7, 1000, 10_000)).unwrap(), (7000, 0));
    }

    #[test]
    fn totals_add_the_lines() {
        let t = totals(&[line(40, 68_000, 500), line(2, 150_000, 0)]).unwrap();
        assert_eq!(t.subtotal, 40 * 68_000 + 300_000);
        assert_eq!(t.total, 2_584_000 + 300_000);
        assert_eq!(t.discount_total, 136_000);
    }

    #[test]
    fn overflowing_lines_are_refused() {
        assert!(price(&line(1_000_000_000, 100_000_000_000, 0)).is_err());
    }

    #[test]
    fn duplicate_products_and_empty_documents_are_refused() {
        assert!(check_lines(&[]).is_err());
        let l = line(1, 1, 0);
        assert!(check_lines(&[l.clone(), l]).is_err());
    }
}
