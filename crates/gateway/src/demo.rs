//! The demo company, every module's part of it: the organization first, then each
//! domain's records on top. `serve --demo` and the tests load the same data.

use kernel::ApiError;
use store::AnyConnection;

pub struct Loaded {
    /// False when the database already had offices: nothing was loaded.
    pub loaded: bool,
    pub users: usize,
    pub customers: usize,
    pub expense_claims: usize,
    pub contracts: usize,
    pub trips: usize,
    pub service_requests: usize,
    pub risks: usize,
}

pub fn load(conn: &mut AnyConnection, registry: &workflow::Registry) -> Result<Loaded, ApiError> {
    let org = org::demo::load_demo(conn)?;
    if !org.loaded {
        return Ok(Loaded {
            loaded: false,
            users: 0,
            customers: 0,
            expense_claims: 0,
            contracts: 0,
            trips: 0,
            service_requests: 0,
            risks: 0,
        });
    }
    let customers = sales_pipeline::demo::load(conn)?;
    let contracts = sales_pipeline::demo_pipeline::load(conn, registry)?;
    // In December HQ has set next year's figures and the offices are drafting
    // their plans.
    let next_year = chrono::Datelike::year(&kernel::time::now()) + 1;
    sales_pipeline::targets::demo::load(conn, next_year)?;
    let trips = personnel::demo::load(conn, registry, &crate::facts::personnel::sources())?;
    let expense_claims =
        finance::demo::load(conn, registry, &crate::facts::finance::PersonnelTrips)?;
    let service_requests =
        after_sales::demo::load(conn, &crate::facts::after_sales::SalesCustomers)?;
    let risks = risk::demo::load(conn, registry, &crate::facts::risk::sources())?;
    Ok(Loaded {
        loaded: true,
        users: org.users,
        customers,
        expense_claims,
        contracts,
        trips,
        service_requests,
        risks,
    })
}
