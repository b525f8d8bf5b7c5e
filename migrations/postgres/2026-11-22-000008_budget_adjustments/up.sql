-- Budget adjustments (預算調整): a change to one line and month of an active
-- budget, with its reason, effective only once HQ approves it.

CREATE TABLE budget_adjustments (
    id BIGSERIAL PRIMARY KEY,
    budget_id BIGINT NOT NULL REFERENCES budgets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    month INTEGER NOT NULL,
    delta BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    requested_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX budget_adjustments_budget ON budget_adjustments (budget_id, id);
