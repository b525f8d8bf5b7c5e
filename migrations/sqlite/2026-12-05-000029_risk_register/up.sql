-- Risk (風險管理), first part: the grade bands HQ sets (data with history),
-- the register of risks of an office, a region or the company with their
-- file of changes, the measures taken against them, and the decisions that go
-- through the approval engine (accepting a medium risk, closing a high one).

-- Which likelihood × impact scores are high, medium and low, and how often a
-- risk of each grade is reviewed. Never edited: a change is a new row, in
-- force from when it is written; the one with the latest effective_at rules.
CREATE TABLE risk_grade_bands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    high_from INTEGER NOT NULL,
    medium_from INTEGER NOT NULL,
    high_review_months INTEGER NOT NULL CHECK (high_review_months BETWEEN 1 AND 12),
    medium_review_months INTEGER NOT NULL CHECK (medium_review_months BETWEEN 1 AND 12),
    low_review_months INTEGER NOT NULL CHECK (low_review_months BETWEEN 1 AND 24),
    note TEXT,
    effective_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (medium_from >= 2 AND medium_from < high_from AND high_from <= 25)
);
INSERT INTO risk_grade_bands (high_from, medium_from, high_review_months, medium_review_months,
    low_review_months, note, effective_at, created_by, created_at)
VALUES (15, 8, 1, 3, 12, 'Default bands: 15 and above high, 8 to 14 medium, 7 and below low',
    '2000-01-01 00:00:00', NULL, '2000-01-01 00:00:00');

CREATE TABLE risks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'office' (office_id), 'region' (region_id) or 'company' (neither).
    level TEXT NOT NULL CHECK (level IN ('office', 'region', 'company')),
    office_id BIGINT REFERENCES offices (id),
    region_id BIGINT REFERENCES regions (id),
    category TEXT NOT NULL CHECK (category IN ('market', 'sales', 'credit', 'financial',
        'legal', 'operational', 'technical', 'personnel')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    cause TEXT,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    identified_by BIGINT NOT NULL REFERENCES users (id),
    method TEXT NOT NULL CHECK (method IN ('questionnaire', 'interview', 'data_analysis')),
    identified_on DATE NOT NULL,
    likelihood INTEGER CHECK (likelihood BETWEEN 1 AND 5),
    impact INTEGER CHECK (impact BETWEEN 1 AND 5),
    score INTEGER,
    grade TEXT CHECK (grade IN ('high', 'medium', 'low')),
    priority INTEGER CHECK (priority BETWEEN 1 AND 3),
    residual_likelihood INTEGER CHECK (residual_likelihood BETWEEN 1 AND 5),
    residual_impact INTEGER CHECK (residual_impact BETWEEN 1 AND 5),
    residual_grade TEXT CHECK (residual_grade IN ('high', 'medium', 'low')),
    response TEXT CHECK (response IN ('avoid', 'reduce', 'transfer', 'accept')),
    response_plan TEXT,
    status TEXT NOT NULL CHECK (status IN ('identified', 'assessed', 'responding', 'monitoring', 'closed')),
    band_id BIGINT REFERENCES risk_grade_bands (id),
    last_reviewed_on DATE,
    next_review_on DATE,
    closed_reason TEXT,
    closed_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK ((level = 'office') = (office_id IS NOT NULL)),
    CHECK ((level = 'region') = (region_id IS NOT NULL)),
    CHECK ((likelihood IS NULL) = (impact IS NULL) AND (likelihood IS NULL) = (grade IS NULL)),
    CHECK ((residual_likelihood IS NULL) = (residual_grade IS NULL))
);
CREATE INDEX risks_office ON risks (office_id, id);
CREATE INDEX risks_region ON risks (region_id, id);
CREATE INDEX risks_review ON risks (next_review_on) WHERE status <> 'closed';

-- The risk file (風險檔案): every change of a risk, in order.
CREATE TABLE risk_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    risk_id BIGINT NOT NULL REFERENCES risks (id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    details TEXT,
    user_id BIGINT REFERENCES users (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX risk_events_risk ON risk_events (risk_id, id);

CREATE TABLE risk_measures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    risk_id BIGINT NOT NULL REFERENCES risks (id),
    -- The risk's, copied so that lists are scoped in one query.
    office_id BIGINT REFERENCES offices (id),
    region_id BIGINT REFERENCES regions (id),
    title TEXT NOT NULL,
    description TEXT,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    due_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    evidence TEXT,
    done_on DATE,
    cancel_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX risk_measures_risk ON risk_measures (risk_id, id);
CREATE INDEX risk_measures_office ON risk_measures (office_id, id);
CREATE INDEX risk_measures_due ON risk_measures (due_on) WHERE status = 'open';

-- Accepting a medium risk, closing a high one: decided in the approval engine.
CREATE TABLE risk_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    risk_id BIGINT NOT NULL REFERENCES risks (id),
    -- The risk's, copied so that lists are scoped in one query.
    office_id BIGINT REFERENCES offices (id),
    region_id BIGINT REFERENCES regions (id),
    level TEXT NOT NULL CHECK (level IN ('office', 'region', 'company')),
    kind TEXT NOT NULL CHECK (kind IN ('accept', 'close')),
    note TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_approval', 'approved', 'rejected', 'withdrawn')),
    approval_id BIGINT REFERENCES approval_instances (id),
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX risk_decisions_risk ON risk_decisions (risk_id, id);
-- One decision in the engine per risk at a time.
CREATE UNIQUE INDEX risk_decisions_pending ON risk_decisions (risk_id) WHERE status = 'in_approval';

CREATE TRIGGER risks_open_office BEFORE INSERT ON risks
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER risk_measures_open_office BEFORE INSERT ON risk_measures
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER risk_decisions_open_office BEFORE INSERT ON risk_decisions
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
