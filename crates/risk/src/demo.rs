//! Demo risk register: in every office, risks in every grade and state —
//! a high credit risk being reduced with one measure done and one overdue
//! (and its monthly review overdue), a medium market risk whose acceptance
//! waits for the director, a low one accepted, a high legal risk brought
//! down to low by a measure and monitored, a medium one closed, a personnel
//! risk identified and not yet assessed — and one risk of each region and
//! one of the company. Each office watches its overdue receivables ratio
//! (warning at 30%, alarm at 60%) and its complaints past deadline, each
//! region its customers over their credit limit, the company its budget
//! overruns; they are evaluated once at load, so the demo's overdue
//! instalments show as a live warning. Each office's key account has a
//! credit evaluation waiting for the director. Written through the same
//! functions the API uses.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::schema::{offices, regions, users};
use store::{AnyConnection, DbResultExt};
use workflow::Registry;

use crate::facts::Sources;
use crate::indicators::api::{CreateIndicator, define};
use crate::indicators::{Comparison, EvaluationPeriod, Metric};
use crate::measures::{self, AddMeasure};
use crate::register::api::{AssessRisk, CreateRisk, RespondRisk};
use crate::register::steps::{self, Outcome};
use crate::register::{IdentificationMethod, Risk, RiskCategory, RiskResponse};
use crate::scope::{Place, RiskLevel};

fn user(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiError> {
    users::table
        .filter(users::username.eq(name))
        .select(users::id)
        .first(conn)
        .found("demo user")
}

struct Demo<'a> {
    registry: &'a Registry,
    actor: Actor,
    place: Place,
    owner: i64,
    now: NaiveDateTime,
}

impl Demo<'_> {
    #[allow(clippy::too_many_arguments)]
    fn risk(
        &self,
        conn: &mut AnyConnection,
        category: RiskCategory,
        title: &str,
        description: &str,
        method: IdentificationMethod,
        days_ago: i64,
        li: Option<(i32, i32)>,
    ) -> Result<Risk, ApiError> {
        let body = CreateRisk {
            level: Some(self.place.level),
            office_id: self.place.office_id,
            region_id: self.place.region_id,
            category,
            title: title.to_owned(),
            description: description.to_owned(),
            cause: None,
            owner_user_id: self.owner,
            method,
            identified_on: Some((self.now - Duration::days(days_ago)).date()),
            likelihood: li.map(|x| x.0),
            impact: li.map(|x| x.1),
            priority: None,
        };
        steps::record(conn, &self.actor, self.place, &body, self.now)
    }

    fn respond(
        &self,
        conn: &mut AnyConnection,
        risk: &Risk,
        response: RiskResponse,
        plan: &str,
    ) -> Result<Option<Risk>, ApiError> {
        let body = RespondRisk {
            response,
            plan: plan.to_owned(),
        };
        Ok(
            match steps::respond(conn, self.registry, &self.actor, risk, &body, self.now)? {
                Outcome::Done(r) => Some(*r),
                Outcome::Pending(_) => None,
            },
        )
    }

    fn measure(
        &self,
        conn: &mut AnyConnection,
        risk: &Risk,
        title: &str,
        due_in_days: i64,
        evidence: Option<&str>,
    ) -> Result<(), ApiError> {
        let body = AddMeasure {
            title: title.to_owned(),
            description: None,
            owner_user_id: self.owner,
            due_on: (self.now + Duration::days(due_in_days)).date(),
        };
        let m = measures::add(conn, &self.actor, risk, &body, self.now)?;
        if let Some(evidence) = evidence {
            measures::finish(conn, &self.actor, &m, Ok(evidence), self.now)?;
        }
        Ok(())
    }

    fn office_register(&self, conn: &mut AnyConnection) -> Result<usize, ApiError> {
        let credit = self.risk(
            conn,
            RiskCategory::Credit,
            "二網經銷商應收賬款逾期集中",
            "三家二網經銷商的應收賬款逾期超過 90 天,合計佔應收餘額三成",
            IdentificationMethod::DataAnalysis,
            45,
            Some((4, 4)),
        )?;
        let credit = self
            .respond(
                conn,
                &credit,
                RiskResponse::Reduce,
                "按信用等級重新核定授信額度,逾期客戶停止發貨並逐戶催收",
            )?
            .ok_or_else(|| ApiError::internal("reducing takes effect at once"))?;
        self.measure(
            conn,
            &credit,
            "逾期客戶停止發貨",
            -20,
            Some("三家客戶已停貨,簽回還款計劃書"),
        )?;
        self.measure(conn, &credit, "逐戶催收並取得對賬確認", -5, None)?;

        let market = self.risk(
            conn,
            RiskCategory::Market,
            "競品低價衝擊主力機型",
            "競品同規格機型降價 15%,本季三個項目流失",
            IdentificationMethod::Questionnaire,
            20,
            Some((3, 3)),
        )?;
        self.respond(
            conn,
            &market,
            RiskResponse::Accept,
            "價格波動在可承受範圍,按季監控中標率",
        )?;

        let supplies = self.risk(
            conn,
            RiskCategory::Operational,
            "辦公用品盤點差異",
            "季度盤點發現少量耗材差異",
            IdentificationMethod::Interview,
            30,
            Some((1, 4)),
        )?;
        self.respond(
            conn,
            &supplies,
            RiskResponse::Accept,
            "金額輕微,年度盤點時復核",
        )?;

        let legal = self.risk(
            conn,
            RiskCategory::Legal,
            "經銷合同條款不規範",
            "部分經銷合同缺少違約責任與管轄條款",
            IdentificationMethod::Interview,
            60,
            Some((3, 5)),
        )?;
        let legal = self
            .respond(
                conn,
                &legal,
                RiskResponse::Reduce,
                "按總部合同範本重簽,法務審核",
            )?
            .ok_or_else(|| ApiError::internal("reducing takes effect at once"))?;
        self.measure(
            conn,
            &legal,
            "按範本重簽經銷合同",
            -10,
            Some("12 份合同已重簽並經法務審核"),
        )?;
        steps::assess_remaining(
            conn,
            &self.actor,
            &legal,
            &AssessRisk {
                likelihood: 2,
                impact: 2,
                priority: None,
                note: Some("重簽後僅餘個別舊合同".to_owned()),
            },
            self.now,
        )?;

        let technical = self.risk(
            conn,
            RiskCategory::Technical,
            "舊型號配件停產",
            "兩款舊型號主板停產,維修備件不足",
            IdentificationMethod::DataAnalysis,
            90,
            Some((2, 4)),
        )?;
        steps::close(
            conn,
            self.registry,
            &self.actor,
            &technical,
            "已與廠家簽訂替代件供應協議",
            self.now,
        )?;

        self.risk(
            conn,
            RiskCategory::Personnel,
            "關鍵崗位人員流失",
            "兩名資深服務工程師有離職意向",
            IdentificationMethod::Interview,
            3,
            None,
        )?;
        Ok(6)
    }

    #[allow(clippy::too_many_arguments)]
    fn indicator(
        &self,
        conn: &mut AnyConnection,
        name: &str,
        metric: Metric,
        warning: i64,
        alarm: i64,
        category: RiskCategory,
    ) -> Result<(), ApiError> {
        let body = CreateIndicator {
            level: Some(self.place.level),
            office_id: self.place.office_id,
            region_id: self.place.region_id,
            name: name.to_owned(),
            metric,
            comparison: Some(Comparison::Above),
            warning_threshold: warning,
            alarm_threshold: alarm,
            period: EvaluationPeriod::Daily,
            owner_user_id: self.owner,
            category,
            note: None,
        };
        define(conn, &self.actor, self.place, &body, self.now)?;
        Ok(())
    }
}

/// Loads the demo register and indicators, and evaluates the indicators
/// once; returns how many risks it recorded.
pub fn load(
    conn: &mut AnyConnection,
    registry: &Registry,
    sources: &Sources,
) -> Result<usize, ApiError> {
    let now = kernel::time::now_db();
    let mut count = 0;
    let codes: Vec<String> = offices::table
        .order(offices::id.asc())
        .select(offices::code)
        .load(conn)
        .api()?;
    for code in codes {
        let code = code.to_lowercase();
        let office: i64 = offices::table
            .filter(offices::code.eq(code.to_uppercase()))
            .select(offices::id)
            .first(conn)
            .api()?;
        let deputy = user(conn, &format!("{code}.deputy_director"))?;
        let demo = Demo {
            registry,
            actor: Actor::demo_loader(Some(deputy)),
            place: Place::at(Some(office), None),
            owner: user(conn, &format!("{code}.office_director"))?,
            now,
        };
        count += demo.office_register(conn)?;
        demo.indicator(
            conn,
            "應收賬款逾期率",
            Metric::OverdueReceivablesRatio,
            3_000,
            6_000,
            RiskCategory::Credit,
        )?;
        let key_account: Option<i64> = store::schema::customers::table
            .filter(store::schema::customers::office_id.eq(office))
            .filter(store::schema::customers::classification.eq("key_account"))
            .filter(store::schema::customers::status.eq("active"))
            .order(store::schema::customers::id.asc())
            .select(store::schema::customers::id)
            .first(conn)
            .optional()
            .api()?;
        if let Some(customer) = key_account {
            let body = crate::credit::api::CreateEvaluation {
                office_id: Some(office),
                customer_id: customer,
                judgement: crate::credit::Judgement {
                    management: 4,
                    industry: 3,
                    cooperation: 4,
                },
                credit_limit: None,
                payment_terms_days: None,
                note: Some("年度信用復評".to_owned()),
            };
            crate::credit::api::evaluate(conn, registry, sources, &demo.actor, office, &body, now)?;
        }
        demo.indicator(
            conn,
            "超期未結投訴",
            Metric::ComplaintsPastDeadline,
            1,
            3,
            RiskCategory::Operational,
        )?;
    }
    let admin = user(conn, "hq.admin")?;
    let region_rows: Vec<(i64, String)> = regions::table
        .order(regions::id.asc())
        .select((regions::id, regions::code))
        .load(conn)
        .api()?;
    for (region, code) in region_rows {
        let manager = user(conn, &format!("{}.regional_manager", code.to_lowercase()))?;
        let demo = Demo {
            registry,
            actor: Actor::demo_loader(Some(admin)),
            place: Place {
                level: RiskLevel::Region,
                office_id: None,
                region_id: Some(region),
            },
            owner: manager,
            now,
        };
        demo.risk(
            conn,
            RiskCategory::Market,
            "區域房地產項目延期",
            "區域內多個在建項目延期,設備採購推遲",
            IdentificationMethod::DataAnalysis,
            15,
            Some((4, 3)),
        )?;
        demo.indicator(
            conn,
            "超信用額度客戶數",
            Metric::CustomersOverCreditLimit,
            1,
            3,
            RiskCategory::Credit,
        )?;
        count += 1;
    }
    let demo = Demo {
        registry,
        actor: Actor::demo_loader(Some(admin)),
        place: Place::at(None, None),
        owner: admin,
        now,
    };
    demo.risk(
        conn,
        RiskCategory::Financial,
        "匯率波動影響進口部件成本",
        "進口部件以美元結算,匯率波動直接影響毛利",
        IdentificationMethod::DataAnalysis,
        30,
        Some((3, 4)),
    )?;
    demo.indicator(
        conn,
        "超預算費用類別",
        Metric::BudgetCategoriesOver,
        1,
        4,
        RiskCategory::Financial,
    )?;
    crate::indicators::evaluate::evaluate_due(conn, sources, now)?;
    Ok(count + 1)
}
