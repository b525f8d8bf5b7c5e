//! Approval policies as stored data: which policy applies to a document type at
//! an office (the office's override, else the HQ default, created from the
//! type's default on first use), the named figures (thresholds) a rule reads
//! from it, and storing a new policy.

use diesel::prelude::*;
use kernel::ApiError;
use store::schema::approval_policies as ap;
use store::{AnyConnection, DbResultExt};

use super::{ApprovalDocument, Registry, now_db};
use crate::policy::{PolicyDef, StepDef};

/// The policy for a document type at an office: the office's override, else the
/// HQ default (created from the document type's default on first use).
pub fn policy_for(
    conn: &mut AnyConnection,
    doc: &dyn ApprovalDocument,
    office_id: Option<i64>,
) -> Result<(i64, i64, PolicyDef), ApiError> {
    let parse =
        |row: (i64, i64, String, String, bool, String)| -> Result<(i64, i64, PolicyDef), ApiError> {
            let steps: Vec<StepDef> = serde_json::from_str(&row.3).map_err(ApiError::internal)?;
            let thresholds = thresholds_with_defaults(doc, &row.5)?;
            Ok((
                row.0,
                row.1,
                PolicyDef {
                    name: row.2,
                    steps,
                    allow_same_approver: row.4,
                    thresholds,
                },
            ))
        };
    let columns = (
        ap::id,
        ap::version,
        ap::name,
        ap::steps_json,
        ap::allow_same_approver,
        ap::thresholds_json,
    );
    if let Some(office) = office_id {
        let row = ap::table
            .filter(
                ap::doc_type
                    .eq(doc.doc_type())
                    .and(ap::office_id.eq(office)),
            )
            .select(columns)
            .first(conn)
            .optional()
            .api()?;
        if let Some(row) = row {
            return parse(row);
        }
    }
    let hq_default = |conn: &mut AnyConnection| {
        ap::table
            .filter(ap::doc_type.eq(doc.doc_type()).and(ap::office_id.is_null()))
            .select(columns)
            .first(conn)
            .optional()
            .api()
    };
    if let Some(row) = hq_default(conn)? {
        return parse(row);
    }
    // First use: store the type's default. Replicas starting together, or two
    // first submissions at once, may race to insert it; the loser (unique index,
    // inside a savepoint so the outer transaction stays usable) reads the winner's.
    let def = doc.default_policy();
    match store::transaction(conn, |c| insert_policy(c, doc.doc_type(), None, &def)) {
        Ok(id) => Ok((id, 1, def)),
        Err(e) if e.code == kernel::ErrorCode::Duplicate => {
            hq_default(conn)?.map_or_else(|| Err(e), parse)
        }
        Err(e) => Err(e),
    }
}

/// A stored policy's figures, with the document type's default figure for any
/// name the policy does not set (a policy stored before the name existed).
pub fn thresholds_with_defaults(
    doc: &dyn ApprovalDocument,
    stored: &str,
) -> Result<std::collections::BTreeMap<String, i64>, ApiError> {
    let mut figures = doc.default_policy().thresholds;
    let set: std::collections::BTreeMap<String, i64> =
        serde_json::from_str(stored).map_err(ApiError::internal)?;
    figures.extend(set);
    Ok(figures)
}

/// One figure of the policy that applies to a document type at an office (its
/// override, else the HQ default): the one place a rule reads a company
/// threshold from.
pub fn threshold(
    conn: &mut AnyConnection,
    doc: &dyn ApprovalDocument,
    office_id: Option<i64>,
    name: &str,
) -> Result<i64, ApiError> {
    let (_, _, policy) = policy_for(conn, doc, office_id)?;
    policy.thresholds.get(name).copied().ok_or_else(|| {
        ApiError::internal(std::io::Error::other(format!(
            "the {} policy has no figure `{name}`",
            doc.doc_type()
        )))
    })
}

pub fn insert_policy(
    conn: &mut AnyConnection,
    doc_type: &str,
    office_id: Option<i64>,
    def: &PolicyDef,
) -> Result<i64, ApiError> {
    let now = now_db();
    diesel::insert_into(ap::table)
        .values((
            ap::doc_type.eq(doc_type),
            ap::office_id.eq(office_id),
            ap::name.eq(&def.name),
            ap::steps_json.eq(serde_json::to_string(&def.steps).map_err(ApiError::internal)?),
            ap::allow_same_approver.eq(def.allow_same_approver),
            ap::thresholds_json
                .eq(serde_json::to_string(&def.thresholds).map_err(ApiError::internal)?),
            ap::created_at.eq(now),
            ap::updated_at.eq(now),
            ap::version.eq(1_i64),
        ))
        .returning(ap::id)
        .get_result(conn)
        .api()
}

/// Creates the HQ default policy of every registered type that has none.
pub fn ensure_default_policies(
    conn: &mut AnyConnection,
    registry: &Registry,
) -> Result<(), ApiError> {
    for doc in registry.types() {
        policy_for(conn, doc.as_ref(), None)?;
    }
    Ok(())
}
