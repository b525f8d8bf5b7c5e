//! Where a record of a domain belongs and who may be named on it: the office a
//! new record goes to, a user of that office named in a body, and the
//! department a user works in (for a department supervisor's approval step).
//! Every domain crate uses these; they live here because the organization owns
//! offices, users, departments and role assignments.

use diesel::prelude::*;
use kernel::{ApiError, Authority, ErrorCode, Permission, Principal, Reach};
use store::schema::{departments, role_assignments as ra, users};
use store::{AnyConnection, DbResultExt};

/// The office a new record belongs to: the one named, else the caller's own;
/// 403 without `perm`, 404 for an office outside the caller's reach.
pub fn office_for_create(
    p: &Principal,
    perm: Permission,
    named: Option<i64>,
) -> Result<(i64, Authority), ApiError> {
    let office = named.or(p.office_id).ok_or_else(|| {
        ApiError::invalid_field(
            "office_id",
            "required",
            "is required for callers outside an office",
        )
    })?;
    let authority = p.authorize(perm, Some(office)).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            ApiError::not_found("office")
        } else {
            e
        }
    })?;
    Ok((office, authority))
}

/// A user named in a request body: must be active and work in `office_id`.
/// A user of another office, an inactive one and one that does not exist get the
/// same answer (`store::scoped::no_such`), so nobody learns who exists elsewhere.
pub fn user_of_office(
    conn: &mut AnyConnection,
    field: &str,
    user_id: i64,
    office_id: i64,
) -> Result<(), ApiError> {
    let found: Option<i64> = users::table
        .filter(users::id.eq(user_id))
        .filter(users::office_id.eq(office_id))
        .filter(users::active.eq(true))
        .select(users::id)
        .first(conn)
        .optional()
        .api()?;
    found
        .map(drop)
        .ok_or_else(|| store::scoped::no_such(field, "active user"))
}

/// A department named in a request body: must be an active department of
/// `office_id`; otherwise the same answer as for one that does not exist.
pub fn department_of_office(
    conn: &mut AnyConnection,
    field: &str,
    department_id: i64,
    office_id: i64,
) -> Result<(), ApiError> {
    let found: Option<i64> = departments::table
        .filter(departments::id.eq(department_id))
        .filter(departments::office_id.eq(office_id))
        .filter(departments::status.eq("active"))
        .select(departments::id)
        .first(conn)
        .optional()
        .api()?;
    found
        .map(drop)
        .ok_or_else(|| store::scoped::no_such(field, "active department"))
}

/// The department a user works in at `office_id`, for the department-manager
/// step. Users carry no department of their own: it is the department of a
/// department-scoped role assignment valid today, else the department they
/// supervise, else — sales documents being the business department's — the
/// office's sales department. `None` only in an office without one.
pub fn department_of(
    conn: &mut AnyConnection,
    user_id: i64,
    office_id: i64,
) -> Result<Option<i64>, ApiError> {
    let today = kernel::time::today();
    let assigned: Vec<Option<i64>> = ra::table
        .filter(ra::user_id.eq(user_id))
        .filter(ra::scope_kind.eq("department"))
        .filter(ra::acting_for_user_id.is_null())
        .filter(ra::ended_at.is_null())
        .filter(ra::valid_from.le(today))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today)))
        .order(ra::id.asc())
        .select(ra::department_id)
        .load(conn)
        .api()?;
    let assigned: Vec<i64> = assigned.into_iter().flatten().collect();
    let in_office = departments::table
        .filter(departments::office_id.eq(office_id))
        .filter(departments::status.eq("active"));
    if !assigned.is_empty() {
        let dept: Option<i64> = in_office
            .filter(departments::id.eq_any(&assigned))
            .order(departments::id.asc())
            .select(departments::id)
            .first(conn)
            .optional()
            .api()?;
        if dept.is_some() {
            return Ok(dept);
        }
    }
    let supervised: Option<i64> = in_office
        .filter(departments::supervisor_user_id.eq(user_id))
        .order(departments::id.asc())
        .select(departments::id)
        .first(conn)
        .optional()
        .api()?;
    if supervised.is_some() {
        return Ok(supervised);
    }
    in_office
        .filter(departments::kind.eq("sales"))
        .order(departments::id.asc())
        .select(departments::id)
        .first(conn)
        .optional()
        .api()
}

/// The active users who hold `role` directly (not acting) today over a record
/// of `office_id`: at the office, over its region, or company-wide, as the
/// role's level says — the approvers of an approval step, the people a service
/// request is escalated to.
pub fn role_holders(
    conn: &mut AnyConnection,
    role: &str,
    office_id: Option<i64>,
) -> Result<Vec<i64>, ApiError> {
    use store::schema::{offices, role_assignments as ra, users};
    let Some(level) = crate::roles::role(role).map(|r| r.level) else {
        return Ok(Vec::new());
    };
    let today = kernel::time::now().date_naive();
    let mut q = ra::table
        .inner_join(users::table.on(users::id.eq(ra::user_id)))
        .filter(ra::role.eq(role))
        .filter(ra::acting_for_user_id.is_null())
        .filter(ra::ended_at.is_null())
        .filter(ra::valid_from.le(today))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today)))
        .filter(users::active.eq(true))
        .select(ra::user_id)
        .into_boxed::<store::MultiBackend>();
    q = match (level, office_id) {
        (crate::roles::RoleLevel::Company, _) => q.filter(ra::scope_kind.eq("company")),
        (crate::roles::RoleLevel::Region, Some(office)) => {
            let region = offices::table
                .find(office)
                .select(offices::region_id)
                .single_value();
            q.filter(ra::region_id.nullable().eq(region))
        }
        (crate::roles::RoleLevel::Office, Some(office)) => q.filter(ra::office_id.eq(office)),
        (_, None) => return Ok(Vec::new()),
    };
    let mut holders: Vec<i64> = q.load(conn).api()?;
    holders.sort_unstable();
    holders.dedup();
    Ok(holders)
}

/// Every office of `region_id`, open or closed (none for an unknown region).
pub fn region_offices(conn: &mut AnyConnection, region_id: i64) -> Result<Vec<i64>, ApiError> {
    use store::schema::offices;
    offices::table
        .filter(offices::region_id.eq(region_id))
        .order(offices::id.asc())
        .select(offices::id)
        .load(conn)
        .api()
}

/// The regions `reach` covers whole: every region for a company-wide reach,
/// else those with offices, all of them in the reach. A record of a region
/// (not of one office) is seen by those who see the whole region.
pub fn regions_in_reach(conn: &mut AnyConnection, reach: &Reach) -> Result<Vec<i64>, ApiError> {
    use store::schema::{offices, regions};
    if *reach == Reach::Company {
        return regions::table.select(regions::id).load(conn).api();
    }
    if reach.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<(i64, i64)> = offices::table
        .select((offices::region_id, offices::id))
        .load(conn)
        .api()?;
    let mut covered: std::collections::BTreeMap<i64, bool> = Default::default();
    for (region, office) in pairs {
        let all = covered.entry(region).or_insert(true);
        *all = *all && reach.contains(office);
    }
    Ok(covered
        .into_iter()
        .filter_map(|(region, all)| all.then_some(region))
        .collect())
}

/// For an action on a record of `region_id` as a whole: a grant of `perm`
/// that reaches every office of the region (a regional manager's, an HQ
/// function's). 403 without `perm`; 404 as `region` for a region outside
/// the caller's reach or one that does not exist.
pub fn authorize_region(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: Permission,
    region_id: i64,
) -> Result<Authority, ApiError> {
    p.require(perm)?;
    let offices = region_offices(conn, region_id)?;
    let exists = !offices.is_empty()
        || store::schema::regions::table
            .find(region_id)
            .select(store::schema::regions::id)
            .first::<i64>(conn)
            .optional()
            .api()?
            .is_some();
    if !exists {
        return Err(ApiError::not_found("region"));
    }
    p.authorize_all(perm, &offices).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            ApiError::not_found("region")
        } else {
            e
        }
    })
}

/// An active user named in a body for a record above one office: with
/// `offices`, a user of one of them or of HQ (no office); without, any active
/// user. Otherwise the same answer as for one that does not exist.
pub fn user_of_offices_or_hq(
    conn: &mut AnyConnection,
    field: &str,
    user_id: i64,
    offices: Option<&[i64]>,
) -> Result<(), ApiError> {
    let mut q = users::table
        .filter(users::id.eq(user_id))
        .filter(users::active.eq(true))
        .select(users::id)
        .into_boxed::<store::MultiBackend>();
    if let Some(list) = offices {
        q = q.filter(
            users::office_id
                .is_null()
                .or(users::office_id.eq_any(list.to_vec())),
        );
    }
    let found: Option<i64> = q.first(conn).optional().api()?;
    found
        .map(drop)
        .ok_or_else(|| store::scoped::no_such(field, "active user"))
}
