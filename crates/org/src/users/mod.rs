//! User accounts and role assignments. A user belongs to an office (or to HQ),
//! may be linked to an employee record, and holds roles through assignments, each
//! with a scope and validity dates. An acting assignment (代行) lets a deputy hold
//! the director's role for a period; what they do through it is recorded as
//! "acting for" the director. This module registers the endpoints; the accounts
//! live in `accounts`, the built-in role list and the assignments in `assignments`.

mod accounts;
mod assignments;

use utoipa_actix_web::service_config::ServiceConfig;

pub use accounts::{
    CreateUser, ListUsers, UpdateUser, User, deactivate, insert_user, insert_user_hashed,
    validate_username,
};
pub use assignments::{
    CreateRoleAssignment, ListRoleAssignments, RoleAssignment, RoleInfo, ScopeKind,
    assign_at_office, end_all_of,
};

use accounts::{create_user, get_user, list_users, update_user};
use assignments::{create_role_assignment, end_role_assignment, list_role_assignments, list_roles};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(list_roles)
        .service(list_role_assignments)
        .service(create_role_assignment)
        .service(end_role_assignment);
}
