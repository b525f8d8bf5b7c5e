-- Finance, first part: expense claims (費用報銷) with their invoice lines, and the
-- HQ pre-approvals that large expenses need before the money is spent.

CREATE TABLE expense_pre_approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    requester_user_id BIGINT NOT NULL REFERENCES users (id),
    category TEXT NOT NULL,
    purpose TEXT NOT NULL,
    estimated_amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX expense_pre_approvals_office ON expense_pre_approvals (office_id, id);

CREATE TABLE expense_claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    claimant_user_id BIGINT NOT NULL REFERENCES users (id),
    department_id BIGINT REFERENCES departments (id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    total BIGINT NOT NULL,
    currency TEXT NOT NULL,
    pre_approval_id BIGINT REFERENCES expense_pre_approvals (id),
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    paid_on DATE,
    payment_reference TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX expense_claims_office ON expense_claims (office_id, id);
CREATE INDEX expense_claims_claimant ON expense_claims (claimant_user_id);

CREATE TABLE expense_claim_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    claim_id BIGINT NOT NULL REFERENCES expense_claims (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    line_no INTEGER NOT NULL,
    spent_on DATE NOT NULL,
    description TEXT NOT NULL,
    amount BIGINT NOT NULL,
    invoice_number TEXT NOT NULL UNIQUE,
    attachment_name TEXT,
    attachment_sha256 TEXT,
    attachment_size BIGINT
);
CREATE INDEX expense_claim_lines_claim ON expense_claim_lines (claim_id, line_no);
