-- Finance, second part: annual office budgets (預算) with lines by kind and
-- category split into months (and so quarters), optionally per department, and
-- the over-budget mark on expense claims.

CREATE TABLE budgets (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    year INTEGER NOT NULL,
    number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    block_overruns BOOLEAN NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX budgets_office_year ON budgets (office_id, year, status);

CREATE TABLE budget_lines (
    id BIGSERIAL PRIMARY KEY,
    budget_id BIGINT NOT NULL REFERENCES budgets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    month INTEGER NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX budget_lines_budget ON budget_lines (budget_id, kind, category, month);

ALTER TABLE expense_claims ADD COLUMN over_budget BOOLEAN NOT NULL DEFAULT FALSE;
