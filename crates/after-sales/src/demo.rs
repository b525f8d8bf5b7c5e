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
//! articles in Chinese (the office's, and the company's once).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::schema::{customers, offices, service_requests as sr, users};
use store::{AnyConnection, DbResultExt, transaction};

use crate::facts::SalesFacts;
use crate::knowledge::api::{CreateArticle, advance as advance_article, write as write_article};
use crate::requests::ServiceRequestKind;
use crate::requests::api::{CreateServiceRequest, apply, record};
use crate::requests::{Action, RequestRow};
use crate::service_levels::{Channel, Priority};
use crate::tickets::api::{
    CreateServiceTicket as OpenTicket, apply as apply_ticket, record as record_ticket,
};
use crate::tickets::{Action as TicketAction, Handling, Handover, PartUsed, Severity, TicketRow};
use crate::visits::api::{CompleteVisit, complete as complete_visit};
use crate::visits::follow_ups::FollowUpInput;
use crate::visits::plans::{CreatePlan, make_plan};
use crate::visits::{PlanKind, VisitMethod, VisitRow};

fn user(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiError> {
    users::table
        .filter(users::username.eq(name))
        .select(users::id)
        .first(conn)
        .found("demo user")
}

struct Demo<'a> {
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

/// A ticket at every stage of the repair chain, for a unit of an installed
/// order of the office (none when it has no such order): one just received,
/// one handled on site, one on its way back, one in repair, one at
/// inspection after a repair with a part replaced, one ready to ship, one
/// shipped, one commissioned under the technical handover, one trained, one
/// surveyed and closed, one cancelled. Returns how many.
fn tickets(
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

/// Return-visit plans: a quarterly one for the first customer whose first
/// visit was made (with a follow-up for the sales department) and whose next
/// is ahead, a monthly one for the second whose last visit is overdue, and an
/// after-ticket plan for the third. Returns how many visits there are.
fn visits(
    conn: &mut AnyConnection,
    d: &Demo<'_>,
    custs: &[i64],
    engineer: i64,
) -> Result<usize, ApiError> {
    use store::schema::{departments, return_visits as rv};
    let today = d.now.date();
    let plan =
        |conn: &mut AnyConnection, customer, kind, months, days_ago: i64, owner, note: &str| {
            make_plan(
                conn,
                d.sales,
                d.office,
                &d.actor,
                &CreatePlan {
                    office_id: Some(d.office),
                    customer_id: customer,
                    kind,
                    interval_months: months,
                    starts_on: months.map(|_| today - Duration::days(days_ago)),
                    days_after: if months.is_none() { Some(7) } else { None },
                    method: VisitMethod::Phone,
                    owner_user_id: owner,
                    note: Some(note.to_owned()),
                },
                d.now - Duration::days(days_ago + 1),
            )
        };
    let open_of = |conn: &mut AnyConnection, plan: i64| {
        rv::table
            .filter(rv::plan_id.eq(plan))
            .filter(rv::status.eq("due"))
            .select(VisitRow::as_select())
            .first::<VisitRow>(conn)
            .api()
    };
    let sales_dept: Option<i64> = departments::table
        .filter(departments::office_id.eq(d.office))
        .filter(departments::kind.eq("sales"))
        .select(departments::id)
        .first(conn)
        .optional()
        .api()?;
    let quarterly = plan(
        conn,
        custs[0],
        PlanKind::Periodic,
        Some(3),
        80,
        d.agent,
        "重點客戶，每季度回訪",
    )?;
    let first = open_of(conn, quarterly.id)?;
    complete_visit(
        conn,
        &d.actor,
        first,
        &CompleteVisit {
            method: VisitMethod::Visit,
            done_on: Some(today - Duration::days(78)),
            findings: "燈具運行正常，客戶希望增加節能改造方案".to_owned(),
            satisfaction: Some(4),
            follow_ups: sales_dept
                .map(|dept| FollowUpInput {
                    department_id: dept,
                    description: "客戶希望提供節能改造方案，請銷售部報價".to_owned(),
                    due_on: Some(today - Duration::days(60)),
                })
                .into_iter()
                .collect(),
        },
        d.now - Duration::days(78),
    )?;
    let monthly = plan(
        conn,
        custs[1],
        PlanKind::Periodic,
        Some(1),
        45,
        engineer,
        "新客戶，首半年每月回訪",
    )?;
    let first = open_of(conn, monthly.id)?;
    complete_visit(
        conn,
        &d.actor,
        first,
        &CompleteVisit {
            method: VisitMethod::Phone,
            done_on: Some(today - Duration::days(44)),
            findings: "客戶反饋安裝後使用良好".to_owned(),
            satisfaction: Some(5),
            follow_ups: Vec::new(),
        },
        d.now - Duration::days(44),
    )?;
    plan(
        conn,
        custs[2],
        PlanKind::AfterTicket,
        None,
        30,
        d.agent,
        "每次維修結案後 7 天回訪",
    )?;
    Ok(4)
}

/// Knowledge-base articles in Chinese: the office's two published ones
/// (written by the service agent, approved by the director), one in review
/// and one draft; and, once, the company's two (HQ customer service, approved
/// by the HQ administrator). Returns how many were written.
fn articles(conn: &mut AnyConnection, d: &Demo<'_>, director: i64) -> Result<usize, ApiError> {
    use store::schema::kb_articles as ka;
    let article =
        |category: &str, title: &str, body: &str, tags: &[&str], product: Option<&str>| {
            CreateArticle {
                company_wide: false,
                office_id: None,
                category: category.to_owned(),
                title: title.to_owned(),
                body: body.to_owned(),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                product: product.map(str::to_owned),
            }
        };
    // Written, then taken as far as `steps` go, each by its actor.
    let make = |conn: &mut AnyConnection,
                office: Option<i64>,
                author: &Actor,
                reviewer: &Actor,
                a: CreateArticle,
                steps: usize|
     -> Result<(), ApiError> {
        let mut row = write_article(conn, author, office, &a, d.now)?;
        if steps >= 1 {
            row = advance_article(conn, author, row, "submit", None)?.article;
        }
        if steps >= 2 {
            advance_article(conn, reviewer, row, "approve", None)?;
        }
        Ok(())
    };
    let director = Actor::demo_loader(Some(director));
    let office = Some(d.office);
    make(
        conn,
        office,
        &d.actor,
        &director,
        article(
            "產品使用",
            "LED 筒燈閃爍的常見原因與處理",
            "筒燈閃爍多由驅動電源老化或調光器不匹配引起。先確認調光器為前沿切相型號，再檢查接線是否鬆動，仍閃爍則更換驅動電源。",
            &["閃爍", "驅動電源"],
            Some("LED 工礦燈 150W"),
        ),
        2,
    )?;
    make(
        conn,
        office,
        &d.actor,
        &director,
        article(
            "安裝",
            "工礦燈安裝高度與間距",
            "8 米層高倉庫建議 150W 工礦燈，間距 6 至 7 米；安裝前先接地線，吊鏈須承受燈具重量四倍以上。",
            &["安裝", "照度"],
            Some("LED 工礦燈 150W"),
        ),
        2,
    )?;
    make(
        conn,
        office,
        &d.actor,
        &director,
        article(
            "售後",
            "返廠維修的包裝要求",
            "返廠燈具須用原包裝或加厚紙箱，驅動電源與燈體分開包裝，箱外註明工單號。",
            &["返廠", "包裝"],
            None,
        ),
        1,
    )?;
    make(
        conn,
        office,
        &d.actor,
        &director,
        article(
            "售後",
            "應急燈電池更換步驟",
            "斷電後拆下面蓋，取出舊電池，核對型號後裝入新電池，通電充電 24 小時後測試續航。",
            &["應急燈", "電池"],
            None,
        ),
        0,
    )?;
    let mut written = 4;
    let company: i64 = ka::table
        .filter(ka::office_id.is_null())
        .count()
        .get_result(conn)
        .api()?;
    if company == 0 {
        let hq_service = Actor::demo_loader(Some(user(conn, "hq.service")?));
        let hq_admin = Actor::demo_loader(Some(user(conn, "hq.admin")?));
        make(
            conn,
            None,
            &hq_service,
            &hq_admin,
            article(
                "政策",
                "保修政策",
                "整機自安裝之日起保修一年（HQ 可按產品另定），保修期內維修免費；保修期外先報價，客戶確認後維修。",
                &["保修", "報價"],
                None,
            ),
            2,
        )?;
        make(
            conn,
            None,
            &hq_service,
            &hq_admin,
            article(
                "服務規範",
                "投訴處理時限",
                "投訴須在服務時限內首次答覆並處理完畢；等待客戶期間時限暫停，逾期自動升級至主管、主任與總部。",
                &["投訴", "時限"],
                None,
            ),
            2,
        )?;
        written += 2;
    }
    Ok(written)
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
            count += tickets(conn, &d, engineer, staff)?;
            count += visits(conn, &d, &custs, engineer)?;
            let director = user(conn, &format!("{prefix}.office_director"))?;
            count += articles(conn, &d, director)?;
        }
        // What the server's job would do at once: the late ones go up the
        // chain, and the people brought in have their notices.
        crate::escalation::escalate_due(conn, kernel::time::now_db())?;
        Ok(count)
    })
}
