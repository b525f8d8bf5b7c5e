//! Orders (銷售訂單臺賬): entered by the office after a contract is signed, with
//! a number, the customer, the contract, priced lines and a delivery date, then
//! followed through production → shipping (carrier, tracking number) →
//! installation and commissioning → customer training → completed, or
//! cancelled with a reason. Every status change is kept.
//!
//! An order that would take the customer over their credit limit (信用額度) is
//! refused with 409 `credit_limit_exceeded`, unless a credit override approved
//! through the engine (office director, then HQ finance) covers the excess.
//!
//! This file owns the records (order, order view, status event), the status
//! flow (one step at a time, cancel only before shipping) and the route table.
//! The order endpoints, their request bodies, entering and moving an order are
//! in `api`, the credit-limit arithmetic in `credit`, and credit overrides with
//! the approval engine's side in `overrides`.

mod api;
mod credit;
mod overrides;

pub use api::{CreateOrder, ListOrders, MoveOrder, advance, enter};
pub use credit::credit_exposure;
pub use overrides::{CreditOverride, CreditOverrideDocument, ListOverrides, RequestOverride};

use api::{create_order, get_order, list_orders, move_order, order_events};
use overrides::{get_override, list_overrides, request_override};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use store::schema::{sales_order_events as ev, sales_orders as so};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::common::Line;

pub const LINES: &str = "order";
pub const OVERRIDE_DOC: &str = "credit_override";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_orders)
        .service(create_order)
        .service(get_order)
        .service(move_order)
        .service(order_events)
        .service(list_overrides)
        .service(request_override)
        .service(get_override);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Entered,
    InProduction,
    Shipped,
    Installed,
    Trained,
    Completed,
    Cancelled,
}

/// The order of the flow; `cancelled` leaves it.
pub const FLOW: [OrderStatus; 6] = [
    OrderStatus::Entered,
    OrderStatus::InProduction,
    OrderStatus::Shipped,
    OrderStatus::Installed,
    OrderStatus::Trained,
    OrderStatus::Completed,
];

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Entered => "entered",
            OrderStatus::InProduction => "in_production",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Installed => "installed",
            OrderStatus::Trained => "trained",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// The one next status in the flow, and `cancelled` before shipping.
    pub fn next_allowed(current: &str) -> Vec<OrderStatus> {
        let Some(i) = FLOW.iter().position(|s| s.as_str() == current) else {
            return Vec::new();
        };
        let mut out: Vec<OrderStatus> = FLOW.get(i + 1).copied().into_iter().collect();
        if i <= 1 {
            out.push(OrderStatus::Cancelled);
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = so)]
pub struct Order {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "SO-GZ-2026-0001")]
    pub number: String,
    pub customer_id: i64,
    pub contract_id: Option<i64>,
    /// The sales person credited with the order.
    pub sales_user_id: Option<i64>,
    pub ordered_on: NaiveDate,
    pub delivery_date: NaiveDate,
    pub currency: String,
    /// The sum of the line amounts, minor units.
    pub total: i64,
    #[schema(value_type = OrderStatus)]
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub cancel_reason: Option<String>,
    /// The approved credit override the order used.
    pub credit_override_id: Option<i64>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: Order,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ev)]
pub struct OrderEvent {
    pub id: i64,
    pub order_id: i64,
    pub office_id: i64,
    #[schema(value_type = Option<OrderStatus>)]
    pub from_status: Option<String>,
    #[schema(value_type = OrderStatus)]
    pub to_status: String,
    pub note: Option<String>,
    pub user_id: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_move_one_step_and_cancel_only_before_shipping() {
        use OrderStatus::*;
        assert_eq!(
            OrderStatus::next_allowed("entered"),
            vec![InProduction, Cancelled]
        );
        assert_eq!(
            OrderStatus::next_allowed("in_production"),
            vec![Shipped, Cancelled]
        );
        assert_eq!(OrderStatus::next_allowed("shipped"), vec![Installed]);
        assert_eq!(OrderStatus::next_allowed("trained"), vec![Completed]);
        assert!(OrderStatus::next_allowed("completed").is_empty());
        assert!(OrderStatus::next_allowed("cancelled").is_empty());
    }
}
