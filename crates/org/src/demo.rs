//! The first administrator (`branchline create-admin`) and the demo company
//! (`branchline serve --demo`): HQ, two regions (華南 South China, 華東 East China),
//! four offices (GZ01 Guangzhou, SZ01 Shenzhen, SH01 Shanghai, HZ01 Hangzhou) with
//! their departments, and one user per role — `hq.admin`, `hq.<role>` for the HQ
//! roles, `south.regional_manager` / `east.regional_manager`, and
//! `<office code>.<role>` for every office role — all with the password
//! `branchline-demo`.

use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::audit::{self, Change};
use store::schema::{departments, offices, regions, role_assignments as ra, users};
use store::{AnyConnection, DbResultExt, transaction};

use crate::common::now_db;
use crate::roles::{self, RoleLevel};
use crate::users::{User, insert_user, insert_user_hashed};

pub const DEMO_PASSWORD: &str = "branchline-demo";

fn system() -> Actor {
    Actor::demo_loader(None)
}

fn assign(
    conn: &mut AnyConnection,
    user_id: i64,
    role: &str,
    scope: (&str, Option<i64>, Option<i64>, Option<i64>),
    from: NaiveDate,
    actor: &Actor,
) -> Result<(), ApiError> {
    let (kind, region_id, office_id, department_id) = scope;
    let id: i64 = diesel::insert_into(ra::table)
        .values((
            ra::user_id.eq(user_id),
            ra::role.eq(role),
            ra::scope_kind.eq(kind),
            ra::region_id.eq(region_id),
            ra::office_id.eq(office_id),
            ra::department_id.eq(department_id),
            ra::valid_from.eq(from),
            ra::created_at.eq(now_db()),
            ra::created_by.eq(actor.user_id),
        ))
        .returning(ra::id)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("assign_role", "role_assignment", id, office_id),
    )?;
    Ok(())
}

/// Creates an HQ administrator with a company-wide `hq_admin` assignment.
pub fn create_admin(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    password: &str,
) -> Result<User, ApiError> {
    if username.len() < 3
        || username.len() > 64
        || crate::users::validate_username(username).is_err()
    {
        return Err(ApiError::invalid_field(
            "username",
            "pattern",
            "must be 3 to 64 lower-case letters, digits, `.`, `_` or `-`",
        ));
    }
    if password.chars().count() < crate::password::MIN_LENGTH as usize {
        return Err(ApiError::invalid_field(
            "password",
            "length",
            "must be at least 12 characters long",
        ));
    }
    transaction(conn, |conn| {
        let actor = system_actor("create-admin");
        let user = insert_user(conn, username, display_name, password, None)?;
        audit::record(
            conn,
            &actor,
            Change::new("create", "user", user.id, None).after(&user),
        )?;
        assign(
            conn,
            user.id,
            "hq_admin",
            ("company", None, None, None),
            crate::common::today(),
            &actor,
        )?;
        Ok(user)
    })
}

fn system_actor(source: &str) -> Actor {
    Actor::job(source)
}

/// What the demo loader did.
#[derive(Debug)]
pub struct DemoSummary {
    pub loaded: bool,
    pub users: usize,
}

const REGIONS: &[(&str, &str, &str)] = &[
    ("SOUTH", "華南 South China", "south"),
    ("EAST", "華東 East China", "east"),
];

const OFFICES: &[(&str, &str, &str, &str)] = &[
    (
        "GZ01",
        "廣州辦事處 Guangzhou",
        "SOUTH",
        "廣州市天河區天河路 385 號",
    ),
    (
        "SZ01",
        "深圳辦事處 Shenzhen",
        "SOUTH",
        "深圳市福田區深南大道 6008 號",
    ),
    (
        "SH01",
        "上海辦事處 Shanghai",
        "EAST",
        "上海市浦東新區世紀大道 100 號",
    ),
    (
        "HZ01",
        "杭州辦事處 Hangzhou",
        "EAST",
        "杭州市西湖區文三路 90 號",
    ),
];

const DEPARTMENTS: &[(&str, &str)] = &[
    ("市場部 Market", "market"),
    ("銷售部 Sales", "sales"),
    ("客服部 Customer service", "customer_service"),
    ("行政部 Administration", "administration"),
    ("技術支持部 Technical support", "technical_support"),
    ("售後服務部 After-sales", "after_sales"),
];

/// Loads the demo company into an empty database; does nothing when any office
/// exists already.
pub fn load_demo(conn: &mut AnyConnection) -> Result<DemoSummary, ApiError> {
    let existing: i64 = offices::table.count().get_result(conn).api()?;
    if existing > 0 {
        return Ok(DemoSummary {
            loaded: false,
            users: 0,
        });
    }
    let actor = system();
    let since = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    transaction(conn, |conn| {
        let now = now_db();
        let mut count = 0;
        // Every demo user shares the published demo password: one hash serves all.
        let hash = crate::password::hash(DEMO_PASSWORD)?;
        let mut user = |conn: &mut AnyConnection,
                        username: &str,
                        name: &str,
                        office: Option<i64>|
         -> Result<i64, ApiError> {
            let u = insert_user_hashed(conn, username, name, &hash, office)?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "user", u.id, office).after(&u),
            )?;
            count += 1;
            Ok(u.id)
        };

        for def in roles::ROLES
            .iter()
            .filter(|r| r.level == RoleLevel::Company)
        {
            let username = format!("hq.{}", def.code.strip_prefix("hq_").unwrap_or(def.code));
            let id = user(conn, &username, def.name, None)?;
            assign(
                conn,
                id,
                def.code,
                ("company", None, None, None),
                since,
                &actor,
            )?;
        }

        let mut region_ids = Vec::new();
        for (code, name, prefix) in REGIONS {
            let id: i64 = diesel::insert_into(regions::table)
                .values((
                    regions::code.eq(code),
                    regions::name.eq(name),
                    regions::created_at.eq(now),
                    regions::updated_at.eq(now),
                ))
                .returning(regions::id)
                .get_result(conn)
                .api()?;
            audit::record(conn, &actor, Change::new("create", "region", id, None))?;
            let manager = user(
                conn,
                &format!("{prefix}.regional_manager"),
                &format!("Regional manager, {name}"),
                None,
            )?;
            assign(
                conn,
                manager,
                "regional_manager",
                ("region", Some(id), None, None),
                since,
                &actor,
            )?;
            region_ids.push((*code, id));
        }

        for (code, name, region, address) in OFFICES {
            let region_id = region_ids
                .iter()
                .find(|(c, _)| c == region)
                .map(|(_, id)| *id)
                .unwrap_or_default();
            let office_id: i64 = diesel::insert_into(offices::table)
                .values((
                    offices::code.eq(code),
                    offices::name.eq(name),
                    offices::region_id.eq(region_id),
                    offices::address.eq(address),
                    offices::status.eq("active"),
                    offices::opened_on.eq(since),
                    offices::created_at.eq(now),
                    offices::updated_at.eq(now),
                ))
                .returning(offices::id)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("open", "office", office_id, Some(office_id)),
            )?;

            let mut sales_department = None;
            for (dept_name, kind) in DEPARTMENTS {
                let id: i64 = diesel::insert_into(departments::table)
                    .values((
                        departments::office_id.eq(office_id),
                        departments::name.eq(dept_name),
                        departments::kind.eq(kind),
                        departments::status.eq("active"),
                        departments::created_at.eq(now),
                        departments::updated_at.eq(now),
                    ))
                    .returning(departments::id)
                    .get_result(conn)
                    .api()?;
                audit::record(
                    conn,
                    &actor,
                    Change::new("create", "department", id, Some(office_id)),
                )?;
                if *kind == "sales" {
                    sales_department = Some(id);
                }
            }

            let prefix = code.to_lowercase();
            for def in roles::ROLES.iter().filter(|r| r.level == RoleLevel::Office) {
                let id = user(
                    conn,
                    &format!("{prefix}.{}", def.code),
                    &format!("{} ({code})", def.name),
                    Some(office_id),
                )?;
                let scope = if def.code == "department_supervisor" {
                    ("department", None, Some(office_id), sales_department)
                } else {
                    ("office", None, Some(office_id), None)
                };
                assign(conn, id, def.code, scope, since, &actor)?;
                if def.code == "office_director" {
                    diesel::update(offices::table.find(office_id))
                        .set(offices::director_user_id.eq(id))
                        .execute(conn)
                        .api()?;
                }
                if def.code == "department_supervisor"
                    && let Some(dept) = sales_department
                {
                    diesel::update(departments::table.find(dept))
                        .set(departments::supervisor_user_id.eq(id))
                        .execute(conn)
                        .api()?;
                }
            }
        }
        let _ = users::table;
        Ok(DemoSummary {
            loaded: true,
            users: count,
        })
    })
}
