//! Approval policies: data, not code. A policy is an ordered chain of steps for one
//! document type — an HQ default, optionally overridden for one office. Each step
//! names its approver (a role, which sits at the document's office, its region or
//! HQ as the role's level says, or the submitter's department supervisor), may
//! apply only when a condition on the document's amount or category holds, may
//! carry a time limit, and says where it escalates when overdue.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use org::roles::{self, RoleLevel};

/// Who decides a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Approver {
    /// Holders of a role: at the document's office for office roles, over its
    /// region for `regional_manager`, company-wide for HQ roles.
    Role {
        #[schema(example = "office_director")]
        role: String,
    },
    /// The supervisor of the submitter's department.
    DepartmentSupervisor {},
}

impl Approver {
    pub fn describe(&self) -> String {
        match self {
            Approver::Role { role } => role.clone(),
            Approver::DepartmentSupervisor {} => {
                "department_supervisor (of the submitter)".to_owned()
            }
        }
    }

    /// One level up, when a policy does not say where an overdue step goes:
    /// department supervisor → office director → regional manager → leadership;
    /// an HQ function → leadership. Leadership has nobody above it.
    pub fn default_escalation(&self) -> Option<Approver> {
        let role = |r: &str| Some(Approver::Role { role: r.to_owned() });
        match self {
            Approver::DepartmentSupervisor {} => role("office_director"),
            Approver::Role { role: r } => match roles::role(r).map(|d| d.level) {
                Some(RoleLevel::Office) if r == "office_director" => role("regional_manager"),
                Some(RoleLevel::Office) => role("office_director"),
                Some(RoleLevel::Region) => role("hq_executive"),
                Some(RoleLevel::Company) if r != "hq_executive" => role("hq_executive"),
                _ => None,
            },
        }
    }
}

/// When a step applies. All given parts must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Applies only when the amount is strictly greater (minor units).
    #[schema(example = 5_000_000)]
    pub amount_above: Option<i64>,
    /// Applies only when the amount is at most this (minor units).
    pub amount_at_most: Option<i64>,
    /// Applies only to these categories.
    pub categories: Option<Vec<String>>,
}

impl Condition {
    pub fn holds(&self, amount: Option<i64>, category: Option<&str>) -> bool {
        let amount_ok = |check: Option<i64>, f: fn(i64, i64) -> bool| match check {
            None => true,
            Some(limit) => amount.is_some_and(|a| f(a, limit)),
        };
        amount_ok(self.amount_above, |a, l| a > l)
            && amount_ok(self.amount_at_most, |a, l| a <= l)
            && self
                .categories
                .as_ref()
                .is_none_or(|cats| category.is_some_and(|c| cats.iter().any(|x| x == c)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "preliminary_review")]
    pub name: String,
    pub approver: Approver,
    #[validate(nested)]
    pub condition: Option<Condition>,
    /// Hours the approver has before the step is overdue.
    #[validate(range(min = 1, max = 8760))]
    #[schema(minimum = 1, maximum = 8760)]
    pub time_limit_hours: Option<i32>,
    /// Where the step goes when overdue; one level up when not given.
    pub escalate_to: Option<Approver>,
}

/// A policy's content, as created or replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PolicyDef {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 20), nested, custom(function = "validate_roles"))]
    #[schema(min_items = 1, max_items = 20)]
    pub steps: Vec<StepDef>,
    /// May one person approve two steps of the same chain? Default no.
    #[serde(default)]
    pub allow_same_approver: bool,
    /// The company's figures this document type's rules read, by name, in minor
    /// units — e.g. `pre_approval_above` for expense claims (above it a claim
    /// needs an HQ pre-approval). A name the type's default has and this policy
    /// omits keeps the default's figure.
    #[serde(default)]
    #[validate(custom(function = "validate_figures"))]
    #[schema(example = json!({"pre_approval_above": 5_000_000}))]
    pub thresholds: BTreeMap<String, i64>,
}

fn validate_figures(figures: &BTreeMap<String, i64>) -> Result<(), ValidationError> {
    if figures.len() > 20 || figures.keys().any(|k| k.is_empty() || k.len() > 64) {
        let mut e = ValidationError::new("figures");
        e.message = Some("at most 20 figures, named with 1 to 64 characters".into());
        return Err(e);
    }
    if figures.values().any(|v| *v < 0) {
        let mut e = ValidationError::new("range");
        e.message = Some("a figure is an amount in minor units, never negative".into());
        return Err(e);
    }
    Ok(())
}

fn validate_roles(steps: &[StepDef]) -> Result<(), ValidationError> {
    for step in steps {
        for approver in std::iter::once(&step.approver).chain(step.escalate_to.iter()) {
            if let Approver::Role { role } = approver
                && roles::role(role).is_none()
            {
                let mut e = ValidationError::new("unknown_role");
                e.message = Some(format!("`{role}` is not a built-in role").into());
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Shorthand for policies written in code (defaults, tests): a step the
/// submitter's department supervisor decides.
pub fn supervisor(step: &str) -> StepDef {
    StepDef {
        name: step.to_owned(),
        approver: Approver::DepartmentSupervisor {},
        condition: None,
        time_limit_hours: None,
        escalate_to: None,
    }
}

/// Shorthand for policies written in code (defaults, tests).
pub fn role(name: &str, step: &str) -> StepDef {
    StepDef {
        name: step.to_owned(),
        approver: Approver::Role {
            role: name.to_owned(),
        },
        condition: None,
        time_limit_hours: None,
        escalate_to: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec closes `Approver`'s variants (gateway `CLOSED_TAGGED_UNIONS`)
    /// because the server refuses extra fields in them.
    #[test]
    fn an_approver_with_an_unknown_field_is_refused() {
        let refused = |v: serde_json::Value| serde_json::from_value::<Approver>(v).is_err();
        assert!(refused(
            serde_json::json!({"kind": "role", "role": "office_director", "x": 1})
        ));
        assert!(refused(
            serde_json::json!({"kind": "department_supervisor", "x": 1})
        ));
        assert!(!refused(
            serde_json::json!({"kind": "department_supervisor"})
        ));
    }

    #[test]
    fn thresholds_below_at_and_above() {
        let above = Condition {
            amount_above: Some(5_000_000),
            ..Default::default()
        };
        assert!(!above.holds(Some(4_999_999), None));
        assert!(!above.holds(Some(5_000_000), None));
        assert!(above.holds(Some(5_000_001), None));
        assert!(!above.holds(None, None));
        let cats = Condition {
            categories: Some(vec!["travel".into()]),
            ..Default::default()
        };
        assert!(cats.holds(None, Some("travel")));
        assert!(!cats.holds(None, Some("office")));
        assert!(Condition::default().holds(None, None));
    }

    #[test]
    fn escalation_goes_one_level_up() {
        let up = |a: Approver| a.default_escalation();
        assert_eq!(
            up(Approver::DepartmentSupervisor {}),
            Some(Approver::Role {
                role: "office_director".into()
            })
        );
        assert_eq!(
            up(Approver::Role {
                role: "office_director".into()
            }),
            Some(Approver::Role {
                role: "regional_manager".into()
            })
        );
        assert_eq!(
            up(Approver::Role {
                role: "regional_manager".into()
            }),
            Some(Approver::Role {
                role: "hq_executive".into()
            })
        );
        assert_eq!(
            up(Approver::Role {
                role: "hq_finance".into()
            }),
            Some(Approver::Role {
                role: "hq_executive".into()
            })
        );
        assert_eq!(
            up(Approver::Role {
                role: "hq_executive".into()
            }),
            None
        );
    }

    #[test]
    fn policies_parse_and_validate() {
        let p: PolicyDef = serde_json::from_value(serde_json::json!({
            "name": "Expense claims",
            "steps": [
                {"name": "review", "approver": {"kind": "role", "role": "operations_specialist"}},
                {"name": "head", "approver": {"kind": "department_supervisor"}, "time_limit_hours": 48},
                {"name": "hq", "approver": {"kind": "role", "role": "hq_finance"}, "condition": {"amount_above": 5000000}}
            ]
        }))
        .unwrap();
        assert!(p.validate().is_ok());
        let bad: PolicyDef = serde_json::from_value(serde_json::json!({
            "name": "x", "steps": [{"name": "a", "approver": {"kind": "role", "role": "emperor"}}]
        }))
        .unwrap();
        assert!(bad.validate().is_err());
        assert!(serde_json::from_value::<PolicyDef>(serde_json::json!({
            "name": "x", "steps": [{"name": "a", "approver": {"kind": "department_supervisor", "role": "x"}}]
        }))
        .is_err());
    }
}
