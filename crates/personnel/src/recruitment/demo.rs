//! Demo recruitment: in every office the operations specialist's plan for two
//! sales people, approved by the director and HQ HR, with candidates at
//! several stages — one hired (their onboarding under way: documents in,
//! the rest to do), one at the written test, one still to be screened, one
//! rejected at the interview — all through the same functions and the real
//! approval engine.

use chrono::Days;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::AnyConnection;
use store::DbResultExt;
use store::schema::recruitment_plans as rp;
use workflow::Registry;

use super::candidates::{AddCandidate, RecordStageResult, add, assess};
use super::hire::{HireCandidate, hire};
use super::plans::{CreateRecruitmentPlan, make};
use super::{AssessmentStage, RecruitmentChannel};
use crate::demo::{approve_saying, user};
use crate::facts::PersonnelSources;
use crate::onboarding::{CompleteOnboardingItem, complete};

fn result(stage: AssessmentStage, score: i32, passed: bool) -> RecordStageResult {
    RecordStageResult {
        stage,
        interviewers: vec!["行政與運營專員".to_owned(), "辦事處主任".to_owned()],
        score: Some(score),
        notes: Some(
            if passed {
                "符合崗位要求"
            } else {
                "產品知識不足"
            }
            .to_owned(),
        ),
        passed,
        reason: (!passed).then(|| "面試未通過：產品知識不足".to_owned()),
    }
}

/// Loads the demo plan of office `office` (code `code`) if it has none;
/// returns whether it did.
pub fn load_office(
    conn: &mut AnyConnection,
    registry: &Registry,
    sources: &PersonnelSources,
    office: i64,
    code: &str,
) -> Result<bool, ApiError> {
    let existing: i64 = rp::table
        .filter(rp::office_id.eq(office))
        .count()
        .get_result(conn)
        .api()?;
    if existing > 0 {
        return Ok(false);
    }
    let prefix = code.to_lowercase();
    let ops = user(conn, &format!("{prefix}.operations_specialist"))?;
    let principal = org::principal::load_principal(conn, ops)?;
    let actor = Actor::demo_loader(Some(ops));
    let today = crate::common::today();
    let plan = make(
        conn,
        registry,
        &actor,
        office,
        &CreateRecruitmentPlan {
            office_id: Some(office),
            post: "銷售人員".to_owned(),
            department_id: None,
            headcount: 2,
            requirements: "大專以上學歷，兩年以上照明或建材銷售經驗，能適應出差".to_owned(),
            channels: vec![RecruitmentChannel::JobSite, RecruitmentChannel::Referral],
            stages: None,
            reason: "區域新增重點客戶，現有銷售人手不足".to_owned(),
            wanted_by: today.checked_add_days(Days::new(60)).unwrap_or(today),
        },
    )?;
    let approval = plan
        .approval_id
        .ok_or_else(|| ApiError::internal(std::io::Error::other("plan not submitted")))?;
    approve_saying(
        conn,
        registry,
        &format!("{prefix}.office_director"),
        approval,
        "同意招聘",
    )?;
    approve_saying(conn, registry, "hq.hr", approval, "同意招聘")?;

    let candidate = |name: &str, source| AddCandidate {
        name: name.to_owned(),
        phone: None,
        email: None,
        source,
        resume_ref: Some(format!("resumes/{code}/{name}.pdf")),
    };
    use AssessmentStage::*;
    // Hired: every stage passed, the offer taken; onboarding started.
    let mut hired = add(
        conn,
        &principal,
        plan.id,
        &candidate("何家明", RecruitmentChannel::Referral),
    )?;
    for stage in [ResumeScreening, Interview, WrittenTest, BackgroundCheck] {
        hired = assess(conn, &actor, &hired, &result(stage, 85, true))?.0;
    }
    let made = hire(
        conn,
        &actor,
        &hired,
        &HireCandidate {
            employee_number: format!("{code}-101"),
            position: None,
            department_id: None,
            grade: Some("P1".to_owned()),
            hire_date: today,
            manager_employee_id: None,
            account: None,
        },
        None,
    )?;
    if let Some(first) = made.onboarding.items.first() {
        complete(
            conn,
            sources,
            &actor,
            &made.employee,
            first.id,
            &CompleteOnboardingItem {
                note: Some("身份證、學歷證書與體檢報告已存檔".to_owned()),
                supply_movement_id: None,
                mentor_employee_id: None,
            },
        )?;
    }
    // At the written test.
    let mut second = add(
        conn,
        &principal,
        plan.id,
        &candidate("梁淑儀", RecruitmentChannel::JobSite),
    )?;
    for stage in [ResumeScreening, Interview] {
        second = assess(conn, &actor, &second, &result(stage, 78, true))?.0;
    }
    // Still to be screened.
    add(
        conn,
        &principal,
        plan.id,
        &candidate("鄧偉強", RecruitmentChannel::JobSite),
    )?;
    // Rejected at the interview.
    let mut fourth = add(
        conn,
        &principal,
        plan.id,
        &candidate("蔡嘉欣", RecruitmentChannel::JobSite),
    )?;
    fourth = assess(conn, &actor, &fourth, &result(ResumeScreening, 70, true))?.0;
    assess(conn, &actor, &fourth, &result(Interview, 45, false))?;
    Ok(true)
}
