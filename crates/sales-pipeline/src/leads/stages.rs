//! The opportunity stage machine: the stages in order (initial contact → needs
//! analysis → solution → quotation → negotiation → won, or lost), which moves an
//! opportunity may make, what a lost (the reason) or won (the signed contract)
//! opportunity needs, and the history of every stage change.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::{ApiError, Principal};
use org::roles::SALES_MANAGE;
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{contracts as ct, opportunities as o, opportunity_stage_changes as h};
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;
use validator::Validate;

use super::opportunities::Opportunity;
use crate::common::{load_scoped, now_db};

/// The stages of an opportunity, in order; `won` and `lost` end it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    InitialContact,
    NeedsAnalysis,
    Solution,
    Quotation,
    Negotiation,
    Won,
    Lost,
}

pub const OPEN_STAGES: [Stage; 5] = [
    Stage::InitialContact,
    Stage::NeedsAnalysis,
    Stage::Solution,
    Stage::Quotation,
    Stage::Negotiation,
];

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::InitialContact => "initial_contact",
            Stage::NeedsAnalysis => "needs_analysis",
            Stage::Solution => "solution",
            Stage::Quotation => "quotation",
            Stage::Negotiation => "negotiation",
            Stage::Won => "won",
            Stage::Lost => "lost",
        }
    }

    fn parse(s: &str) -> Option<Stage> {
        OPEN_STAGES
            .iter()
            .chain(&[Stage::Won, Stage::Lost])
            .copied()
            .find(|st| st.as_str() == s)
    }

    fn open_index(self) -> Option<usize> {
        OPEN_STAGES.iter().position(|s| *s == self)
    }

    /// Where an opportunity in this stage may go: one stage on, back to any
    /// earlier stage, lost from any open stage, won only from negotiation.
    pub fn next_allowed(self) -> Vec<Stage> {
        let Some(i) = self.open_index() else {
            return Vec::new();
        };
        let mut out: Vec<Stage> = OPEN_STAGES[..i].to_vec();
        if let Some(next) = OPEN_STAGES.get(i + 1) {
            out.push(*next);
        }
        if self == Stage::Negotiation {
            out.push(Stage::Won);
        }
        out.push(Stage::Lost);
        out
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = h)]
pub struct StageChange {
    pub id: i64,
    pub opportunity_id: i64,
    pub office_id: i64,
    /// `null` for the stage an opportunity was opened in.
    #[schema(value_type = Option<Stage>)]
    pub from_stage: Option<String>,
    #[schema(value_type = Stage)]
    pub to_stage: String,
    pub note: Option<String>,
    pub changed_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub changed_at: NaiveDateTime,
}

pub(super) fn record_stage(
    conn: &mut AnyConnection,
    p: &Principal,
    opp: &Opportunity,
    from: Option<&str>,
    note: Option<&str>,
) -> Result<(), ApiError> {
    diesel::insert_into(h::table)
        .values((
            h::opportunity_id.eq(opp.id),
            h::office_id.eq(opp.office_id),
            h::from_stage.eq(from),
            h::to_stage.eq(&opp.stage),
            h::note.eq(note),
            h::changed_by.eq(p.user_id),
            h::changed_at.eq(now_db()),
        ))
        .execute(conn)
        .api()?;
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStage {
    pub stage: Stage,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub note: Option<String>,
    /// Required when the stage is `lost`.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, example = "競爭對手報價低 15%")]
    pub lost_reason: Option<String>,
    /// Required when the stage is `won`: the signed contract won.
    pub contract_id: Option<i64>,
}

pub fn move_stage_to(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
    b: MoveStage,
) -> Result<Opportunity, ApiError> {
    let (before, authority) =
        load_scoped!(conn, p, SALES_MANAGE, o, Opportunity, id, "opportunity");
    if before.version != version {
        return Err(version_conflict(before.version));
    }
    let current = Stage::parse(&before.stage).unwrap_or(Stage::Lost);
    let allowed = current.next_allowed();
    if !allowed.contains(&b.stage) {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::invalid_transition(
            &format!("move to {}", b.stage.as_str()),
            &before.stage,
            &names,
        ));
    }
    let today = kernel::time::now().date_naive();
    let mut lost_reason = None;
    let mut contract = None;
    let mut closed_on = None;
    match b.stage {
        Stage::Lost => {
            lost_reason = Some(b.lost_reason.clone().ok_or_else(|| {
                ApiError::invalid_field(
                    "lost_reason",
                    "required",
                    "a lost opportunity needs the reason",
                )
            })?);
            closed_on = Some(today);
        }
        Stage::Won => {
            let cid = b.contract_id.ok_or_else(|| {
                ApiError::invalid_field(
                    "contract_id",
                    "required",
                    "a won opportunity names its signed contract",
                )
            })?;
            let status: Option<String> = ct::table
                .filter(
                    ct::id
                        .eq(cid)
                        .and(ct::office_id.eq(before.office_id))
                        .and(ct::customer_id.eq(before.customer_id)),
                )
                .select(ct::status)
                .first(conn)
                .optional()
                .api()?;
            match status.as_deref() {
                Some("signed" | "filed" | "in_execution" | "completed") => {}
                Some(_) => {
                    return Err(ApiError::invalid_field(
                        "contract_id",
                        "not_signed",
                        "the contract must be signed first",
                    ));
                }
                None => {
                    return Err(ApiError::invalid_field(
                        "contract_id",
                        "not_found",
                        "no contract of this customer in this office",
                    ));
                }
            }
            contract = Some(cid);
            closed_on = Some(today);
        }
        _ => {}
    }
    let after: Opportunity = diesel::update(o::table.find(id).filter(o::version.eq(version)))
        .set((
            o::stage.eq(b.stage.as_str()),
            o::lost_reason.eq(lost_reason),
            o::contract_id.eq(contract),
            o::closed_on.eq(closed_on),
            o::updated_at.eq(now_db()),
            o::version.eq(o::version + 1),
        ))
        .returning(o::all_columns)
        .get_result(conn)
        .optional()
        .api()?
        .ok_or_else(|| version_conflict(before.version + 1))?;
    record_stage(conn, p, &after, Some(&before.stage), b.note.as_deref())?;
    audit::record(
        conn,
        &p.actor(authority),
        Change::new("stage", "opportunity", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_move_one_on_back_or_out() {
        use Stage::*;
        assert_eq!(InitialContact.next_allowed(), vec![NeedsAnalysis, Lost]);
        assert_eq!(
            Quotation.next_allowed(),
            vec![InitialContact, NeedsAnalysis, Solution, Negotiation, Lost]
        );
        assert!(Negotiation.next_allowed().contains(&Won));
        assert!(!Solution.next_allowed().contains(&Won));
        assert!(!InitialContact.next_allowed().contains(&Quotation));
        assert!(Won.next_allowed().is_empty());
        assert!(Lost.next_allowed().is_empty());
    }
}
