//! The demo company's sales pipeline, put through the same service functions
//! and the real approval engine as the API: in every office, opportunities in
//! every stage, two signed contracts with payment schedules (one instalment
//! paid, one overdue and dunned, one more than 90 days late and escalated), and
//! orders in every status. Dates are relative to the day the demo is loaded.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use kernel::{ApiError, Principal};
use store::schema::{customers as c, offices, opportunities as o, users};
use store::{AnyConnection, DbResultExt, transaction};
use workflow::Registry;
use workflow::engine::{Decide, decide, load_instance};

use crate::collections::{
    self, DunningChannel, EscalateTo, LogDunning, PaymentMethod, RecordPayment,
};
use crate::common::PricedLineInput;
use crate::contracts::{self, InstalmentInput, NewContract};
use crate::leads::{self, CreateOpportunity, MoveStage, OPEN_STAGES, Stage};
use crate::orders::{self, CreateOrder, MoveOrder, OrderStatus};

fn principal(conn: &mut AnyConnection, username: &str) -> Result<Principal, ApiError> {
    let id: i64 = users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(conn)
        .found("demo user")?;
    org::principal::load_principal(conn, id)
}

fn approve(
    conn: &mut AnyConnection,
    registry: &Registry,
    username: &str,
    approval: i64,
) -> Result<(), ApiError> {
    let p = principal(conn, username)?;
    let version = load_instance(conn, approval)?
        .ok_or_else(|| ApiError::not_found("approval"))?
        .version;
    decide(
        conn,
        registry,
        &p,
        approval,
        version,
        Decide::Approve { comment: None },
    )
    .map(drop)
}

fn line(product: &str, quantity: i64, unit_price: i64, discount_bp: i32) -> PricedLineInput {
    PricedLineInput {
        product: product.to_owned(),
        description: None,
        quantity,
        unit_price,
        discount_bp: Some(discount_bp),
    }
}

struct Office<'a> {
    id: i64,
    prefix: &'a str,
    rep: Principal,
    today: NaiveDate,
}

impl Office<'_> {
    fn day(&self, offset: i64) -> NaiveDate {
        self.today + Duration::days(offset)
    }
}

/// A contract drafted, reviewed, signed and filed; then in execution.
fn signed_contract(
    conn: &mut AnyConnection,
    registry: &Registry,
    o: &Office<'_>,
    customer: i64,
    title: &str,
    lines: Vec<PricedLineInput>,
    schedule: Vec<(i64, i64)>,
) -> Result<contracts::ContractView, ApiError> {
    let actor = o.rep.actor(kernel::Authority::default());
    let draft = contracts::create_draft(
        conn,
        &o.rep,
        &actor,
        NewContract {
            office: o.id,
            customer,
            quotation: None,
            opportunity: None,
            title: title.to_owned(),
            terms: "交貨期 30 天;質保 3 年;按付款計劃付款,逾期按日萬分之五計違約金。".to_owned(),
            currency: "CNY".to_owned(),
            lines,
            instalments: schedule
                .iter()
                .map(|(due, amount)| InstalmentInput {
                    due_on: o.day(*due),
                    amount: *amount,
                })
                .collect(),
        },
    )?;
    let id = draft.contract.id;
    let submitted = contracts::submit(conn, registry, &o.rep, id, draft.contract.version)?;
    let approval = submitted.contract.approval_id.unwrap_or_default();
    approve(
        conn,
        registry,
        &format!("{}.department_supervisor", o.prefix),
        approval,
    )?;
    approve(
        conn,
        registry,
        &format!("{}.office_director", o.prefix),
        approval,
    )?;
    let version = |conn: &mut AnyConnection| -> Result<i64, ApiError> {
        store::schema::contracts::table
            .find(id)
            .select(store::schema::contracts::version)
            .first(conn)
            .api()
    };
    let v = version(conn)?;
    let signed = contracts::sign(
        conn,
        &o.rep,
        id,
        v,
        o.day(-150),
        vec![
            "甲方: 陳建國".to_owned(),
            format!("乙方: {}", o.rep.display_name),
        ],
    )?;
    let filed = contracts::file(conn, &o.rep, id, signed.contract.version, o.day(-148))?;
    contracts::execute(conn, &o.rep, id, filed.contract.version)
}

/// Loads the pipeline into every office that has customers and no
/// opportunities yet. Returns how many contracts were signed.
pub fn load(conn: &mut AnyConnection, registry: &Registry) -> Result<usize, ApiError> {
    let offices: Vec<(i64, String)> = offices::table
        .select((offices::id, offices::code))
        .order(offices::id)
        .load(conn)
        .api()?;
    let today = kernel::time::now().date_naive();
    transaction(conn, |conn| {
        let mut signed = 0;
        for (office, code) in offices {
            let existing: i64 = o::table
                .filter(o::office_id.eq(office))
                .count()
                .get_result(conn)
                .api()?;
            let customers: Vec<i64> = c::table
                .filter(c::office_id.eq(office))
                .order(c::id.asc())
                .select(c::id)
                .load(conn)
                .api()?;
            if existing > 0 || customers.len() < 2 {
                continue;
            }
            let prefix = code.to_lowercase();
            let o = Office {
                id: office,
                rep: principal(conn, &format!("{prefix}.sales_rep"))?,
                prefix: &prefix,
                today,
            };
            let actor = o.rep.actor(kernel::Authority::default());
            let (key, second) = (customers[0], customers[1]);

            // One opportunity in every stage; the won one gets its contract below.
            let mut opps = Vec::new();
            for (n, target) in OPEN_STAGES
                .iter()
                .chain(&[Stage::Won, Stage::Lost])
                .enumerate()
            {
                let n = i64::try_from(n).unwrap_or_default();
                let mut opp = leads::open(
                    conn,
                    &o.rep,
                    &actor,
                    office,
                    CreateOpportunity {
                        office_id: Some(office),
                        customer_id: if n % 2 == 0 || *target == Stage::Won {
                            key
                        } else {
                            second
                        },
                        title: format!("{} 照明改造項目 #{}", code, n + 1),
                        expected_amount: 5_000_000 * (n + 1),
                        currency: None,
                        expected_close_on: o.day(30 + 15 * n),
                        owner_user_id: None,
                    },
                )?;
                for stage in OPEN_STAGES.iter().skip(1) {
                    if *target == Stage::Lost || opp.stage == target.as_str() {
                        break;
                    }
                    opp = leads::move_stage_to(
                        conn,
                        &o.rep,
                        opp.id,
                        opp.version,
                        MoveStage {
                            stage: *stage,
                            note: None,
                            lost_reason: None,
                            contract_id: None,
                        },
                    )?;
                }
                if *target == Stage::Lost {
                    opp = leads::move_stage_to(
                        conn,
                        &o.rep,
                        opp.id,
                        opp.version,
                        MoveStage {
                            stage: Stage::Lost,
                            note: None,
                            lost_reason: Some("競爭對手報價低 15%".to_owned()),
                            contract_id: None,
                        },
                    )?;
                }
                opps.push((*target, opp));
            }

            // Two signed contracts: the key account's in good standing but with
            // one instalment 50 days overdue; the second customer's 100 days late.
            let first = signed_contract(
                conn,
                registry,
                &o,
                key,
                "廠房照明改造工程合同",
                vec![
                    line("LED 工礦燈 150W", 200, 68_000, 500),
                    line("智能照明控制器", 10, 150_000, 0),
                ],
                vec![(-120, 4_000_000), (-50, 6_000_000), (40, 4_420_000)],
            )?;
            let second_contract = signed_contract(
                conn,
                registry,
                &o,
                second,
                "商業綜合體公區照明合同",
                vec![line("LED 筒燈 12W", 500, 4_500, 0)],
                vec![(-100, 1_125_000), (20, 1_125_000)],
            )?;
            signed += 2;
            // The one meant to be won reached negotiation above; it is won with
            // the key account's contract.
            if let Some((_, won)) = opps.iter().find(|(t, _)| *t == Stage::Won) {
                leads::move_stage_to(
                    conn,
                    &o.rep,
                    won.id,
                    won.version,
                    MoveStage {
                        stage: Stage::Won,
                        note: Some("合同已簽訂".to_owned()),
                        lost_reason: None,
                        contract_id: Some(first.contract.id),
                    },
                )?;
            }
            let inst = &first.instalments;
            collections::receive(
                conn,
                &o.rep,
                first.contract.id,
                RecordPayment {
                    instalment_id: inst[0].id,
                    amount: inst[0].amount,
                    received_on: o.day(-118),
                    method: PaymentMethod::BankTransfer,
                    reference: Some("ICBC 0093".to_owned()),
                },
            )?;
            collections::dun(
                conn,
                &o.rep,
                inst[1].id,
                LogDunning {
                    channel: DunningChannel::Call,
                    contacted_person: "財務部 王會計".to_owned(),
                    reason_given: Some("項目甲方尚未撥款".to_owned()),
                    promised_on: Some(o.day(10)),
                    note: None,
                    escalate_to: None,
                },
            )?;
            collections::dun(
                conn,
                &o.rep,
                second_contract.instalments[0].id,
                LogDunning {
                    channel: DunningChannel::Visit,
                    contacted_person: "總經理 劉總".to_owned(),
                    reason_given: Some("資金周轉困難".to_owned()),
                    promised_on: None,
                    note: Some("客戶經營困難,升級至主任與財務".to_owned()),
                    escalate_to: Some(EscalateTo::Director),
                },
            )?;

            // Orders in every status, against the first contract.
            let flow = [
                OrderStatus::Entered,
                OrderStatus::InProduction,
                OrderStatus::Shipped,
                OrderStatus::Installed,
                OrderStatus::Trained,
                OrderStatus::Completed,
                OrderStatus::Cancelled,
            ];
            for (n, target) in flow.iter().enumerate() {
                let n = i64::try_from(n).unwrap_or_default();
                let order = orders::enter(
                    conn,
                    &o.rep,
                    &actor,
                    office,
                    o.day(-60 + 8 * n),
                    CreateOrder {
                        office_id: Some(office),
                        customer_id: key,
                        contract_id: Some(first.contract.id),
                        sales_user_id: None,
                        ordered_on: Some(o.day(-60 + 8 * n)),
                        delivery_date: o.day(-30 + 8 * n),
                        lines: vec![line("LED 工礦燈 150W", 20 + n, 68_000, 500)],
                        credit_override_id: None,
                    },
                )?;
                let mut current = order.order;
                for status in orders::FLOW.iter().skip(1) {
                    if *target == OrderStatus::Entered || current.status == target.as_str() {
                        break;
                    }
                    if *target == OrderStatus::Cancelled {
                        orders::advance(
                            conn,
                            &o.rep,
                            current.id,
                            current.version,
                            MoveOrder {
                                status: OrderStatus::Cancelled,
                                carrier: None,
                                tracking_number: None,
                                reason: Some("客戶項目延期".to_owned()),
                                note: None,
                            },
                        )?;
                        break;
                    }
                    let shipping = *status == OrderStatus::Shipped;
                    current = orders::advance(
                        conn,
                        &o.rep,
                        current.id,
                        current.version,
                        MoveOrder {
                            status: *status,
                            carrier: shipping.then(|| "順豐速運".to_owned()),
                            tracking_number: shipping.then(|| format!("SF{}{n:04}", office)),
                            reason: None,
                            note: None,
                        },
                    )?;
                }
            }
        }
        Ok(signed)
    })
}
