//! Demo finance records: in every office an active 2026 budget (approved by HQ
//! finance and leadership), three fixed assets with a completed stocktake, a
//! laptop bought through an approved purchase request, registered, assigned to
//! the sales representative and serviced once, two supply items with a closed
//! supply stocktake that found a shortage, and one
//! expense claim in each state a newcomer should
//! see — a draft, one waiting at the preliminary review, one rejected with its
//! reason, one approved and one paid — all put through the real approval engine.

use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::schema::{departments, offices, users};
use store::{AnyConnection, DbResultExt, transaction};
use workflow::Registry;
use workflow::engine::{Decide, decide, load_instance};

use crate::asset_purchases::{
    CreateAssetPurchase, RegisterPurchase, file_purchase, register_purchase,
};
use crate::assets::{AssetCategory, CreateAsset, register};
use crate::assignments::{AssignInput, assign};
use crate::budgets::{
    BUDGET_DOC, BudgetCategory, BudgetInput, BudgetLineInput, Kind, draft_budget,
};
use crate::claims::{Category, ClaimInput, ClaimLineInput, file_claim, submit_to_approval};
use crate::maintenance::{MaintenanceInput, MaintenanceKind};
use crate::stocktakes::{self, CountResult, ItemResult, Results};
use crate::supplies::{CreateSupply, Move, add_item, apply_move};
use crate::supply_stocktakes::{self, SupplyCount, SupplyCounts};

fn user(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiError> {
    users::table
        .filter(users::username.eq(name))
        .select(users::id)
        .first(conn)
        .found("demo user")
}

fn approve(
    conn: &mut AnyConnection,
    registry: &Registry,
    username: &str,
    approval: i64,
    decision: Decide,
) -> Result<(), ApiError> {
    let user_id = user(conn, username)?;
    let principal = org::principal::load_principal(conn, user_id)?;
    let version = load_instance(conn, approval)?
        .ok_or_else(|| ApiError::not_found("approval"))?
        .version;
    decide(conn, registry, &principal, approval, version, decision).map(drop)
}

/// Loads the demo claims into offices that have none. Returns how many.
pub fn load(
    conn: &mut AnyConnection,
    registry: &Registry,
    trips: &dyn crate::facts::TripFacts,
) -> Result<usize, ApiError> {
    let offices: Vec<(i64, String)> = offices::table
        .select((offices::id, offices::code))
        .order(offices::id)
        .load(conn)
        .api()?;
    transaction(conn, |conn| {
        let mut count = 0;
        for (office, code) in offices {
            let existing: i64 = store::schema::expense_claims::table
                .filter(store::schema::expense_claims::office_id.eq(office))
                .count()
                .get_result(conn)
                .api()?;
            if existing > 0 {
                continue;
            }
            let prefix = code.to_lowercase();
            let claimant = user(conn, &format!("{prefix}.sales_rep"))?;
            let dept: Option<i64> = departments::table
                .filter(
                    departments::office_id
                        .eq(office)
                        .and(departments::kind.eq("sales")),
                )
                .select(departments::id)
                .first(conn)
                .optional()
                .api()?;
            // The year's budget first, drafted by the director and approved by HQ,
            // so the claims below are checked against it.
            let director = user(conn, &format!("{prefix}.office_director"))?;
            let director_actor = Actor::demo_loader(Some(director));
            let line = |kind, category, annual: i64| BudgetLineInput {
                kind,
                category,
                department_id: None,
                annual,
                months: vec![annual / 12; 12],
            };
            let budget = draft_budget(
                conn,
                office,
                &director_actor,
                &BudgetInput {
                    office_id: Some(office),
                    year: 2026,
                    block_overruns: false,
                    lines: vec![
                        line(Kind::Income, BudgetCategory::Other, 3_600_000_000),
                        line(Kind::Expense, BudgetCategory::Travel, 24_000_000),
                        line(Kind::Expense, BudgetCategory::Entertainment, 12_000_000),
                        line(Kind::Expense, BudgetCategory::Office, 6_000_000),
                        line(Kind::Expense, BudgetCategory::Rent, 48_000_000),
                        line(Kind::Expense, BudgetCategory::Salaries, 360_000_000),
                    ],
                },
            )?;
            let approval_id = {
                use store::schema::budgets as bg;
                workflow::submit_and_keep!(
                    conn,
                    registry,
                    BUDGET_DOC,
                    bg,
                    crate::budgets::BudgetRow,
                    budget.budget.id,
                    &director_actor,
                    set = (
                        bg::status.eq("in_approval"),
                        bg::version.eq(bg::version + 1)
                    )
                )?
                .approval_id
                .ok_or_else(|| ApiError::internal(std::io::Error::other("no approval kept")))?
            };
            approve(
                conn,
                registry,
                "hq.finance",
                approval_id,
                Decide::Approve { comment: None },
            )?;
            approve(
                conn,
                registry,
                "hq.executive",
                approval_id,
                Decide::Approve {
                    comment: Some("Approved for 2026".to_owned()),
                },
            )?;

            // Three assets on the register and a completed stocktake that found them all.
            let ops = user(conn, &format!("{prefix}.operations_specialist"))?;
            let ops_actor = Actor::demo_loader(Some(ops));
            for (name, category, value, life) in [
                ("Laptop ThinkPad T14", AssetCategory::It, 900_000, 36),
                (
                    "Colour laser printer",
                    AssetCategory::OfficeEquipment,
                    450_000,
                    60,
                ),
                (
                    "Meeting-room projector",
                    AssetCategory::OfficeEquipment,
                    600_000,
                    60,
                ),
            ] {
                let input = CreateAsset {
                    office_id: Some(office),
                    name: name.to_owned(),
                    category,
                    purchase_date: NaiveDate::from_ymd_opt(2025, 3, 10).unwrap_or_default(),
                    purchase_value: value,
                    salvage_value: None,
                    useful_life_months: life,
                    location: Some("Main office".to_owned()),
                    custodian_user_id: Some(ops),
                };
                register(conn, office, &ops_actor, &input, 0)?;
            }
            let opened = stocktakes::open(conn, office, &ops_actor)?;
            let results = Results {
                items: opened
                    .items
                    .iter()
                    .map(|i| ItemResult {
                        item_id: i.id,
                        result: CountResult::Present,
                        investigation: None,
                    })
                    .collect(),
                surplus: Vec::new(),
            };
            let counted = stocktakes::record(conn, &ops_actor, &opened.stocktake, &results)?;
            stocktakes::submit(conn, registry, &ops_actor, &counted.stocktake)?;

            // A laptop requested, approved by the director (below the HQ line),
            // bought and registered, handed to the sales representative and serviced.
            let purchase = file_purchase(
                conn,
                registry,
                office,
                &ops_actor,
                &CreateAssetPurchase {
                    office_id: Some(office),
                    name: "Laptop ThinkPad T14".to_owned(),
                    category: AssetCategory::It,
                    quantity: 1,
                    estimated_unit_value: 900_000,
                    reason: "Replacement for the sales representative's broken laptop".to_owned(),
                    supplier: Some("Lenovo authorised reseller".to_owned()),
                },
            )?;
            approve(
                conn,
                registry,
                &format!("{prefix}.office_director"),
                purchase.approval_id.unwrap_or_default(),
                Decide::Approve { comment: None },
            )?;
            let approved = crate::asset_purchases::load(conn, purchase.id)?;
            let today = crate::common::today();
            let bought = register_purchase(
                conn,
                &ops_actor,
                &approved,
                &RegisterPurchase {
                    purchase_date: today,
                    purchase_value: 880_000,
                    salvage_value: None,
                    useful_life_months: 36,
                    location: Some("Sales department".to_owned()),
                    custodian_user_id: None,
                },
            )?;
            for laptop in &bought.assets {
                let (laptop, _) = assign(
                    conn,
                    &ops_actor,
                    laptop,
                    &AssignInput {
                        custodian_user_id: claimant,
                        assigned_on: Some(today),
                        notes: Some("For customer visits".to_owned()),
                    },
                )?;
                crate::maintenance::record(
                    conn,
                    &ops_actor,
                    &laptop,
                    &MaintenanceInput {
                        performed_on: today,
                        kind: MaintenanceKind::Service,
                        description:
                            "Installed the company's security software and checked the battery"
                                .to_owned(),
                        cost: 0,
                        vendor: None,
                    },
                )?;
            }

            // Supplies with stock and a closed stocktake that found a ream missing.
            let mut items = Vec::new();
            for (name, unit, reorder, received, unit_cost) in [
                ("A4 paper", "ream", 5, 20, 2_500),
                ("Printer toner", "cartridge", 1, 4, 45_000),
            ] {
                let item = add_item(
                    conn,
                    office,
                    &ops_actor,
                    &CreateSupply {
                        office_id: Some(office),
                        name: name.to_owned(),
                        unit: unit.to_owned(),
                        reorder_level: Some(reorder),
                    },
                )?;
                apply_move(
                    conn,
                    &ops_actor,
                    item.id,
                    office,
                    Move {
                        kind: "stock_in",
                        delta: received,
                        unit_cost: Some(unit_cost),
                        employee: None,
                        note: Some("Quarterly purchase"),
                    },
                )?;
                items.push((item.id, received));
            }
            let opened_count = supply_stocktakes::open(conn, office, &ops_actor)?;
            let counts = SupplyCounts {
                counts: items
                    .iter()
                    .map(|(item_id, received)| SupplyCount {
                        item_id: *item_id,
                        counted_qty: if *received == 20 {
                            received - 1
                        } else {
                            *received
                        },
                        note: (*received == 20)
                            .then(|| "One ream water-damaged, thrown away".to_owned()),
                    })
                    .collect(),
            };
            let counted = supply_stocktakes::record_counts(
                conn,
                &ops_actor,
                &opened_count.stocktake,
                &counts,
            )?;
            supply_stocktakes::close(conn, &ops_actor, &counted.stocktake)?;

            let actor = Actor::demo_loader(Some(claimant));
            let states = ["draft", "in_approval", "rejected", "approved", "paid"];
            for (i, state) in states.iter().enumerate() {
                let input = ClaimInput {
                    category: if i % 2 == 0 {
                        Category::Travel
                    } else {
                        Category::Entertainment
                    },
                    title: format!(
                        "{} — {state}",
                        if i % 2 == 0 {
                            "Customer visits"
                        } else {
                            "Customer dinner"
                        }
                    ),
                    department_id: dept,
                    pre_approval_id: None,
                    lines: vec![ClaimLineInput {
                        spent_on: NaiveDate::from_ymd_opt(2026, 11, 2 + i as u32)
                            .unwrap_or_default(),
                        description: "Taxi and train tickets".to_owned(),
                        amount: 38_000 + 12_500 * i as i64,
                        invoice_number: format!("DEMO-{code}-{i:04}"),
                        attachment: None,
                        trip_id: None,
                    }],
                };
                let claim = file_claim(conn, trips, office, &actor, &input)?.claim;
                count += 1;
                if *state == "draft" {
                    continue;
                }
                let submitted = submit_to_approval(conn, registry, &actor, &claim)?;
                let approval = submitted.approval_id.unwrap_or_default();
                match *state {
                    "rejected" => approve(
                        conn,
                        registry,
                        &format!("{prefix}.operations_specialist"),
                        approval,
                        Decide::Reject {
                            reason: "The dinner invoice is missing the company's tax number"
                                .to_owned(),
                        },
                    )?,
                    "approved" | "paid" => {
                        for approver in [
                            "operations_specialist",
                            "department_supervisor",
                            "office_director",
                        ] {
                            approve(
                                conn,
                                registry,
                                &format!("{prefix}.{approver}"),
                                approval,
                                Decide::Approve { comment: None },
                            )?;
                        }
                        approve(
                            conn,
                            registry,
                            "hq.finance",
                            approval,
                            Decide::Approve {
                                comment: Some("OK to pay".to_owned()),
                            },
                        )?;
                        if *state == "paid" {
                            diesel::update(store::schema::expense_claims::table.find(claim.id))
                                .set((
                                    store::schema::expense_claims::status.eq("paid"),
                                    store::schema::expense_claims::paid_on
                                        .eq(NaiveDate::from_ymd_opt(2026, 11, 20)),
                                    store::schema::expense_claims::payment_reference
                                        .eq(format!("BANK-{code}-001")),
                                ))
                                .execute(conn)
                                .api()?;
                            let finance = Actor::demo_loader(Some(user(conn, "hq.finance")?));
                            store::audit::record(
                                conn,
                                &finance,
                                store::audit::Change::new("pay", "expense_claim", claim.id, Some(office))
                                    .after(&serde_json::json!({"status": "paid", "payment_reference": format!("BANK-{code}-001")})),
                            )?;
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(count)
    })
}
