//! The built-in roles and the `resource:action` permissions each grants.
//!
//! Roles follow the positions the regulations name: HQ functions (network
//! management sets up, changes and closes offices — 設立、變更和撤銷; HR; finance;
//! leadership), the regional manager over a region's offices, and an office's
//! director (主任), deputies (副主任, who act for the director when absent — 代行),
//! department supervisors (主管) and staff. What a role may do is fixed here; where
//! it may do it comes from the scope of each assignment. `docs/permissions.md` is
//! generated from this table (`branchline permissions`), and a test fails when the
//! committed file is stale.

use serde::Serialize;
use utoipa::ToSchema;

pub const REGION_READ: &str = "region:read";
pub const REGION_MANAGE: &str = "region:manage";
pub const OFFICE_READ: &str = "office:read";
pub const OFFICE_OPEN: &str = "office:open";
pub const OFFICE_CHANGE: &str = "office:change";
pub const OFFICE_CLOSE: &str = "office:close";
pub const DEPARTMENT_READ: &str = "department:read";
pub const DEPARTMENT_MANAGE: &str = "department:manage";
pub const USER_READ: &str = "user:read";
pub const USER_MANAGE: &str = "user:manage";
pub const ROLE_ASSIGNMENT_READ: &str = "role_assignment:read";
pub const ROLE_ASSIGNMENT_MANAGE: &str = "role_assignment:manage";
pub const AUDIT_READ: &str = "audit:read";
pub const APPROVAL_READ: &str = "approval:read";
pub const APPROVAL_POLICY_MANAGE: &str = "approval_policy:manage";
pub const CUSTOMER_READ: &str = "customer:read";
pub const CUSTOMER_MANAGE: &str = "customer:manage";
pub const EXPENSE_READ: &str = "expense:read";
pub const EXPENSE_PAY: &str = "expense:pay";
pub const BUDGET_READ: &str = "budget:read";
pub const BUDGET_MANAGE: &str = "budget:manage";
pub const SUPPLY_READ: &str = "supply:read";
pub const SUPPLY_MANAGE: &str = "supply:manage";
pub const ASSET_READ: &str = "asset:read";
pub const ASSET_MANAGE: &str = "asset:manage";
pub const SALES_READ: &str = "sales:read";
pub const SALES_MANAGE: &str = "sales:manage";
pub const SALES_TARGET_MANAGE: &str = "sales_target:manage";
pub const TRIP_READ: &str = "trip:read";
pub const SERVICE_READ: &str = "service:read";
pub const SERVICE_MANAGE: &str = "service:manage";
pub const SERVICE_LEVEL_MANAGE: &str = "service_level:manage";
pub const RISK_READ: &str = "risk:read";
pub const RISK_MANAGE: &str = "risk:manage";
pub const EMPLOYEE_READ: &str = "employee:read";
pub const EMPLOYEE_MANAGE: &str = "employee:manage";
pub const PERSONAL_DATA_READ: &str = "personal_data:read";
pub const PERSONAL_DATA_MANAGE: &str = "personal_data:manage";

/// Every permission, with what it allows.
pub const PERMISSIONS: &[(&str, &str)] = &[
    (REGION_READ, "see regions"),
    (REGION_MANAGE, "create and rename regions"),
    (OFFICE_READ, "see offices and their change history"),
    (OFFICE_OPEN, "open (設立) an office"),
    (
        OFFICE_CHANGE,
        "change (變更) an office: rename, move region, change director, address",
    ),
    (OFFICE_CLOSE, "close (撤銷) an office"),
    (DEPARTMENT_READ, "see departments"),
    (
        DEPARTMENT_MANAGE,
        "create and change departments and their supervisors",
    ),
    (USER_READ, "see user accounts"),
    (USER_MANAGE, "create users, change them, deactivate them"),
    (ROLE_ASSIGNMENT_READ, "see who holds which role where"),
    (
        ROLE_ASSIGNMENT_MANAGE,
        "assign roles (within one's own reach) and end assignments",
    ),
    (AUDIT_READ, "read the audit trail"),
    (
        APPROVAL_READ,
        "see approval chains and overdue approvals (one's own inbox needs no permission)",
    ),
    (
        APPROVAL_POLICY_MANAGE,
        "configure approval policies: HQ defaults and office overrides",
    ),
    (
        CUSTOMER_READ,
        "see customer files, contacts and the interaction log",
    ),
    (
        CUSTOMER_MANAGE,
        "create and change customer files, add contacts and interactions, merge duplicates",
    ),
    (
        EXPENSE_READ,
        "see the expense claims and pre-approvals of an office (everyone sees their own)",
    ),
    (EXPENSE_PAY, "record an approved expense claim as paid"),
    (BUDGET_READ, "see an office's budgets and budget vs actual"),
    (
        BUDGET_MANAGE,
        "draft an office's budget and submit it to HQ",
    ),
    (SUPPLY_READ, "see an office's supplies, stock and ledger"),
    (
        SUPPLY_MANAGE,
        "add supply items, record stock-in and issue supplies",
    ),
    (
        ASSET_READ,
        "see an office's fixed assets and their depreciation",
    ),
    (
        ASSET_MANAGE,
        "register fixed assets and request their disposal",
    ),
    (
        SALES_READ,
        "see market records, leads, opportunities, quotations, contracts, orders, receivables, targets and the sales analyses",
    ),
    (
        SALES_MANAGE,
        "work the pipeline: market records, leads, opportunities, quotations, contracts, orders, payments received and dunning",
    ),
    (
        SALES_TARGET_MANAGE,
        "set an office's annual sales target (company-wide holders); in an office, draft and submit the sales plan that splits it into quarters, months and persons",
    ),
    (
        TRIP_READ,
        "see an office's business trips (everyone applies for and sees their own)",
    ),
    (
        SERVICE_READ,
        "see inquiries, complaints and suggestions, service tickets and their parts and quotations, return visits and their follow-ups, surveys, their results and improvement actions, with deadlines and history; working calendars, service levels and warranty terms; read and search the published knowledge base, count a read and vote",
    ),
    (
        SERVICE_MANAGE,
        "record and handle inquiries, complaints and suggestions (assign, answer, tell the customer, wait for them, resolve, close, link the article that answers one); open and work service tickets through the repair chain and quote repairs; plan, make and cancel return visits; write, review, archive and revise knowledge-base articles; make survey templates, send and record surveys, take, complete and verify improvement actions (company-wide holders: the company's articles and templates)",
    ),
    (
        SERVICE_LEVEL_MANAGE,
        "set working calendars (windows, holidays, make-up days): HQ any office's and the company default, a director their office's; and, company-wide only, the service levels and the warranty terms",
    ),
    (
        RISK_READ,
        "see the risk register with each risk's file, its measures and decisions, the risk matrix and the grade bands; risk indicators, their values and warnings; customers' credit evaluations, the rating bands and limit history",
    ),
    (
        RISK_MANAGE,
        "identify and assess risks, choose their responses, take and complete measures, assess residual risk, review and close risks (accepting a medium risk and closing a high one go through approval); define risk indicators, acknowledge and resolve their warnings and open risks from them; evaluate a customer's credit (the new terms go through approval); company-wide holders also the company's and regions' risks and indicators, the grade bands and the credit rating bands",
    ),
    (
        EMPLOYEE_READ,
        "see employee files (position, department, grade, hire date, status, manager, contracts, position history, onboarding, probation evaluations and conversions, leavings, training history, certificates, rewards and sanctions) without their personal data, recruitment plans and their candidates, training needs, plans and sessions; everyone sees their own file with it",
    ),
    (
        EMPLOYEE_MANAGE,
        "open employee files and change their position, department, grade and manager; sign labour contracts; make recruitment plans (they go through approval), assess, reject and hire candidates (a login for the hire also needs `user:manage` and `role_assignment:manage`); complete onboarding checklists (company-wide holders: the onboarding template); evaluate a probation as supervisor and ask for its conversion, extension or end (through approval); record a resignation or dismissal and its handover; collect training needs, make the annual training plan (through approval), hold its sessions, record their results and assess participants; record certificates; propose rewards and sanctions (through approval)",
    ),
    (
        PERSONAL_DATA_READ,
        "see employees' confidential personal data (ID number, birth date, address, phone, emergency contact, bank account); each read is audited",
    ),
    (
        PERSONAL_DATA_MANAGE,
        "record and change employees' confidential personal data",
    ),
];

/// What scope an assignment of the role must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleLevel {
    /// Assigned company-wide (HQ functions, auditors).
    Company,
    /// Assigned over one region.
    Region,
    /// Assigned in one office, optionally one department of it.
    Office,
}

pub struct RoleDef {
    pub code: &'static str,
    pub name: &'static str,
    pub name_zh: &'static str,
    pub level: RoleLevel,
    pub permissions: &'static [&'static str],
}

const ALL_READ: &[&str] = &[
    REGION_READ,
    OFFICE_READ,
    DEPARTMENT_READ,
    USER_READ,
    ROLE_ASSIGNMENT_READ,
    AUDIT_READ,
    APPROVAL_READ,
    CUSTOMER_READ,
    EXPENSE_READ,
    BUDGET_READ,
    SUPPLY_READ,
    ASSET_READ,
    SALES_READ,
    TRIP_READ,
    SERVICE_READ,
    RISK_READ,
    EMPLOYEE_READ,
];

pub const ROLES: &[RoleDef] = &[
    RoleDef {
        code: "hq_admin",
        name: "HQ administrator",
        name_zh: "總部系統管理員",
        level: RoleLevel::Company,
        permissions: &[
            REGION_READ,
            REGION_MANAGE,
            OFFICE_READ,
            OFFICE_OPEN,
            OFFICE_CHANGE,
            OFFICE_CLOSE,
            DEPARTMENT_READ,
            DEPARTMENT_MANAGE,
            USER_READ,
            USER_MANAGE,
            ROLE_ASSIGNMENT_READ,
            ROLE_ASSIGNMENT_MANAGE,
            AUDIT_READ,
            APPROVAL_READ,
            APPROVAL_POLICY_MANAGE,
            CUSTOMER_READ,
            CUSTOMER_MANAGE,
            EXPENSE_READ,
            BUDGET_READ,
            BUDGET_MANAGE,
            SUPPLY_READ,
            SUPPLY_MANAGE,
            ASSET_READ,
            ASSET_MANAGE,
            SALES_READ,
            SALES_MANAGE,
            SALES_TARGET_MANAGE,
            TRIP_READ,
            SERVICE_READ,
            SERVICE_MANAGE,
            SERVICE_LEVEL_MANAGE,
            RISK_READ,
            RISK_MANAGE,
            EMPLOYEE_READ,
            EMPLOYEE_MANAGE,
        ],
    },
    RoleDef {
        code: "hq_service",
        name: "HQ customer service",
        name_zh: "總部客戶服務中心",
        level: RoleLevel::Company,
        permissions: &[
            REGION_READ,
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            CUSTOMER_READ,
            SALES_READ,
            SERVICE_READ,
            SERVICE_MANAGE,
            SERVICE_LEVEL_MANAGE,
        ],
    },
    RoleDef {
        code: "hq_executive",
        name: "Company leadership",
        name_zh: "公司領導",
        level: RoleLevel::Company,
        permissions: ALL_READ,
    },
    RoleDef {
        code: "hq_finance",
        name: "HQ finance",
        name_zh: "總部財務部門",
        level: RoleLevel::Company,
        permissions: &[
            REGION_READ,
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            APPROVAL_READ,
            CUSTOMER_READ,
            EXPENSE_READ,
            EXPENSE_PAY,
            BUDGET_READ,
            BUDGET_MANAGE,
            SUPPLY_READ,
            ASSET_READ,
            SALES_READ,
            RISK_READ,
            RISK_MANAGE,
        ],
    },
    RoleDef {
        code: "hq_hr",
        name: "HQ human resources",
        name_zh: "總部人力資源部門",
        level: RoleLevel::Company,
        permissions: &[
            REGION_READ,
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            USER_MANAGE,
            ROLE_ASSIGNMENT_READ,
            ROLE_ASSIGNMENT_MANAGE,
            TRIP_READ,
            EMPLOYEE_READ,
            EMPLOYEE_MANAGE,
            PERSONAL_DATA_READ,
            PERSONAL_DATA_MANAGE,
        ],
    },
    RoleDef {
        code: "network_manager",
        name: "Network management (二網管理部門)",
        name_zh: "二網管理部門",
        level: RoleLevel::Company,
        permissions: &[
            REGION_READ,
            REGION_MANAGE,
            OFFICE_READ,
            OFFICE_OPEN,
            OFFICE_CHANGE,
            OFFICE_CLOSE,
            DEPARTMENT_READ,
            DEPARTMENT_MANAGE,
            USER_READ,
            ROLE_ASSIGNMENT_READ,
            AUDIT_READ,
            APPROVAL_READ,
        ],
    },
    RoleDef {
        code: "regional_manager",
        name: "Regional manager",
        name_zh: "區域經理",
        level: RoleLevel::Region,
        permissions: &[
            REGION_READ,
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            ROLE_ASSIGNMENT_READ,
            AUDIT_READ,
            APPROVAL_READ,
            CUSTOMER_READ,
            EXPENSE_READ,
            BUDGET_READ,
            SALES_READ,
            SERVICE_READ,
            RISK_READ,
            EMPLOYEE_READ,
        ],
    },
    RoleDef {
        code: "office_director",
        name: "Office director",
        name_zh: "辦事處主任",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            DEPARTMENT_MANAGE,
            USER_READ,
            USER_MANAGE,
            ROLE_ASSIGNMENT_READ,
            ROLE_ASSIGNMENT_MANAGE,
            AUDIT_READ,
            APPROVAL_READ,
            CUSTOMER_READ,
            CUSTOMER_MANAGE,
            EXPENSE_READ,
            BUDGET_READ,
            BUDGET_MANAGE,
            SUPPLY_READ,
            SUPPLY_MANAGE,
            ASSET_READ,
            ASSET_MANAGE,
            SALES_READ,
            SALES_MANAGE,
            SALES_TARGET_MANAGE,
            TRIP_READ,
            SERVICE_READ,
            SERVICE_MANAGE,
            SERVICE_LEVEL_MANAGE,
            RISK_READ,
            RISK_MANAGE,
            EMPLOYEE_READ,
            EMPLOYEE_MANAGE,
        ],
    },
    RoleDef {
        code: "deputy_director",
        name: "Deputy director",
        name_zh: "副主任",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            ROLE_ASSIGNMENT_READ,
            AUDIT_READ,
            APPROVAL_READ,
            CUSTOMER_READ,
            CUSTOMER_MANAGE,
            EXPENSE_READ,
            BUDGET_READ,
            SUPPLY_READ,
            ASSET_READ,
            SALES_READ,
            SALES_MANAGE,
            TRIP_READ,
            SERVICE_READ,
            SERVICE_MANAGE,
            RISK_READ,
            RISK_MANAGE,
            EMPLOYEE_READ,
        ],
    },
    RoleDef {
        code: "department_supervisor",
        name: "Department supervisor",
        name_zh: "部門主管",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            CUSTOMER_READ,
            CUSTOMER_MANAGE,
            EXPENSE_READ,
            SALES_READ,
            SALES_MANAGE,
            SALES_TARGET_MANAGE,
            TRIP_READ,
            SERVICE_READ,
            SERVICE_MANAGE,
            RISK_READ,
            EMPLOYEE_READ,
        ],
    },
    RoleDef {
        code: "operations_specialist",
        name: "Operations specialist",
        name_zh: "行政與運營專員",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            ROLE_ASSIGNMENT_READ,
            CUSTOMER_READ,
            CUSTOMER_MANAGE,
            EXPENSE_READ,
            BUDGET_READ,
            BUDGET_MANAGE,
            SUPPLY_READ,
            SUPPLY_MANAGE,
            ASSET_READ,
            ASSET_MANAGE,
            SALES_READ,
            SALES_MANAGE,
            TRIP_READ,
            SERVICE_READ,
            EMPLOYEE_READ,
            EMPLOYEE_MANAGE,
            PERSONAL_DATA_READ,
            PERSONAL_DATA_MANAGE,
        ],
    },
    RoleDef {
        code: "sales_rep",
        name: "Sales representative",
        name_zh: "銷售人員",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            CUSTOMER_READ,
            CUSTOMER_MANAGE,
            SALES_READ,
            SALES_MANAGE,
            SERVICE_READ,
            SERVICE_MANAGE,
            EMPLOYEE_READ,
        ],
    },
    RoleDef {
        code: "market_specialist",
        name: "Market specialist",
        name_zh: "市場專員",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            CUSTOMER_READ,
            CUSTOMER_MANAGE,
            SALES_READ,
            SALES_MANAGE,
            EMPLOYEE_READ,
        ],
    },
    RoleDef {
        code: "service_agent",
        name: "Customer service agent",
        name_zh: "客服專員",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            CUSTOMER_READ,
            SALES_READ,
            SERVICE_READ,
            SERVICE_MANAGE,
            EMPLOYEE_READ,
        ],
    },
    RoleDef {
        code: "support_engineer",
        name: "Technical support engineer",
        name_zh: "技術支持工程師",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            CUSTOMER_READ,
            SALES_READ,
            SERVICE_READ,
            SERVICE_MANAGE,
            EMPLOYEE_READ,
        ],
    },
    RoleDef {
        code: "service_engineer",
        name: "After-sales service engineer",
        name_zh: "售後服務工程師",
        level: RoleLevel::Office,
        permissions: &[
            OFFICE_READ,
            DEPARTMENT_READ,
            USER_READ,
            CUSTOMER_READ,
            SALES_READ,
            SERVICE_READ,
            SERVICE_MANAGE,
            EMPLOYEE_READ,
        ],
    },
    RoleDef {
        code: "staff",
        name: "Staff",
        name_zh: "員工",
        level: RoleLevel::Office,
        permissions: &[OFFICE_READ, DEPARTMENT_READ],
    },
    RoleDef {
        code: "auditor",
        name: "Auditor (read-only, company-wide)",
        name_zh: "審計",
        level: RoleLevel::Company,
        permissions: ALL_READ,
    },
];

pub fn role(code: &str) -> Option<&'static RoleDef> {
    ROLES.iter().find(|r| r.code == code)
}

/// The markdown of `docs/permissions.md`.
pub fn permissions_markdown() -> String {
    let mut out = String::from(
        "# Roles and permissions\n\n\
         Generated from `crates/org/src/roles.rs` by `branchline permissions`; a test fails when \
         this file is stale. A role says *what* its holder may do; the scope of each role \
         assignment (company, region, office or department) says *where*.\n\n\
         ## Permissions\n\n| permission | allows |\n|---|---|\n",
    );
    for (perm, what) in PERMISSIONS {
        out.push_str(&format!("| `{perm}` | {what} |\n"));
    }
    out.push_str("\n## Roles\n\n| role | name | assigned at | permissions |\n|---|---|---|---|\n");
    for r in ROLES {
        let level = match r.level {
            RoleLevel::Company => "company",
            RoleLevel::Region => "region",
            RoleLevel::Office => "office or department",
        };
        let perms = r
            .permissions
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "| `{}` | {} ({}) | {level} | {perms} |\n",
            r.code, r.name, r.name_zh
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_granted_permission_is_declared() {
        for r in ROLES {
            for p in r.permissions {
                assert!(
                    PERMISSIONS.iter().any(|(d, _)| d == p),
                    "{} grants undeclared {p}",
                    r.code
                );
            }
        }
    }

    #[test]
    fn auditor_only_reads() {
        let auditor = role("auditor").unwrap();
        assert!(auditor.permissions.iter().all(|p| p.ends_with(":read")));
        assert_eq!(auditor.level, RoleLevel::Company);
    }
}
