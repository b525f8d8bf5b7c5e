//! Who takes part in approving what, as SQL: the steps a caller may decide (the
//! inbox), and the documents and approvals they decided or may decide — which
//! they may then read although outside their offices. A load of one record asks
//! whether the caller takes part in that record's approval (reading its steps
//! only) and puts the answer into its `WHERE` (`store::load_scoped!` with
//! `also = …`, evaluated only for a caller whose reach is not the whole
//! company), so visibility through an approval is decided by the query like
//! every other scope, at a cost that does not grow with the approver's history.

use diesel::prelude::*;
use diesel::sql_types::Bool;
use kernel::ApiError;
use kernel::{Principal, Reach};
use org::roles::{self, RoleLevel};
use store::schema::{approval_instances as ai, approval_steps as st};
use store::{AnyConnection, DbResultExt, MultiBackend};

pub type StepFilter = Box<
    dyn BoxableExpression<
            diesel::helper_types::InnerJoinQuerySource<st::table, ai::table>,
            MultiBackend,
            SqlType = Bool,
        >,
>;

/// The SQL condition "the caller can decide this step": one clause per grant.
pub fn decidable_by(p: &Principal) -> StepFilter {
    let mut users = vec![p.user_id];
    users.extend(
        p.grants
            .iter()
            .filter(|g| g.role == "department_supervisor")
            .filter_map(|g| g.acting_for),
    );
    let mut cond: StepFilter = Box::new(
        st::approver_kind
            .eq("department_supervisor")
            .and(st::approver_user_id.assume_not_null().eq_any(users)),
    );
    for g in &p.grants {
        let Some(def) = roles::role(g.role) else {
            continue;
        };
        let by_role = st::approver_kind
            .eq("role")
            .and(st::approver_role.assume_not_null().eq(g.role));
        let clause: StepFilter = match (&g.reach, def.level) {
            (Reach::Company, _) => Box::new(by_role),
            (Reach::Offices(_), RoleLevel::Company) => continue,
            (Reach::Offices(set), _) => Box::new(
                by_role.and(
                    ai::office_id
                        .assume_not_null()
                        .eq_any(set.iter().copied().collect::<Vec<_>>()),
                ),
            ),
        };
        cond = Box::new(cond.or(clause));
    }
    cond
}

/// The steps the caller decided or may decide.
pub fn involved(p: &Principal) -> StepFilter {
    Box::new(
        st::decided_by
            .assume_not_null()
            .eq(p.user_id)
            .or(decidable_by(p)),
    )
}

/// Document `doc_id` of `doc_type` when the caller takes part in its approval
/// (decided or may decide a step), for a load's `also = id.eq_any(…)`: at most
/// one id, read from that document's steps only — what an approver took part in
/// over the years is never loaded.
pub fn approver_doc_ids(
    conn: &mut AnyConnection,
    p: &Principal,
    doc_type: &str,
    doc_id: i64,
) -> Result<Vec<i64>, ApiError> {
    st::table
        .inner_join(ai::table)
        .filter(ai::doc_type.eq(doc_type))
        .filter(ai::doc_id.eq(doc_id))
        .filter(involved(p))
        .select(ai::doc_id)
        .distinct()
        .load(conn)
        .api()
}

/// Approval `id` when the caller takes part in it: at most one id, read from
/// that approval's steps only.
pub fn approver_instance_ids(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
) -> Result<Vec<i64>, ApiError> {
    st::table
        .inner_join(ai::table)
        .filter(ai::id.eq(id))
        .filter(involved(p))
        .select(ai::id)
        .distinct()
        .load(conn)
        .api()
}

/// The SQL condition "the caller may see this `$doc_type` document through its
/// approval", for a document table with `id`, `office_id` and `approval_id`: they
/// decided or may decide one of its steps, or its office is in their
/// `approval:read` reach (anywhere, for a company-wide reach). For a load's
/// `also = …` when loading document `$id`; it runs one query over that
/// document's approval steps.
#[macro_export]
macro_rules! seen_through_approval {
    ($conn:expr, $p:expr, $doc_type:expr, $table:ident, $id:expr) => {{
        let involved = $crate::visibility::approver_doc_ids($conn, $p, $doc_type, $id)?;
        let reach = $p.reach(org::roles::APPROVAL_READ);
        let by_reach: Box<
            dyn diesel::BoxableExpression<
                    $table::table,
                    store::MultiBackend,
                    SqlType = diesel::sql_types::Bool,
                >,
        > = match store::scoped::office_ids(&reach) {
            None => Box::new($table::approval_id.is_not_null()),
            Some(ids) => Box::new(
                $table::approval_id
                    .is_not_null()
                    .and($table::office_id.eq_any(ids)),
            ),
        };
        $table::id.eq_any(involved).or(by_reach)
    }};
}
