//! The personnel facts other domains read. Domain crates never depend on each
//! other: a consumer declares a small trait for what it needs, and the gateway
//! wires these functions into it. Finance reads trips to tie a travel expense
//! claim to an approved trip (出差結束后，應及時提交出差報告和報銷憑證).

use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::ApiError;
use store::schema::business_trips as bt;
use store::{AnyConnection, DbResultExt};

/// What another domain needs to know of a business trip.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct TripFact {
    pub id: i64,
    pub office_id: i64,
    pub traveller_user_id: i64,
    pub destination: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// `in_approval`, `approved`, `rejected`, `withdrawn` or `completed`.
    pub status: String,
}

type FactColumns = (
    bt::id,
    bt::office_id,
    bt::traveller_user_id,
    bt::destination,
    bt::starts_on,
    bt::ends_on,
    bt::status,
);

const FACT_COLUMNS: FactColumns = (
    bt::id,
    bt::office_id,
    bt::traveller_user_id,
    bt::destination,
    bt::starts_on,
    bt::ends_on,
    bt::status,
);

/// One trip by id, whatever its status; `None` when there is none. The caller
/// decides who may learn of it.
pub fn trip(conn: &mut AnyConnection, id: i64) -> Result<Option<TripFact>, ApiError> {
    bt::table
        .find(id)
        .select(FACT_COLUMNS)
        .first(conn)
        .optional()
        .api()
}

/// The approved or completed trips of the user whose dates cover `on` (first
/// and last day included), oldest first.
pub fn trips_covering(
    conn: &mut AnyConnection,
    user_id: i64,
    on: NaiveDate,
) -> Result<Vec<TripFact>, ApiError> {
    bt::table
        .filter(bt::traveller_user_id.eq(user_id))
        .filter(bt::status.eq_any(["approved", "completed"]))
        .filter(bt::starts_on.le(on))
        .filter(bt::ends_on.ge(on))
        .order(bt::id.asc())
        .select(FACT_COLUMNS)
        .load(conn)
        .api()
}

/// An asset a person still holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HeldAsset {
    pub id: i64,
    #[schema(example = "FA-GZ01-2026-000001")]
    pub number: String,
    #[schema(example = "筆記本電腦")]
    pub name: String,
}

/// What personnel reads of finance, wired by the gateway: the supplies issued
/// to a new hire (the onboarding checklist names the issue) and the fixed
/// assets a leaver still holds (the handover waits until they are returned).
pub trait FinancePersonnelFacts: Send + Sync {
    /// Whether movement `movement_id` is an issue of supplies at `office_id`
    /// to `user_id`.
    fn supply_issued(
        &self,
        conn: &mut AnyConnection,
        movement_id: i64,
        office_id: i64,
        user_id: i64,
    ) -> Result<bool, ApiError>;
    /// The assets in use whose custodian is `user_id`.
    fn assets_held(
        &self,
        conn: &mut AnyConnection,
        user_id: i64,
    ) -> Result<Vec<HeldAsset>, ApiError>;
}

/// The other domains' facts personnel reads, as app data.
#[derive(Clone)]
pub struct PersonnelSources {
    pub finance: std::sync::Arc<dyn FinancePersonnelFacts>,
}

/// An employee's training over a period, as appraisal reads it (training
/// completion as an indicator).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrainingRecord {
    /// Sessions held in the period they were put on, results recorded.
    pub sessions: i64,
    pub attended: i64,
    pub passed: i64,
}

/// The training record of `employee` for sessions held `from`..=`to`.
pub fn training_record(
    conn: &mut AnyConnection,
    employee: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<TrainingRecord, ApiError> {
    use store::schema::{training_attendances as ta, training_sessions as ts};
    let rows: Vec<(Option<bool>, Option<bool>)> = ta::table
        .inner_join(ts::table)
        .filter(ta::employee_id.eq(employee))
        .filter(ts::status.eq("held"))
        .filter(ts::held_on.ge(from))
        .filter(ts::held_on.le(to))
        .select((ta::attended, ta::passed))
        .load(conn)
        .api()?;
    Ok(TrainingRecord {
        sessions: rows.len() as i64,
        attended: rows.iter().filter(|(a, _)| *a == Some(true)).count() as i64,
        passed: rows.iter().filter(|(_, p)| *p == Some(true)).count() as i64,
    })
}
