//! Demo requests: in every office, inquiries, complaints and suggestions in
//! every state — an inquiry answered at once and closed with the customer's
//! rating, one still open, a complaint being worked on, one waiting for the
//! customer (its clock stopped), one past both deadlines without an answer (a
//! breach), one resolved and one closed after a reopening, and a suggestion
//! resolved — recorded and handled through the same functions the API uses,
//! on the office's calendar, at times in the last days. The late ones are then
//! escalated as the server's job would, so the people brought in have notices.
//! Beside them, a service ticket at every stage of the repair chain, and
//! return-visit plans with a visit done and one overdue, and knowledge-base
//! articles in Chinese (the office's, and the company's once), and a
//! survey round with answers, a ticket's survey and an improvement action.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::schema::{customers, offices, service_requests as sr, users};
use store::{AnyConnection, DbResultExt, transaction};

use crate::facts::SalesFacts;
use crate::requests::ServiceRequestKind;
use crate::requests::api::{CreateServiceRequest, apply, record};
use crate::requests::{Action, RequestRow};
use crate::service_levels::{Channel, Priority};

mod articles;
mod surveys;
mod tickets;
mod visits;

pub(super) fn user(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiError> {
    users::table
        .filter(users::username.eq(name))
        .select(users::id)
        .first(conn)
        .found("demo user")
}

pub(super) struct Demo<'a> {
    sales: &'a dyn SalesFacts,
    office: i64,
    actor: Actor,
    agent: i64,
    now: NaiveDateTime,
}

impl Demo<'_> {
    #[allow(clippy::too_many_arguments)]
    fn receive(
        &self,
        conn: &mut AnyConnection,
        kind: ServiceRequestKind,
        customer: i64,
        channel: Channel,
        priority: Priority,
        category: &str,
        subject: &str,
        content: &str,
        hours_ago: i64,
        answer: Option<&str>,
    ) -> Result<RequestRow, ApiError> {
        let received = self.now - Duration::hours(hours_ago);
        let body = CreateServiceRequest {
            office_id: Some(self.office),
            kind,
            customer_id: customer,
            contact_id: None,
            channel,
            category: category.to_owned(),
            priority: Some(priority),
            subject: subject.to_owned(),
            content: content.to_owned(),
            received_at: Some(received.and_utc()),
            assignee_user_id: Some(self.agent),
            answer: answer.map(str::to_owned),
        };
        record(conn, self.sales, self.office, &self.actor, &body, received)
    }

    /// Carries out `action` `hours_ago` hours before now.
    fn step(
        &self,
        conn: &mut AnyConnection,
        row: RequestRow,
        action: Action,
        hours_ago: i64,
    ) -> Result<RequestRow, ApiError> {
        let at = self.now - Duration::hours(hours_ago);
        Ok(apply(conn, &self.actor, row, action, at)?.request)
    }
}

fn update(message: &str) -> Action {
    Action::Update {
        message: message.to_owned(),
        customer_facing: true,
    }
}

fn resolve(text: &str) -> Action {
    Action::Resolve {
        resolution: text.to_owned(),
    }
}

/// Loads the demo requests into offices that have none. Returns how many.
pub fn load(conn: &mut AnyConnection, sales: &dyn SalesFacts) -> Result<usize, ApiError> {
    let offices: Vec<(i64, String)> = offices::table
        .filter(offices::status.eq("active"))
        .select((offices::id, offices::code))
        .order(offices::id)
        .load(conn)
        .api()?;
    transaction(conn, |conn| {
        let mut count = 0;
        for (office, code) in offices {
            let existing: i64 = sr::table
                .filter(sr::office_id.eq(office))
                .count()
                .get_result(conn)
                .api()?;
            if existing > 0 {
                continue;
            }
            let custs: Vec<i64> = customers::table
                .filter(customers::office_id.eq(office))
                .filter(customers::status.eq("active"))
                .order(customers::id)
                .select(customers::id)
                .limit(3)
                .load(conn)
                .api()?;
            if custs.len() < 3 {
                continue;
            }
            let prefix = code.to_lowercase();
            let agent = user(conn, &format!("{prefix}.service_agent"))?;
            let engineer = user(conn, &format!("{prefix}.service_engineer"))?;
            let d = Demo {
                sales,
                office,
                actor: Actor::demo_loader(Some(agent)),
                agent,
                now: kernel::time::now_db(),
            };
            use Channel::*;
            use Priority::*;
            use ServiceRequestKind::*;

            // Answered on the phone, closed with the customer's rating.
            let r = d.receive(
                conn,
                Inquiry,
                custs[0],
                Phone,
                Normal,
                "產品咨詢",
                "工礦燈 150W 與 200W 的照度差異",
                "客戶詢問倉庫 8 米層高應選 150W 還是 200W 工礦燈。",
                30,
                Some("8 米層高、照度要求 200 lx 時建議 150W，已發送照度計算表。"),
            )?;
            d.step(
                conn,
                r,
                Action::Close {
                    satisfaction: Some(5),
                    comment: Some("解答專業".to_owned()),
                },
                29,
            )?;
            // Just received, not yet answered.
            d.receive(
                conn,
                Inquiry,
                custs[1],
                Email,
                Normal,
                "價格與交期",
                "吸頂燈批量採購交期",
                "客戶來信詢問 500 套吸頂燈的交期與階梯價。",
                0,
                None,
            )?;
            // Being worked on: answered, an engineer on it.
            let r = d.receive(
                conn,
                Complaint,
                custs[0],
                Phone,
                High,
                "產品質量",
                "LED 筒燈批量閃爍",
                "上月交付的 200 套筒燈中約 30 套出現閃爍。",
                5,
                None,
            )?;
            let r = d.step(conn, r, update("已受理，工程師明天上午上門檢測。"), 4)?;
            d.step(
                conn,
                r,
                Action::Assign {
                    assignee_user_id: engineer,
                    note: Some("請帶 30 套驅動電源".to_owned()),
                },
                4,
            )?;
            // Waiting for the customer: the resolution clock is stopped.
            let r = d.receive(
                conn,
                Complaint,
                custs[1],
                Online,
                Normal,
                "安裝問題",
                "投光燈支架鬆動",
                "客戶反映戶外投光燈支架在大風後鬆動。",
                26,
                None,
            )?;
            d.step(
                conn,
                r,
                Action::WaitForCustomer {
                    message: "請提供支架型號與現場照片。".to_owned(),
                },
                25,
            )?;
            // Never answered, past both deadlines: a breach.
            d.receive(
                conn,
                Complaint,
                custs[2],
                Phone,
                Urgent,
                "服務態度",
                "送貨員態度差",
                "客戶投訴送貨員未按約定時間送貨且態度惡劣。",
                24 * 6,
                None,
            )?;
            // Resolved, waiting to be closed with the customer.
            let r = d.receive(
                conn,
                Complaint,
                custs[2],
                OnSite,
                Normal,
                "產品質量",
                "應急燈續航不足",
                "應急燈斷電後續航不足 60 分鐘。",
                50,
                None,
            )?;
            let r = d.step(conn, r, update("已收到，安排更換電池。"), 49)?;
            d.step(
                conn,
                r,
                resolve("更換 12 套應急燈電池，實測續航 95 分鐘。"),
                28,
            )?;
            // Reopened once, then resolved and closed.
            let r = d.receive(
                conn,
                Complaint,
                custs[0],
                Phone,
                Normal,
                "產品質量",
                "面板燈色差",
                "同批次面板燈色溫不一致。",
                24 * 5,
                None,
            )?;
            let r = d.step(conn, r, update("已受理，安排更換。"), 24 * 5 - 1)?;
            let r = d.step(conn, r, resolve("更換 8 套面板燈。"), 24 * 4)?;
            let r = d.step(
                conn,
                r,
                Action::Reopen {
                    reason: "客戶回電：仍有 2 套色差明顯。".to_owned(),
                },
                24 * 3,
            )?;
            let r = d.step(
                conn,
                r,
                resolve("再更換 2 套同批次面板燈，客戶現場確認。"),
                24 * 2,
            )?;
            d.step(
                conn,
                r,
                Action::Close {
                    satisfaction: Some(3),
                    comment: Some("處理及時但返工一次".to_owned()),
                },
                24 * 2 - 2,
            )?;
            // A suggestion, resolved.
            let r = d.receive(
                conn,
                Suggestion,
                custs[1],
                Email,
                Low,
                "服務改進",
                "希望提供安裝視頻",
                "建議為筒燈提供安裝教學視頻。",
                24 * 3,
                None,
            )?;
            d.step(conn, r, resolve("已轉市場部製作，下月上線官網。"), 24)?;
            count += 8;
            let staff = user(conn, &format!("{prefix}.staff"))?;
            count += tickets::tickets(conn, &d, engineer, staff)?;
            count += visits::visits(conn, &d, &custs, engineer)?;
            let director = user(conn, &format!("{prefix}.office_director"))?;
            count += articles::articles(conn, &d, director)?;
            count += surveys::surveys(conn, &d, engineer)?;
        }
        // What the server's job would do at once: the late ones go up the
        // chain, and the people brought in have their notices.
        crate::escalation::escalate_due(conn, kernel::time::now_db())?;
        crate::escalation::escalate_tickets(conn, kernel::time::now_db())?;
        Ok(count)
    })
}
