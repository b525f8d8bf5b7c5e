//! The facts finance reads from other domains, wired to the crates that own
//! them: payments received (sales pipeline) for the income side of budget vs
//! actual, and business trips (personnel) for travel lines.

use kernel::ApiError;

/// Sales facts for finance: payments received, month by month.
pub struct SalesReceipts;

impl finance::facts::SalesFacts for SalesReceipts {
    fn receipts_by_month(
        &self,
        conn: &mut store::AnyConnection,
        office_id: i64,
        year: i32,
    ) -> Result<Vec<(u32, i64)>, ApiError> {
        let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| ApiError::invalid_field("year", "range", "no such year"))?;
        let last = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(first);
        let rows = sales_pipeline::facts::receipts_by_month(conn, office_id, first, last)?;
        // `YYYY-MM` → the month number.
        Ok(rows
            .into_iter()
            .filter_map(|(month, amount)| Some((month.get(5..7)?.parse().ok()?, amount)))
            .collect())
    }
}

/// Personnel facts for finance: the business trips travel lines link to.
pub struct PersonnelTrips;

fn as_finance_trip(t: personnel::facts::TripFact) -> finance::facts::Trip {
    finance::facts::Trip {
        approved: matches!(t.status.as_str(), "approved" | "completed"),
        id: t.id,
        office_id: t.office_id,
        traveller_user_id: t.traveller_user_id,
        starts_on: t.starts_on,
        ends_on: t.ends_on,
    }
}

impl finance::facts::TripFacts for PersonnelTrips {
    fn trip(
        &self,
        conn: &mut store::AnyConnection,
        trip_id: i64,
    ) -> Result<Option<finance::facts::Trip>, ApiError> {
        Ok(personnel::facts::trip(conn, trip_id)?.map(as_finance_trip))
    }

    fn trips_covering(
        &self,
        conn: &mut store::AnyConnection,
        user_id: i64,
        on: chrono::NaiveDate,
    ) -> Result<Vec<finance::facts::Trip>, ApiError> {
        Ok(personnel::facts::trips_covering(conn, user_id, on)?
            .into_iter()
            .map(as_finance_trip)
            .collect())
    }
}
