//! Where a risk record sits — one office, a region as a whole, or the
//! company — and who sees and changes it, written once for the register,
//! measures, decisions and the matrix. A caller sees an office's records
//! where their reach holds the office, a region's where it holds every
//! office of the region, and the company's with a company-wide reach; a
//! record outside that is 404 like a missing one. The filter goes into each
//! query through [`Sight`].

use kernel::{ApiError, Authority, Permission, Principal, Reach};
use serde::{Deserialize, Serialize};
use store::AnyConnection;
use utoipa::ToSchema;

/// Where a risk sits.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// One office's (`office_id`).
    Office,
    /// A region's as a whole (`region_id`).
    Region,
    /// The company's.
    Company,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Office => "office",
            RiskLevel::Region => "region",
            RiskLevel::Company => "company",
        }
    }
}

/// A record's place: its level and the office or region it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub level: RiskLevel,
    pub office_id: Option<i64>,
    pub region_id: Option<i64>,
}

impl Place {
    /// The place of a stored record: its office's, else its region's, else
    /// the company's.
    pub fn at(office_id: Option<i64>, region_id: Option<i64>) -> Place {
        let level = match (office_id, region_id) {
            (Some(_), _) => RiskLevel::Office,
            (None, Some(_)) => RiskLevel::Region,
            (None, None) => RiskLevel::Company,
        };
        Place {
            level,
            office_id,
            region_id,
        }
    }

    /// The place a create names: `office` (the office named, else the
    /// caller's own), `region` with `region_id`, or `company` with neither.
    pub fn for_create(
        p: &Principal,
        level: Option<RiskLevel>,
        office_id: Option<i64>,
        region_id: Option<i64>,
    ) -> Result<Place, ApiError> {
        let not_allowed = |field: &str, level: &str| {
            ApiError::invalid_field(
                field,
                "not_allowed",
                format!("a record of the {level} names no {field}"),
            )
        };
        match level.unwrap_or(RiskLevel::Office) {
            RiskLevel::Office => {
                if region_id.is_some() {
                    return Err(not_allowed("region_id", "office"));
                }
                let office = office_id.or(p.office_id).ok_or_else(|| {
                    ApiError::invalid_field(
                        "office_id",
                        "required",
                        "is required for callers outside an office",
                    )
                })?;
                Ok(Place {
                    level: RiskLevel::Office,
                    office_id: Some(office),
                    region_id: None,
                })
            }
            RiskLevel::Region => {
                if office_id.is_some() {
                    return Err(not_allowed("office_id", "region"));
                }
                let region = region_id.ok_or_else(|| {
                    ApiError::invalid_field("region_id", "required", "a region's record names it")
                })?;
                Ok(Place {
                    level: RiskLevel::Region,
                    office_id: None,
                    region_id: Some(region),
                })
            }
            RiskLevel::Company => {
                if office_id.is_some() {
                    return Err(not_allowed("office_id", "company"));
                }
                if region_id.is_some() {
                    return Err(not_allowed("region_id", "company"));
                }
                Ok(Place {
                    level: RiskLevel::Company,
                    office_id: None,
                    region_id: None,
                })
            }
        }
    }

    /// How the caller may act on a record here under `perm`: over the
    /// office, over every office of the region, or company-wide. 403 without
    /// `perm` (or, for the company's, without it company-wide); 404 for an
    /// office or region outside the caller's reach.
    pub fn authorize(
        &self,
        conn: &mut AnyConnection,
        p: &Principal,
        perm: Permission,
    ) -> Result<Authority, ApiError> {
        match (self.office_id, self.region_id) {
            (Some(office), _) => p.authorize(perm, Some(office)).map_err(|e| {
                if e.code == kernel::ErrorCode::NotFound {
                    ApiError::not_found("office")
                } else {
                    e
                }
            }),
            (None, Some(region)) => org::scope::authorize_region(conn, p, perm, region),
            (None, None) => p.require_company(perm),
        }
    }

    /// Who may be named on a record here (an owner): an active user of the
    /// office; for a region's, of one of its offices or of HQ; for the
    /// company's, any active user.
    pub fn check_user(
        &self,
        conn: &mut AnyConnection,
        field: &str,
        user_id: i64,
    ) -> Result<(), ApiError> {
        match (self.office_id, self.region_id) {
            (Some(office), _) => org::scope::user_of_office(conn, field, user_id, office),
            (None, Some(region)) => {
                let offices = org::scope::region_offices(conn, region)?;
                org::scope::user_of_offices_or_hq(conn, field, user_id, Some(&offices))
            }
            (None, None) => org::scope::user_of_offices_or_hq(conn, field, user_id, None),
        }
    }
}

/// What a caller sees under one permission: the offices of their reach, and
/// the regions they hold whole. `None` in both: everything.
#[derive(Debug, Clone)]
pub struct Sight {
    pub offices: Option<Vec<i64>>,
    pub regions: Vec<i64>,
}

impl Sight {
    pub fn of(
        conn: &mut AnyConnection,
        p: &Principal,
        perm: Permission,
    ) -> Result<Sight, ApiError> {
        let reach = p.reach(perm);
        let regions = org::scope::regions_in_reach(conn, &reach)?;
        Ok(Sight {
            offices: store::scoped::office_ids(&reach),
            regions,
        })
    }

    pub fn is_company(&self) -> bool {
        self.offices.is_none()
    }

    /// Whether a record at `place` is in sight.
    pub fn sees(&self, place: &Place) -> bool {
        match &self.offices {
            None => true,
            Some(ids) => match (place.office_id, place.region_id) {
                (Some(o), _) => ids.contains(&o),
                (None, Some(r)) => self.regions.contains(&r),
                (None, None) => false,
            },
        }
    }

    /// The reach over offices alone, for a clause on an office column.
    pub fn reach(&self) -> Reach {
        match &self.offices {
            None => Reach::Company,
            Some(ids) => Reach::Offices(ids.iter().copied().collect()),
        }
    }
}

/// Filters a boxed query of a table with `office_id` and `region_id` to what
/// `$sight` sees: its offices' records, and the region records of the
/// regions it holds whole; nothing filtered for a company-wide sight.
///
/// With `also = predicate`, rows matching it are kept wherever they sit (a
/// measure its owner is named on).
#[macro_export]
macro_rules! in_sight {
    ($query:expr, $sight:expr, $office:expr, $region:expr, also = $also:expr) => {{
        let mut q = $query;
        if let Some(ids) = $sight.offices.clone() {
            q = q.filter(
                $also.or($office.eq_any(ids).or($office
                    .is_null()
                    .and($region.eq_any($sight.regions.clone())))),
            );
        }
        q
    }};
    ($query:expr, $sight:expr, $office:expr, $region:expr) => {{
        let mut q = $query;
        if let Some(ids) = $sight.offices.clone() {
            q = q.filter(
                $office.eq_any(ids).or($office
                    .is_null()
                    .and($region.eq_any($sight.regions.clone()))),
            );
        }
        q
    }};
}

/// Loads the row `$id` of `$table` (with `office_id` and `region_id`) within
/// `$sight`: the sight in the `WHERE`, and a row outside it 404 as `$what`,
/// like a missing one. With `also = predicate`, as [`in_sight!`].
#[macro_export]
macro_rules! load_in_sight {
    ($conn:expr, $sight:expr, $table:ident, $row:ty, $id:expr, $what:literal $(, also = $also:expr)?) => {{
        let query = $table::table
            .filter($table::id.eq($id))
            .select(<$row>::as_select())
            .into_boxed::<store::MultiBackend>();
        store::DbResultExt::found(
            $crate::in_sight!(query, $sight, $table::office_id, $table::region_id $(, also = $also)?)
                .first::<$row>($conn),
            $what,
        )
    }};
}
