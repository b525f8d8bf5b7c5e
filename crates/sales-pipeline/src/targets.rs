//! Sales targets (銷售計劃與目標): the annual figure HQ sets for an office, split
//! into quarters, months and persons. The splits must add up — the quarters to
//! the year, each quarter's three months to the quarter, the persons to the year —
//! so execution can be tracked against any of them and achievement can feed the
//! appraisal. HQ sets the annual amount (company-wide `sales_target:manage`); the
//! office re-splits months and persons within it.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    ApiError, ErrorCode, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery,
    etag,
};
use org::roles::{SALES_READ, SALES_TARGET_MANAGE};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{sales_target_months as stm, sales_target_persons as stp, sales_targets as st};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{load_scoped, now_db, office_for_create, user_of_office};

/// Largest amount accepted anywhere in a target (minor units): 10,000,000,000,000.00.
/// Sums of up to a thousand of them stay far inside `i64`.
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_sales_targets)
        .service(create_sales_target)
        .service(get_sales_target)
        .service(replace_sales_target);
}

/// One person's share of the annual target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonShare {
    /// An active user of the target's office.
    pub user_id: i64,
    /// Minor units (分), not negative.
    #[validate(range(min = 0, max = 1_000_000_000_000_000_i64))]
    #[schema(
        minimum = 0,
        maximum = 1_000_000_000_000_000_i64,
        example = 300_000_000
    )]
    pub amount: i64,
}

/// One month's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthShare {
    /// 1 (January) to 12.
    #[schema(minimum = 1, maximum = 12, example = 7)]
    pub month: i32,
    pub amount: i64,
}

/// An office's target for one year with its splits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesTarget {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = 2027)]
    pub year: i32,
    /// The annual amount, minor units (分).
    #[schema(example = 1_200_000_000)]
    pub amount: i64,
    #[schema(example = "CNY")]
    pub currency: String,
    /// Q1 to Q4, each the sum of its three months.
    #[schema(min_items = 4, max_items = 4, example = json!([240_000_000, 300_000_000, 300_000_000, 360_000_000]))]
    pub quarters: Vec<i64>,
    /// January to December.
    pub months: Vec<MonthShare>,
    pub persons: Vec<PersonShare>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = st)]
struct TargetRow {
    id: i64,
    office_id: i64,
    year: i32,
    amount: i64,
    currency: String,
    created_by: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

impl TargetRow {
    fn with_splits(self, months: Vec<MonthShare>, persons: Vec<PersonShare>) -> SalesTarget {
        let mut quarters = vec![0_i64; 4];
        for m in &months {
            if let Some(q) = usize::try_from(m.month - 1)
                .ok()
                .and_then(|i| quarters.get_mut(i / 3))
            {
                *q += m.amount;
            }
        }
        SalesTarget {
            id: self.id,
            office_id: self.office_id,
            year: self.year,
            amount: self.amount,
            currency: self.currency,
            quarters,
            months,
            persons,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSalesTarget {
    /// The office the target is for; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2027)]
    pub year: i32,
    /// The annual amount, minor units (分).
    #[validate(range(min = 0, max = 1_000_000_000_000_000_i64))]
    #[schema(
        minimum = 0,
        maximum = 1_000_000_000_000_000_i64,
        example = 1_200_000_000
    )]
    pub amount: i64,
    /// Q1 to Q4, not negative; they add up to `amount`.
    #[validate(length(equal = 4))]
    #[schema(min_items = 4, max_items = 4, example = json!([240_000_000, 300_000_000, 300_000_000, 360_000_000]))]
    pub quarters: Vec<i64>,
    /// January to December, not negative; each quarter's three months add up
    /// to the quarter.
    #[validate(length(equal = 12))]
    #[schema(min_items = 12, max_items = 12, example = json!([
        60_000_000, 80_000_000, 100_000_000, 100_000_000, 100_000_000, 100_000_000,
        100_000_000, 100_000_000, 100_000_000, 100_000_000, 120_000_000, 140_000_000
    ]))]
    pub months: Vec<i64>,
    /// Each person once; the shares add up to `amount`.
    #[validate(length(max = 1000), nested)]
    #[schema(max_items = 1000)]
    pub persons: Vec<PersonShare>,
}

/// The new splits of a target. A changed `amount` needs `sales_target:manage`
/// company-wide; an office re-splits within the amount HQ set.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceSalesTarget {
    #[validate(range(min = 0, max = 1_000_000_000_000_000_i64))]
    #[schema(
        minimum = 0,
        maximum = 1_000_000_000_000_000_i64,
        example = 1_200_000_000
    )]
    pub amount: i64,
    #[validate(length(equal = 4))]
    #[schema(min_items = 4, max_items = 4)]
    pub quarters: Vec<i64>,
    #[validate(length(equal = 12))]
    #[schema(min_items = 12, max_items = 12)]
    pub months: Vec<i64>,
    #[validate(length(max = 1000), nested)]
    #[schema(max_items = 1000)]
    pub persons: Vec<PersonShare>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSalesTargets {
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Checks that the splits add up, listing every field that does not. Lengths
/// are checked by the request's validation already.
pub fn check_split(
    amount: i64,
    quarters: &[i64],
    months: &[i64],
    persons: &[PersonShare],
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let in_range = |v: i64| (0..=MAX_AMOUNT).contains(&v);
    for (i, q) in quarters.iter().enumerate() {
        if !in_range(*q) {
            errors.push(FieldError::new(
                format!("quarters[{i}]"),
                "range",
                format!("must be between 0 and {MAX_AMOUNT}"),
            ));
        }
    }
    for (i, m) in months.iter().enumerate() {
        if !in_range(*m) {
            errors.push(FieldError::new(
                format!("months[{i}]"),
                "range",
                format!("must be between 0 and {MAX_AMOUNT}"),
            ));
        }
    }
    for (i, person) in persons.iter().enumerate() {
        if persons[..i].iter().any(|p| p.user_id == person.user_id) {
            errors.push(FieldError::new(
                format!("persons[{i}].user_id"),
                "duplicate",
                "each person once",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let quarter_sum: i64 = quarters.iter().sum();
    if quarter_sum != amount {
        errors.push(FieldError::new(
            "quarters",
            "sum",
            format!("the quarters add up to {quarter_sum}, not the annual amount {amount}"),
        ));
    }
    for (q, (three, quarter)) in months.chunks(3).zip(quarters).enumerate() {
        let sum: i64 = three.iter().sum();
        if sum != *quarter {
            let first = q * 3 + 1;
            errors.push(FieldError::new(
                "months",
                "sum",
                format!(
                    "months {first}–{} add up to {sum}, not quarter {}'s {quarter}",
                    first + 2,
                    q + 1
                ),
            ));
        }
    }
    let person_sum: i64 = persons.iter().map(|p| p.amount).sum();
    if person_sum != amount {
        errors.push(FieldError::new(
            "persons",
            "sum",
            format!("the persons' shares add up to {person_sum}, not the annual amount {amount}"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn target_exists() -> ApiError {
    ApiError::new(
        ErrorCode::Duplicate,
        "the office has a target for this year already; change it instead",
    )
    .with_extra("field", "year".into())
}

/// The unique key (office, year) as a named duplicate, when two creates race.
fn duplicate_target(err: ApiError) -> ApiError {
    if err.code == ErrorCode::Duplicate {
        target_exists()
    } else {
        err
    }
}

/// A target's months and persons.
type Splits = (Vec<MonthShare>, Vec<PersonShare>);

/// The splits of the given targets, two queries whatever their number.
fn splits_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<HashMap<i64, Splits>, ApiError> {
    let months: Vec<(i64, i32, i64)> = stm::table
        .filter(stm::target_id.eq_any(ids))
        .order((stm::target_id.asc(), stm::month.asc()))
        .select((stm::target_id, stm::month, stm::amount))
        .load(conn)
        .api()?;
    let persons: Vec<(i64, i64, i64)> = stp::table
        .filter(stp::target_id.eq_any(ids))
        .order((stp::target_id.asc(), stp::id.asc()))
        .select((stp::target_id, stp::user_id, stp::amount))
        .load(conn)
        .api()?;
    let mut out: HashMap<i64, Splits> = HashMap::new();
    for (target, month, amount) in months {
        out.entry(target)
            .or_default()
            .0
            .push(MonthShare { month, amount });
    }
    for (target, user_id, amount) in persons {
        out.entry(target)
            .or_default()
            .1
            .push(PersonShare { user_id, amount });
    }
    Ok(out)
}

fn with_splits_one(conn: &mut AnyConnection, row: TargetRow) -> Result<SalesTarget, ApiError> {
    let (months, persons) = splits_of(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(row.with_splits(months, persons))
}

/// Writes the splits of a target whose old splits are gone, after checking
/// that each person works in the office.
fn insert_splits(
    conn: &mut AnyConnection,
    target: &TargetRow,
    months: &[i64],
    persons: &[PersonShare],
) -> Result<(Vec<MonthShare>, Vec<PersonShare>), ApiError> {
    for (i, person) in persons.iter().enumerate() {
        user_of_office(
            conn,
            &format!("persons[{i}].user_id"),
            person.user_id,
            target.office_id,
        )?;
    }
    // One statement per row: batch inserts are not available over the
    // multi-backend connection. Thirteen-odd rows per target, written rarely.
    for (month, amount) in (1_i32..).zip(months) {
        diesel::insert_into(stm::table)
            .values((
                stm::target_id.eq(target.id),
                stm::office_id.eq(target.office_id),
                stm::month.eq(month),
                stm::amount.eq(*amount),
            ))
            .execute(conn)
            .api()?;
    }
    for p in persons {
        diesel::insert_into(stp::table)
            .values((
                stp::target_id.eq(target.id),
                stp::office_id.eq(target.office_id),
                stp::user_id.eq(p.user_id),
                stp::amount.eq(p.amount),
            ))
            .execute(conn)
            .api()?;
    }
    let months = (1_i32..)
        .zip(months)
        .map(|(month, amount)| MonthShare {
            month,
            amount: *amount,
        })
        .collect();
    Ok((months, persons.to_vec()))
}

/// `(annual amount, [(user id, amount)])`, in minor units.
pub type AnnualTarget = (i64, Vec<(i64, i64)>);

/// The annual amount of an office's target for `year` and each person's share,
/// for the modules that track achievement; `None` when no target is set.
pub fn target_for(
    conn: &mut AnyConnection,
    office_id: i64,
    year: i32,
) -> Result<Option<AnnualTarget>, ApiError> {
    let target: Option<(i64, i64)> = st::table
        .filter(st::office_id.eq(office_id).and(st::year.eq(year)))
        .select((st::id, st::amount))
        .first(conn)
        .optional()
        .api()?;
    let Some((id, amount)) = target else {
        return Ok(None);
    };
    let persons: Vec<(i64, i64)> = stp::table
        .filter(stp::target_id.eq(id))
        .order(stp::id.asc())
        .select((stp::user_id, stp::amount))
        .load(conn)
        .api()?;
    Ok(Some((amount, persons)))
}

/// Sales targets in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListSalesTargets),
    responses((status = 200, description = "A page of targets with their splits", body = Page<SalesTarget>), ReadErrors)
)]
#[get("/sales/targets")]
async fn list_sales_targets(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListSalesTargets>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, st, TargetRow, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(st::office_id.eq(v));
                }
                if let Some(v) = q.year {
                    query = query.filter(st::year.eq(v));
                }
                query
            })?;
            let page = req.page(rows, |r| r.id, |r| r);
            let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
            let mut splits = splits_of(conn, &ids)?;
            Ok(Page {
                items: page
                    .items
                    .into_iter()
                    .map(|r| {
                        let (months, persons) = splits.remove(&r.id).unwrap_or_default();
                        r.with_splits(months, persons)
                    })
                    .collect(),
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Set an office's annual target with its quarter, month and person splits.
/// HQ's: needs `sales_target:manage` company-wide. One target per office and year.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateSalesTarget,
    responses((status = 201, description = "Created", body = SalesTarget, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/sales/targets")]
async fn create_sales_target(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateSalesTarget>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let authority = p.require_company(SALES_TARGET_MANAGE)?;
    let (office, _) = office_for_create(&p, SALES_TARGET_MANAGE, body.office_id)?;
    check_split(body.amount, &body.quarters, &body.months, &body.persons)?;
    let actor = p.actor(authority);
    let target = db
        .tx(move |conn| {
            org::office_code(conn, office)?;
            let taken: i64 = st::table
                .filter(st::office_id.eq(office).and(st::year.eq(body.year)))
                .count()
                .get_result(conn)
                .api()?;
            if taken > 0 {
                return Err(target_exists());
            }
            let now = now_db();
            let row: TargetRow = diesel::insert_into(st::table)
                .values((
                    st::office_id.eq(office),
                    st::year.eq(body.year),
                    st::amount.eq(body.amount),
                    st::currency.eq("CNY"),
                    st::created_by.eq(p.user_id),
                    st::created_at.eq(now),
                    st::updated_at.eq(now),
                    st::version.eq(1_i64),
                ))
                .returning(st::all_columns)
                .get_result(conn)
                .map_err(|e| duplicate_target(store::db_error(e)))?;
            let (months, persons) = insert_splits(conn, &row, &body.months, &body.persons)?;
            let target = row.with_splits(months, persons);
            audit::record(
                conn,
                &actor,
                Change::new("create", "sales_target", target.id, Some(office)).after(&target),
            )?;
            Ok(target)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/targets/{}", target.id),
        ))
        .insert_header(etag(target.version))
        .json(target))
}

/// Get a target with its splits.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sales target id")),
    responses((status = 200, description = "The target", body = SalesTarget, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/targets/{id}")]
async fn get_sales_target(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let target = db
        .run(move |conn| {
            let (row, _) = load_scoped!(conn, p, SALES_READ, st, TargetRow, id, "sales target");
            with_splits_one(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(target.version))
        .json(target))
}

/// Replace a target's splits. The office may re-split months and persons
/// within the annual amount; changing the amount needs `sales_target:manage`
/// company-wide.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sales target id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReplaceSalesTarget,
    responses((status = 200, description = "Replaced", body = SalesTarget, headers(("ETag" = String))), ChangeErrors)
)]
#[put("/sales/targets/{id}")]
async fn replace_sales_target(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReplaceSalesTarget>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let target = db
        .tx(move |conn| {
            let (row, authority) = load_scoped!(
                conn,
                p,
                SALES_TARGET_MANAGE,
                st,
                TargetRow,
                id,
                "sales target"
            );
            let authority = if b.amount == row.amount {
                authority
            } else {
                p.require_company(SALES_TARGET_MANAGE).map_err(|_| {
                    ApiError::forbidden(
                        "the annual amount is set by HQ: changing it needs `sales_target:manage` company-wide",
                    )
                })?
            };
            let actor = p.actor(authority);
            if row.version != if_match.0 {
                return Err(version_conflict(row.version));
            }
            check_split(b.amount, &b.quarters, &b.months, &b.persons)?;
            let before = with_splits_one(conn, row)?;
            let updated: TargetRow =
                diesel::update(st::table.find(id).filter(st::version.eq(if_match.0)))
                    .set((
                        st::amount.eq(b.amount),
                        st::updated_at.eq(now_db()),
                        st::version.eq(st::version + 1),
                    ))
                    .returning(st::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            diesel::delete(stm::table.filter(stm::target_id.eq(id)))
                .execute(conn)
                .api()?;
            diesel::delete(stp::table.filter(stp::target_id.eq(id)))
                .execute(conn)
                .api()?;
            let (months, persons) = insert_splits(conn, &updated, &b.months, &b.persons)?;
            let after = updated.with_splits(months, persons);
            audit::record(
                conn,
                &actor,
                Change::new("update", "sales_target", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(target.version))
        .json(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(user_id: i64, amount: i64) -> PersonShare {
        PersonShare { user_id, amount }
    }

    fn fields(err: ApiError) -> Vec<String> {
        err.errors.iter().map(|e| e.field.clone()).collect()
    }

    const MONTHS: [i64; 12] = [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40];

    #[test]
    fn a_split_that_adds_up_passes() {
        assert!(
            check_split(
                300,
                &[30, 60, 90, 120],
                &MONTHS,
                &[person(1, 100), person(2, 200)]
            )
            .is_ok()
        );
    }

    #[test]
    fn each_mismatch_names_its_field() {
        let err = check_split(300, &[30, 60, 90, 100], &MONTHS, &[person(1, 300)]).unwrap_err();
        assert_eq!(fields(err), vec!["quarters", "months"]);
        let err = check_split(300, &[30, 60, 90, 120], &MONTHS, &[person(1, 299)]).unwrap_err();
        assert_eq!(fields(err), vec!["persons"]);
        let mut months = MONTHS;
        months[4] = 21;
        months[5] = 19;
        assert!(check_split(300, &[30, 60, 90, 120], &months, &[person(1, 300)]).is_ok());
        months[5] = 20;
        let err = check_split(300, &[30, 60, 90, 120], &months, &[person(1, 300)]).unwrap_err();
        assert!(err.errors[0].message.contains("quarter 2"));
    }

    #[test]
    fn negative_shares_and_repeated_persons_are_refused() {
        let err =
            check_split(0, &[0, 0, 0, 0], &[0; 12], &[person(1, 0), person(1, 0)]).unwrap_err();
        assert_eq!(fields(err), vec!["persons[1].user_id"]);
        let mut months = [0; 12];
        months[0] = -1;
        months[1] = 1;
        let err = check_split(0, &[0, 0, 0, 0], &months, &[]).unwrap_err();
        assert_eq!(fields(err), vec!["months[0]"]);
    }

    #[test]
    fn quarters_come_from_the_months() {
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let row = TargetRow {
            id: 1,
            office_id: 1,
            year: 2027,
            amount: 300,
            currency: "CNY".into(),
            created_by: 1,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let months = (1..=12)
            .zip(MONTHS)
            .map(|(month, amount)| MonthShare { month, amount })
            .collect();
        assert_eq!(
            row.with_splits(months, vec![]).quarters,
            vec![30, 60, 90, 120]
        );
    }
}
