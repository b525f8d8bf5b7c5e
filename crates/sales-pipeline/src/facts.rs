//! The sales facts other domains read. Domain crates never depend on each
//! other: a consumer declares a small trait for what it needs, and the gateway
//! wires these functions into it. Finance reads receipts for the income side of
//! budget vs actual, risk reads credit exposure and overdue receivables, and
//! appraisal reads achievement against target.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};
use kernel::{ApiError, Reach};
use store::{AnyConnection, DbResultExt};

use crate::analysis::{self, load_sql};

/// What a customer owes or has on order, minor units: the totals of their
/// orders not cancelled, less every payment received from them.
pub fn credit_exposure(conn: &mut AnyConnection, customer_id: i64) -> Result<i64, ApiError> {
    crate::orders::credit_exposure(conn, customer_id)
}

/// What is overdue at an office on `as_of` (due before that day and unpaid, on
/// signed contracts), minor units.
pub fn overdue_receivables(
    conn: &mut AnyConnection,
    office_id: i64,
    as_of: NaiveDate,
) -> Result<i64, ApiError> {
    use store::schema::{contract_instalments as ci, contracts as ct};
    let open: Vec<(i64, i64)> = ci::table
        .inner_join(ct::table.on(ct::id.eq(ci::contract_id)))
        .filter(
            ci::office_id
                .eq(office_id)
                .and(ci::due_on.lt(as_of))
                .and(ci::paid.lt(ci::amount))
                .and(ct::status.eq_any(crate::contracts::BINDING)),
        )
        .select((ci::amount, ci::paid))
        .load(conn)
        .api()?;
    Ok(open.iter().map(|(amount, paid)| amount - paid).sum())
}

#[derive(QueryableByName)]
struct MonthAmount {
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

/// Payments received by an office, by month `YYYY-MM`, between two days
/// inclusive: the income side of budget vs actual.
pub fn receipts_by_month(
    conn: &mut AnyConnection,
    office_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, ApiError> {
    let month = if matches!(conn, AnyConnection::Postgresql(_)) {
        "to_char(received_on, 'YYYY-MM')"
    } else {
        "strftime('%Y-%m', received_on)"
    };
    let rows = load_sql!(
        conn,
        format!(
            "SELECT {month} AS month, CAST(SUM(amount) AS BIGINT) AS amount \
             FROM payments_received WHERE office_id = $1 AND received_on >= $2 \
             AND received_on <= $3 GROUP BY {month} ORDER BY month"
        ),
        MonthAmount,
        BigInt => office_id,
        Date => from,
        Date => to
    )?;
    Ok(rows.into_iter().map(|r| (r.month, r.amount)).collect())
}

/// An office's target and actual sales for a year, and each person's.
pub fn achievement(
    conn: &mut AnyConnection,
    office_id: i64,
    year: i32,
) -> Result<analysis::AchievementReport, ApiError> {
    analysis::achievement(conn, &Reach::Company, year, Some(office_id))
}

/// A customer as other domains name it: id, office and name.
#[derive(Debug, Clone)]
pub struct CustomerFact {
    pub id: i64,
    pub office_id: i64,
    pub name: String,
}

/// An active customer of `office_id` (a merged or inactive customer, one of
/// another office and one that does not exist are all `None`).
pub fn active_customer_of_office(
    conn: &mut AnyConnection,
    office_id: i64,
    customer_id: i64,
) -> Result<Option<CustomerFact>, ApiError> {
    use store::schema::customers as c;
    let found: Option<(i64, i64, String)> = c::table
        .filter(c::id.eq(customer_id))
        .filter(c::office_id.eq(office_id))
        .filter(c::status.eq("active"))
        .select((c::id, c::office_id, c::name))
        .first(conn)
        .optional()
        .api()?;
    Ok(found.map(|(id, office_id, name)| CustomerFact {
        id,
        office_id,
        name,
    }))
}

/// Whether `contact_id` is a contact of `customer_id`.
pub fn is_contact_of(
    conn: &mut AnyConnection,
    customer_id: i64,
    contact_id: i64,
) -> Result<bool, ApiError> {
    use store::schema::customer_contacts as cc;
    let found: Option<i64> = cc::table
        .filter(cc::id.eq(contact_id))
        .filter(cc::customer_id.eq(customer_id))
        .select(cc::id)
        .first(conn)
        .optional()
        .api()?;
    Ok(found.is_some())
}

/// How many orders `office_id` took, not cancelled, ordered from `from` to
/// `to` (both included).
pub fn orders_between(
    conn: &mut AnyConnection,
    office_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64, ApiError> {
    use store::schema::sales_orders as so;
    so::table
        .filter(so::office_id.eq(office_id))
        .filter(so::ordered_on.between(from, to))
        .filter(so::status.ne("cancelled"))
        .count()
        .get_result(conn)
        .api()
}

/// What after-sales needs of an order a unit came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOrderFact {
    pub customer_id: i64,
    pub currency: String,
    /// The day the order was installed (its first `installed` step), if it was.
    pub installed_on: Option<NaiveDate>,
    /// The products on its lines.
    pub products: Vec<String>,
}

/// An order of `office_id`, not cancelled, with the day it was installed and
/// its products (`None`: cancelled, of another office, or unknown alike).
pub fn order_for_service(
    conn: &mut AnyConnection,
    office_id: i64,
    order_id: i64,
) -> Result<Option<ServiceOrderFact>, ApiError> {
    use store::schema::{sales_lines as sl, sales_order_events as ev, sales_orders as so};
    let found: Option<(i64, String)> = so::table
        .filter(so::id.eq(order_id))
        .filter(so::office_id.eq(office_id))
        .filter(so::status.ne("cancelled"))
        .select((so::customer_id, so::currency))
        .first(conn)
        .optional()
        .api()?;
    let Some((customer_id, currency)) = found else {
        return Ok(None);
    };
    let installed: Option<chrono::NaiveDateTime> = ev::table
        .filter(ev::order_id.eq(order_id))
        .filter(ev::to_status.eq("installed"))
        .select(diesel::dsl::min(ev::created_at))
        .first(conn)
        .api()?;
    let mut products: Vec<String> = sl::table
        .filter(sl::doc_type.eq("order").and(sl::doc_id.eq(order_id)))
        .order(sl::line_no.asc())
        .select(sl::product)
        .load(conn)
        .api()?;
    products.dedup();
    Ok(Some(ServiceOrderFact {
        customer_id,
        currency,
        installed_on: installed.map(|t| t.date()),
        products,
    }))
}

/// The active customers of `office_id`, oldest first; with `classification`,
/// only those.
pub fn active_customers(
    conn: &mut AnyConnection,
    office_id: i64,
    classification: Option<&str>,
) -> Result<Vec<i64>, ApiError> {
    use store::schema::customers as c;
    let mut q = c::table
        .filter(c::office_id.eq(office_id))
        .filter(c::status.eq("active"))
        .select(c::id)
        .order(c::id.asc())
        .into_boxed::<store::MultiBackend>();
    if let Some(class) = classification {
        q = q.filter(c::classification.eq(class.to_owned()));
    }
    q.load(conn).api()
}

/// Where an office set stands on receivables as of a day, minor units: the
/// receivables ageing summed over `offices` (`None`: every office), one query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceivablesPosition {
    pub outstanding: i64,
    /// Due on or before the day and unpaid.
    pub overdue: i64,
    pub over_90_days: i64,
}

pub fn receivables_position(
    conn: &mut AnyConnection,
    offices: Option<&[i64]>,
    as_of: NaiveDate,
) -> Result<ReceivablesPosition, ApiError> {
    let rows = analysis::ageing(conn, &Reach::over(offices), as_of, None)?;
    Ok(rows.iter().fold(ReceivablesPosition::default(), |acc, r| {
        ReceivablesPosition {
            outstanding: acc.outstanding + r.total,
            overdue: acc.overdue + r.total - r.not_due,
            over_90_days: acc.over_90_days + r.days_over_90,
        }
    }))
}

#[derive(QueryableByName)]
struct CreditRow {
    #[diesel(sql_type = BigInt)]
    over_limit: i64,
    #[diesel(sql_type = BigInt)]
    key_account_exposure: i64,
}

/// The active customers of `offices` (`None`: every office) whose exposure
/// — orders not cancelled less payments, as the credit check counts it — is
/// above their credit limit, and the exposure of the key accounts among
/// them, in one query.
pub fn credit_position(
    conn: &mut AnyConnection,
    offices: Option<&[i64]>,
) -> Result<(i64, i64), ApiError> {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN e.exposure > e.credit_limit THEN 1 ELSE 0 END), 0) AS BIGINT) AS over_limit, \
         CAST(COALESCE(SUM(CASE WHEN e.classification = 'key_account' THEN e.exposure ELSE 0 END), 0) AS BIGINT) AS key_account_exposure \
         FROM (SELECT c.credit_limit AS credit_limit, c.classification AS classification, \
               CASE WHEN o.total - COALESCE(p.paid, 0) > 0 THEN o.total - COALESCE(p.paid, 0) ELSE 0 END AS exposure \
               FROM customers c \
               JOIN (SELECT customer_id, SUM(total) AS total FROM sales_orders WHERE status <> 'cancelled' GROUP BY customer_id) o ON o.customer_id = c.id \
               LEFT JOIN (SELECT customer_id, SUM(amount) AS paid FROM payments_received GROUP BY customer_id) p ON p.customer_id = c.id \
               WHERE c.status = 'active'{}) e",
        store::scoped::sql_in_reach("c.office_id", &Reach::over(offices))
    );
    let rows: Vec<CreditRow> = load_sql!(conn, sql, CreditRow)?;
    Ok(rows
        .first()
        .map_or((0, 0), |r| (r.over_limit, r.key_account_exposure)))
}

/// What a credit evaluation reads of one customer, as of a day.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct CustomerCredit {
    #[diesel(sql_type = Text)]
    pub classification: String,
    #[diesel(sql_type = BigInt)]
    pub credit_limit: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub payment_terms_days: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub credit_rating: Option<String>,
    /// The day the customer file was opened.
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub customer_since: chrono::NaiveDateTime,
    /// Instalments of signed contracts due in the last two years up to the day.
    #[diesel(sql_type = BigInt)]
    pub instalments_due: i64,
    /// Of those, paid in full by their due day.
    #[diesel(sql_type = BigInt)]
    pub paid_on_time: i64,
    /// The most days an unpaid instalment is past due (0: none).
    #[diesel(sql_type = BigInt)]
    pub max_days_overdue: i64,
    /// Orders not cancelled less payments, as the credit check counts it.
    #[diesel(sql_type = BigInt)]
    pub exposure: i64,
    /// Orders not cancelled, ordered in the last 365 days, minor units.
    #[diesel(sql_type = BigInt)]
    pub orders_last_year: i64,
}

/// The credit facts of `customer_id`, an active customer of `office_id`
/// (`None`: merged away, of another office, or unknown alike), in one query.
pub fn customer_credit(
    conn: &mut AnyConnection,
    office_id: i64,
    customer_id: i64,
    as_of: NaiveDate,
) -> Result<Option<CustomerCredit>, ApiError> {
    let days = if matches!(conn, AnyConnection::Postgresql(_)) {
        "($3 - ci.due_on)"
    } else {
        "CAST(julianday($3) - julianday(ci.due_on) AS INTEGER)"
    };
    let binding = crate::contracts::BINDING
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT c.classification AS classification, c.credit_limit AS credit_limit, \
         c.payment_terms_days AS payment_terms_days, c.credit_rating AS credit_rating, \
         c.created_at AS customer_since, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM contract_instalments ci JOIN contracts ct ON ct.id = ci.contract_id \
          WHERE ct.customer_id = c.id AND ct.status IN ({binding}) AND ci.due_on <= $3 AND ci.due_on > $4) AS instalments_due, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM contract_instalments ci JOIN contracts ct ON ct.id = ci.contract_id \
          WHERE ct.customer_id = c.id AND ct.status IN ({binding}) AND ci.due_on <= $3 AND ci.due_on > $4 \
          AND (SELECT COALESCE(SUM(p.amount), 0) FROM payments_received p \
               WHERE p.instalment_id = ci.id AND p.received_on <= ci.due_on) >= ci.amount) AS paid_on_time, \
         (SELECT CAST(COALESCE(MAX({days}), 0) AS BIGINT) FROM contract_instalments ci JOIN contracts ct ON ct.id = ci.contract_id \
          WHERE ct.customer_id = c.id AND ct.status IN ({binding}) AND ci.due_on < $3 AND ci.paid < ci.amount) AS max_days_overdue, \
         CAST(CASE WHEN (SELECT COALESCE(SUM(o.total), 0) FROM sales_orders o WHERE o.customer_id = c.id AND o.status <> 'cancelled') \
              - (SELECT COALESCE(SUM(p.amount), 0) FROM payments_received p WHERE p.customer_id = c.id) > 0 \
              THEN (SELECT COALESCE(SUM(o.total), 0) FROM sales_orders o WHERE o.customer_id = c.id AND o.status <> 'cancelled') \
              - (SELECT COALESCE(SUM(p.amount), 0) FROM payments_received p WHERE p.customer_id = c.id) ELSE 0 END AS BIGINT) AS exposure, \
         (SELECT CAST(COALESCE(SUM(o.total), 0) AS BIGINT) FROM sales_orders o WHERE o.customer_id = c.id \
          AND o.status <> 'cancelled' AND o.ordered_on > $5 AND o.ordered_on <= $3) AS orders_last_year \
         FROM customers c WHERE c.id = $1 AND c.office_id = $2 AND c.status = 'active'"
    );
    let rows: Vec<CustomerCredit> = load_sql!(conn, sql, CustomerCredit,
        BigInt => customer_id, BigInt => office_id, Date => as_of,
        Date => as_of - chrono::Duration::days(730), Date => as_of - chrono::Duration::days(365))?;
    Ok(rows.into_iter().next())
}

/// Puts an approved credit evaluation's limit, payment terms and rating on
/// the customer, audited as `credit_terms`: the one way they change after the
/// file is opened. Returns the limit, terms and rating before.
pub fn set_credit_terms(
    conn: &mut AnyConnection,
    actor: &kernel::Actor,
    customer_id: i64,
    limit: i64,
    terms_days: i32,
    rating: &str,
) -> Result<(i64, i32, Option<String>), ApiError> {
    use store::schema::customers as c;
    let before: crate::customers::Customer = c::table
        .find(customer_id)
        .select(crate::customers::Customer::as_select())
        .first(conn)
        .api()?;
    let after: crate::customers::Customer = diesel::update(c::table.find(customer_id))
        .set((
            c::credit_limit.eq(limit),
            c::payment_terms_days.eq(terms_days),
            c::credit_rating.eq(Some(rating)),
            c::updated_at.eq(kernel::time::now_db()),
            c::version.eq(c::version + 1),
        ))
        .returning(c::all_columns)
        .get_result(conn)
        .api()?;
    store::audit::record(
        conn,
        actor,
        store::audit::Change::new(
            "credit_terms",
            "customer",
            customer_id,
            Some(after.office_id),
        )
        .before(&before)
        .after(&after),
    )?;
    Ok((
        before.credit_limit,
        before.payment_terms_days,
        before.credit_rating,
    ))
}
