//! Demo training: in every office two needs, the year's plan covering them
//! approved by the director and HQ HR, and a session held a week ago with
//! its results — the sales representative passed and earned a certificate,
//! the market specialist passed, the service agent was absent — and the
//! certificate rewarded with a bonus the director approved.

use chrono::{Datelike, Days, NaiveDate};
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::{AnyConnection, DbResultExt};
use workflow::Registry;

use super::TrainingMethod;
use super::certificates::NewCertificate;
use super::plans::{AddTrainingNeed, CreateTrainingPlan, NewTrainingPlanItem, add, make};
use super::sessions::{
    CreateTrainingSession, RecordTrainingResults, TrainingResult, plan, results,
};
use crate::demo::{approve_saying, file_of, user};
use crate::employees::rewards::{ProposeRewardSanction, RewardCategory, submit};

/// Loads office `office`'s (code `code`) demo training.
pub fn load_office(
    conn: &mut AnyConnection,
    registry: &Registry,
    office: i64,
    code: &str,
) -> Result<(), ApiError> {
    let prefix = code.to_lowercase();
    let ops = user(conn, &format!("{prefix}.operations_specialist"))?;
    let actor = Actor::demo_loader(Some(ops));
    let held_on = crate::common::today()
        .checked_sub_days(Days::new(7))
        .unwrap_or_default();
    let year = held_on.year();
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(held_on);
    let rep = file_of(conn, &format!("{prefix}.sales_rep"))?;
    let market = file_of(conn, &format!("{prefix}.market_specialist"))?;
    let agent = file_of(conn, &format!("{prefix}.service_agent"))?;
    let need = |topic: &str, audience: &str, reason: &str, employee| AddTrainingNeed {
        office_id: Some(office),
        year,
        topic: topic.to_owned(),
        audience: audience.to_owned(),
        reason: reason.to_owned(),
        employee_id: employee,
    };
    let first = add(
        conn,
        &actor,
        office,
        &need(
            "LED 工礦燈選型與報價",
            "銷售人員",
            "新人對工礦燈選型不熟，報價出錯",
            Some(rep.id),
        ),
    )?;
    let second = add(
        conn,
        &actor,
        office,
        &need(
            "節能改造方案講解",
            "銷售與市場人員",
            "客戶常問改造回收期，答不上來",
            None,
        ),
    )?;
    let made = make(
        conn,
        registry,
        &actor,
        office,
        &CreateTrainingPlan {
            office_id: Some(office),
            year,
            goals: "新人三個月內獨立報價；全員掌握節能改造方案".to_owned(),
            budget: 3_000_000,
            items: vec![NewTrainingPlanItem {
                content: "LED 工礦燈選型、報價與節能改造方案".to_owned(),
                method: TrainingMethod::Internal,
                lecturer: "總部產品經理 劉工".to_owned(),
                starts_on: day(1, 1),
                ends_on: day(12, 31),
                budget: 800_000,
                need_ids: vec![first.id, second.id],
            }],
        },
    )?;
    let approval = made
        .plan
        .approval_id
        .ok_or_else(|| ApiError::internal(std::io::Error::other("plan not submitted")))?;
    approve_saying(
        conn,
        registry,
        &format!("{prefix}.office_director"),
        approval,
        "同意培訓計劃",
    )?;
    approve_saying(conn, registry, "hq.hr", approval, "同意培訓計劃")?;
    let item = made
        .items
        .first()
        .ok_or_else(|| ApiError::internal(std::io::Error::other("plan without items")))?;
    let session = plan(
        conn,
        &actor,
        office,
        &CreateTrainingSession {
            plan_item_id: item.id,
            title: "LED 工礦燈選型與報價（第一期）".to_owned(),
            held_on,
            lecturer: None,
            review_after_weeks: Some(4),
            attendee_ids: vec![rep.id, market.id, agent.id],
        },
    )?;
    let result = |employee: i64, score: Option<i32>, rating: Option<i32>| TrainingResult {
        employee_id: employee,
        attended: score.is_some(),
        exam_score: score,
        passed: score.map(|s| s >= 60),
        participant_score: rating,
        certificate: None,
    };
    let mut rep_result = result(rep.id, Some(92), Some(5));
    rep_result.certificate = Some(NewCertificate {
        name: "LED 工礦燈產品認證".to_owned(),
        issuer: "總部培訓中心".to_owned(),
        number: Some(format!("PX-{code}-0001")),
        issued_on: Some(held_on),
        expires_on: None,
    });
    results(
        conn,
        &actor,
        &session.session,
        &RecordTrainingResults {
            results: vec![
                rep_result,
                result(market.id, Some(78), Some(4)),
                result(agent.id, None, None),
            ],
        },
    )?;
    // The certificate is rewarded with a bonus the director approves.
    let certificate: i64 = store::schema::employee_certificates::table
        .filter(store::schema::employee_certificates::employee_id.eq(rep.id))
        .filter(store::schema::employee_certificates::reward_due.eq(true))
        .select(store::schema::employee_certificates::id)
        .first(conn)
        .api()?;
    let reward = submit(
        conn,
        registry,
        &actor,
        &rep,
        &ProposeRewardSanction {
            category: RewardCategory::Bonus,
            amount: Some(50_000),
            reason: "取得 LED 工礦燈產品認證".to_owned(),
            occurred_on: held_on,
            certificate_id: Some(certificate),
        },
    )?;
    approve_saying(
        conn,
        registry,
        &format!("{prefix}.office_director"),
        reward.approval_id.unwrap_or_default(),
        "同意獎勵",
    )?;
    Ok(())
}
