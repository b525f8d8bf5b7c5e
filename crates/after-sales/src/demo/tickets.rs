//! Demo service tickets: one at every stage of the repair chain.

use chrono::Duration;
use diesel::prelude::*;
use kernel::ApiError;
use store::{AnyConnection, DbResultExt};

use super::Demo;
use crate::service_levels::{Channel, Priority};
use crate::tickets::api::{
    CreateServiceTicket as OpenTicket, apply as apply_ticket, record as record_ticket,
};
use crate::tickets::{Action as TicketAction, Handling, Handover, PartUsed, Severity, TicketRow};

/// A ticket at every stage of the repair chain, for a unit of an installed
/// order of the office (none when it has no such order): one just received,
/// one handled on site, one on its way back, one in repair, one at
/// inspection after a repair with a part replaced, one ready to ship, one
/// shipped, one commissioned under the technical handover, one trained, one
/// surveyed and closed, one cancelled. Returns how many.
pub(super) fn tickets(
    conn: &mut AnyConnection,
    d: &Demo<'_>,
    engineer: i64,
    staff: i64,
) -> Result<usize, ApiError> {
    use store::schema::sales_orders as so;
    let order: Option<(i64, i64)> = so::table
        .filter(so::office_id.eq(d.office))
        .filter(so::status.eq_any(["installed", "trained", "completed"]))
        .order(so::id)
        .select((so::id, so::customer_id))
        .first(conn)
        .optional()
        .api()?;
    let Some((order, customer)) = order else {
        return Ok(0);
    };
    let Some(product) = d
        .sales
        .order_for_service(conn, d.office, order)?
        .and_then(|o| o.products.first().cloned())
    else {
        return Ok(0);
    };
    let open = |conn: &mut AnyConnection, n: usize, feedback: &str, hours_ago: i64| {
        let received = d.now - Duration::hours(hours_ago);
        let body = OpenTicket {
            office_id: Some(d.office),
            customer_id: customer,
            order_id: order,
            product: product.clone(),
            serial_number: format!("GK150-{}-{:04}", d.office, 1000 + n),
            channel: Channel::Phone,
            priority: Some(Priority::Normal),
            feedback: feedback.to_owned(),
            received_at: Some(received.and_utc()),
            assignee_user_id: Some(engineer),
        };
        record_ticket(conn, d.sales, d.office, &d.actor, &body, received)
    };
    let go = |conn: &mut AnyConnection, t: TicketRow, action: TicketAction, hours_ago: i64| {
        apply_ticket(
            conn,
            &d.actor,
            t,
            action,
            d.now - Duration::hours(hours_ago),
        )
        .map(|v| v.ticket)
    };
    let judge = |handling| TicketAction::Judge {
        nature: "驅動電源故障".to_owned(),
        severity: Severity::Major,
        handling,
        note: Some("已電話告知客戶處理方式".to_owned()),
    };
    let repair = |n: usize| TicketAction::Repair {
        diagnosis: "驅動電源輸出電容擊穿".to_owned(),
        work_done: "更換驅動電源，老化測試 4 小時".to_owned(),
        parts: vec![PartUsed {
            part_code: "PSU-150W".to_owned(),
            part_name: "驅動電源 150W".to_owned(),
            quantity: 1,
            new_serial: Some(format!("PSU-{}-{:04}", d.office, 2000 + n)),
            old_serial: Some(format!("PSU-{}-{:04}", d.office, 100 + n)),
        }],
    };
    let ship = TicketAction::Ship {
        carrier: "順豐速運".to_owned(),
        tracking_number: "SF1400228877361".to_owned(),
        expected_arrival: (d.now + Duration::days(2)).date(),
    };
    let install = TicketAction::Install {
        handover: Handover {
            given_by_user_id: staff,
            content: "安裝高度 8 米，先接地線；調試時逐路通電並記錄電流。".to_owned(),
            documents: Some("安裝說明書 v3；接線圖 GK-150-W2".to_owned()),
        },
        commissioning: "安裝完成，通電測試 30 分鐘正常".to_owned(),
    };
    let train = TicketAction::Train {
        trainees: "客戶設備科電工 2 人".to_owned(),
        content: "開關順序、日常清潔、故障指示燈含義".to_owned(),
        assessment: Some("現場操作考核通過".to_owned()),
    };
    // How far along the chain each ticket goes: 0 received … 10 closed.
    let feedback = [
        "工礦燈通電後不亮",
        "工礦燈亮度明顯下降",
        "工礦燈頻繁閃爍",
        "工礦燈外殼進水",
        "工礦燈間歇熄滅",
        "工礦燈驅動異響",
        "工礦燈無法調光",
        "工礦燈色溫偏移",
        "工礦燈啟動延遲",
        "工礦燈指示燈常亮",
    ];
    for (n, text) in feedback.iter().enumerate() {
        let start = 24 * (12 - i64::try_from(n).unwrap_or(0));
        let t = open(conn, n, text, start)?;
        if n == 0 {
            continue;
        }
        if n == 1 {
            // Handled on site.
            go(conn, t, judge(Handling::OnSite), start - 2)?;
            continue;
        }
        let t = go(conn, t, judge(Handling::Return), start - 2)?;
        if n == 2 {
            continue;
        }
        let t = go(
            conn,
            t,
            TicketAction::ReceiveUnit {
                condition: "外殼完好，包裝輕微破損".to_owned(),
            },
            start - 20,
        )?;
        if n == 3 {
            continue;
        }
        let t = go(conn, t, repair(n), start - 24)?;
        if n == 4 {
            continue;
        }
        let t = go(
            conn,
            t,
            TicketAction::Inspect {
                passed: true,
                findings: "光通量、色溫、功率因數均合格".to_owned(),
            },
            start - 26,
        )?;
        if n == 5 {
            continue;
        }
        let t = go(conn, t, ship.clone(), start - 28)?;
        if n == 6 {
            continue;
        }
        let t = go(conn, t, install.clone(), start - 46)?;
        if n == 7 {
            continue;
        }
        let t = go(conn, t, train.clone(), start - 47)?;
        if n == 8 {
            continue;
        }
        go(
            conn,
            t,
            TicketAction::Survey {
                satisfaction: 5,
                comment: Some("響應及時，維修質量好".to_owned()),
            },
            start - 48,
        )?;
    }
    // Cancelled before the unit came back.
    let t = open(conn, 10, "工礦燈不亮（客戶後查明為停電）", 30)?;
    let t = go(conn, t, judge(Handling::Return), 29)?;
    go(
        conn,
        t,
        TicketAction::Cancel {
            reason: "客戶查明為線路停電，產品無故障".to_owned(),
        },
        28,
    )?;
    Ok(feedback.len() + 1)
}
