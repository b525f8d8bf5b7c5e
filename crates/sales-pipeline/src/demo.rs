//! Demo customers for the demo company: a few per office, with contacts and
//! interactions, one key account each.

use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::audit::{self, Change};
use store::schema::{
    customer_contacts as cc, customer_interactions as ci, customers as c, offices, users,
};
use store::{AnyConnection, DbResultExt, transaction};

const CUSTOMERS: &[(&str, Option<&str>, &str, &str, i64)] = &[
    (
        "明光照明工程有限公司",
        Some("91350100M000100Y43"),
        "key_account",
        "lighting contractor",
        80_000_000,
    ),
    (
        "華城地產開發集團",
        None,
        "intent",
        "real estate",
        20_000_000,
    ),
    (
        "新源物業管理有限公司",
        None,
        "potential",
        "property management",
        0,
    ),
];

/// Every office (id, code) with its demo sales representative
/// (`<code>.sales_rep`), if it has one.
pub(crate) fn offices_and_reps(
    conn: &mut AnyConnection,
) -> Result<Vec<(i64, String, Option<i64>)>, ApiError> {
    let offices: Vec<(i64, String)> = offices::table
        .select((offices::id, offices::code))
        .order(offices::id)
        .load(conn)
        .api()?;
    let mut out = Vec::with_capacity(offices.len());
    for (office, code) in offices {
        let rep: Option<i64> = users::table
            .filter(users::username.eq(format!("{}.sales_rep", code.to_lowercase())))
            .select(users::id)
            .first(conn)
            .optional()
            .api()?;
        out.push((office, code, rep));
    }
    Ok(out)
}

/// Adds demo customers to every office that has none. Returns how many.
pub fn load(conn: &mut AnyConnection) -> Result<usize, ApiError> {
    let actor = Actor::demo_loader(None);
    let offices = offices_and_reps(conn)?;
    transaction(conn, |conn| {
        let mut created = 0;
        for (office_id, code, rep) in offices {
            let existing: i64 = c::table
                .filter(c::office_id.eq(office_id))
                .count()
                .get_result(conn)
                .api()?;
            if existing > 0 {
                continue;
            }
            let now = kernel::time::to_db(kernel::time::now());
            for (i, (name, uscc, class, industry, limit)) in CUSTOMERS.iter().enumerate() {
                // The credit code is unique company-wide: only the first office's copy keeps it.
                let uscc = if created == 0 { *uscc } else { None };
                let key = *class == "key_account";
                let id: i64 = diesel::insert_into(c::table)
                    .values((
                        c::office_id.eq(office_id),
                        c::name.eq(format!("{name}（{code}）")),
                        c::uscc.eq(uscc),
                        c::industry.eq(industry),
                        c::classification.eq(class),
                        c::source_channel.eq(if i == 0 { "trade show" } else { "referral" }),
                        c::owner_user_id.eq(rep),
                        c::credit_limit.eq(limit),
                        c::currency.eq("CNY"),
                        c::payment_terms_days.eq(if key { 60 } else { 30 }),
                        c::credit_rating.eq(if key { Some("A") } else { None }),
                        c::maintenance_plan.eq(key.then_some(
                            "Quarterly visit by the owner; yearly review with the director",
                        )),
                        c::next_review_on
                            .eq(key.then(|| NaiveDate::from_ymd_opt(2027, 3, 31)).flatten()),
                        c::status.eq("active"),
                        c::created_at.eq(now),
                        c::updated_at.eq(now),
                    ))
                    .returning(c::id)
                    .get_result(conn)
                    .api()?;
                audit::record(
                    conn,
                    &actor,
                    Change::new("create", "customer", id, Some(office_id)),
                )?;
                let contact: i64 = diesel::insert_into(cc::table)
                    .values((
                        cc::customer_id.eq(id),
                        cc::office_id.eq(office_id),
                        cc::name.eq("王經理 Manager Wang"),
                        cc::title.eq("Purchasing manager"),
                        cc::phone.eq(format!("138{:08}", office_id * 100 + i as i64)),
                        cc::is_primary.eq(true),
                        cc::created_at.eq(now),
                    ))
                    .returning(cc::id)
                    .get_result(conn)
                    .api()?;
                audit::record(
                    conn,
                    &actor,
                    Change::new("create", "customer_contact", contact, Some(office_id)),
                )?;
                if let Some(rep) = rep {
                    let interaction: i64 = diesel::insert_into(ci::table)
                        .values((
                            ci::customer_id.eq(id),
                            ci::office_id.eq(office_id),
                            ci::kind.eq("visit"),
                            ci::occurred_on
                                .eq(NaiveDate::from_ymd_opt(2026, 10, 15).unwrap_or_default()),
                            ci::summary.eq("Presented the 2027 product range"),
                            ci::next_step.eq("Send a quotation"),
                            ci::user_id.eq(rep),
                            ci::created_at.eq(now),
                        ))
                        .returning(ci::id)
                        .get_result(conn)
                        .api()?;
                    audit::record(
                        conn,
                        &actor,
                        Change::new(
                            "create",
                            "customer_interaction",
                            interaction,
                            Some(office_id),
                        ),
                    )?;
                }
                created += 1;
            }
        }
        Ok(created)
    })
}
