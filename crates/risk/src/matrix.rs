//! The risk matrix (風險矩陣圖): the open risks of an office, a region or
//! everything the caller sees, counted in each likelihood × impact cell of
//! the 5 × 5 grid with the grade the bands in force give the cell, and
//! totalled by grade and by category. `inherent` places each risk by its
//! assessment; `residual` by what remains after measures, for the risks
//! whose residual assessment is done. Risks not placed (not yet assessed)
//! are counted apart.

use actix_web::{HttpResponse, get, web};
use diesel::prelude::*;
use kernel::responses::ReadErrors;
use kernel::{ApiError, Principal, ValidQuery};
use org::roles::RISK_READ;
use serde::{Deserialize, Serialize};
use store::schema::risks as r;
use store::{AnyConnection, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::bands::{self, GradeBands, RiskGrade};
use crate::register::RiskCategory;
use crate::scope::Sight;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(risk_matrix);
}

/// Which assessment places a risk.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MatrixBasis {
    #[default]
    Inherent,
    Residual,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// One office's risks.
    pub office_id: Option<i64>,
    /// A region's: its offices' risks and its own (the caller sees the
    /// whole region). Neither: every risk the caller sees.
    pub region_id: Option<i64>,
    /// `inherent` when left out.
    pub basis: Option<MatrixBasis>,
}

/// One cell of the grid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatrixCell {
    #[schema(minimum = 1, maximum = 5)]
    pub likelihood: i32,
    #[schema(minimum = 1, maximum = 5)]
    pub impact: i32,
    pub score: i32,
    /// The cell's grade by the bands in force.
    pub grade: RiskGrade,
    pub count: i64,
    /// The risks in the cell, lowest id first.
    pub risk_ids: Vec<i64>,
}

/// Risks per grade.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct GradeTotals {
    pub high: i64,
    pub medium: i64,
    pub low: i64,
}

impl GradeTotals {
    fn add(&mut self, grade: RiskGrade) {
        match grade {
            RiskGrade::High => self.high += 1,
            RiskGrade::Medium => self.medium += 1,
            RiskGrade::Low => self.low += 1,
        }
    }
}

/// Risks of one category.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryTotal {
    pub category: RiskCategory,
    pub count: i64,
    pub grades: GradeTotals,
}

/// The matrix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskMatrix {
    pub basis: MatrixBasis,
    pub office_id: Option<i64>,
    pub region_id: Option<i64>,
    /// The bands the cells are graded by.
    pub bands: GradeBands,
    /// 25 cells: likelihood 5 down to 1, impact 1 up to 5 in each.
    pub cells: Vec<MatrixCell>,
    /// Placed risks per grade.
    pub grades: GradeTotals,
    /// Placed risks per category (every category, zeros too).
    pub categories: Vec<CategoryTotal>,
    /// Placed risks.
    pub total: i64,
    /// Open risks in scope not placed: not yet assessed (for `residual`, no
    /// residual assessment yet).
    pub unplaced: i64,
}

type Row = (
    i64,
    String,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
);

/// The matrix of the open risks in `rows` by `bands` on `basis`.
pub fn tally(
    rows: &[Row],
    bands: &GradeBands,
    basis: MatrixBasis,
) -> (Vec<MatrixCell>, GradeTotals, Vec<CategoryTotal>, i64, i64) {
    let mut cells: Vec<MatrixCell> = (1..=5)
        .rev()
        .flat_map(|l| {
            (1..=5).map(move |i| MatrixCell {
                likelihood: l,
                impact: i,
                score: l * i,
                grade: bands.grade(l * i),
                count: 0,
                risk_ids: Vec::new(),
            })
        })
        .collect();
    let mut grades = GradeTotals::default();
    let mut categories: Vec<CategoryTotal> = RiskCategory::ALL
        .iter()
        .map(|c| CategoryTotal {
            category: *c,
            count: 0,
            grades: GradeTotals::default(),
        })
        .collect();
    let (mut total, mut unplaced) = (0, 0);
    for (id, category, l, i, rl, ri) in rows {
        let placed = match basis {
            MatrixBasis::Inherent => l.zip(*i),
            MatrixBasis::Residual => rl.zip(*ri),
        };
        let Some((l, i)) = placed else {
            unplaced += 1;
            continue;
        };
        let Some(cell) = cells
            .iter_mut()
            .find(|c| c.likelihood == l && c.impact == i)
        else {
            unplaced += 1;
            continue;
        };
        cell.count += 1;
        cell.risk_ids.push(*id);
        grades.add(cell.grade);
        if let Some(c) = categories
            .iter_mut()
            .find(|c| c.category.as_str() == category)
        {
            c.count += 1;
            c.grades.add(cell.grade);
        }
        total += 1;
    }
    (cells, grades, categories, total, unplaced)
}

fn build(conn: &mut AnyConnection, p: &Principal, q: MatrixQuery) -> Result<RiskMatrix, ApiError> {
    let sight = Sight::of(conn, p, RISK_READ)?;
    let mut query = crate::in_sight!(
        r::table
            .filter(r::status.ne("closed"))
            .select((
                r::id,
                r::category,
                r::likelihood,
                r::impact,
                r::residual_likelihood,
                r::residual_impact,
            ))
            .into_boxed::<store::MultiBackend>(),
        sight,
        r::office_id,
        r::region_id
    );
    match (q.office_id, q.region_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_query(
                "region_id",
                "not_allowed",
                "an office's matrix or a region's, not both",
            ));
        }
        (Some(office), None) => {
            if !sight.reach().contains(office) {
                return Err(ApiError::not_found("office"));
            }
            query = query.filter(r::office_id.eq(office));
        }
        (None, Some(region)) => {
            if !sight.regions.contains(&region) {
                return Err(ApiError::not_found("region"));
            }
            let offices = org::scope::region_offices(conn, region)?;
            query = query.filter(r::region_id.eq(region).or(r::office_id.eq_any(offices)));
        }
        (None, None) => {}
    }
    let rows: Vec<Row> = query.order(r::id.asc()).load(conn).api()?;
    let bands = bands::current(conn)?;
    let basis = q.basis.unwrap_or_default();
    let (cells, grades, categories, total, unplaced) = tally(&rows, &bands, basis);
    Ok(RiskMatrix {
        basis,
        office_id: q.office_id,
        region_id: q.region_id,
        bands,
        cells,
        grades,
        categories,
        total,
        unplaced,
    })
}

/// The risk matrix of an office, a region, or everything the caller sees.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(MatrixQuery),
    responses((status = 200, description = "The matrix", body = RiskMatrix), ReadErrors)
)]
#[get("/risk/matrix")]
async fn risk_matrix(
    db: web::Data<store::Db>,
    p: Principal,
    q: ValidQuery<MatrixQuery>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let q = q.into_inner();
    let m = db.run(move |conn| build(conn, &p, q)).await?;
    Ok(HttpResponse::Ok().json(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_by_hand() {
        let bands = GradeBands {
            id: 1,
            high_from: 15,
            medium_from: 8,
            high_review_months: 1,
            medium_review_months: 3,
            low_review_months: 12,
            note: None,
            effective_at: Default::default(),
            created_by: None,
            created_at: Default::default(),
        };
        let rows: Vec<Row> = vec![
            (1, "credit".into(), Some(4), Some(4), Some(2), Some(3)),
            (2, "credit".into(), Some(4), Some(4), None, None),
            (3, "legal".into(), Some(2), Some(4), None, None),
            (4, "market".into(), None, None, None, None),
        ];
        let (cells, grades, cats, total, unplaced) = tally(&rows, &bands, MatrixBasis::Inherent);
        assert_eq!(cells.len(), 25);
        let cell = |l, i| {
            cells
                .iter()
                .find(|c| c.likelihood == l && c.impact == i)
                .unwrap()
        };
        assert_eq!(cell(4, 4).risk_ids, vec![1, 2]);
        assert_eq!(cell(4, 4).grade, RiskGrade::High);
        assert_eq!(cell(2, 4).count, 1);
        assert_eq!(cell(2, 4).grade, RiskGrade::Medium);
        assert_eq!((grades.high, grades.medium, grades.low), (2, 1, 0));
        assert_eq!((total, unplaced), (3, 1));
        let credit = cats
            .iter()
            .find(|c| c.category == RiskCategory::Credit)
            .unwrap();
        assert_eq!((credit.count, credit.grades.high), (2, 2));
        let (_, grades, _, total, unplaced) = tally(&rows, &bands, MatrixBasis::Residual);
        assert_eq!((grades.low, total, unplaced), (1, 1, 3));
        // The first cell is the top-left of the drawn grid: likelihood 5, impact 1.
        assert_eq!((cells[0].likelihood, cells[0].impact), (5, 1));
    }
}
