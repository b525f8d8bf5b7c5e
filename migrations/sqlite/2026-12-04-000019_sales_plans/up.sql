-- The office's sales plan (銷售計劃): the split of HQ's annual figure into
-- quarters, months and persons, drafted by the office and approved through the
-- engine (department manager, then the office director) before it is in force.
-- On approval its months and persons replace the target's splits, and the target
-- names the plan in force.
CREATE TABLE sales_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target_id BIGINT NOT NULL REFERENCES sales_targets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    year INTEGER NOT NULL,
    -- HQ's annual figure when the plan was drafted or last changed.
    amount BIGINT NOT NULL CHECK (amount >= 0),
    -- JSON: twelve month amounts, and [{user_id, amount}].
    months_json TEXT NOT NULL,
    persons_json TEXT NOT NULL,
    note TEXT,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX sales_plans_office ON sales_plans (office_id, id);
CREATE INDEX sales_plans_target ON sales_plans (target_id, id);

CREATE TRIGGER sales_plans_open_office BEFORE INSERT ON sales_plans
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;

ALTER TABLE sales_targets ADD COLUMN plan_id BIGINT REFERENCES sales_plans (id);
