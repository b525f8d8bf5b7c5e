//! The facts after-sales reads from other domains, wired to the crates that
//! own them: customers, their contacts and orders (sales pipeline).

use kernel::ApiError;

/// Sales facts for after-sales.
pub struct SalesCustomers;

impl after_sales::facts::SalesFacts for SalesCustomers {
    fn active_customer(
        &self,
        conn: &mut store::AnyConnection,
        office_id: i64,
        customer_id: i64,
    ) -> Result<bool, ApiError> {
        Ok(
            sales_pipeline::facts::active_customer_of_office(conn, office_id, customer_id)?
                .is_some(),
        )
    }

    fn is_contact_of(
        &self,
        conn: &mut store::AnyConnection,
        customer_id: i64,
        contact_id: i64,
    ) -> Result<bool, ApiError> {
        sales_pipeline::facts::is_contact_of(conn, customer_id, contact_id)
    }

    fn orders_between(
        &self,
        conn: &mut store::AnyConnection,
        office_id: i64,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<i64, ApiError> {
        sales_pipeline::facts::orders_between(conn, office_id, from, to)
    }

    fn order_for_service(
        &self,
        conn: &mut store::AnyConnection,
        office_id: i64,
        order_id: i64,
    ) -> Result<Option<after_sales::facts::ServiceOrder>, ApiError> {
        Ok(
            sales_pipeline::facts::order_for_service(conn, office_id, order_id)?.map(|o| {
                after_sales::facts::ServiceOrder {
                    customer_id: o.customer_id,
                    currency: o.currency,
                    installed_on: o.installed_on,
                    products: o.products,
                }
            }),
        )
    }

    fn active_customers(
        &self,
        conn: &mut store::AnyConnection,
        office_id: i64,
        classification: Option<&str>,
    ) -> Result<Vec<i64>, ApiError> {
        sales_pipeline::facts::active_customers(conn, office_id, classification)
    }
}
