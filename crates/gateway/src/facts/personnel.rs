//! The facts personnel reads from other domains, wired to the crates that
//! own them: supplies issued and fixed assets held (finance).

use std::sync::Arc;

use kernel::ApiError;
use personnel::facts::{FinancePersonnelFacts, HeldAsset, PersonnelSources};
use store::AnyConnection;

/// Finance facts for personnel.
pub struct FinanceHoldings;

impl FinancePersonnelFacts for FinanceHoldings {
    fn supply_issued(
        &self,
        conn: &mut AnyConnection,
        movement_id: i64,
        office_id: i64,
        user_id: i64,
    ) -> Result<bool, ApiError> {
        finance::supplies::issued_to(conn, movement_id, office_id, user_id)
    }

    fn assets_held(
        &self,
        conn: &mut AnyConnection,
        user_id: i64,
    ) -> Result<Vec<HeldAsset>, ApiError> {
        Ok(finance::assignments::held_by(conn, user_id)?
            .into_iter()
            .map(|(id, number, name)| HeldAsset { id, number, name })
            .collect())
    }
}

/// Every source personnel reads.
pub fn sources() -> PersonnelSources {
    PersonnelSources {
        finance: Arc::new(FinanceHoldings),
    }
}
