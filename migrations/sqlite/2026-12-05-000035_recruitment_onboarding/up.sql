-- Personnel: recruitment (招聘) and onboarding (入職).
-- A recruitment plan states the post, headcount, requirements, channels,
-- reason and wanted-by day and goes through the approval engine; candidates
-- of an approved plan pass the stages the plan requires, in order, with each
-- stage's interviewers, score and notes kept; the hires never exceed the
-- headcount (`hired` counts them in the same statement that checks it).
CREATE TABLE recruitment_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    post TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    headcount INTEGER NOT NULL CHECK (headcount > 0),
    hired INTEGER NOT NULL DEFAULT 0 CHECK (hired >= 0 AND hired <= headcount),
    requirements TEXT NOT NULL,
    channels TEXT NOT NULL,
    stages TEXT NOT NULL,
    reason TEXT NOT NULL,
    wanted_by DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_approval', 'approved', 'rejected', 'withdrawn', 'filled', 'closed')),
    approval_id BIGINT,
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX recruitment_plans_office ON recruitment_plans (office_id, id);

CREATE TABLE candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    plan_id BIGINT NOT NULL REFERENCES recruitment_plans (id),
    name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    source TEXT NOT NULL CHECK (source IN ('internal_platform', 'job_site', 'talent_market', 'campus', 'referral')),
    resume_ref TEXT,
    stage TEXT NOT NULL CHECK (stage IN ('resume_screening', 'interview', 'written_test', 'background_check', 'offer', 'hired', 'rejected')),
    rejected_at_stage TEXT,
    rejection_reason TEXT,
    employee_id BIGINT REFERENCES employees (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX candidates_office ON candidates (office_id, id);
CREATE INDEX candidates_plan ON candidates (plan_id, id);

CREATE TABLE candidate_stage_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate_id BIGINT NOT NULL REFERENCES candidates (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    stage TEXT NOT NULL CHECK (stage IN ('resume_screening', 'interview', 'written_test', 'background_check')),
    interviewers TEXT NOT NULL,
    score INTEGER CHECK (score BETWEEN 0 AND 100),
    notes TEXT,
    passed BOOLEAN NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (candidate_id, stage)
);

-- The onboarding checklist's template: HQ data with effective days; a new
-- hire's checklist is the set in force on the hire day.
CREATE TABLE onboarding_template_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    effective_from DATE NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('documents', 'contract', 'supplies', 'induction', 'mentor', 'other')),
    title TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (effective_from, position)
);
INSERT INTO onboarding_template_items (effective_from, position, kind, title, created_at) VALUES
    ('2000-01-01', 1, 'documents', '入職資料提交（身份證、學歷證明、體檢報告、照片）', CURRENT_TIMESTAMP),
    ('2000-01-01', 2, 'contract', '簽訂勞動合同', CURRENT_TIMESTAMP),
    ('2000-01-01', 3, 'supplies', '領用辦公用品', CURRENT_TIMESTAMP),
    ('2000-01-01', 4, 'induction', '崗前培訓：公司概況', CURRENT_TIMESTAMP),
    ('2000-01-01', 5, 'induction', '崗前培訓：企業文化', CURRENT_TIMESTAMP),
    ('2000-01-01', 6, 'induction', '崗前培訓：規章制度', CURRENT_TIMESTAMP),
    ('2000-01-01', 7, 'induction', '崗前培訓：產品知識', CURRENT_TIMESTAMP),
    ('2000-01-01', 8, 'mentor', '指定入職導師', CURRENT_TIMESTAMP);

-- One employee's checklist.
CREATE TABLE onboarding_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('documents', 'contract', 'supplies', 'induction', 'mentor', 'other')),
    title TEXT NOT NULL,
    done_at TIMESTAMP,
    done_by BIGINT REFERENCES users (id),
    note TEXT,
    contract_id BIGINT REFERENCES labour_contracts (id),
    supply_movement_id BIGINT,
    mentor_employee_id BIGINT REFERENCES employees (id),
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (employee_id, position)
);

ALTER TABLE employees ADD COLUMN mentor_employee_id BIGINT REFERENCES employees (id);

CREATE TRIGGER recruitment_plans_open_office BEFORE INSERT ON recruitment_plans
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER candidates_open_office BEFORE INSERT ON candidates
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER candidate_stage_results_open_office BEFORE INSERT ON candidate_stage_results
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER onboarding_items_open_office BEFORE INSERT ON onboarding_items
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
