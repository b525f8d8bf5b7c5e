-- Personnel: training (培訓) and certificates. Needs are collected per
-- office; the office's annual plan (goals, budget, items with content,
-- method, lecturer, schedule and budget) goes through the approval engine;
-- sessions of an approved plan's items have attendees, attendance and a
-- result per person, the participants' rating and, some weeks later, the
-- supervisor's assessment. Certificates earned are kept on the file, those
-- from training due a reward.
CREATE TABLE training_needs (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    year INTEGER NOT NULL,
    topic TEXT NOT NULL,
    audience TEXT NOT NULL,
    reason TEXT NOT NULL,
    employee_id BIGINT REFERENCES employees (id),
    plan_id BIGINT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX training_needs_office ON training_needs (office_id, id);

CREATE TABLE training_plans (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    goals TEXT NOT NULL,
    budget BIGINT NOT NULL CHECK (budget >= 0),
    status TEXT NOT NULL CHECK (status IN ('in_approval', 'approved', 'rejected', 'withdrawn')),
    approval_id BIGINT,
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX training_plans_office ON training_plans (office_id, id);
CREATE UNIQUE INDEX training_plans_one_a_year ON training_plans (office_id, year) WHERE status IN ('in_approval', 'approved');

CREATE TABLE training_plan_items (
    id BIGSERIAL PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES training_plans (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    position INTEGER NOT NULL,
    content TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('internal', 'external', 'online', 'practical')),
    lecturer TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL CHECK (ends_on >= starts_on),
    budget BIGINT NOT NULL CHECK (budget >= 0),
    UNIQUE (plan_id, position)
);

CREATE TABLE training_sessions (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    plan_item_id BIGINT NOT NULL REFERENCES training_plan_items (id),
    title TEXT NOT NULL,
    held_on DATE NOT NULL,
    lecturer TEXT NOT NULL,
    review_after_weeks INTEGER NOT NULL CHECK (review_after_weeks BETWEEN 1 AND 26),
    status TEXT NOT NULL CHECK (status IN ('planned', 'held')),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX training_sessions_office ON training_sessions (office_id, id);

CREATE TABLE training_attendances (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    attended BOOLEAN,
    exam_score INTEGER CHECK (exam_score BETWEEN 0 AND 100),
    passed BOOLEAN,
    participant_score INTEGER CHECK (participant_score BETWEEN 1 AND 5),
    supervisor_score INTEGER CHECK (supervisor_score BETWEEN 0 AND 100),
    supervisor_assessment TEXT,
    assessed_by BIGINT REFERENCES users (id),
    assessed_at TIMESTAMP,
    UNIQUE (session_id, employee_id)
);
CREATE INDEX training_attendances_employee ON training_attendances (employee_id, id);

CREATE TABLE employee_certificates (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    number TEXT,
    issued_on DATE NOT NULL,
    expires_on DATE,
    session_id BIGINT REFERENCES training_sessions (id),
    reward_due BOOLEAN NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX employee_certificates_employee ON employee_certificates (employee_id, id);

CREATE TRIGGER training_needs_open_office BEFORE INSERT ON training_needs
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER training_plans_open_office BEFORE INSERT ON training_plans
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER training_plan_items_open_office BEFORE INSERT ON training_plan_items
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER training_sessions_open_office BEFORE INSERT ON training_sessions
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER training_attendances_open_office BEFORE INSERT ON training_attendances
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER employee_certificates_open_office BEFORE INSERT ON employee_certificates
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
